#pragma once
// Shared by the sweep tests: a tiny spec over the texture dataset (two HS trials of a few
// steps, one thread), and the results rows without the wall-clock columns, which differ
// between identical runs.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tools/report_sweep.h"
#include "train_test_util.h"

namespace hs::test {

// Writes OUT-less spec `name` into `dir` whose grid is `grid` over a small HS-ResNet-29.
inline fs::path write_spec(const fs::path& dir, const fs::path& data, const nlohmann::json& grid,
                           std::int64_t epochs = 2) {
  const tools::TrainConfig base = small_config(data, dir / "unused");
  nlohmann::json b = base.to_json();
  b.erase("out");
  b["epochs"] = epochs;
  b["limit_train"] = 48;
  b["limit_test"] = 32;
  const nlohmann::json spec = {{"base", b}, {"grid", grid}};
  const fs::path path = dir / "spec.json";
  std::ofstream f(path);
  f << spec.dump(2);
  REQUIRE(f.good());
  return path;
}

inline const std::vector<std::string>& timing_columns() {
  static const std::vector<std::string> cols = {"train_img_per_s", "infer_img_per_s", "seconds"};
  return cols;
}

// OUT/results.jsonl, with the timing columns removed.
inline std::vector<nlohmann::json> rows_without_timing(const fs::path& out) {
  std::vector<nlohmann::json> rows = tools::read_jsonl((out / "results.jsonl").string());
  for (auto& r : rows)
    for (const auto& c : timing_columns()) r.erase(c);
  return rows;
}

}  // namespace hs::test

#include "tools/sweep_results.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "tools/report_sweep.h"
#include "tools/trainer.h"

namespace hs::tools {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const std::vector<std::string> kMeasured = {
    "params",          "macs",          "gradcheck_max_error", "gradcheck", "train_img_per_s",
    "infer_img_per_s", "best_test_acc", "final_test_acc",      "seconds",   "status"};

std::string cell(const ojson& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char ch : text) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return quoted + "\"";
}

std::string markdown(const SweepSpec& spec, const std::vector<ojson>& records) {
  const std::vector<std::string> cols = result_columns(spec);
  std::string md =
      "# Sweep " + spec.out + "\n\n" + std::to_string(records.size()) + " trials.\n\n|";
  for (const auto& c : cols) md += " " + c + " |";
  md += "\n|";
  for (std::size_t i = 0; i < cols.size(); ++i) md += " --- |";
  md += "\n";
  for (const ojson& r : records) {
    md += "|";
    for (const auto& c : cols) {
      std::string text = cell(r[c]);
      std::replace(text.begin(), text.end(), '|', '/');
      std::replace(text.begin(), text.end(), '\n', ' ');
      md += " " + text + " |";
    }
    md += "\n";
  }
  std::vector<const ojson*> done;
  for (const ojson& r : records)
    if (r["status"] == "done" && r["best_test_acc"].is_number()) done.push_back(&r);
  std::sort(done.begin(), done.end(), [](const ojson* a, const ojson* b) {
    return (*a)["best_test_acc"].get<double>() > (*b)["best_test_acc"].get<double>();
  });
  md += "\n## Best trials (best test accuracy)\n\n";
  if (done.empty()) md += "No trial has finished yet.\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(5, done.size()); ++i) {
    const ojson& r = *done[i];
    char line[256];
    std::snprintf(line, sizeof line, "%zu. %s: %.2f%% (final %.2f%%), %s params, %s MACs\n", i + 1,
                  r["trial"].get<std::string>().c_str(), 100 * r["best_test_acc"].get<double>(),
                  100 * r["final_test_acc"].get<double>(), cell(r["params"]).c_str(),
                  cell(r["macs"]).c_str());
    md += line;
  }
  return md;
}

}  // namespace

std::vector<std::string> result_columns(const SweepSpec& spec) {
  std::vector<std::string> cols = {"trial"};
  cols.insert(cols.end(), spec.axes.begin(), spec.axes.end());
  cols.push_back("seed");
  cols.insert(cols.end(), kMeasured.begin(), kMeasured.end());
  return cols;
}

ojson result_record(const SweepSpec& spec, std::size_t trial, const json& row) {
  const SweepTrial& t = spec.trials[trial];
  ojson r = ojson::object();
  r["trial"] = t.name;
  for (const std::string& axis : spec.axes) r[axis] = ojson::parse(t.axes[axis].dump());
  r["seed"] = t.seed;
  for (const std::string& key : kMeasured)
    r[key] = row.is_object() && row.contains(key) ? ojson::parse(row[key].dump()) : ojson(nullptr);
  if (!row.is_object()) r["status"] = "pending";
  return r;
}

void write_sweep_results(const SweepSpec& spec, const std::vector<json>& rows) {
  const std::filesystem::path out = spec.out;
  std::filesystem::create_directories(out);
  std::vector<ojson> records;
  for (std::size_t i = 0; i < spec.trials.size(); ++i)
    records.push_back(result_record(spec, i, rows[i]));
  const std::vector<std::string> cols = result_columns(spec);
  std::string csv, jsonl;
  for (std::size_t i = 0; i < cols.size(); ++i) csv += (i ? "," : "") + csv_field(cols[i]);
  csv += "\n";
  for (const ojson& r : records) {
    for (std::size_t i = 0; i < cols.size(); ++i)
      csv += (i ? "," : "") + csv_field(cell(r[cols[i]]));
    csv += "\n";
    jsonl += r.dump() + "\n";
  }
  write_text_atomic(out / "results.csv", csv);
  write_text_atomic(out / "results.jsonl", jsonl);
  write_text_atomic(out / "report.md", markdown(spec, records));
  write_text_atomic(out / "report.html", sweep_report_html(spec, records));
}

}  // namespace hs::tools

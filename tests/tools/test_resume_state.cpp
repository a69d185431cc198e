// The resume state OUT/last.json as `hsnet train --resume` reads it: what a hand-edited or
// corrupt file could hold that a resumed run would trip over later is refused up front.
#include <catch2/catch.hpp>
#include <string>

#include "core/error.h"
#include "tools/trainer.h"

using Catch::Matchers::Contains;
using hs::tools::check_resume_state;

namespace {

const std::string kMetric =
    R"({"epoch": 1, "train_loss": 0.9, "test_loss": 1.1, "train_acc": 0.6, "test_acc": 0.5})";

// A last.json after one epoch and three steps, with `field` replaced by `value`.
std::string state_with(const std::string& field, const std::string& value) {
  std::string fields[][2] = {{"epoch", "1"},           {"step", "3"},
                             {"loss_sum", "2.5"},      {"seconds", "4"},
                             {"correct", "20"},        {"seen", "48"},
                             {"best_test_acc", "0.5"}, {"metrics", "[" + kMetric + "]"}};
  std::string text = "{";
  for (auto& [key, v] : fields)
    text += (text.size() > 1 ? ", \"" : "\"") + key + "\": " + (key == field ? value : v);
  return text + "}";
}

}  // namespace

TEST_CASE("resume state: a valid last.json is accepted") {
  check_resume_state(state_with("", ""), "last.json");
  check_resume_state(R"({"epoch": 0, "step": 0, "loss_sum": 0, "seconds": 0, "correct": 0,
                         "seen": 0, "best_test_acc": -1, "metrics": []})",
                     "last.json");
}

TEST_CASE("resume state: bad counters, counts and metrics are refused, naming the file") {
  const std::pair<std::string, std::string> bad[] = {
      {"epoch", "-1"},                   // negative
      {"step", "2.5"},                   // not an integer
      {"seen", "1e300"},                 // not an integer (and out of range)
      {"correct", "49"},                 // more correct than seen
      {"epoch", "2"},                    // two completed epochs but one metrics entry
      {"metrics", "[3]"},                // an entry that is not an object
      {"metrics", R"([{"epoch": 1}])"},  // an entry without the plotted fields
      {"loss_sum", "\"x\""},             // wrong type
  };
  for (const auto& [field, value] : bad) {
    INFO(field << " = " << value);
    REQUIRE_THROWS_AS(check_resume_state(state_with(field, value), "run/last.json"), hs::Error);
    REQUIRE_THROWS_WITH(check_resume_state(state_with(field, value), "run/last.json"),
                        Contains("run/last.json"));
  }
  REQUIRE_THROWS_WITH(check_resume_state("{\"epoch\": ", "run/last.json"),
                      Contains("run/last.json") && Contains("not valid JSON"));
  REQUIRE_THROWS_WITH(check_resume_state("[1, 2]", "run/last.json"), Contains("JSON object"));
}

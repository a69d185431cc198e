// Fuzz target: a training config file as `hsnet train --config` reads it: JSON text, then
// TrainConfig::from_json and validate(). A valid config must also survive the round trip
// through to_json (what the trainer writes to OUT/config.json and reads back on resume).
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.h"
#include "tools/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // cmd_train refuses text that is not JSON before from_json
  hs::fuzz::expect_only_hs_errors([&] {
    const hs::tools::TrainConfig config = hs::tools::TrainConfig::from_json(j);
    config.validate();
    const hs::tools::TrainConfig again = hs::tools::TrainConfig::from_json(config.to_json());
    again.validate();
    if (again.to_json() != config.to_json())
      hs::fuzz::report_finding("TrainConfig does not survive to_json/from_json");
  });
  return 0;
}

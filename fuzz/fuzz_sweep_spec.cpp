// Fuzz target: a sweep spec as `hsnet sweep --config` reads it: JSON text, then
// SweepSpec::parse, which expands every trial and checks its config and model. An accepted
// spec's trials must be named uniquely (each trains in its own folder OUT/trials/NAME).
#include <nlohmann/json.hpp>
#include <set>

#include "fuzz/fuzz_input.h"
#include "tools/sweep_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // SweepSpec::read refuses text that is not JSON first
  hs::fuzz::expect_only_hs_errors([&] {
    const hs::tools::SweepSpec spec = hs::tools::SweepSpec::parse(j, "fuzz-out");
    std::set<std::string> names;
    for (const hs::tools::SweepTrial& t : spec.trials) {
      if (!names.insert(t.name).second)
        hs::fuzz::report_finding("two sweep trials share the name " + t.name);
      t.config.validate();
    }
  });
  return 0;
}

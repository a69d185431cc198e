// Fuzz target: the resume state OUT/last.json as `hsnet train --resume` reads it.
#include "fuzz/fuzz_input.h"
#include "tools/trainer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  hs::fuzz::expect_only_hs_errors([&] { hs::tools::check_resume_state(text, "last.json"); });
  return 0;
}

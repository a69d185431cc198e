// The gradcheck targets of the Res2Net and Selective-Kernel blocks (tools/gradcheck_target.h,
// `hsnet gradcheck --target ...`): each passes in f64 at stride 1 and 2 and prints its table;
// an unknown target names every valid one.
#include <catch2/catch.hpp>
#include <sstream>

#include "tools/gradcheck_target.h"

using namespace hs::tools;

TEST_CASE("gradcheck targets of the Res2Net and SK blocks pass at stride 1 and 2") {
  for (const char* name : {"res2net_block", "res2net_bottleneck", "sk_block", "sk_bottleneck"}) {
    for (std::int64_t stride : {1, 2}) {
      GradcheckTarget t;
      t.target = name;
      t.s = 3;
      t.w = 4;
      t.stride = stride;
      t.size = 5;
      std::ostringstream table;
      const GradcheckOutcome outcome = run_gradcheck(t, &table);
      INFO(table.str());
      CHECK(outcome.ok);
      CHECK(outcome.max_abs_error < 1e-6);
      CHECK(table.str().find("gradcheck: PASS") != std::string::npos);
    }
  }
}

TEST_CASE("an unknown gradcheck target names the valid ones") {
  GradcheckTarget t;
  t.target = "vgg_block";
  CHECK_THROWS_WITH(run_gradcheck(t, nullptr), Catch::Contains("unknown --target 'vgg_block'") &&
                                                   Catch::Contains("res2net_block") &&
                                                   Catch::Contains("sk_bottleneck"));
}

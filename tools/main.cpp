// hsnet: the command line of the hsnet framework.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "core/error.h"
#include "core/threads.h"
#include "ops/backends.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  hs::register_backends();
  hs::choose_openmp_wait(argv);
  CLI::App app{"hsnet: train, evaluate and inspect Hierarchical-Split networks"};
  app.require_subcommand(1);
  std::map<CLI::App*, hs::tools::Command> commands;
  auto add = [&](const char* name, const char* help, hs::tools::Command (*make)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands[sub] = make(*sub);
  };
  add("train", "train a model (see configs/)", hs::tools::add_train);
  add("eval", "evaluate a checkpoint on a test set", hs::tools::add_eval);
  add("predict", "top classes of JPEG or PNG images, or a test split's logits as CSV",
      hs::tools::add_predict);
  add("summary", "per-layer table of a model: output shapes, parameters, MACs",
      hs::tools::add_summary);
  add("gradcheck", "f64 gradient check of an HS block, bottleneck or small HS-ResNet",
      hs::tools::add_gradcheck);
  add("export", "weights, input and eval logits of a model, for cross-checks",
      hs::tools::add_export);
  add("bench", "throughput of a training step or of inference on synthetic input",
      hs::tools::add_bench);
  add("sweep", "a grid or random search over splits, widths, carry ratios and blocks",
      hs::tools::add_sweep);
  add("selftest", "every operator on a device against the CPU, then a short training on both",
      hs::tools::add_selftest);
  add("explain", "how one block moves its channels: bookkeeping table and SVG diagram",
      hs::tools::add_explain);
  add("data", "download a dataset (data download cifar10), or time image decoding",
      hs::tools::add_data);
  // CLI11 answers an unknown first word with "A subcommand is required": name the word.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const auto& [sub, run] : commands) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "error: unknown command '%s' (commands: %s)\n", argv[1], names.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the help (exit 0) or the bad option and a hint; a bad option, value or
    // subcommand is a user error like any other (README: exit status 2), not CLI11's 100-range.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
  } catch (const hs::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    // Not a user error but a fault of hsnet's (or the machine: out of memory): said in one
    // line and exit status 1, never an abort by an uncaught exception.
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}

#pragma once
// The subcommands of the hsnet command line. Each registers its options on a CLI11
// subcommand and returns the function that runs it (returning the exit status).
#include <CLI/CLI.hpp>
#include <functional>

namespace hs::tools {

using Command = std::function<int()>;

Command add_summary(CLI::App& app);
Command add_gradcheck(CLI::App& app);
Command add_export(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_predict(CLI::App& app);
Command add_selftest(CLI::App& app);
Command add_explain(CLI::App& app);
Command add_sweep(CLI::App& app);
Command add_data(CLI::App& app);

}  // namespace hs::tools

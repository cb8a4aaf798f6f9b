// Registration of subcommands: each cmd_*.cpp adds its CLI11 subcommand and returns the action to run
// once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "aicq/cli/cli.hpp"

namespace aicq::cli {

using Action = std::function<int(Io)>;

Action add_validate(CLI::App& app, const GlobalOptions& g);
Action add_units(CLI::App& app, const GlobalOptions& g);
Action add_assess(CLI::App& app, const GlobalOptions& g);
Action add_explain(CLI::App& app, const GlobalOptions& g);
Action add_compare(CLI::App& app, const GlobalOptions& g);
Action add_profile(CLI::App& app, const GlobalOptions& g);
Action add_rescore(CLI::App& app, const GlobalOptions& g);
Action add_report(CLI::App& app, const GlobalOptions& g);
Action add_history(CLI::App& app, const GlobalOptions& g);
Action add_show(CLI::App& app, const GlobalOptions& g);
Action add_keygen(CLI::App& app, const GlobalOptions& g);
Action add_sign(CLI::App& app, const GlobalOptions& g);
Action add_verify(CLI::App& app, const GlobalOptions& g);
Action add_import(CLI::App& app, const GlobalOptions& g);
Action add_hw(CLI::App& app, const GlobalOptions& g);
Action add_probes(CLI::App& app, const GlobalOptions& g);
Action add_run(CLI::App& app, const GlobalOptions& g);
Action add_sensors(CLI::App& app, const GlobalOptions& g);
Action add_monitor(CLI::App& app, const GlobalOptions& g);
Action add_utilization(CLI::App& app, const GlobalOptions& g);
Action add_assemble(CLI::App& app, const GlobalOptions& g);

}  // namespace aicq::cli

// What `aicq run --mpi` and `aicq assemble` share on the command line: the cluster run's wiring and the files and
// lines that go with a cluster result (summary.txt, report.html, the terminal summary, the store).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aicq/cli/cli.hpp"
#include "aicq/measure/session.hpp"

namespace aicq::cli {

/// The options of `aicq run` that matter to --mpi beyond measure::RunOptions.
struct MpiCliOptions {
  std::string out, site, profile, lang, db, timeout = "10m";
  bool result_only = false;
};

/// `aicq run --mpi`: every rank calls this; rank 0 prints and records the cluster result. `argv` is the run's
/// command line as parsed ({"aicq", "run", options…}); the node runs get it without the cluster-level options.
int run_mpi(const measure::RunOptions& ro, const std::vector<std::string>& argv, const MpiCliOptions& o, const GlobalOptions& g,
            Io io);

/// The node run's arguments: `argv` after "aicq run" without --mpi, --mpi-timeout, --out, --site, --db, --scratch,
/// --utilization-since and --result-only (with their values).
std::vector<std::string> node_arguments(const std::vector<std::string>& argv);

}  // namespace aicq::cli

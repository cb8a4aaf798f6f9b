// Running one probe in a child process (`aicq probes --run PROBE …`) with a changed environment.
//
// The gap diagnosis measures what a cause costs by rerunning a probe with the cause removed — an environment
// variable unset, a thread count changed. Environment variables such as OPENBLAS_CORETYPE are read once when a
// library loads, so the only honest way to remove them is a fresh process; this process's own environment is
// never touched.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe {

/// Environment changes for a child: a value sets the variable, nullopt unsets it.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

/// A copy of this process's environment (`environ`) as NAME → value.
std::map<std::string, std::string> current_environment();

/// Runs `exe probes --run PROBE ARGS…` with posix_spawn and an environment made of a copy of `environ` with
/// `env_changes` applied; stdin is /dev/null, stdout is read through a pipe and parsed as the probe's JSON
/// record (probe::to_json), stderr is kept for errors. The child leads its own process group; on timeout
/// (`timeout_s`) or cancellation (`cancel`) the group is killed with SIGKILL and reaped.
///
/// Throws core::WorkError naming the command when the child cannot start, runs past the timeout, is killed
/// by a signal, exits non-zero (with the exit code and the last lines of stderr) or prints no JSON record;
/// throws Cancelled when `cancel` is set while it runs.
ProbeResult run_probe_in_child(const std::string& exe, const std::string& probe, const std::vector<std::string>& args,
                               const EnvChanges& env_changes, double timeout_s,
                               const std::atomic<bool>* cancel = nullptr);

}  // namespace aicq::probe

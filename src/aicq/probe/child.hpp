// Running one probe in a child process (`aicq probes --run PROBE …`) with a changed environment.
//
// The gap diagnosis measures what a cause costs by rerunning a probe with the cause removed — an environment
// variable unset, a thread count changed. Environment variables such as OPENBLAS_CORETYPE are read once when a
// library loads, so the only honest way to remove them is a fresh process; this process's own environment is
// never touched.
#pragma once

#include <sys/types.h>

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

/// The environment block for a child: a copy of `environ` with `env_changes` applied, as "NAME=value".
std::vector<std::string> child_environment(const EnvChanges& env_changes);

/// The last `lines` non-blank lines of `s`, joined with " | " (for error messages quoting a child's stderr).
std::string tail_lines(const std::string& s, std::size_t lines);

/// A child process started with posix_spawn: stdin /dev/null, stdout and stderr through pipes that pump()
/// reads, leading its own process group (so that killing the group kills everything it started), default
/// dispositions for SIGPIPE, SIGINT and SIGTERM, no signal blocked. The destructor kills the group with
/// SIGKILL and reaps the child unless it was reaped already: no way out leaves a child behind.
class ChildProcess {
 public:
  /// Starts `argv[0]` with `argv` and `env` ("NAME=value" each). `shown` names the command in errors.
  /// Throws core::WorkError naming the command when the pipes or posix_spawn fail.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::string shown);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& shown() const { return shown_; }
  /// Whether stdout or stderr is still open (both close when the child and everything it started exit).
  bool output_open() const { return out_fd_ >= 0 || err_fd_ >= 0; }
  /// Waits up to `timeout_ms` for output and appends what came to out() and err() (err() keeps about its
  /// last 64 KiB). Returns whether anything came or a pipe closed. Throws core::WorkError when poll fails.
  bool pump(int timeout_ms);
  std::string& out() { return out_; }
  const std::string& err() const { return err_; }
  /// Takes the first complete line (without its '\n') off out(); nullopt when no line is complete.
  std::optional<std::string> take_line();

  /// The exit status once the child has exited (waitpid, WNOHANG; reaps it), nullopt while it runs. Throws
  /// core::WorkError when waitpid fails.
  std::optional<int> try_reap();
  /// For a caller that reaped the child itself (e.g. after waiting for it to stop): records its status.
  void reaped(int status) { status_ = status; }
  std::optional<int> status() const { return status_; }
  /// SIGKILL to the child's process group and the child, then reaps it (nothing when reaped already).
  void kill_and_reap();

 private:
  std::string shown_;
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  std::optional<int> status_;
};

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

// What the long-running commands (run, monitor) share: stopping on SIGINT/SIGTERM, duration options.
#pragma once

#include <atomic>
#include <csignal>
#include <string>

namespace aicq::cli {

/// While alive, SIGINT and SIGTERM set `stop_requested()` instead of ending the process; a second signal ends it
/// the usual way. The previous handlers come back on destruction.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// The flag the signals set (cleared when a StopSignals is created).
  static const std::atomic<bool>& flag();
  static bool stop_requested() { return flag().load(); }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// A duration option ("500ms", "1s", "10m", "30d") in seconds; core::InputError naming the option otherwise.
double duration_option(const std::string& text, const char* option);

}  // namespace aicq::cli

#include "aicq/cli/run_control.hpp"

#include <fmt/format.h>

#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"

namespace aicq::cli {

namespace {

std::atomic<bool> g_stop{false};

void on_stop_signal(int sig) {
  g_stop.store(true);
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

}  // namespace

StopSignals::StopSignals() {
  g_stop.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

const std::atomic<bool>& StopSignals::flag() { return g_stop; }

double duration_option(const std::string& text, const char* option) {
  try {
    return core::parse_duration_s(text);
  } catch (const core::UnitError& e) {
    throw core::InputError(core::Location{option}, option,
                           fmt::format("expected a duration such as 500ms, 1s, 10m or 30d, found '{}': {}", text, e.what()));
  }
}

}  // namespace aicq::cli

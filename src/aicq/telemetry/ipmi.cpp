// Server power through IPMI DCMI: `ipmitool dcmi power reading` (or FreeIPMI's ipmi-dcmi), run as a command.
//
// A BMC answers this command even when it is not metering; then the state reads "deactivated" and the
// timestamp is the epoch (Thu Jan 1 00:00:00 1970). Only "activated" (ipmitool) / "Active" (FreeIPMI)
// readings are used.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <limits>
#include <sstream>

#include "aicq/core/diagnostics.hpp"
#include "aicq/telemetry/samplers.hpp"

extern char** environ;

namespace aicq::telemetry {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "2578 Watts" → 2578; "00000300 Seconds." → 300; "2685198000 milliseconds" → 2685198 (s).
std::optional<double> leading_number(std::string_view v) {
  v = trim(v);
  double x = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc()) return std::nullopt;
  return x;
}

std::vector<std::string> split_blanks(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}
}  // namespace

bool DcmiReading::active() const {
  const std::string s = lower(trim(state));
  return s == "activated" || s == "active";
}

DcmiReading parse_dcmi_power_reading(std::string_view text, const std::string& what) {
  DcmiReading r;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    const std::size_t blank = value.find(' ');
    const std::string unit = blank == std::string_view::npos ? std::string() : lower(trim(value.substr(blank + 1)));
    if (key == "instantaneous power reading" || key == "current power") r.instantaneous_w = leading_number(value);
    else if (key == "minimum during sampling period" || key == "minimum power over sampling duration") r.minimum_w = leading_number(value);
    else if (key == "maximum during sampling period" || key == "maximum power over sampling duration") r.maximum_w = leading_number(value);
    else if (key == "average power reading over sample period" || key == "average power over sampling duration") r.average_w = leading_number(value);
    else if (key == "ipmi timestamp" || key == "time stamp") r.timestamp = std::string(value);
    else if (key == "sampling period" || key == "statistics reporting time period") {
      if (auto n = leading_number(value)) r.sampling_period_s = unit.rfind("milli", 0) == 0 ? *n / 1000 : *n;
    } else if (key == "power reading state is" || key == "power measurement") r.state = std::string(value);
  }
  if (!r.instantaneous_w && !r.average_w)
    throw core::InputError(core::Location{what}, "", "expected an IPMI DCMI power reading ('Instantaneous power reading: N Watts'), found none");
  return r;
}

std::string run_command(const std::string& command, std::chrono::milliseconds timeout) {
  const std::vector<std::string> args = split_blanks(command);
  if (args.empty()) throw core::WorkError("no command to run");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // posix_spawn's signature; not written
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw core::WorkError(fmt::format("pipe2: {}", std::strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw core::WorkError(fmt::format("pipe2: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw core::WorkError(fmt::format("cannot run '{}': {}", args[0], std::strerror(rc)));
  }
  std::string out, err;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    for (auto& f : fds) {
      if (f.fd < 0 || (f.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(f.fd, buf, sizeof buf);
      if (got > 0) {
        (f.fd == out_pipe[0] ? out : err).append(buf, static_cast<std::size_t>(got));
        if (out.size() + err.size() > (1u << 20)) {  // a power reading is a few hundred bytes
          timed_out = true;
          open_fds = 0;
          break;
        }
      } else {
        f.fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) throw core::WorkError(fmt::format("'{}' did not finish within {} ms", command, timeout.count()));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string e(trim(err));
    if (e.size() > 300) e = e.substr(0, 300) + "…";
    throw core::WorkError(fmt::format("'{}' failed ({}{}){}", command, WIFEXITED(status) ? "exit code " : "signal ",
                                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), e.empty() ? "" : ": " + e));
  }
  return out;
}

IpmiSampler::IpmiSampler(std::string command) : command_(std::move(command)) {
  const DcmiReading r = parse_dcmi_power_reading(run_command(command_, std::chrono::seconds(5)), command_);
  if (!r.active())
    throw core::WorkError(fmt::format("the BMC is not metering power: '{}' says power reading state '{}' (timestamp {})", command_,
                                      r.state.empty() ? "unknown" : r.state, r.timestamp.empty() ? "none" : r.timestamp));
  source_ = fmt::format("IPMI DCMI power reading ('{}'), node level", command_);
  channels_ = {{metric::power_w, "node", "W", false, PowerScope::node}};
}

void IpmiSampler::sample(double /*t_s*/, std::span<double> out) {
  out[0] = kNaN;
  const DcmiReading r = parse_dcmi_power_reading(run_command(command_, std::chrono::seconds(5)), command_);
  if (r.active() && r.instantaneous_w) out[0] = *r.instantaneous_w;
}

}  // namespace aicq::telemetry

// Running one probe in a child process (see child.hpp).
#include "aicq/probe/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <thread>

#include "aicq/core/diagnostics.hpp"

extern char** environ;  // NOLINT: POSIX

namespace aicq::probe {

namespace {

constexpr std::size_t kMaxStdout = std::size_t{64} << 20;  // a probe record is kilobytes; more is a runaway child
constexpr std::size_t kKeepStderr = std::size_t{64} << 10;

std::string errno_text(int e) { return fmt::format("{} (errno {})", std::strerror(e), e); }

// Closes what it holds on every way out.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw core::WorkError(fmt::format("pipe2: {}", errno_text(errno)));
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

struct SpawnSetup {
  posix_spawn_file_actions_t fa{};
  posix_spawnattr_t attr{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::vector<std::string> child_environment(const EnvChanges& env_changes) {
  // Ours, less the variables the changes name, plus the values they set.
  std::vector<std::string> env_s;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (env_changes.count(kv.substr(0, eq == std::string::npos ? kv.size() : eq))) continue;
    env_s.push_back(kv);
  }
  for (const auto& [k, v] : env_changes)
    if (v) env_s.push_back(k + "=" + *v);
  return env_s;
}

std::string tail_lines(const std::string& s, std::size_t lines) {
  std::vector<std::string> all;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t nl = s.find('\n', pos);
    const std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.find_first_not_of(" \r\t") != std::string::npos) all.push_back(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  std::string t;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) t += (t.empty() ? "" : " | ") + all[i];
  return t;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv_s, const std::vector<std::string>& env_s, std::string shown)
    : shown_(std::move(shown)) {
  if (argv_s.empty()) throw core::WorkError("ChildProcess: no command");
  std::vector<std::string> args = argv_s, env = env_s;  // posix_spawn takes char*, not const char*
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  Pipe out, err;
  SpawnSetup s;
  posix_spawn_file_actions_addopen(&s.fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.fa, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&s.fa, err.fd[1], 2);
  // Own process group (so a timeout kills everything it started), default signal handling, nothing blocked.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);

  if (const int rc = ::posix_spawn(&pid_, args[0].c_str(), &s.fa, &s.attr, argv.data(), envp.data()); rc != 0)
    throw core::WorkError(fmt::format("posix_spawn({}): {} — while starting `{}`", args[0], errno_text(rc), shown_));
  out.close_end(1);
  err.close_end(1);
  std::swap(out_fd_, out.fd[0]);
  std::swap(err_fd_, err.fd[0]);
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool ChildProcess::pump(int timeout_ms) {
  if (!output_open()) return false;
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  const int n = ::poll(fds, 2, std::max(timeout_ms, 0));
  if (n < 0 && errno != EINTR) throw core::WorkError(fmt::format("poll on the output of `{}`: {}", shown_, errno_text(errno)));
  bool any = false;
  char buf[65536];
  for (int i = 0; i < 2 && n > 0; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    any = true;
    int& fd = i == 0 ? out_fd_ : err_fd_;
    if (got <= 0) {
      ::close(fd);
      fd = -1;
      continue;
    }
    std::string& dst = i == 0 ? out_ : err_;
    dst.append(buf, static_cast<std::size_t>(got));
    if (i == 1 && err_.size() > 2 * kKeepStderr) err_.erase(0, err_.size() - kKeepStderr);
  }
  return any;
}

std::optional<std::string> ChildProcess::take_line() {
  const auto nl = out_.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = out_.substr(0, nl);
  out_.erase(0, nl + 1);
  return line;
}

std::optional<int> ChildProcess::try_reap() {
  if (status_) return status_;
  int st = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid_, &st, WNOHANG);
    if (w == pid_) {
      status_ = st;
      return status_;
    }
    if (w == 0) return std::nullopt;
    if (errno != EINTR) throw core::WorkError(fmt::format("waitpid for `{}`: {}", shown_, errno_text(errno)));
  }
}

// Kills the child's process group (the child and anything it started) and reaps the child.
void ChildProcess::kill_and_reap() {
  if (status_ || pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
}

ProbeResult run_probe_in_child(const std::string& exe, const std::string& probe, const std::vector<std::string>& args,
                               const EnvChanges& env_changes, double timeout_s, const std::atomic<bool>* cancel) {
  std::vector<std::string> argv_s{exe, "probes", "--run", probe};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::string shown;
  for (const auto& a : argv_s) shown += (shown.empty() ? "" : " ") + a;
  for (const auto& [k, v] : env_changes) shown = (v ? k + "=" + *v : "(unset " + k + ")") + " " + shown;

  ChildProcess child(argv_s, child_environment(env_changes), shown);
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_s));
  while (child.output_open()) {
    if (cancel && cancel->load()) {
      child.kill_and_reap();
      throw Cancelled{};
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) {
      child.kill_and_reap();
      throw core::WorkError(fmt::format("`{}` did not finish within {:g} s and was killed", shown, timeout_s));
    }
    child.pump(static_cast<int>(std::min<long long>(left, 100)));
    if (child.out().size() > kMaxStdout) {
      child.kill_and_reap();
      throw core::WorkError(fmt::format("`{}` printed more than {} MiB on stdout; killed", shown, kMaxStdout >> 20));
    }
  }

  // Both pipes closed: the child is exiting (or closed them and goes on; the deadline still holds).
  int status = 0;
  for (;;) {
    if (const auto st = child.try_reap()) {
      status = *st;
      break;
    }
    if (cancel && cancel->load()) {
      child.kill_and_reap();
      throw Cancelled{};
    }
    if (clock::now() >= deadline) {
      child.kill_and_reap();
      throw core::WorkError(fmt::format("`{}` did not finish within {:g} s and was killed", shown, timeout_s));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string& so = child.out();
  const std::string& se = child.err();
  const std::string err_tail = tail_lines(se, 5);
  const std::string err_part = err_tail.empty() ? "" : ": " + err_tail;
  if (WIFSIGNALED(status))
    throw core::WorkError(fmt::format("`{}` was killed by signal {} ({}){}", shown, WTERMSIG(status), strsignal(WTERMSIG(status)), err_part));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // `aicq probes --run` still prints the record of a failed probe: its reason says more than the exit code.
    std::string record_part;
    const auto rec = nlohmann::json::parse(so, nullptr, false);
    if (rec.is_object() && rec.contains("status") && rec["status"].is_string())
      record_part = fmt::format(" (probe {}: {})", rec["status"].get<std::string>(), rec.value("reason", ""));
    throw core::WorkError(fmt::format("`{}` exited with code {}{}{}", shown, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                                      record_part, err_part));
  }

  // The record is the whole of stdout; tolerate lines before it by falling back to the last line that opens an object.
  nlohmann::json j = nlohmann::json::parse(so, nullptr, false);
  if (j.is_discarded()) {
    const auto at = so.rfind("\n{");
    if (at != std::string::npos) j = nlohmann::json::parse(so.substr(at + 1), nullptr, false);
  }
  if (j.is_discarded() || !j.is_object())
    throw core::WorkError(fmt::format("`{}` printed no JSON probe record on stdout (it began: \"{}\")", shown, so.substr(0, 200)));
  try {
    return probe_result_from_json(j);
  } catch (const std::exception& e) {
    throw core::WorkError(fmt::format("`{}` printed a JSON record that is not a probe record: {}", shown, e.what()));
  }
}

}  // namespace aicq::probe

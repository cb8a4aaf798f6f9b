// Helpers of the Prometheus tests: child processes (the real aicq binary, a real Prometheus, promtool), free
// loopback ports, and the tools' presence (a missing one fails the test and names scripts/install-deps.sh).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace aicq::test {

/// The first of `paths` that exists, else empty.
inline std::string find_tool(std::initializer_list<const char*> paths) {
  for (const char* p : paths)
    if (std::filesystem::exists(p)) return p;
  return {};
}

inline std::string prometheus_binary() { return find_tool({"/usr/bin/prometheus", "/usr/local/bin/prometheus"}); }
inline std::string promtool_binary() { return find_tool({"/usr/bin/promtool", "/usr/local/bin/promtool"}); }
inline std::string missing_tool_message(const std::string& tool) {
  return tool + " is not installed: run scripts/install-deps.sh (Debian package `prometheus`), which CI runs before the tests";
}

/// A port that was free a moment ago on 127.0.0.1 (the kernel's choice for port 0).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("free_loopback_port: bind");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// A child process with its standard output (and error, merged) read through a pipe.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& log_file = {}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (log_file.empty()) {
      posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
      posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    } else {
      posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out_fd_ = fds[0];
    if (rc != 0) {
      ::close(out_fd_);
      throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::to_string(rc));
    }
  }
  ~Child() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }

  /// Reads output until `needle` appears or the time is up; returns everything read so far.
  std::string read_until(const std::string& needle, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (output_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const auto n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      output_.append(buf, static_cast<std::size_t>(n));
    }
    return output_;
  }

  /// Sends a signal and waits for the exit; the exit code (128 + signal when killed by one), or nullopt when it
  /// did not end within `limit` (it is then killed).
  std::optional<int> stop(int sig, std::chrono::milliseconds limit) {
    ::kill(pid_, sig);
    return wait(limit);
  }

  std::optional<int> wait(std::chrono::milliseconds limit) {
    if (status_) return status_;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        read_until("\x01never", std::chrono::milliseconds(0));
        return status_;
      }
      read_until("\x01never", std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    status_ = 128 + SIGKILL;
    return std::nullopt;
  }

  [[nodiscard]] const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
  std::optional<int> status_;
};

/// Runs a program to its end with `input` on its standard input; exit code and merged output.
struct ToolRun {
  int rc = -1;
  std::string out;
};
inline ToolRun run_tool(const std::vector<std::string>& argv, const std::string& input, const std::filesystem::path& scratch) {
  const auto in_file = scratch / "tool-input.txt";
  const auto out_file = scratch / "tool-output.txt";
  std::ofstream(in_file, std::ios::binary) << input;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, in_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  ToolRun r;
  if (::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) == 0) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  posix_spawn_file_actions_destroy(&fa);
  std::ifstream in(out_file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  return r;
}

}  // namespace aicq::test

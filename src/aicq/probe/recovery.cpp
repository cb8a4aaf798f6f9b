// Kill-and-resume supervisor (see resilience.hpp). Torch-free: it only starts `aicq probes --train-worker`,
// reads its line protocol and kills it.
//
// Timing: every event is stamped when its line (or the death) is seen, on the monotonic clock, and the
// figures are differences of those stamps. The supervisor reads the worker's pipe with poll(), so a line is
// seen within microseconds of being flushed.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/child.hpp"
#include "aicq/probe/resilience.hpp"

namespace aicq::probe {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kProbe = "resilience.recovery";
constexpr double kRelativeTolerance = 1e-6;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
std::string errno_text(int e) { return fmt::format("{} (errno {})", std::strerror(e), e); }

// One line of the worker protocol (resilience.hpp), stamped when it was read.
struct Event {
  enum class Kind { ready, step, checkpoint, done } kind = Kind::ready;
  int step = 0;
  double value = 0;  // the loss of a step line; the worker's own seconds of a ready line
  Clock::time_point at;
};

// Parses one protocol line; nullopt for a line that is not part of the protocol (a library may print on
// stdout). A protocol keyword with a malformed rest is an error: the figures would be wrong.
std::optional<Event> parse(const std::string& line, Clock::time_point at, const std::string& shown) {
  std::istringstream in(line);
  std::string key;
  in >> key;
  Event e;
  e.at = at;
  if (key == "ready") e.kind = Event::Kind::ready;
  else if (key == "step") e.kind = Event::Kind::step;
  else if (key == "checkpoint") e.kind = Event::Kind::checkpoint;
  else if (key == "done") e.kind = Event::Kind::done;
  else return std::nullopt;
  auto bad = [&] { return core::WorkError(fmt::format("`{}` printed a malformed line \"{}\"", shown, line)); };
  if (!(in >> e.step)) throw bad();
  if (e.kind == Event::Kind::ready || e.kind == Event::Kind::step) {
    std::string v;
    if (!(in >> v)) throw bad();
    // strtod reads the hexadecimal floats ("%a") the worker prints, exactly.
    char* end = nullptr;
    e.value = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0') throw bad();
  }
  return e;
}

// A pidfd for `pid` (Linux ≥ 5.3): readable once the process has died, before it is reaped. -1 when the
// kernel or the headers lack it; the supervisor then detects the death with waitpid.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// One worker run: the child, what it reported, and the cancellation and timeout around reading it.
class Worker {
 public:
  Worker(const std::vector<std::string>& argv, double timeout_s, const Context& ctx)
      : shown_(join(argv)),
        spawned_(Clock::now()),
        child_(argv, child_environment({}), shown_),
        pidfd_(open_pidfd(child_.pid())),
        deadline_(spawned_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s))),
        timeout_s_(timeout_s),
        ctx_(ctx) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    if (pidfd_ >= 0) ::close(pidfd_);
  }

  // The next protocol event, nullopt once the worker's output is closed (it exited or died).
  std::optional<Event> next() {
    for (;;) {
      while (const auto line = child_.take_line())
        if (auto e = parse(*line, read_at_, shown_)) return record(*e);
      if (!child_.output_open()) return std::nullopt;
      guard();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (child_.pump(static_cast<int>(std::clamp<long long>(left, 0, 100)))) read_at_ = Clock::now();
    }
  }

  // Reads to the end and checks that the worker exited with code 0.
  void finish() {
    while (next()) {
    }
    for (;;) {
      if (const auto st = child_.try_reap()) {
        if (WIFEXITED(*st) && WEXITSTATUS(*st) == 0) return;
        throw failure(*st);
      }
      guard();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  // Waits until the worker has stopped itself (SIGSTOP after "step K"), then kills it and times the death.
  // Returns (SIGKILL sent → death seen) in seconds.
  double kill_when_stopped() {
    for (;;) {
      int st = 0;
      const pid_t w = ::waitpid(child_.pid(), &st, WUNTRACED | WNOHANG);
      if (w == child_.pid() && WIFSTOPPED(st)) break;
      if (w == child_.pid()) {
        child_.reaped(st);
        throw core::WorkError(fmt::format("`{}` ended before it stopped to be killed: {}", shown_, describe(st)));
      }
      if (w < 0 && errno != EINTR) throw core::WorkError(fmt::format("waitpid for `{}`: {}", shown_, errno_text(errno)));
      guard();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    int status = 0;
    const auto sent = Clock::now();
    if (::kill(child_.pid(), SIGKILL) != 0) throw core::WorkError(fmt::format("kill(SIGKILL) of `{}`: {}", shown_, errno_text(errno)));
    ::kill(-child_.pid(), SIGKILL);  // anything else in its group, while the group surely exists (a worker starts none)
    Clock::time_point seen;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      int n = 0;
      while ((n = ::poll(&p, 1, static_cast<int>(1000 * timeout_s_))) < 0 && errno == EINTR) {
      }
      seen = Clock::now();
      if (n <= 0) throw core::WorkError(fmt::format("poll on the pidfd of `{}`: {}", shown_, n == 0 ? "no death seen within the timeout" : errno_text(errno)));
      method_ = "pidfd";
      while (::waitpid(child_.pid(), &status, 0) < 0 && errno == EINTR) {
      }
    } else {
      while (::waitpid(child_.pid(), &status, 0) < 0 && errno == EINTR) {
      }
      seen = Clock::now();
      method_ = "waitpid";
    }
    child_.reaped(status);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
      throw core::WorkError(fmt::format("`{}` was sent SIGKILL but ended otherwise: {}", shown_, describe(status)));
    death_seen_ = seen;
    return seconds(seen - sent);
  }

  // After the kill: the lines the worker printed before dying (none expected: it was stopped).
  void drain() {
    while (next()) {
    }
  }

  void kill() { child_.kill_and_reap(); }

  const std::string& shown() const { return shown_; }
  Clock::time_point spawned() const { return spawned_; }
  Clock::time_point death_seen() const { return death_seen_; }
  const std::string& method() const { return method_; }
  const std::optional<Event>& ready() const { return ready_; }
  const std::map<int, Event>& steps() const { return steps_; }
  int last_step() const { return steps_.empty() ? (ready_ ? ready_->step : 0) : steps_.rbegin()->first; }
  std::optional<int> done() const { return done_; }

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
    return s;
  }
  static std::string describe(int st) {
    if (WIFSIGNALED(st)) return fmt::format("killed by signal {} ({})", WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st)) return fmt::format("exited with code {}", WEXITSTATUS(st));
    return fmt::format("wait status {}", st);
  }
  core::WorkError failure(int st) const {
    const std::string tail = tail_lines(child_.err(), 5);
    return core::WorkError(fmt::format("`{}` {}{}", shown_, describe(st), tail.empty() ? "" : ": " + tail));
  }
  // Cancellation and timeout, between reads: the child is killed and reaped before the exception leaves.
  void guard() {
    if (ctx_.cancelled()) {
      child_.kill_and_reap();
      throw Cancelled{};
    }
    if (Clock::now() >= deadline_) {
      child_.kill_and_reap();
      throw core::WorkError(fmt::format("`{}` did not finish within {:g} s and was killed", shown_, timeout_s_));
    }
  }
  // Keeps the event and checks the protocol's order: ready first, then steps one by one.
  Event record(const Event& e) {
    const auto bad = [&](const std::string& what) { return core::WorkError(fmt::format("`{}`: {}", shown_, what)); };
    switch (e.kind) {
      case Event::Kind::ready:
        if (ready_) throw bad("printed \"ready\" twice");
        ready_ = e;
        break;
      case Event::Kind::step:
        if (!ready_) throw bad("printed a step before \"ready\"");
        if (e.step != last_step() + 1) throw bad(fmt::format("reported step {} after step {}", e.step, last_step()));
        steps_[e.step] = e;
        break;
      case Event::Kind::checkpoint:
        if (e.step != last_step()) throw bad(fmt::format("reported checkpoint {} after step {}", e.step, last_step()));
        break;
      case Event::Kind::done: done_ = e.step; break;
    }
    return e;
  }

  std::string shown_;
  Clock::time_point spawned_;
  ChildProcess child_;
  int pidfd_ = -1;
  Clock::time_point deadline_, read_at_ = Clock::now(), death_seen_;
  double timeout_s_;
  const Context& ctx_;
  std::string method_;
  std::optional<Event> ready_;
  std::map<int, Event> steps_;
  std::optional<int> done_;
};

// The folders of the experiment, removed on every way out.
struct Folders {
  std::vector<fs::path> made;
  Folders() = default;
  Folders(const Folders&) = delete;
  Folders& operator=(const Folders&) = delete;
  ~Folders() {
    std::error_code ec;
    for (const auto& p : made) fs::remove_all(p, ec);
  }
  std::string make(const fs::path& p) {
    std::error_code ec;
    fs::remove_all(p, ec);
    if (!fs::create_directory(p, ec) || ec)
      throw core::WorkError(fmt::format("cannot create folder {}: {}", p.string(), ec ? ec.message() : "exists"));
    made.push_back(p);
    return p.string();
  }
};

double median_step_s(const std::map<int, Event>& steps) {
  std::vector<double> d;
  for (auto it = steps.begin(); it != steps.end(); ++it) {
    const auto next = std::next(it);
    if (next != steps.end()) d.push_back(seconds(next->second.at - it->second.at));
  }
  if (d.empty()) return 0;
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

void report(const Context& ctx, const std::string& step, int phase, double elapsed_s) {
  Progress p;
  p.probe = kProbe;
  p.step = step;
  p.repetition = phase;
  p.repetitions = 3;
  p.elapsed_s = elapsed_s;
  ctx.report(p);
}

}  // namespace

RecoveryOutcome run_recovery(const RecoverySettings& s, const Context& ctx) {
  const int n = s.total_steps, k = s.checkpoint_every;
  if (s.exe.empty()) throw std::invalid_argument("run_recovery: no worker executable");
  if (n < 2 || k < 1 || s.threads < 1 || !(s.timeout_s > 0))
    throw std::invalid_argument(fmt::format("run_recovery: total_steps {} (≥ 2), checkpoint_every {} (≥ 1), threads {} (≥ 1), "
                                            "timeout {} s (> 0)", n, k, s.threads, s.timeout_s));
  std::error_code ec;
  if (!fs::is_directory(s.dir, ec)) throw std::invalid_argument(fmt::format("run_recovery: {} is not a folder", s.dir));
  RecoveryOutcome o;
  if (s.kill_at_step) {
    o.kill_at_step = *s.kill_at_step;
  } else {
    if (n - k - 1 < k + 1)
      throw std::invalid_argument(fmt::format("run_recovery: no step strictly between {} and {} to draw the kill point from", k, n - k));
    std::mt19937_64 rng(s.seed);
    o.kill_at_step = std::uniform_int_distribution<int>(k + 1, n - k - 1)(rng);
  }
  if (o.kill_at_step < 1 || o.kill_at_step >= n)
    throw std::invalid_argument(fmt::format("run_recovery: kill_at_step {} outside 1…{}", o.kill_at_step, n - 1));

  Folders folders;
  const std::string ref_dir = folders.make(fs::path(s.dir) / "reference");
  const std::string run_dir = folders.make(fs::path(s.dir) / "run");
  auto argv = [&](const std::string& dir, std::optional<int> stop_after) {
    std::vector<std::string> a{s.exe, "probes", "--train-worker", dir, "--steps", std::to_string(n), "--checkpoint-every",
                               std::to_string(k), "--seed", std::to_string(s.seed), "--threads", std::to_string(s.threads)};
    if (stop_after) a.insert(a.end(), {"--stop-after", std::to_string(*stop_after)});
    return a;
  };
  const auto t0 = Clock::now();

  // 1. The uninterrupted reference.
  report(ctx, fmt::format("uninterrupted run, {} steps", n), 1, 0);
  Worker ref(argv(ref_dir, std::nullopt), s.timeout_s, ctx);
  ref.finish();
  if (!ref.ready() || ref.ready()->step != 0 || ref.done() != n || ref.last_step() != n)
    throw core::WorkError(fmt::format("`{}` ended without training steps 1…{} (last step {})", ref.shown(), n, ref.last_step()));
  o.reference_step_s = median_step_s(ref.steps());

  // 2. The run that is killed after step kill_at_step.
  report(ctx, fmt::format("run killed after step {}", o.kill_at_step), 2, seconds(Clock::now() - t0));
  Worker killed(argv(run_dir, o.kill_at_step), s.timeout_s, ctx);
  for (;;) {
    const auto e = killed.next();
    if (!e) {
      killed.finish();  // throws with the exit status and stderr
      throw core::WorkError(fmt::format("`{}` ended before step {}", killed.shown(), o.kill_at_step));
    }
    if (e->kind == Event::Kind::step && e->step == o.kill_at_step) break;
  }
  o.detection_s = killed.kill_when_stopped();
  o.detection_method = killed.method();
  killed.drain();
  o.killed_at_step = killed.last_step();

  // 3. The restart from the last durable checkpoint.
  report(ctx, fmt::format("restart after the kill at step {}", o.killed_at_step), 3, seconds(Clock::now() - t0));
  Worker resumed(argv(run_dir, std::nullopt), s.timeout_s, ctx);
  o.turnaround_s = seconds(resumed.spawned() - killed.death_seen());
  resumed.finish();
  if (!resumed.ready() || resumed.done() != n || resumed.last_step() != n)
    throw core::WorkError(fmt::format("`{}` ended without finishing the run (last step {})", resumed.shown(), resumed.last_step()));
  const Event& ready = *resumed.ready();
  o.resumed_from_step = ready.step;
  o.worker_ready_s = ready.value;
  if (o.resumed_from_step > o.killed_at_step)
    throw core::WorkError(fmt::format("`{}` resumed from step {}, after the step the killed run reached ({})", resumed.shown(),
                                      o.resumed_from_step, o.killed_at_step));
  o.steps_lost = o.killed_at_step - o.resumed_from_step;
  o.restart_s = seconds(ready.at - resumed.spawned());
  const auto& rs = resumed.steps();
  o.first_step_s = seconds(rs.at(o.resumed_from_step + 1).at - ready.at);
  o.recovery_s = o.detection_s + o.turnaround_s + o.restart_s + o.first_step_s;
  o.lost_work_s = o.steps_lost > 0 ? seconds(rs.at(o.killed_at_step).at - ready.at) : 0.0;

  // 4. The trajectories: the resumed run against the uninterrupted one from the checkpoint on, and the killed
  // run up to its death.
  o.bitwise_equal = true;
  for (int step = o.resumed_from_step + 1; step <= n; ++step) {
    const double a = ref.steps().at(step).value, b = rs.at(step).value;
    o.reference_losses.push_back(a);
    o.resumed_losses.push_back(b);
    const double diff = std::fabs(b - a);
    o.max_loss_difference = std::max(o.max_loss_difference, diff);
    o.max_relative_difference = std::max(o.max_relative_difference, a != 0 ? diff / std::fabs(a) : diff);
    if (std::memcmp(&a, &b, sizeof a) != 0) o.bitwise_equal = false;
  }
  o.trajectory_matches = o.max_relative_difference <= kRelativeTolerance;  // also false for NaN
  o.killed_run_matches = true;
  for (const auto& [step, e] : killed.steps()) {
    const double a = ref.steps().at(step).value;
    if (!(std::fabs(e.value - a) <= kRelativeTolerance * std::fabs(a))) o.killed_run_matches = false;
  }
  return o;
}

}  // namespace aicq::probe

// resilience.checkpoint and resilience.recovery with the real parts: the synthetic state on the real scratch
// filesystem, the CNN state through libtorch, and the kill-and-resume supervisor starting the real aicq
// binary's training worker (`aicq probes --train-worker`) on the real Fashion-MNIST files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "aicq/probe/probes.hpp"
#include "aicq/probe/resilience.hpp"
#include "support.hpp"

namespace aicq::probe {
namespace fs = std::filesystem;

namespace {

const Measurement& measurement(const ProbeResult& r, const std::string& id) {
  for (const auto& m : r.measurements)
    if (m.id == id) return m;
  throw std::runtime_error("no measurement " + id + " in " + r.id);
}
const Check& check(const ProbeResult& r, const std::string& id) {
  for (const auto& c : r.checks)
    if (c.id == id) return c;
  throw std::runtime_error("no check " + id + " in " + r.id);
}
const Probe& probe_of(const std::string& id) {
  if (const Probe* p = find(id)) return *p;
  throw std::runtime_error("no probe " + id);
}

// A physical bound for any byte rate on one node: above the memory bandwidth of the largest CPU sockets
// (12 channels of DDR5-6400: 12 × 8 B × 6.4e9 /s ≈ 614 GB/s) and of any local storage. A write with fsync or a
// read of a file cannot move bytes faster than memory does, even from the page cache.
constexpr double kMaxByteRate = 1e12;

// A /proc file's content (up to 64 KiB), "" when unreadable (the process may have gone meanwhile).
std::string read_small(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s(65536, '\0');
  const ssize_t n = ::read(fd, s.data(), s.size());
  ::close(fd);
  s.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return s;
}

// Processes whose command line mentions `needle` (the scratch folder a worker was given).
int processes_mentioning(const std::string& needle) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmd = read_small((e.path() / "cmdline").string());
    if (cmd.find(needle) != std::string::npos && std::stoi(name) != ::getpid()) ++n;
  }
  return n;
}

// Children of this process, zombies included (field 4 of /proc/PID/stat is the parent).
int children_of_this_process() {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_small((e.path() / "stat").string());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid()) ++n;
  }
  return n;
}

RecoverySettings settings_in(const fs::path& dir, int steps, int every, int kill_at) {
  RecoverySettings s;
  s.exe = AICQ_BINARY;
  s.dir = dir.string();
  s.total_steps = steps;
  s.checkpoint_every = every;
  s.kill_at_step = kill_at;
  s.seed = 7;
  s.threads = 1;
  s.timeout_s = 240;
  return s;
}

}  // namespace

// --- resilience.checkpoint ----------------------------------------------------------------------------------------

TEST(Checkpoint, TinyWritesReadsBackAndCleansUp) {
  const auto dir = test::scratch("checkpoint");
  Context ctx;
  ctx.tiny = true;
  ctx.threads = 1;
  ctx.scratch_dir = dir.string();
  const ProbeResult r = probe_of("resilience.checkpoint").run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  EXPECT_TRUE(fs::is_empty(dir)) << "the probe left files in " << dir;  // its folder and files are gone

  // The synthetic state: 16 MiB in tiny = 16 × 1 048 576 B = 16 777 216 B, every byte written read back.
  const Measurement& w = measurement(r, "write_bandwidth");
  const Measurement& rd = measurement(r, "read_bandwidth");
  EXPECT_EQ(w.unit, "B/s");
  EXPECT_EQ(w.work.value_or(0), 16777216.0);
  EXPECT_EQ(rd.work.value_or(0), 16777216.0);
  ASSERT_EQ(w.samples.size(), 2u);  // tiny: 2 repetitions
  for (const auto& m : {w, rd})
    for (const double v : m.samples) {
      EXPECT_GT(v, 0);
      EXPECT_LE(v, kMaxByteRate);
    }
  const auto& reps = rd.details.at("repetitions");
  ASSERT_EQ(reps.size(), 2u);
  for (const auto& x : reps) {
    EXPECT_EQ(x.at("bytes_written").get<std::uint64_t>(), 16777216u);
    EXPECT_EQ(x.at("bytes_read").get<std::uint64_t>(), 16777216u);
    EXPECT_EQ(x.at("checksum_read"), x.at("checksum_written"));
    EXPECT_EQ(x.at("pages").get<std::uint64_t>(), 16777216u / static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
  }
  EXPECT_NE(reps[0].at("checksum_written"), reps[1].at("checksum_written"));  // each repetition writes new content
  EXPECT_TRUE(check(r, "checksum").passed);
  // Where the read came from is said either way: evicted (storage) or "may be cached".
  const std::string from = rd.details.at("read_from");
  EXPECT_TRUE(from.rfind("storage", 0) == 0 || from.rfind("may be cached", 0) == 0) << from;

  // The GPT-3 projection: 175e9 parameters × 16 B = 2.8e12 B, at the median write bandwidth.
  const auto& gpt3 = w.details.at("projections").at(0);
  EXPECT_EQ(gpt3.at("state_bytes").get<double>(), 2.8e12);
  EXPECT_DOUBLE_EQ(gpt3.at("write_time_s").get<double>(), 2.8e12 / w.stats.median);
  EXPECT_FALSE(w.details.at("scratch").at("filesystem").get<std::string>().empty());

  // The CNN state: conv1 1·32·9+32 = 320, conv2 32·64·9+64 = 18 496, fc1 64·7·7·128+128 = 401 536,
  // fc2 128·10+10 = 1 290 → 421 642 parameters; weights and Adam's two moments in FP32 are at least
  // 421 642 × 4 B × 3 = 5 059 704 B of the state; the archive's names and headers add little.
  const Measurement& cw = measurement(r, "cnn_state_write_time");
  EXPECT_EQ(cw.unit, "s");
  EXPECT_FALSE(cw.higher_is_better);
  EXPECT_EQ(cw.details.at("parameters").get<std::int64_t>(), 421642);
  const double state = cw.work.value_or(0);
  EXPECT_GE(state, 5059704.0);
  EXPECT_LE(state, 2 * 5059704.0);
  for (const double t : cw.samples) EXPECT_GT(t, 0);
  EXPECT_LE(cw.details.at("bandwidth_Bps").get<double>(), kMaxByteRate);
  EXPECT_TRUE(check(r, "cnn_state_round_trip").passed) << check(r, "cnn_state_round_trip").detail;
  EXPECT_EQ(measurement(r, "cnn_state_read_time").samples.size(), 2u);
}

TEST(Checkpoint, SkipsWithItsReasonWhenTheStateDoesNotFit) {
  const auto dir = test::scratch("checkpoint-full");
  Context ctx;
  ctx.tiny = true;
  ctx.scratch_dir = dir.string();
  ctx.checkpoint_bytes = 1e15;  // 1 PB: no disk here holds it
  const ProbeResult r = probe_of("resilience.checkpoint").run(ctx);
  EXPECT_EQ(r.status, Status::skipped);
  EXPECT_NE(r.reason.find("does not fit"), std::string::npos) << r.reason;
  EXPECT_TRUE(r.measurements.empty());
  EXPECT_TRUE(fs::is_empty(dir));
}

// --- run_recovery -------------------------------------------------------------------------------------------------

TEST(Recovery, DeterministicKillPointLosesExactlyTheStepsSinceTheLastCheckpoint) {
  const auto dir = test::scratch("recovery");
  Context ctx;
  // Killed after step 27 with a checkpoint every 10 steps: the last durable checkpoint is step 20, so the
  // restart loads step 20 and 27 − 20 = 7 steps are lost; steps 21…30 are compared: 10 losses.
  const RecoveryOutcome o = run_recovery(settings_in(dir, 30, 10, 27), ctx);
  EXPECT_EQ(o.kill_at_step, 27);
  EXPECT_EQ(o.killed_at_step, 27);
  EXPECT_EQ(o.resumed_from_step, 20);
  EXPECT_EQ(o.steps_lost, 7);
  ASSERT_EQ(o.reference_losses.size(), 10u);
  ASSERT_EQ(o.resumed_losses.size(), 10u);
  // Same seed, same thread count, the same batches from step 21 on: the resumed run is the uninterrupted one.
  EXPECT_TRUE(o.trajectory_matches);
  EXPECT_TRUE(o.bitwise_equal);
  EXPECT_TRUE(o.killed_run_matches);
  EXPECT_EQ(o.max_loss_difference, 0.0);
  for (std::size_t i = 0; i < o.reference_losses.size(); ++i) EXPECT_EQ(o.reference_losses[i], o.resumed_losses[i]) << "step " << 21 + i;
  // The times: each positive, the recovery their sum.
  EXPECT_GT(o.detection_s, 0);
  EXPECT_GT(o.restart_s, 0);
  EXPECT_GT(o.first_step_s, 0);
  EXPECT_GE(o.turnaround_s, 0);
  EXPECT_GT(o.lost_work_s, o.first_step_s);  // 7 steps redone take longer than the first of them
  EXPECT_DOUBLE_EQ(o.recovery_s, o.detection_s + o.turnaround_s + o.restart_s + o.first_step_s);
  EXPECT_FALSE(o.detection_method.empty());
  EXPECT_TRUE(fs::is_empty(dir));  // the checkpoints went with the experiment
}

TEST(Recovery, KilledBeforeItsFirstCheckpointResumesFromStepZero) {
  const auto dir = test::scratch("recovery-early");
  Context ctx;
  // Killed after step 5, the first checkpoint due at step 10: nothing durable, the restart starts at 0 and all
  // 5 steps are lost; all 15 steps are compared.
  const RecoveryOutcome o = run_recovery(settings_in(dir, 15, 10, 5), ctx);
  EXPECT_EQ(o.killed_at_step, 5);
  EXPECT_EQ(o.resumed_from_step, 0);
  EXPECT_EQ(o.steps_lost, 5);
  EXPECT_EQ(o.reference_losses.size(), 15u);
  EXPECT_TRUE(o.trajectory_matches);
  EXPECT_TRUE(o.bitwise_equal);
}

TEST(Recovery, RejectsSettingsWithoutAKillPoint) {
  const auto dir = test::scratch("recovery-settings");
  Context ctx;
  EXPECT_THROW(run_recovery(settings_in(dir, 40, 10, 40), ctx), std::invalid_argument);  // the last step: nothing to resume
  EXPECT_THROW(run_recovery(settings_in(dir, 40, 10, 0), ctx), std::invalid_argument);
  RecoverySettings drawn = settings_in(dir, 20, 10, 1);
  drawn.kill_at_step.reset();  // no step strictly between 10 and 20 − 10
  EXPECT_THROW(run_recovery(drawn, ctx), std::invalid_argument);
}

TEST(Recovery, CancelledSupervisorLeavesNoChildBehind) {
  const auto dir = test::scratch("recovery-cancel");
  std::atomic<bool> cancel{false};
  Context ctx;
  ctx.cancel = &cancel;
  // Cancel once the uninterrupted worker is training: its first checkpoint exists.
  std::thread canceller([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(200);
    while (!fs::exists(dir / "reference" / "checkpoint.pt") && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cancel = true;
  });
  EXPECT_THROW(run_recovery(settings_in(dir, 100000, 5, 50), ctx), Cancelled);
  canceller.join();
  EXPECT_EQ(children_of_this_process(), 0);          // the worker was killed and reaped (no zombie either)
  EXPECT_EQ(processes_mentioning(dir.string()), 0);  // nothing it could have started survives
  EXPECT_TRUE(fs::is_empty(dir));
}

// --- resilience.recovery ------------------------------------------------------------------------------------------

TEST(RecoveryProbe, TinyReportsItsTimesAndChecks) {
  const auto dir = test::scratch("recovery-probe");
  Context ctx;
  ctx.tiny = true;
  ctx.threads = 1;
  ctx.scratch_dir = dir.string();
  ctx.aicq_exe = AICQ_BINARY;
  const ProbeResult r = probe_of("resilience.recovery").run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  const Measurement& rec = measurement(r, "recovery_time");
  EXPECT_EQ(rec.unit, "s");
  EXPECT_FALSE(rec.higher_is_better);
  ASSERT_EQ(rec.samples.size(), 1u);
  const auto& rep = rec.details.at("repetitions").at(0);
  // tiny: 30 steps, a checkpoint every 10, the kill point drawn from seed 0 in 11…19: the restart loads step 10.
  const int killed = rep.at("killed_at_step");
  EXPECT_GE(killed, 11);
  EXPECT_LE(killed, 19);
  EXPECT_EQ(rep.at("resumed_from_step").get<int>(), 10);
  EXPECT_EQ(rep.at("steps_lost").get<int>(), killed - 10);
  EXPECT_EQ(rec.samples[0], rep.at("recovery_s").get<double>());
  EXPECT_EQ(measurement(r, "detection_time").samples[0], rep.at("detection_s").get<double>());
  EXPECT_EQ(measurement(r, "restart_time").samples[0], rep.at("restart_s").get<double>());
  EXPECT_TRUE(check(r, "trajectory").passed) << check(r, "trajectory").detail;
  EXPECT_TRUE(check(r, "resumed_from_last_checkpoint").passed);
  EXPECT_TRUE(fs::is_empty(dir));
}

// --- the worker's command line ------------------------------------------------------------------------------------

TEST(TrainWorkerCli, WorkerOptionsNeedTheWorkerAndAFolder) {
  const auto alone = test::run({"probes", "--steps", "5"});
  EXPECT_EQ(alone.rc, 2);
  EXPECT_NE(alone.err.find("--train-worker"), std::string::npos) << alone.err;
  const auto both = test::run({"probes", "--train-worker", "/tmp", "--run", "compute.gemm"});
  EXPECT_EQ(both.rc, 2);
  const auto missing = test::run({"probes", "--train-worker", "/nonexistent/aicq-worker", "--steps", "3"});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("/nonexistent/aicq-worker"), std::string::npos) << missing.err;
  const auto bad_stop = test::run({"probes", "--train-worker", test::scratch("worker-cli").string(), "--steps", "3", "--stop-after", "4"});
  EXPECT_EQ(bad_stop.rc, 2);
  EXPECT_NE(bad_stop.err.find("--stop-after"), std::string::npos) << bad_stop.err;
}

}  // namespace aicq::probe

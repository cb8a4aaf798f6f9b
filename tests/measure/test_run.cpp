// `aicq run`: the measured evidence of a machine, the whole pipeline on tiny sizes, interruption.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "aicq/assess/result.hpp"
#include "aicq/measure/session.hpp"
#include "support.hpp"

extern char** environ;

namespace aicq {

namespace {

const core::Evidence* find(const std::vector<core::Evidence>& ev, const std::string& metric) {
  for (const auto& e : ev)
    if (e.metric == metric) return &e;
  return nullptr;
}

/// The record of a metric that must be there (throws, failing the test, when it is not).
const core::Evidence& get(const std::vector<core::Evidence>& ev, const std::string& metric) {
  if (const auto* e = find(ev, metric)) return *e;
  throw std::runtime_error("no evidence " + metric);
}

hw::Peak peak(const std::string& precision, double flops, double flop_per_cycle) {
  hw::Peak p;
  p.precision = precision;
  p.flops = flops;
  p.kind = "measured";
  p.method = "2 cores × 3.3 GHz (measured) × FLOP/cycle";
  p.source = "zen5";
  p.cores = 2;
  p.clock_hz = 3.3e9;
  p.flop_per_cycle_per_core = flop_per_cycle;
  return p;
}

hw::Host two_core_host() {
  hw::Host h;
  h.hostname = "node-a";
  h.cpu.model_name = "AMD EPYC";
  h.cpu.sockets = 1;
  h.cpu.cores = 2;
  h.cpu.threads = 2;
  return h;
}

hw::Peaks measured_peaks() {
  hw::Peaks p;
  // 2 cores × 3.3 GHz × 32 FLOP/cycle = 211.2 GFLOP/s; fp32: × 64 = 422.4 GFLOP/s
  p.peaks.push_back(peak("fp64", 211.2e9, 32));
  p.peaks.push_back(peak("fp32", 422.4e9, 64));
  return p;
}

probe::Measurement rate(const std::string& id, const std::string& unit, const std::string& precision, std::vector<double> s) {
  probe::Measurement m;
  m.id = id;
  m.unit = unit;
  m.precision = precision;
  m.samples = std::move(s);
  m.stats = probe::statistics(m.samples);
  return m;
}

}  // namespace

TEST(RunEvidence, MachineWorkloadsAndCompatibility) {
  probe::ProbeResult gemm;
  gemm.id = "compute.gemm";
  gemm.measurements.push_back(rate("dgemm_fp64", "FLOP/s", "fp64", {150e9, 160e9, 155e9}));
  gemm.measurements.push_back(rate("matmul_fp32", "FLOP/s", "fp32", {340e9}));
  probe::ProbeResult lin;
  lin.id = "compute.linpack";
  lin.status = probe::Status::invalid;
  lin.reason = "scaled residual 1e9 ≥ 16";
  lin.measurements.push_back(rate("hpl_fp64", "FLOP/s", "fp64", {100e9}));
  probe::ProbeResult stream;
  stream.id = "memory.stream";
  stream.measurements.push_back(rate("triad", "B/s", "", {30e9, 34e9}));
  probe::ProbeResult compat;
  compat.id = "compat.runtimes";
  auto row = rate("openblas", "1", "", {1.0});
  row.details = {{"layer", "chips"}, {"result", "pass"}};
  compat.measurements.push_back(row);
  auto row2 = rate("openmp", "1", "", {0.5});
  row2.details = {{"layer", "os"}, {"result", "partial"}};
  compat.measurements.push_back(row2);
  probe::ProbeResult skipped;
  skipped.id = "storage.io";
  skipped.status = probe::Status::skipped;

  const auto ev = measure::evidence_of(two_core_host(), measured_peaks(), {gemm, lin, stream, compat, skipped}, true,
                                       "2026-11-29T12:00:00Z");
  // The machine: one node with one CPU package whose fp64 peak is the whole 211.2 GFLOP/s.
  ASSERT_TRUE(find(ev, "inventory.node.count"));
  EXPECT_EQ(get(ev, "inventory.node.count").quantity.si, 1);
  EXPECT_EQ(get(ev, "inventory.node.cpu.count_per_unit").quantity.si, 1);
  EXPECT_DOUBLE_EQ(get(ev, "inventory.node.cpu.peak.fp64").quantity.si, 211.2e9);
  EXPECT_EQ(get(ev, "inventory.node.cpu.peak.fp64").kind, core::EvidenceKind::measured);
  // DGEMM: the median of 150, 155, 160 = 155 GFLOP/s on 1 package of 211.2 GFLOP/s
  const auto& a = get(ev, "probe.compute.gemm.dgemm_fp64.achieved");
  EXPECT_DOUBLE_EQ(a.quantity.si, 155e9);
  EXPECT_EQ(a.kind, core::EvidenceKind::measured);
  EXPECT_DOUBLE_EQ(get(ev, "probe.compute.gemm.dgemm_fp64.devices").quantity.si, 1);
  EXPECT_DOUBLE_EQ(get(ev, "probe.compute.gemm.dgemm_fp64.peak_per_device").quantity.si, 211.2e9);
  EXPECT_DOUBLE_EQ(get(ev, "probe.compute.gemm.matmul_fp32.peak_per_device").quantity.si, 422.4e9);
  // The invalid LINPACK is kept and marked, with its reason.
  ASSERT_TRUE(find(ev, "probe.compute.linpack.hpl_fp64.invalid"));
  EXPECT_EQ(get(ev, "probe.compute.linpack.hpl_fp64.invalid").note, lin.reason);
  // Memory: reported (median of 30 and 34 = 32 GB/s), not a workload.
  EXPECT_DOUBLE_EQ(get(ev, "probe.memory.stream.triad.rate").quantity.si, 32e9);
  EXPECT_FALSE(find(ev, "probe.memory.stream.triad.achieved"));
  // Compatibility rows in the form the assessment reads.
  EXPECT_DOUBLE_EQ(get(ev, "compatibility[m0].chips").quantity.si, 1);
  EXPECT_DOUBLE_EQ(get(ev, "compatibility[m1].os").quantity.si, 0.5);
  // A skipped probe leaves nothing.
  for (const auto& e : ev) EXPECT_EQ(e.metric.find("storage.io"), std::string::npos) << e.metric;

  // With a declared inventory, the machine is not added a second time.
  const auto ev2 = measure::evidence_of(two_core_host(), measured_peaks(), {gemm}, false, "t");
  EXPECT_FALSE(find(ev2, "inventory.node.count"));
  EXPECT_TRUE(find(ev2, "probe.compute.gemm.dgemm_fp64.achieved"));
}

TEST(RunEvidence, EstimatedPowerIsLabelledQ0) {
  probe::ProbeResult gemm;
  gemm.id = "compute.gemm";
  gemm.measurements.push_back(rate("dgemm_fp64", "FLOP/s", "fp64", {150e9}));
  gemm.power = probe::PowerWindow{90, 900, "Q0", "estimate"};
  const auto ev = measure::evidence_of(two_core_host(), measured_peaks(), {gemm}, true, "t");
  const auto& p = get(ev, "probe.compute.gemm.power.mean");
  EXPECT_EQ(p.kind, core::EvidenceKind::estimated);
  EXPECT_EQ(p.quality.value_or(core::PowerQuality::q3), core::PowerQuality::q0);
}

TEST(RunSelection, UnknownProbeIsBadInputNamingTheKnownOnes) {
  const auto o = test::run({"run", "--only", "compute.gemm,compute.tpu", "--out", test::scratch("run-sel").string()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("compute.tpu"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("memory.stream"), std::string::npos) << o.err;
  EXPECT_FALSE(std::filesystem::exists(test::scratch("run-sel") / "result.json"));
}

TEST(RunPipeline, TinyRunWritesACompleteProvisionalResult) {
  const auto dir = test::scratch("run-tiny");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto o = test::run({"run", "--suite", "quick", "--tiny", "--no-diagnosis", "--only", "compute.gemm,memory.stream",
                            "--out", (dir / "out").string(), "--db", (dir / "aicq.db").string()});
  ASSERT_EQ(o.rc, 0) << o.out << o.err;
  const auto r = assess::load_result((dir / "out" / "result.json").string());
  EXPECT_EQ(r.doc["status"], "complete");
  EXPECT_EQ(r.doc["overall"]["grade_status"], "provisional");
  EXPECT_LT(r.doc["overall"]["coverage"].get<double>(), 1.0);
  ASSERT_EQ(r.doc["measurement"]["probes"].size(), 2u);
  // Physics: every achieved rate ≤ 1.05 × the peak it is compared with.
  int workloads = 0;
  for (const auto& e : r.evidence) {
    if (!e.metric.ends_with(".achieved")) continue;
    const std::string p = e.metric.substr(0, e.metric.size() - 9);
    const double peak_total = get(r.evidence, p + ".peak_per_device").quantity.si * get(r.evidence, p + ".devices").quantity.si;
    EXPECT_LE(e.quantity.si, 1.05 * peak_total) << p;
    EXPECT_GT(e.quantity.si, 0) << p;
    ++workloads;
  }
  EXPECT_GE(workloads, 1);
  // ce.measured is scored from them; every measured number carries unit, repetitions and CV in its method.
  EXPECT_EQ(r.doc["indicators"]["ce.measured"]["status"], "scored");
  for (const auto& pj : r.doc["measurement"]["probes"])
    for (const auto& m : pj["measurements"]) {
      EXPECT_TRUE(m.contains("unit"));
      EXPECT_TRUE(m["stats"].contains("cv"));
      EXPECT_GE(m["stats"]["n"].get<int>(), 1);
    }
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "report.html"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "summary.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "raw" / "compute.gemm.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "raw" / "hw.json"));
  // rescore reproduces it from its own evidence.
  EXPECT_EQ(test::run({"rescore", (dir / "out" / "result.json").string()}).rc, 0);
}

TEST(RunPipeline, InterruptWritesACompleteInterruptedResultAndExits130) {
  const auto dir = test::scratch("run-int");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out").string(), db = (dir / "aicq.db").string(), log = (dir / "log").string();
  std::vector<std::string> args = {AICQ_BINARY, "run", "--suite", "quick", "--no-diagnosis", "--out", out, "--db", db,
                                   "--only", "memory.stream,compute.linpack,compute.gemm"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (log + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, AICQ_BINARY, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  // Wait until the first probe has finished (its raw record is written), then stop the run.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(150);
  while (!std::filesystem::exists(dir / "out" / "raw" / "memory.stream.json") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(std::filesystem::exists(dir / "out" / "raw" / "memory.stream.json"));
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto r = assess::load_result(out + "/result.json");
  EXPECT_EQ(r.doc["status"], "interrupted");
  // The finished probe is kept with its figures.
  bool stream_kept = false;
  for (const auto& p : r.doc["measurement"]["probes"])
    if (p["id"] == "memory.stream" && p["status"] == "ok") stream_kept = !p["measurements"].empty();
  EXPECT_TRUE(stream_kept);
}

}  // namespace aicq

// compute.gpu in aicq: skipped with NVML's reason where there is no GPU; with a GPU that NVML shows (the NVML
// stand-in library, loaded through the real dlopen path), the real aicq-gpu-probe is started and what it says is
// reported; its evidence document becomes measurements that measure::evidence_of scores against the GPUs' peak.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "aicq/hw/nvml.hpp"
#include "aicq/measure/session.hpp"
#include "aicq/probe/gpu.hpp"
#include "aicq/probe/probe.hpp"
#include "evidence_json.hpp"
#include "hw_support.hpp"
#include "support.hpp"

using namespace aicq;

namespace {

probe::Context tiny_context() {
  probe::Context ctx;
  ctx.tiny = true;
  ctx.threads = 1;
  return ctx;
}

// Points NVML at the stand-in library and a script, for one scope.
class FakeNvml {
 public:
  explicit FakeNvml(const std::string& script)
      : path_(write(script)), lib_("AICQ_NVML_LIBRARY", AICQ_FAKE_NVML_PATH), env_("AICQ_FAKE_NVML_SCRIPT", path_) {}

 private:
  static std::string write(const std::string& text) {
    static int n = 0;
    const auto p = test::scratch("gpu-probe") / ("nvml-" + std::to_string(n++) + ".txt");
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path_;
  test::ScopedEnv lib_, env_;
};

const char* kOneH200 = R"(count = 1
gpu0.name = NVIDIA H200
gpu0.uuid = GPU-00000000-1111-2222-3333-444444444444
gpu0.cc = 9.0
gpu0.memory_total = 150754820096
)";

const probe::Probe& gpu_probe() {
  const auto* p = probe::find("compute.gpu");
  EXPECT_NE(p, nullptr);
  return *p;
}

}  // namespace

TEST(GpuProbe, IsRegisteredForStandardAndFullOnly) {
  const auto& p = gpu_probe();
  EXPECT_EQ(p.typical_s.count(probe::Suite::quick), 0u);
  EXPECT_EQ(p.typical_s.count(probe::Suite::standard), 1u);
  EXPECT_EQ(p.typical_s.count(probe::Suite::full), 1u);
  EXPECT_EQ(p.precisions, "fp64, tf32, bf16, fp16, fp8");
}

// This machine as it is: when NVML cannot be used, the probe says exactly why NVML said.
TEST(GpuProbe, SkippedWithNvmlsReasonOnThisMachine) {
  std::string why;
  if (hw::Nvml::load(&why)) GTEST_SKIP() << "NVML works here: this machine has an NVIDIA driver";
  const auto r = gpu_probe().run(tiny_context());
  EXPECT_EQ(r.status, probe::Status::skipped);
  EXPECT_EQ(r.reason, "no NVIDIA GPU: " + why);
  EXPECT_TRUE(r.measurements.empty());
}

TEST(GpuProbe, SkippedWhenTheDriverIsNotLoaded) {
  FakeNvml nvml("init = 9\n");  // NVML_ERROR_DRIVER_NOT_LOADED
  const auto r = gpu_probe().run(tiny_context());
  EXPECT_EQ(r.status, probe::Status::skipped);
  EXPECT_EQ(r.reason, std::string("no NVIDIA GPU: nvmlInit_v2 (") + AICQ_FAKE_NVML_PATH +
                          "): Driver Not Loaded (NVML_ERROR_DRIVER_NOT_LOADED, code 9): the NVIDIA kernel driver is not loaded");
}

TEST(GpuProbe, SkippedWhenNvmlListsNoDevice) {
  FakeNvml nvml("count = 0\ndriver_version = 580.65.06\n");
  const auto r = gpu_probe().run(tiny_context());
  EXPECT_EQ(r.status, probe::Status::skipped);
  EXPECT_EQ(r.reason, "no NVIDIA GPU: NVML (driver 580.65.06) lists no device");
}

TEST(GpuProbe, SaysWhereTheProgramWasLookedFor) {
  FakeNvml nvml(kOneH200);
  {
    test::ScopedEnv env("AICQ_GPU_PROBE", "/nonexistent/aicq-gpu-probe");
    const auto r = gpu_probe().run(tiny_context());
    EXPECT_EQ(r.status, probe::Status::skipped);
    EXPECT_EQ(r.reason, "aicq-gpu-probe not found at /nonexistent/aicq-gpu-probe ($AICQ_GPU_PROBE)");
  }
  test::ScopedEnv env("AICQ_GPU_PROBE", std::nullopt);
  auto ctx = tiny_context();
  ctx.aicq_exe = "/nonexistent-bin/aicq";
  const auto r = gpu_probe().run(ctx);
  EXPECT_EQ(r.status, probe::Status::skipped);
  if (AICQ_GPU_PROBE_TARGET)
    EXPECT_EQ(r.reason, "aicq-gpu-probe not found at /nonexistent-bin/aicq-gpu-probe (it is built and installed next to the aicq binary)");
  else
    EXPECT_EQ(r.reason.rfind("built without the CUDA toolkit: aicq-gpu-probe was not built", 0), 0u) << r.reason;
}

TEST(GpuProbe, ProgramPathAndArguments) {
  {
    test::ScopedEnv env("AICQ_GPU_PROBE", std::nullopt);
    EXPECT_EQ(probe::gpu::probe_path("/opt/aicq/bin/aicq"), "/opt/aicq/bin/aicq-gpu-probe");
  }
  {
    test::ScopedEnv env("AICQ_GPU_PROBE", "/x/y");
    EXPECT_EQ(probe::gpu::probe_path("/opt/aicq/bin/aicq"), "/x/y");
  }
  probe::Context ctx;
  ctx.suite = probe::Suite::standard;
  const auto a = probe::gpu::arguments_for(ctx, {{"bf16", 989.5e12}}, "hardware catalog x");
  const std::vector<std::string> want = {"--size", "8192", "--warmups", "3", "--reps", "10", "--copy-bytes", "1GiB",
                                         "--host-bytes", "512MiB", "--peak", "bf16=9.895e+14", "--peak-source",
                                         "hardware catalog x"};
  EXPECT_EQ(a, want);
  // What aicq passes, aicq-gpu-probe accepts.
  const auto o = gpu::parse_options(a);
  EXPECT_EQ(o.m, 8192);
  EXPECT_DOUBLE_EQ(o.peaks.at("bf16"), 989.5e12);
  EXPECT_NO_THROW((void)gpu::parse_options(probe::gpu::arguments_for(tiny_context(), {}, "")));
}

// The evidence document of aicq-gpu-probe (written by its own writer) → measurements → evidence of the run: the
// GEMM is scored against the GPUs' peak and count, never the CPU's.
TEST(GpuProbe, DocumentBecomesMeasurementsAndGpuEvidence) {
  gpu::RunInfo run;
  run.tool_version = "0.1.0";
  run.time = "2026-01-01T00:00:00Z";
  run.cublaslt = "13.0.2";
  run.visible_devices = "(not set)";
  run.devices = {{0, "NVIDIA H200", "GPU-a", "0000:17:00.0", 9, 0, 132, 150e9}, {1, "NVIDIA H200", "GPU-b", "0000:18:00.0", 9, 0, 132, 150e9}};
  run.options.m = run.options.n = run.options.k = 1000;
  gpu::ReferenceCheck ok;
  ok.passed = true;
  ok.detail = "256 sampled entries against an FP64 reference: relative RMS error 0.001 ≤ 0.01";
  // 2e9 FLOP per repetition; GPU 0: 2, 4, 1 ms → 1e12, 5e11, 2e12; GPU 1: 4, 2, 2 ms → 5e11, 1e12, 1e12.
  gpu::MeasurementRun g{"gemm_bf16", gpu::Precision::bf16, "FLOP/s", gpu::gemm_flop(1000, 1000, 1000), "FLOP", "TN", "cuBLASLt 13.0.2",
                        {{0, {0.002, 0.004, 0.001}, ok, "", ""}, {1, {0.004, 0.002, 0.002}, ok, "", ""}}};
  gpu::MeasurementRun f{"gemm_fp64", gpu::Precision::fp64, "FLOP/s", 1e9, "FLOP", "", "cuBLASLt 13.0.2",
                        {{0, {}, std::nullopt, "needs 2 GiB", ""}, {1, {}, std::nullopt, "needs 2 GiB", ""}}};
  gpu::MeasurementRun c{"copy_d2d", std::nullopt, "B/s", 2e9, "B", "memcpy", "CUDA runtime 13.0",
                        {{0, {0.001}, ok, "", ""}, {1, {0.001}, ok, "", ""}}};
  const auto doc = nlohmann::json::parse(gpu::evidence_document(run, {g, f, c}).dump());

  const auto got = probe::gpu::from_document(doc);
  ASSERT_EQ(got.measurements.size(), 2u);
  const auto& m = got.measurements[0];
  EXPECT_EQ(m.id, "gemm_bf16");
  EXPECT_EQ(m.precision, "bf16");
  EXPECT_EQ(m.unit, "FLOP/s");
  EXPECT_EQ(m.samples, (std::vector<double>{1.5e12, 1.5e12, 3e12}));
  EXPECT_EQ(m.stats.median, 1.5e12);
  EXPECT_EQ(*m.work, 2e9);
  EXPECT_DOUBLE_EQ(*m.peak, 2 * 989.5e12);
  EXPECT_EQ(m.details["devices"], 2);
  EXPECT_DOUBLE_EQ(m.details["peak_per_device"].get<double>(), 989.5e12);
  EXPECT_EQ(got.measurements[1].id, "copy_d2d");
  EXPECT_EQ(got.measurements[1].samples, (std::vector<double>{4e12}));  // 2e9 B ÷ 1 ms, two GPUs
  ASSERT_EQ(got.not_run.size(), 1u);
  EXPECT_EQ(got.not_run[0], "gemm_fp64: GPU 0: needs 2 GiB; GPU 1: needs 2 GiB");
  ASSERT_EQ(got.checks.size(), 4u);
  EXPECT_EQ(got.checks[0].id, "gemm_bf16.gpu0");
  EXPECT_TRUE(got.checks[0].passed);

  probe::ProbeResult r;
  r.id = "compute.gpu";
  r.measurements = got.measurements;
  hw::Host host;
  host.cpu.sockets = 1;
  hw::Peaks peaks;
  hw::Peak cpu_bf16;
  cpu_bf16.precision = "bf16";
  cpu_bf16.flops = 1e12;  // a CPU peak at the same precision, which must not be used
  cpu_bf16.kind = "measured";
  peaks.peaks.push_back(cpu_bf16);
  const auto ev = measure::evidence_of(host, peaks, {r}, false, "2026-01-01T00:00:00Z");
  auto value = [&](const std::string& metric) -> std::optional<double> {
    for (const auto& e : ev)
      if (e.metric == metric) return e.quantity.si;
    return std::nullopt;
  };
  EXPECT_EQ(value("probe.compute.gpu.gemm_bf16.achieved"), 1.5e12);
  EXPECT_EQ(value("probe.compute.gpu.gemm_bf16.devices"), 2);
  EXPECT_EQ(value("probe.compute.gpu.gemm_bf16.peak_per_device"), 989.5e12);
  EXPECT_EQ(value("probe.compute.gpu.copy_d2d.rate"), 4e12);
  EXPECT_FALSE(value("probe.compute.gpu.gemm_bf16.invalid"));
}

TEST(GpuProbe, FailedCheckMakesTheMeasurementInvalid) {
  gpu::RunInfo run;
  run.devices = {{0, "NVIDIA H200", "", "", 9, 0, 132, 150e9}};
  gpu::ReferenceCheck bad;
  bad.detail = "relative RMS error 1 > 0.01";
  gpu::MeasurementRun g{"gemm_bf16", gpu::Precision::bf16, "FLOP/s", 2e9, "FLOP", "", "", {{0, {0.001}, bad, "", ""}}};
  const auto got = probe::gpu::from_document(nlohmann::json::parse(gpu::evidence_document(run, {g}).dump()));
  ASSERT_EQ(got.measurements.size(), 1u);
  EXPECT_EQ(got.measurements[0].details["valid"], false);
  EXPECT_EQ(got.measurements[0].details["invalid_reason"], "GPU 0: relative RMS error 1 > 0.01");
  ASSERT_EQ(got.checks.size(), 1u);
  EXPECT_FALSE(got.checks[0].passed);
  EXPECT_THROW(probe::gpu::from_document(nlohmann::json::object()), core::WorkError);
  EXPECT_THROW(probe::gpu::from_document(nlohmann::json{{"schema", "aicq-evidence/1"}}), core::WorkError);
}

#ifdef AICQ_GPU_PROBE_BINARY
namespace {

test::Outcome run_program(const std::string& args) {
  test::Outcome o;
  FILE* p = ::popen((std::string(AICQ_GPU_PROBE_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return {-1, "", "popen failed"};
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  const int st = ::pclose(p);
  o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

}  // namespace

TEST(GpuProbeProgram, CommandLine) {
  const auto help = run_program("--help");
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("usage: aicq-gpu-probe [options]"), std::string::npos);
  const auto bad = run_program("--size 0");
  EXPECT_EQ(bad.rc, 2);
  EXPECT_EQ(bad.out, "aicq-gpu-probe: --size: expected an integer from 1 to 1048576, found '0'\n");
}

// Without a driver (this CI machine) the program stops with CUDA's own message; on a GPU machine it measures.
TEST(GpuProbeProgram, RunsOrSaysWhyCudaCannot) {
  const auto o = run_program("--size 256 --warmups 1 --reps 2 --copy-bytes 16MiB --host-bytes 4MiB --check-samples 16");
  if (o.rc == 1) {
    EXPECT_NE(o.out.find("aicq-gpu-probe: cudaGetDeviceCount: cuda"), std::string::npos) << o.out;
  } else {
    EXPECT_EQ(o.rc, 0) << o.out;
    EXPECT_NE(o.out.find("\"schema\": \"aicq-evidence/1\""), std::string::npos) << o.out;
  }
}

// compute.gpu with a GPU that NVML shows: the real program runs; without CUDA it fails, and the probe says so.
TEST(GpuProbeProgram, ProbeReportsWhatTheProgramSaid) {
  FakeNvml nvml(kOneH200);
  test::ScopedEnv env("AICQ_GPU_PROBE", AICQ_GPU_PROBE_BINARY);
  const auto r = gpu_probe().run(tiny_context());
  if (r.status == probe::Status::failed) {
    EXPECT_EQ(r.reason.rfind("aicq-gpu-probe exited with code 1: aicq-gpu-probe: cudaGetDeviceCount: cuda", 0), 0u) << r.reason;
    EXPECT_TRUE(r.measurements.empty());
  } else {
    EXPECT_EQ(r.status, probe::Status::ok) << r.reason;
    EXPECT_FALSE(r.measurements.empty());
  }
  EXPECT_EQ(r.requested["command"][0], AICQ_GPU_PROBE_BINARY);
}
#endif

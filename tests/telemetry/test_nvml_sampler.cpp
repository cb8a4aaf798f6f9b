// NVML through the fake library (tests/fake_nvml, loaded by the real dlopen path of hw::Nvml).
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "aicq/hw/nvml.hpp"
#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;
using namespace std::chrono_literals;

namespace {

// Points hw::Nvml at the fake library and a script for the life of the object.
class FakeNvml {
 public:
  FakeNvml(const std::string& name, const std::string& script) {
    path_ = test::fresh("nvml-" + name) / "script.txt";
    test::write_text(path_, script);
    ::setenv("AICQ_NVML_LIBRARY", AICQ_FAKE_NVML_PATH, 1);
    ::setenv("AICQ_FAKE_NVML_SCRIPT", path_.c_str(), 1);
  }
  ~FakeNvml() {
    ::unsetenv("AICQ_NVML_LIBRARY");
    ::unsetenv("AICQ_FAKE_NVML_SCRIPT");
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;

 private:
  fs::path path_;
};

constexpr const char* kGpu0 = R"(count = 1
gpu0.name = NVIDIA H100 80GB HBM3
gpu0.uuid = GPU-12345678-1234-1234-1234-123456789abc
gpu0.memory_total = 85520809984
gpu0.memory_used = 1048576
gpu0.power_mw = 70000, 350500
gpu0.energy_mj = 1000000, 1036050
gpu0.util_gpu = 0, 50
gpu0.util_memory = 0, 25
gpu0.temperature_c = 41
gpu0.sm_clock_mhz = 1980
gpu0.mem_clock_mhz = 2619
gpu0.power_limit_mw = 700000
)";

double at(const Sampler& s, std::span<const double> out, const char* metric) {
  for (std::size_t i = 0; i < s.channels().size(); ++i)
    if (s.channels()[i].metric == metric) return out[i];
  ADD_FAILURE() << "no channel " << metric;
  return std::nan("");
}

}  // namespace

TEST(NvmlSampler, UnitsAndCounterThroughTheFakeLibrary) {
  const FakeNvml fake("units", kGpu0);
  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  ASSERT_TRUE(nvml) << why;
  NvmlSampler s(nvml, 0);
  EXPECT_EQ(s.quality(), core::PowerQuality::q1);
  EXPECT_NE(s.source().find("NVIDIA H100 80GB HBM3"), std::string::npos) << s.source();
  std::vector<double> out(s.channels().size());
  s.sample(0, out);
  EXPECT_EQ(at(s, out, "power_w"), 70.0) << "70000 mW";
  EXPECT_EQ(at(s, out, "energy_j"), 0.0) << "the counter counts from the first reading";
  EXPECT_EQ(at(s, out, "gpu_utilization"), 0.0);
  s.sample(1, out);
  EXPECT_EQ(at(s, out, "power_w"), 350.5) << "350500 mW = 350.5 W";
  // (1036050 − 1000000) mJ = 36050 mJ = 36.05 J
  EXPECT_NEAR(at(s, out, "energy_j"), 36.05, 1e-9);
  EXPECT_EQ(at(s, out, "gpu_utilization"), 0.5) << "50 %";
  EXPECT_EQ(at(s, out, "gpu_memory_utilization"), 0.25);
  EXPECT_EQ(at(s, out, "memory_used_bytes"), 1048576.0);
  EXPECT_EQ(at(s, out, "temperature_c"), 41.0);
  EXPECT_EQ(at(s, out, "sm_clock_hz"), 1980e6);
  EXPECT_EQ(at(s, out, "mem_clock_hz"), 2619e6);
  EXPECT_EQ(at(s, out, "power_limit_w"), 700.0);
}

TEST(NvmlSampler, GpuThatDisappearsMidRunFailsAloneAndTheLoopGoesOn) {
  // Two GPUs; gpu1 is lost from its 3rd power reading on (NVML_ERROR_GPU_IS_LOST = 15).
  const FakeNvml fake("lost", R"(count = 2
gpu0.name = NVIDIA H100 80GB HBM3
gpu0.uuid = GPU-0
gpu0.power_mw = 100000
gpu0.util_gpu = 40
gpu0.util_memory = 10
gpu1.name = NVIDIA H100 80GB HBM3
gpu1.uuid = GPU-1
gpu1.power_mw = 300000
gpu1.util_gpu = 80
gpu1.util_memory = 10
gpu1.fail.nvmlDeviceGetPowerUsage = 15@3
)");
  const fs::path root = test::fresh("nvml-lost-root");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  Config c;
  c.root = root.string();
  c.interval = 100ms;
  std::vector<std::string> log;
  c.log = [&log](const std::string& m) { log.push_back(m); };
  Recorder r(c);  // discovery: procfs and the two GPUs (measured power: no estimate sampler)
  r.start();
  // Until gpu0 has 8 samples (progress, not time: a loaded machine only makes it slower).
  auto gpu0_samples = [&r] {
    for (const auto& s : r.status())
      if (s.id == "nvml") return s.samples;
    return std::int64_t{0};
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (gpu0_samples() < 8 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  r.stop();
  const auto st = r.status();
  std::vector<const SamplerStatus*> gpus;
  for (const auto& s : st) {
    EXPECT_NE(s.id, "estimate");
    if (s.id == "nvml") gpus.push_back(&s);
  }
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_FALSE(gpus[0]->failed);
  EXPECT_GE(gpus[0]->samples, 8) << "gpu0 went on";
  EXPECT_TRUE(gpus[1]->failed);
  EXPECT_EQ(gpus[1]->samples, 2) << "two good readings, then lost";
  EXPECT_NE(gpus[1]->error.find("NVML_ERROR_GPU_IS_LOST"), std::string::npos) << gpus[1]->error;
  ASSERT_EQ(log.size(), 1u);
  // After the loss only gpu0 is measured: 100 W.
  const auto w = r.window(gpus[1]->failed_at_s + 0.05, r.now_s());
  ASSERT_TRUE(w.mean_power_w);
  EXPECT_NEAR(*w.mean_power_w, 100.0, 1e-9);
  EXPECT_EQ(w.quality, "Q1");
  EXPECT_EQ(w.source, "nvml");
  ASSERT_TRUE(w.gpu_utilization);
  EXPECT_NEAR(*w.gpu_utilization, 0.4, 1e-12) << "the lost GPU has no utilization after it was lost";
}

TEST(NvmlSampler, DiscoveryWithoutADriverSaysWhy) {
  ::setenv("AICQ_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
  const fs::path root = test::fresh("nvml-none-root");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  Config c;
  c.root = root.string();
  for (const auto& a : discover(c))
    if (a.id == "nvml") {
      EXPECT_FALSE(a.available);
      EXPECT_EQ(a.why_not.rfind("no NVML: ", 0), 0u) << a.why_not;
    }
  ::unsetenv("AICQ_NVML_LIBRARY");
}

TEST(NvmlSampler, OnlyTheGpusCudaVisibleDevicesLeavesAreSampled) {
  FakeNvml fake("visible", R"(count = 2
gpu0.name = NVIDIA H100 80GB HBM3
gpu0.uuid = GPU-12345678-1234-1234-1234-123456789abc
gpu0.power_mw = 70000
gpu1.name = NVIDIA L4
gpu1.uuid = GPU-87654321-4321-4321-4321-cba987654321
gpu1.power_mw = 30000
)");
  ::setenv("CUDA_VISIBLE_DEVICES", "GPU-87654321", 1);
  const fs::path root = test::fresh("nvml-visible-root");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  Config c;
  c.root = root.string();
  bool seen = false;
  for (const auto& a : discover(c))
    if (a.id == "nvml") {
      seen = true;
      EXPECT_TRUE(a.available) << a.why_not;
      EXPECT_NE(a.source.find("NVIDIA L4"), std::string::npos) << a.source;
      EXPECT_EQ(a.source.find("H100"), std::string::npos) << a.source;  // not in use: not measured
    }
  EXPECT_TRUE(seen);
  ::setenv("CUDA_VISIBLE_DEVICES", "", 1);  // an empty list hides every GPU: NVML is then not a source
  for (const auto& a : discover(c))
    if (a.id == "nvml") {
      EXPECT_FALSE(a.available);
      EXPECT_NE(a.why_not.find("leaves none of the 2 GPUs visible"), std::string::npos) << a.why_not;
    }
  ::unsetenv("CUDA_VISIBLE_DEVICES");
}

// The NVML loader through the real dlopen path, against the scripted stand-in library (tests/fake_nvml).
#include <gtest/gtest.h>

#include <fstream>

#include "aicq/core/diagnostics.hpp"
#include "aicq/hw/discovery.hpp"
#include "aicq/hw/nvml.hpp"
#include "aicq/hw/peak.hpp"
#include "hw_support.hpp"
#include "support.hpp"

using namespace aicq;

namespace {

// Points aicq at the fake library and at a script with `text`, for one scope.
class FakeNvml {
 public:
  explicit FakeNvml(const std::string& text)
      : script_(write(text)), lib_("AICQ_NVML_LIBRARY", AICQ_FAKE_NVML_PATH), env_("AICQ_FAKE_NVML_SCRIPT", script_) {}

 private:
  static std::string write(const std::string& text) {
    static int n = 0;
    const auto path = test::scratch("hw-nvml") / ("script-" + std::to_string(n++) + ".txt");
    std::ofstream(path) << text;
    return path.string();
  }
  std::string script_;
  test::ScopedEnv lib_, env_;
};

const char* kTwoGpus = R"(# two GPUs, the second without power sensors
count = 2
driver_version = 550.54.15
gpu0.name = NVIDIA H100 80GB HBM3
gpu0.uuid = GPU-12345678-1234-1234-1234-123456789abc
gpu0.pci_bus_id = 00000000:17:00.0
gpu0.cc = 9.0
gpu0.memory_total = 85520809984
gpu0.memory_used = 1048576, 2097152
gpu0.power_mw = 70000, 350500, 699000
gpu0.energy_mj = 1000, 2500, 4000
gpu0.util_gpu = 0, 50, 100
gpu0.util_memory = 0, 25, 40
gpu0.temperature_c = 35
gpu0.sm_clock_mhz = 1410
gpu0.mem_clock_mhz = 2619
gpu0.max_sm_clock_mhz = 1980
gpu0.max_mem_clock_mhz = 2619
gpu0.power_limit_mw = 700000
gpu0.power_limit_default_mw = 700000
gpu1.name = NVIDIA L4
)";

}  // namespace

TEST(Nvml, LoadsTheFakeThroughDlopen) {
  FakeNvml fake(kTwoGpus);
  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  ASSERT_NE(nvml, nullptr) << why;
  EXPECT_NE(nvml->library_path().find("aicq_fake_nvml"), std::string::npos) << nvml->library_path();
  EXPECT_EQ(nvml->driver_version(), "550.54.15");
  EXPECT_EQ(nvml->nvml_version(), "12.550.54.15");
  EXPECT_EQ(nvml->device_count(), 2u);
  const hw::GpuInfo g = nvml->info(0);
  EXPECT_EQ(g.index, 0u);
  EXPECT_EQ(g.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(g.uuid, "GPU-12345678-1234-1234-1234-123456789abc");
  EXPECT_EQ(g.pci_bus_id, "00000000:17:00.0");
  EXPECT_EQ(g.cc_major, 9);
  EXPECT_EQ(g.cc_minor, 0);
  EXPECT_EQ(g.memory_total_bytes, 85520809984.0);
  EXPECT_DOUBLE_EQ(*g.power_limit_w, 700.0);          // 700000 mW
  EXPECT_DOUBLE_EQ(*g.power_limit_default_w, 700.0);
  EXPECT_DOUBLE_EQ(*g.max_sm_clock_hz, 1.98e9);       // 1980 MHz
  EXPECT_DOUBLE_EQ(*g.max_mem_clock_hz, 2.619e9);
  EXPECT_FALSE(g.multiprocessors.has_value());        // not an NVML figure
  EXPECT_EQ(nvml->info(1).name, "NVIDIA L4");
}

TEST(Nvml, ReadingsInSiUnits) {
  FakeNvml fake(kTwoGpus);
  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  ASSERT_NE(nvml, nullptr) << why;
  const hw::GpuReading r1 = nvml->read(0);
  EXPECT_DOUBLE_EQ(*r1.power_w, 70.0);          // 70000 mW
  EXPECT_DOUBLE_EQ(*r1.energy_j, 1.0);          // 1000 mJ
  EXPECT_DOUBLE_EQ(*r1.gpu_utilization, 0.0);
  EXPECT_DOUBLE_EQ(*r1.memory_used_bytes, 1048576.0);
  EXPECT_DOUBLE_EQ(*r1.temperature_c, 35.0);
  EXPECT_DOUBLE_EQ(*r1.sm_clock_hz, 1.41e9);    // 1410 MHz
  EXPECT_DOUBLE_EQ(*r1.mem_clock_hz, 2.619e9);
  EXPECT_DOUBLE_EQ(*r1.power_limit_w, 700.0);
  const hw::GpuReading r2 = nvml->read(0);
  EXPECT_DOUBLE_EQ(*r2.power_w, 350.5);         // 350500 mW
  EXPECT_DOUBLE_EQ(*r2.energy_j, 2.5);          // 2500 mJ
  EXPECT_DOUBLE_EQ(*r2.gpu_utilization, 0.5);   // 50 %
  EXPECT_DOUBLE_EQ(*r2.memory_utilization, 0.25);
  EXPECT_DOUBLE_EQ(*r2.memory_used_bytes, 2097152.0);
  const hw::GpuReading r3 = nvml->read(0);
  EXPECT_DOUBLE_EQ(*r3.power_w, 699.0);
  EXPECT_DOUBLE_EQ(*r3.gpu_utilization, 1.0);
  const hw::GpuReading r4 = nvml->read(0);  // past the end of the sequence: the last value repeats
  EXPECT_DOUBLE_EQ(*r4.power_w, 699.0);
  EXPECT_DOUBLE_EQ(*r4.energy_j, 4.0);
}

TEST(Nvml, NotSupportedIsEmpty) {
  FakeNvml fake(kTwoGpus);
  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  ASSERT_NE(nvml, nullptr) << why;
  const hw::GpuReading r = nvml->read(1);  // gpu1 has no sensors in the script: NVML_ERROR_NOT_SUPPORTED
  EXPECT_FALSE(r.power_w.has_value());
  EXPECT_FALSE(r.energy_j.has_value());
  EXPECT_FALSE(r.gpu_utilization.has_value());
  EXPECT_FALSE(r.memory_used_bytes.has_value());
  EXPECT_FALSE(r.temperature_c.has_value());
  EXPECT_FALSE(r.sm_clock_hz.has_value());
  const hw::GpuInfo g = nvml->info(1);
  EXPECT_TRUE(g.uuid.empty());
  EXPECT_FALSE(g.cc_major.has_value());
  EXPECT_FALSE(g.power_limit_w.has_value());
}

TEST(Nvml, AnotherErrorThrowsNamingTheCall) {
  // The GPU is lost from the 3rd power reading on (NVML_ERROR_GPU_IS_LOST = 15).
  FakeNvml fake(std::string(kTwoGpus) + "gpu0.fail.nvmlDeviceGetPowerUsage = 15@3\n");
  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  ASSERT_NE(nvml, nullptr) << why;
  EXPECT_DOUBLE_EQ(*nvml->read(0).power_w, 70.0);
  EXPECT_DOUBLE_EQ(*nvml->read(0).power_w, 350.5);
  try {
    (void)nvml->read(0);
    FAIL() << "expected core::WorkError";
  } catch (const core::WorkError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("nvmlDeviceGetPowerUsage"), std::string::npos) << m;
    EXPECT_NE(m.find("GPU 0"), std::string::npos) << m;
    EXPECT_NE(m.find("GPU is lost"), std::string::npos) << m;
    EXPECT_NE(m.find("NVML_ERROR_GPU_IS_LOST"), std::string::npos) << m;
  }
  // The other GPU is unaffected.
  EXPECT_NO_THROW((void)nvml->read(1));
}

TEST(Nvml, CountFailureThrowsNamingTheCall) {
  FakeNvml fake("count = 1\ngpu0.name = NVIDIA L4\nfail.nvmlDeviceGetCount_v2 = 999@1\n");
  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  ASSERT_NE(nvml, nullptr) << why;
  try {
    (void)nvml->device_count();
    FAIL() << "expected core::WorkError";
  } catch (const core::WorkError& e) {
    EXPECT_NE(std::string(e.what()).find("nvmlDeviceGetCount_v2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Unknown Error"), std::string::npos) << e.what();
  }
}

TEST(Nvml, InitFailureIsWhyNot) {
  FakeNvml fake("init = 9\n");  // NVML_ERROR_DRIVER_NOT_LOADED
  std::string why;
  EXPECT_EQ(hw::Nvml::load(&why), nullptr);
  EXPECT_NE(why.find("nvmlInit_v2"), std::string::npos) << why;
  EXPECT_NE(why.find("Driver Not Loaded"), std::string::npos) << why;
  EXPECT_NE(why.find("NVML_ERROR_DRIVER_NOT_LOADED"), std::string::npos) << why;
}

TEST(Nvml, AbsentLibraryIsWhyNotNamingIt) {
  test::ScopedEnv lib("AICQ_NVML_LIBRARY", "/nonexistent/dir/libnvidia-ml.so.1");
  std::string why;
  EXPECT_EQ(hw::Nvml::load(&why), nullptr);
  EXPECT_NE(why.find("/nonexistent/dir/libnvidia-ml.so.1"), std::string::npos) << why;
  // Without the override, on this machine (no NVIDIA driver) the default name is what is missing.
  test::ScopedEnv none("AICQ_NVML_LIBRARY", std::nullopt);
  std::string why2;
  if (auto real = hw::Nvml::load(&why2)) {
    EXPECT_FALSE(real->driver_version().empty());  // a machine with a driver: it loaded and answers
  } else {
    EXPECT_NE(why2.find("libnvidia-ml.so.1"), std::string::npos) << why2;
  }
}

TEST(Nvml, DiscoveryListsTheGpusAndTheirCatalogPeaks) {
  FakeNvml fake(kTwoGpus);
  const auto& cat = test::hardware_catalog();
  const hw::Host h = hw::discover(cat);
  ASSERT_EQ(h.gpus.size(), 2u) << h.gpu_note;
  EXPECT_EQ(h.nvml_driver, "550.54.15");
  EXPECT_TRUE(h.gpu_note.empty());
  hw::PeakOptions o;
  o.measure = false;
  const hw::Peaks p = hw::discover_peaks(h, cat, o);
  // The H100 SXM5's dense FP64 peak from the accelerator catalog, for GPU 0.
  const auto* h100 = cat.find("nvidia-h100-sxm5-80gb");
  ASSERT_NE(h100, nullptr);
  bool found = false;
  for (const auto& k : p.gpu_peaks)
    if (k.device == "gpu 0" && k.precision == "fp64") {
      found = true;
      EXPECT_DOUBLE_EQ(k.flops, h100->peak.at("fp64").si);
      EXPECT_EQ(k.kind, "declared");
    }
  EXPECT_TRUE(found);
  const auto j = hw::to_json(h);
  EXPECT_EQ(j["gpus"][0]["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(j["gpus"][0]["compute_capability"], "9.0");
  EXPECT_EQ(j["gpus"][0]["power_limit_w"], 700.0);
}

TEST(Nvml, HwCommandShowsTheGpus) {
  FakeNvml fake(kTwoGpus);
  const auto o = test::run({"hw", "--no-measure"});
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("NVIDIA H100 80GB HBM3"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("driver 550.54.15"), std::string::npos) << o.out;
}

// CUDA_VISIBLE_DEVICES, as CUDA reads it (CUDA C Programming Guide, "CUDA Environment Variables").
TEST(NvmlVisible, IndicesUuidsPrefixesAndTheFirstBadEntryEndsTheList) {
  std::vector<hw::GpuInfo> d(4);
  const char* uuids[] = {"GPU-1111aaaa-0000", "GPU-2222bbbb-0000", "GPU-2223cccc-0000", "GPU-4444dddd-0000"};
  for (unsigned i = 0; i < 4; ++i) {
    d[i].index = i;
    d[i].uuid = uuids[i];
  }
  const std::optional<std::string> pci = "PCI_BUS_ID";
  std::string note;
  EXPECT_EQ(hw::select_visible(d, std::nullopt, std::nullopt, &note), (std::vector<unsigned>{0, 1, 2, 3}));  // unset: all
  EXPECT_EQ(hw::select_visible(d, "2,0", pci, &note), (std::vector<unsigned>{2, 0}));  // CUDA's order is the list's
  EXPECT_TRUE(note.empty()) << note;
  EXPECT_EQ(hw::select_visible(d, " 1 , 1", pci, &note), (std::vector<unsigned>{1}));  // spaces; twice counts once
  EXPECT_EQ(hw::select_visible(d, "GPU-4444dddd-0000", pci, &note), (std::vector<unsigned>{3}));
  EXPECT_EQ(hw::select_visible(d, "GPU-1111", pci, &note), (std::vector<unsigned>{0}));  // a unique prefix
  EXPECT_EQ(hw::select_visible(d, "4444dddd", pci, &note), (std::vector<unsigned>{3}));  // without "GPU-"
  EXPECT_TRUE(hw::select_visible(d, "4444", pci, &note).empty());  // all digits: an index, and there is no GPU 4444
  // The list ends at the first entry naming no device: 7 does not exist, so 1 is not visible either.
  EXPECT_EQ(hw::select_visible(d, "0,7,1", pci, &note), (std::vector<unsigned>{0}));
  EXPECT_NE(note.find("'7' names no GPU"), std::string::npos) << note;
  // "GPU-222" is a prefix of two UUIDs: ambiguous, so it ends the list.
  EXPECT_EQ(hw::select_visible(d, "3,GPU-222,0", pci, &note), (std::vector<unsigned>{3}));
  EXPECT_NE(note.find("matches 2 GPUs"), std::string::npos) << note;
  EXPECT_TRUE(hw::select_visible(d, "", pci, &note).empty());
  EXPECT_NE(note.find("empty"), std::string::npos) << note;
  EXPECT_TRUE(hw::select_visible(d, "MIG-0a1b2c3d", pci, &note).empty());
  EXPECT_NE(note.find("MIG"), std::string::npos) << note;
  // Indices without CUDA_DEVICE_ORDER=PCI_BUS_ID: taken, and the note says whose order they are in.
  EXPECT_EQ(hw::select_visible(d, "1", std::nullopt, &note), (std::vector<unsigned>{1}));
  EXPECT_NE(note.find("CUDA_DEVICE_ORDER=PCI_BUS_ID"), std::string::npos) << note;
}

TEST(NvmlVisible, DiscoveryListsOnlyTheVisibleGpus) {
  FakeNvml fake(std::string(kTwoGpus) + "gpu1.uuid = GPU-87654321-4321-4321-4321-cba987654321\n");
  test::ScopedEnv order("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
  {
    test::ScopedEnv visible("CUDA_VISIBLE_DEVICES", "GPU-8765");
    const hw::Host h = hw::discover(test::hardware_catalog());
    ASSERT_EQ(h.gpus.size(), 1u) << h.gpu_note;
    EXPECT_EQ(h.gpus[0].name, "NVIDIA L4");
    EXPECT_EQ(h.gpus[0].index, 1u);
    EXPECT_NE(h.gpu_note.find("1 of 2 GPUs visible"), std::string::npos) << h.gpu_note;
  }
  {
    test::ScopedEnv visible("CUDA_VISIBLE_DEVICES", "");
    EXPECT_TRUE(hw::discover(test::hardware_catalog()).gpus.empty());
  }
}

// The embedded catalogs: they load, every figure has a source, CPU peaks follow from their own parts,
// accelerator figures match the vendors' datasheets, and vocabularies have the sizes methodology §6 fixes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aicq/catalog/catalog.hpp"

using namespace aicq;

namespace {

const catalog::Catalogs& cats() {
  static const catalog::Catalogs c = catalog::Catalogs::load(data::DataSource());
  return c;
}

double peak_tflops(std::string_view id, const std::string& precision) {
  const auto* m = cats().hardware.find(id);
  if (!m) throw std::runtime_error("no model " + std::string(id));
  return m->peak.at(precision).si / 1e12;
}

}  // namespace

TEST(Catalog, RequiredModelsArePresent) {
  // The accelerators Foundation 1 requires, plus the CPUs the examples use.
  for (const char* id : {"nvidia-a100-sxm4-80gb", "nvidia-h100-sxm5-80gb", "nvidia-h800-sxm5-80gb",
                         "nvidia-h200-sxm-141gb", "nvidia-b200-hgx", "nvidia-l40s", "amd-instinct-mi300x",
                         "huawei-ascend-910b", "intel-xeon-platinum-8480plus", "amd-epyc-9654", "huawei-kunpeng-920-6426"}) {
    EXPECT_NE(cats().hardware.find(id), nullptr) << id;
  }
  EXPECT_GE(cats().hardware.ids("accelerator").size(), 8u);
  EXPECT_GE(cats().hardware.ids("cpu").size(), 3u);
}

TEST(Catalog, EveryFigureNamesItsSource) {
  for (const auto& m : cats().hardware.models()) {
    EXPECT_FALSE(m.peak.empty()) << m.id;
    EXPECT_FALSE(m.source_of("peak").empty()) << m.id;
    if (m.tdp) {
      EXPECT_FALSE(m.source_of("tdp").empty()) << m.id;
    }
    if (m.memory_bandwidth) {
      EXPECT_FALSE(m.source_of("memory_bandwidth").empty()) << m.id;
    }
    if (m.embodied_carbon) {
      EXPECT_FALSE(m.source_of("embodied_carbon").empty()) << m.id;
    }
  }
}

TEST(Catalog, CpuPeakIsCoresTimesClockTimesFlopPerCycle) {
  // peak = cores × base clock × FLOP/cycle/core, e.g. Xeon 8480+ FP64: 56 × 2.0 GHz × 32 = 3.584 TFLOPS.
  int checked = 0;
  for (const auto& m : cats().hardware.models()) {
    if (m.kind != "cpu") continue;
    ASSERT_TRUE(m.cores && m.base_clock) << m.id;
    for (const auto& [precision, per_cycle] : m.flop_per_cycle_per_core) {
      auto it = m.peak.find(precision);
      if (it == m.peak.end()) continue;
      const double expected = *m.cores * m.base_clock->si * per_cycle;
      EXPECT_NEAR(it->second.si, expected, expected * 1e-9) << m.id << " " << precision;
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
  EXPECT_NEAR(peak_tflops("intel-xeon-platinum-8480plus", "fp64"), 3.584, 1e-9);
  EXPECT_NEAR(peak_tflops("amd-epyc-9654", "fp64"), 3.6864, 1e-9);  // 96 × 2.4 GHz × 16
}

TEST(Catalog, AcceleratorFiguresMatchDatasheets) {
  // Dense figures: the datasheets print sparsity figures with an asterisk, twice these.
  // NVIDIA H100 Tensor Core GPU datasheet (SXM5): FP64 tensor 67, FP32 67, TF32 989* → 494.5,
  // BF16 1979* → 989.5, FP8 3958* → 1979 TFLOPS; 700 W.
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-h100-sxm5-80gb", "fp32"), 67.0);
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-h100-sxm5-80gb", "tf32"), 494.5);
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-h100-sxm5-80gb", "bf16"), 989.5);
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-h100-sxm5-80gb", "fp8"), 1979.0);
  EXPECT_DOUBLE_EQ(cats().hardware.find("nvidia-h100-sxm5-80gb")->tdp->si, 700.0);
  // NVIDIA A100 datasheet: FP32 19.5, BF16 312 TFLOPS (dense), SXM 400 W.
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-a100-sxm4-80gb", "fp32"), 19.5);
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-a100-sxm4-80gb", "bf16"), 312.0);
  // H800 keeps H100's tensor throughput; its FP64 is cut (NVIDIA H800 datasheet).
  EXPECT_DOUBLE_EQ(peak_tflops("nvidia-h800-sxm5-80gb", "bf16"), 989.5);
  EXPECT_LT(peak_tflops("nvidia-h800-sxm5-80gb", "fp64"), 10.0);
  // AMD Instinct MI300X data sheet: FP32 163.4, BF16 1307.4 TFLOPS dense; 750 W.
  EXPECT_DOUBLE_EQ(peak_tflops("amd-instinct-mi300x", "bf16"), 1307.4);
}

TEST(Catalog, PeaksAreOrderedAsPhysicsAllows) {
  // Narrower formats never run slower than wider ones on the same device (dense): fp64 ≤ fp32 ≤ tf32 ≤
  // bf16/fp16 ≤ fp8 ≤ fp4, where the device lists both. A violation means a sparse or mistyped figure.
  const std::vector<std::string> order = {"fp64", "fp32", "tf32", "bf16", "fp8", "fp4"};
  for (const auto& m : cats().hardware.models()) {
    for (std::size_t i = 0; i + 1 < order.size(); ++i) {
      for (std::size_t j = i + 1; j < order.size(); ++j) {
        auto a = m.peak.find(order[i]), b = m.peak.find(order[j]);
        if (a == m.peak.end() || b == m.peak.end()) continue;
        EXPECT_LE(a->second.si, b->second.si * 1.000001) << m.id << ": " << order[i] << " > " << order[j];
      }
    }
  }
}

TEST(Catalog, LookupByNameIsCaseInsensitive) {
  const auto* m = cats().hardware.find_by_name("NVIDIA H100 80GB HBM3");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->id, "nvidia-h100-sxm5-80gb");
  EXPECT_EQ(cats().hardware.find_by_name("no such gpu"), nullptr);
}

TEST(Catalog, VocabulariesHaveTheSizesTheMethodologyFixes) {
  // methodology §6: 12 scenarios, 6 access modes, 5 billing options, 9 supply-chain categories, 10 standards,
  // 5 platform features, 6 compatibility layers, 7 intelligence items, 5 lifecycle stages.
  const std::map<std::string, std::size_t> sizes = {
      {"scenarios", 12}, {"access_modes", 6}, {"billing_options", 5}, {"supply_chain_categories", 9},
      {"standards", 10}, {"platform_features", 5}, {"compatibility_layers", 6}, {"intelligence_items", 7},
      {"strategy_stages", 5}};
  for (const auto& [name, n] : sizes) {
    const auto& v = cats().vocabulary(name);
    EXPECT_EQ(v.items().size(), n) << name;
    for (const auto& item : v.items()) {
      EXPECT_FALSE(item.en.empty()) << name << "." << item.id;
      EXPECT_FALSE(item.zh.empty()) << name << "." << item.id;
    }
  }
  EXPECT_EQ(cats().vocabulary("strategy_stages").find("recycling")->zh, "回收");
}

TEST(Catalog, DataDirOverrideIsValidatedWithLocations) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aicq-datadir-" + std::to_string(::getpid()));
  fs::create_directories(dir / "hardware");
  {
    std::ofstream f(dir / "hardware" / "cpus.yaml");
    f << "schema_version: 1\nmodels:\n  - id: x\n    vendor: V\n    name: X\n    kind: cpu\n"
         "    peak: {fp64: \"1 TFLOP\"}\n    sources: {peak: \"made up\"}\n";
  }
  try {
    catalog::HardwareCatalog::load(data::DataSource(dir.string()));
    FAIL() << "a malformed catalog override must be rejected";
  } catch (const core::InputError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].to_string(),
              (dir / "hardware" / "cpus.yaml").string() +
                  ":7:19: models[0].peak.fp64: expected compute rate (e.g. '67 TFLOPS'), found operations '1 TFLOP'");
  }
  fs::remove_all(dir);
}

// Peak discovery: the arithmetic on constructed hosts (hand-computed), and the measurements on this machine
// bounded by physics (no timing thresholds: the machine is shared).
#include <gtest/gtest.h>

#include <algorithm>

#include "aicq/hw/discovery.hpp"
#include "aicq/hw/kernels.hpp"
#include "aicq/hw/peak.hpp"
#include "hw_support.hpp"

using namespace aicq;

namespace {

const hw::Peak* find(const hw::Peaks& p, const std::string& precision) {
  auto it = std::find_if(p.peaks.begin(), p.peaks.end(), [&](const auto& k) { return k.precision == precision; });
  return it == p.peaks.end() ? nullptr : &*it;
}

// A 2-core Zen 5 VM whose OS reports 3.3 GHz ("cpu MHz", no cpufreq).
hw::Host zen5_vm() {
  hw::Host h;
  h.cpu.vendor = "AMD";
  h.cpu.family = 0x1A;
  h.cpu.model = 0x02;
  h.cpu.microarch = "amd-zen5";
  h.cpu.cores = 2;
  h.cpu.threads = 2;
  h.cpu.isa = {"avx", "fma", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"};
  h.cpu.nominal_hz = 3.3e9;
  h.cpu.nominal_source = "/proc/cpuinfo cpu MHz";
  return h;
}

hw::PeakOptions no_measure() {
  hw::PeakOptions o;
  o.measure = false;
  return o;
}

}  // namespace

TEST(Peak, ArithmeticFromTheCatalogAndTheNominalClock) {
  const hw::Peaks p = hw::discover_peaks(zen5_vm(), test::hardware_catalog(), no_measure());
  const hw::Peak* fp64 = find(p, "fp64");
  ASSERT_NE(fp64, nullptr);
  // 2 cores × 3.3e9 Hz × 32 FLOP/cycle (2 × 512-bit FMA × 8 lanes × 2) = 211.2e9 FLOP/s.
  EXPECT_DOUBLE_EQ(fp64->flops, 211.2e9);
  EXPECT_EQ(fp64->kind, "estimated");  // the clock is the OS's "cpu MHz", not measured
  EXPECT_EQ(fp64->clock_kind, "estimated");
  EXPECT_EQ(fp64->rate_check, "not measured");
  EXPECT_NE(fp64->source.find("amd-zen5"), std::string::npos);
  EXPECT_FALSE(fp64->method.empty());
  // fp32: 2 × 3.3e9 × 64 = 422.4e9; bf16: 2 × 3.3e9 × 128 = 844.8e9; int8: 2 × 3.3e9 × 256 = 1689.6e9 OP/s.
  EXPECT_DOUBLE_EQ(find(p, "fp32")->flops, 422.4e9);
  EXPECT_DOUBLE_EQ(find(p, "bf16")->flops, 844.8e9);
  EXPECT_DOUBLE_EQ(find(p, "int8")->flops, 1689.6e9);
  EXPECT_TRUE(p.missing.empty());
  EXPECT_FALSE(p.clock.has_value());
  EXPECT_TRUE(p.fma.empty());
  EXPECT_NE(p.note.find("--no-measure"), std::string::npos);
}

TEST(Peak, CatalogBaseClockIsDeclared) {
  hw::Host h = zen5_vm();
  h.cpu.base_clock_hz = 2.4e9;
  h.cpu.catalog_cpu = "amd-epyc-9654";
  const hw::Peaks p = hw::discover_peaks(h, test::hardware_catalog(), no_measure());
  // 2 cores × 2.4e9 × 32 = 153.6e9.
  EXPECT_DOUBLE_EQ(find(p, "fp64")->flops, 153.6e9);
  EXPECT_EQ(find(p, "fp64")->kind, "declared");
  EXPECT_EQ(p.clock_kind, "declared");
}

TEST(Peak, UnknownMicroarchitectureIsAnIsaEstimate) {
  hw::Host h = zen5_vm();
  h.cpu.microarch.clear();
  h.cpu.isa = {"avx", "fma", "avx2", "avx512f"};
  const hw::Peaks p = hw::discover_peaks(h, test::hardware_catalog(), no_measure());
  // One 512-bit FMA unit assumed: 8 lanes × 2 = 16 FLOP/cycle; 2 × 3.3e9 × 16 = 105.6e9.
  ASSERT_NE(find(p, "fp64"), nullptr);
  EXPECT_DOUBLE_EQ(find(p, "fp64")->flops, 105.6e9);
  EXPECT_EQ(find(p, "fp64")->kind, "estimated");
  EXPECT_NE(find(p, "fp64")->method.find("one unit assumed"), std::string::npos);
  // No AVX512_BF16 / VNNI: no bf16 or int8 peak, each with its reason.
  EXPECT_EQ(find(p, "bf16"), nullptr);
  ASSERT_EQ(p.missing.count("bf16"), 1u);
  EXPECT_NE(p.missing.at("bf16").find("BF16"), std::string::npos);
  ASSERT_EQ(p.missing.count("int8"), 1u);
}

TEST(Peak, NoClockAtAllMeansNoPeaks) {
  hw::Host h = zen5_vm();
  h.cpu.nominal_hz.reset();
  const hw::Peaks p = hw::discover_peaks(h, test::hardware_catalog(), no_measure());
  EXPECT_TRUE(p.peaks.empty());
  ASSERT_EQ(p.missing.count("fp64"), 1u);
  EXPECT_NE(p.missing.at("fp64").find("no clock"), std::string::npos);
}

TEST(Peak, IsaEstimates) {
  std::string how;
  EXPECT_EQ(hw::isa_flop_per_cycle({"avx512f"}, "fp64", &how), 16);  // 8 lanes × 2
  EXPECT_EQ(hw::isa_flop_per_cycle({"avx2", "fma"}, "fp32", &how), 16);  // 8 lanes × 2
  EXPECT_EQ(hw::isa_flop_per_cycle({"avx512_vnni"}, "int8", &how), 128);  // 16 lanes × 8
  EXPECT_EQ(hw::isa_flop_per_cycle({"sse2"}, "fp64", &how), 0);
  EXPECT_NE(how.find("no fused multiply-add"), std::string::npos);
}

TEST(Peak, KernelCheckBands) {
  EXPECT_EQ(hw::rate_check(16, 15.2), "confirmed");  // 95 %: Zen 4's 16 FP64 FLOP/cycle, as measured here
  EXPECT_EQ(hw::rate_check(16, 19.9), "confirmed");  // 124 %: a clock measured a little low
  EXPECT_EQ(hw::rate_check(16, 31.6), "exceeded");   // 198 %: a Zen 5 reported as Zen 4, say
  EXPECT_EQ(hw::rate_check(32, 15.9), "below");      // 50 %: a one-FMA Xeon SKU catalogued with two
  EXPECT_EQ(hw::rate_check(32, 0), "not measured");
}

TEST(Peak, MeasuredClockIsPlausible) {
  const hw::ClockMeasurement m = hw::measure_clock(0.05);
  EXPECT_GE(m.hz, 0.5e9);
  EXPECT_LE(m.hz, 6e9);
  EXPECT_EQ(m.hz, *std::max_element(m.samples_hz.begin(), m.samples_hz.end()));
  EXPECT_NE(m.method.find("dependent"), std::string::npos);
}

TEST(Peak, MeasuredFmaRateStaysUnderThePhysicsBound) {
  test::ScopedEnv nvml("AICQ_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  const auto& cat = test::hardware_catalog();
  const hw::Host h = hw::discover(cat);
  const hw::ClockMeasurement clock = hw::measure_clock(0.05);
  int measured = 0;
  for (const std::string prec : {"fp64", "fp32", "bf16", "int8"}) {
    if (!hw::detail::fma_kernel(prec)) continue;  // bf16/int8 kernels need AVX512_BF16 / AVX512_VNNI
    ++measured;
    const hw::FmaMeasurement m = hw::measure_fma(prec, h.cpu.cores, clock.hz, 0.05);
    EXPECT_GT(m.flops, 0);
    EXPECT_EQ(m.threads, h.cpu.cores);
    // The bound: cores × clock × FLOP/cycle of the design. The catalog's figure when the microarchitecture
    // is known; else the ISA's one-unit figure doubled (no x86 core has more than two pipes of its widest
    // vector for these instructions).
    double fpc = 0;
    if (const auto* u = cat.find_microarchitecture(h.cpu.vendor, h.cpu.family, h.cpu.model, h.cpu.stepping);
        u && u->rate(prec, h.cpu.isa)) {
      fpc = u->rate(prec, h.cpu.isa)->flop_per_cycle;
    } else {
      fpc = 2 * hw::isa_flop_per_cycle(h.cpu.isa, prec);
    }
    ASSERT_GT(fpc, 0) << prec;
    EXPECT_LE(m.flops, 1.05 * h.cpu.cores * clock.hz * fpc) << prec << ": " << m.method;
    EXPECT_DOUBLE_EQ(m.flop_per_cycle_per_core, m.flops / (h.cpu.cores * clock.hz));
  }
  EXPECT_GE(measured, 2) << "fp64 and fp32 kernels exist on x86-64 with FMA and on AArch64";
}

TEST(Peak, MeasuredPeaksOnThisMachineAreConsistent) {
  test::ScopedEnv nvml("AICQ_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  const auto& cat = test::hardware_catalog();
  const hw::Host h = hw::discover(cat);
  hw::PeakOptions o;
  o.tiny = true;
  const hw::Peaks p = hw::discover_peaks(h, cat, o);
  ASSERT_TRUE(p.clock.has_value());
  EXPECT_EQ(p.clock_kind, "measured");
  EXPECT_EQ(p.clock_hz, p.clock->hz);
  // fp64 and fp32 always; bf16 and int8 where the CPU has AVX512_BF16 / AVX512_VNNI.
  const std::size_t kernels = 2u + (hw::detail::fma_kernel("bf16") ? 1u : 0u) + (hw::detail::fma_kernel("int8") ? 1u : 0u);
  ASSERT_EQ(p.fma.size(), kernels);
  for (const auto& f : p.fma) {
    const hw::Peak* k = find(p, f.precision);
    ASSERT_NE(k, nullptr) << f.precision;
    EXPECT_NE(k->rate_check, "not measured") << f.precision;
  }
  const hw::Peak* fp64 = find(p, "fp64");
  ASSERT_NE(fp64, nullptr) << p.note;
  // Peak = cores × measured clock × FLOP/cycle, whatever the source of the FLOP/cycle.
  EXPECT_DOUBLE_EQ(fp64->flops, h.cpu.cores * p.clock_hz * fp64->flop_per_cycle_per_core);
  EXPECT_EQ(fp64->cores, h.cpu.cores);
  EXPECT_TRUE(fp64->rate_check == "confirmed" || fp64->rate_check == "below" || fp64->rate_check == "exceeded")
      << fp64->rate_check;
  if (!h.cpu.microarch.empty() && fp64->rate_check != "exceeded") {
    EXPECT_EQ(fp64->kind, "measured");
  }
  // The measured peak is never below what the kernel achieved on all cores (it is the design's figure, or
  // the kernel's own when the kernel beat the design).
  const auto fm = std::find_if(p.fma.begin(), p.fma.end(), [](const auto& f) { return f.precision == "fp64"; });
  ASSERT_NE(fm, p.fma.end());
  EXPECT_GE(fp64->flops * 1.25, fm->flops * h.cpu.cores / fm->threads);  // 1.25: the "confirmed" band
  const auto j = hw::to_json(p);
  EXPECT_EQ(j["clock_kind"], "measured");
  EXPECT_EQ(j["peaks"][0]["precision"], "fp64");
  EXPECT_TRUE(j["fma"].is_array());
}

// The Q0 estimate: model selection and its arithmetic.
#include <gtest/gtest.h>

#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;

namespace {
// Cloud Carbon Footprint, EPYC 4th Gen, per vCPU (ccf-coefficients output/coefficients-aws-use.csv).
constexpr double kMin = 0.7391482469512195, kMax = 2.282155106707317;
}  // namespace

TEST(Estimate, CpuFactsFromRecordedCpuinfo) {
  const CpuFacts f = parse_cpuinfo(test::slurp(test::fixture("proc/cpuinfo")));
  EXPECT_EQ(f.vendor, "AuthenticAMD");
  EXPECT_EQ(f.model_name, "AMD EPYC");
  EXPECT_EQ(f.family, 25);
  EXPECT_EQ(f.model, 17);
  EXPECT_EQ(f.logical_cpus, 2);
  EXPECT_EQ(f.sockets, 1);
  EXPECT_TRUE(f.hypervisor);
}

TEST(Estimate, MicroarchitectureFromFamilyAndModel) {
  EXPECT_EQ(ccf_coefficients("AuthenticAMD", 25, 17, 1)->architecture, "EPYC 4th Gen");  // Genoa
  EXPECT_EQ(ccf_coefficients("AuthenticAMD", 25, 1, 1)->architecture, "EPYC 3rd Gen");   // Milan
  EXPECT_EQ(ccf_coefficients("AuthenticAMD", 23, 49, 0)->architecture, "EPYC 2nd Gen");  // Rome (0x31)
  EXPECT_EQ(ccf_coefficients("GenuineIntel", 6, 0x55, 7)->architecture, "Cascade Lake");
  EXPECT_EQ(ccf_coefficients("GenuineIntel", 6, 0x55, 4)->architecture, "Skylake");
  EXPECT_EQ(ccf_coefficients("GenuineIntel", 6, 0x8f, 8)->architecture, "Sapphire Rapids");
  EXPECT_FALSE(ccf_coefficients("GenuineIntel", 6, 0x01, 0));
  EXPECT_FALSE(ccf_coefficients("HygonGenuine", 24, 1, 0));
  const auto avg = ccf_average();
  EXPECT_EQ(avg.min_w, 0.74);
  EXPECT_EQ(avg.max_w, 3.5);
}

TEST(Estimate, CcfPerVcpuInAVm) {
  const CpuFacts f = parse_cpuinfo(test::slurp(test::fixture("proc/cpuinfo")));
  const EstimateModel m = make_estimate(EstimateConfig{}, f);
  // P = 2 vCPUs × (0.7391482469512195 + u × (2.282155106707317 − 0.7391482469512195))
  EXPECT_DOUBLE_EQ(m.power_w(0), 2 * kMin);    // 1.478296493902439 W
  EXPECT_DOUBLE_EQ(m.power_w(1), 2 * kMax);    // 4.564310213414634 W
  EXPECT_DOUBLE_EQ(m.power_w(0.5), 2 * (kMin + 0.5 * (kMax - kMin)));  // 3.0213033536585366 W
  EXPECT_NEAR(m.power_w(0.5), 3.0213033536585366, 1e-12);
  EXPECT_NE(m.model.find("2 vCPUs"), std::string::npos) << m.model;
  EXPECT_NE(m.model.find("EPYC 4th Gen"), std::string::npos) << m.model;
  EXPECT_NE(m.model.find("Cloud Carbon Footprint"), std::string::npos) << m.model;
  EXPECT_NE(m.reference.find("ccf-coefficients"), std::string::npos) << m.reference;
}

TEST(Estimate, DeclaredRatedPowerWins) {
  const CpuFacts f = parse_cpuinfo(test::slurp(test::fixture("proc/cpuinfo")));
  EstimateConfig c;
  c.rated_power_w = 350;
  c.idle_share = 0.3;
  c.host_tdp_w = 280;  // ignored: the declaration comes first
  c.host_threads = 128;
  const EstimateModel m = make_estimate(c, f);
  // 350 × (0.3 + 0.7 × 0.5) = 350 × 0.65 = 227.5 W
  EXPECT_DOUBLE_EQ(m.power_w(0.5), 227.5);
  EXPECT_DOUBLE_EQ(m.power_w(0), 105.0);
  EXPECT_DOUBLE_EQ(m.power_w(1), 350.0);
  EXPECT_NE(m.model.find("declared rated power"), std::string::npos) << m.model;
}

TEST(Estimate, CatalogTdpSharedByVcpus) {
  const CpuFacts f = parse_cpuinfo(test::slurp(test::fixture("proc/cpuinfo")));
  EstimateConfig c;
  c.host_tdp_w = 280;     // EPYC 7763: 280 W, 128 threads
  c.host_threads = 128;
  c.host_cpu_name = "EPYC 7763";
  c.idle_share = 0.25;
  const EstimateModel m = make_estimate(c, f);
  // full = 280 W × 2 / 128 = 4.375 W; P(0.2) = 4.375 × (0.25 + 0.75 × 0.2) = 4.375 × 0.4 = 1.75 W
  EXPECT_DOUBLE_EQ(m.power_w(1), 4.375);
  EXPECT_DOUBLE_EQ(m.power_w(0), 1.09375);
  EXPECT_DOUBLE_EQ(m.power_w(0.2), 1.75);
  EXPECT_NE(m.model.find("2 vCPUs / 128 host threads"), std::string::npos) << m.model;

  CpuFacts bare = f;
  bare.hypervisor = false;
  bare.sockets = 2;
  const EstimateModel b = make_estimate(c, bare);
  // bare metal: 280 W × 2 sockets = 560 W at full load
  EXPECT_DOUBLE_EQ(b.power_w(1), 560.0);
}

TEST(Estimate, SamplerFollowsUtilization) {
  const fs::path root = test::fresh("estimate-tree");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  const CpuFacts f = parse_cpuinfo(test::slurp(test::fixture("proc/cpuinfo")));
  EstimateSampler s(root.string(), make_estimate(EstimateConfig{}, f));
  EXPECT_EQ(s.quality(), core::PowerQuality::q0);
  EXPECT_EQ(s.kind(), core::EvidenceKind::estimated);
  EXPECT_FALSE(s.model().empty());
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.1")));
  double out[1];
  s.sample(1, out);
  // u = 192 / 201 (test_procfs.cpp); P = 2 × (min + u × (max − min))
  const double u = 192.0 / 201.0;
  EXPECT_DOUBLE_EQ(out[0], 2 * kMin + (2 * kMax - 2 * kMin) * u);
}

// RAPL on a powercap tree written in the scratch folder (the real layout), rewriting energy_uj between samples.
#include <gtest/gtest.h>

#include <cmath>

#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;

namespace {

// The range an Intel package reports: the 32-bit energy-status counter in units of 2^-14 J, in µJ.
constexpr std::uint64_t kRange = 262143328850;

struct Tree {
  fs::path root, pc;
  explicit Tree(const std::string& name) : root(test::fresh(name)), pc(root / "sys/class/powercap") {
    test::write_text(pc / "intel-rapl/enabled", "1\n");  // the control type itself: not a zone
  }
  void zone(const std::string& dir, const std::string& name, std::optional<std::uint64_t> range, std::uint64_t energy) const {
    test::write_text(pc / dir / "name", name + "\n");
    if (range) test::write_text(pc / dir / "max_energy_range_uj", std::to_string(*range) + "\n");
    set(dir, energy);
  }
  void set(const std::string& dir, std::uint64_t energy) const { test::write_text(pc / dir / "energy_uj", std::to_string(energy) + "\n"); }
};

}  // namespace

TEST(Rapl, FindsZonesWithTheirScope) {
  Tree t("rapl-zones");
  t.zone("intel-rapl:0", "package-0", kRange, 1000);
  t.zone("intel-rapl:0:0", "core", kRange, 10);
  t.zone("intel-rapl:0:1", "dram", kRange, 20);
  t.zone("intel-rapl:1", "package-1", kRange, 3000);
  std::string why;
  const auto zones = find_rapl_zones(t.root.string(), &why);
  ASSERT_EQ(zones.size(), 4u) << why;
  EXPECT_EQ(zones[0].device, "package-0");
  EXPECT_EQ(zones[0].scope, PowerScope::component);
  EXPECT_EQ(zones[1].device, "package-0/core");
  EXPECT_EQ(zones[1].scope, PowerScope::part) << "core is inside the package: never added";
  EXPECT_EQ(zones[2].device, "package-0/dram");
  EXPECT_EQ(zones[2].scope, PowerScope::component) << "DRAM is outside the package energy";
  EXPECT_EQ(zones[3].device, "package-1");
  EXPECT_EQ(zones[0].max_range_uj, kRange);
}

TEST(Rapl, NoTreeSaysWhy) {
  const fs::path root = test::fresh("rapl-none");
  std::string why;
  EXPECT_TRUE(find_rapl_zones(root.string(), &why).empty());
  EXPECT_NE(why.find("no RAPL: no powercap tree"), std::string::npos) << why;
  EXPECT_NE(why.find("VMs normally have none"), std::string::npos) << why;
  EXPECT_THROW(RaplSampler s(root.string()), core::WorkError);
}

TEST(Rapl, EnergyAndPowerAcrossACounterWrap) {
  Tree t("rapl-wrap");
  t.zone("intel-rapl:0", "package-0", kRange, 262143000000);  // 328850 µJ below the range
  RaplSampler s(t.root.string());
  ASSERT_EQ(s.channels().size(), 2u);
  EXPECT_EQ(s.channels()[0].metric, "energy_j");
  EXPECT_TRUE(s.channels()[0].counter);
  EXPECT_EQ(s.quality(), core::PowerQuality::q1);
  double out[2];
  s.sample(0.0, out);
  EXPECT_EQ(out[0], 0.0) << "energy counts from the first reading";
  EXPECT_TRUE(std::isnan(out[1])) << "no power before two readings";

  // Wrapped: (262143328850 − 262143000000) + 671150 = 328850 + 671150 = 1000000 µJ = 1 J in 0.5 s = 2 W.
  t.set("intel-rapl:0", 671150);
  s.sample(0.5, out);
  EXPECT_DOUBLE_EQ(out[0], 1.0);
  EXPECT_DOUBLE_EQ(out[1], 2.0);

  // No wrap: 5671150 − 671150 = 5000000 µJ = 5 J in 1 s = 5 W; 1 + 5 = 6 J since the start.
  t.set("intel-rapl:0", 5671150);
  s.sample(1.5, out);
  EXPECT_DOUBLE_EQ(out[0], 6.0);
  EXPECT_DOUBLE_EQ(out[1], 5.0);
}

TEST(Rapl, CounterBackwardsWithoutRangeIsDroppedNotNegative) {
  Tree t("rapl-norange");
  t.zone("intel-rapl:0", "package-0", std::nullopt, 9000000);  // max_energy_range_uj missing
  RaplSampler s(t.root.string());
  double out[2];
  s.sample(0.0, out);
  t.set("intel-rapl:0", 500);  // went backwards: wrapped or reset, the amount is unknown
  s.sample(1.0, out);
  EXPECT_TRUE(std::isnan(out[0])) << "dropped";
  EXPECT_TRUE(std::isnan(out[1])) << "dropped, not negative";
  // The next delta starts from the new reading: 2500500 − 500 = 2500000 µJ = 2.5 J in 1 s.
  t.set("intel-rapl:0", 2500500);
  s.sample(2.0, out);
  EXPECT_DOUBLE_EQ(out[0], 2.5) << "the dropped interval is not counted";
  EXPECT_DOUBLE_EQ(out[1], 2.5);
}

TEST(Rapl, CounterDeltaArithmetic) {
  EXPECT_EQ(counter_delta_uj(100, 350, kRange), 250.0);
  // (1000 − 900) + 50 = 150
  EXPECT_EQ(counter_delta_uj(900, 50, std::uint64_t{1000}), 150.0);
  EXPECT_FALSE(counter_delta_uj(900, 50, std::nullopt));
  EXPECT_FALSE(counter_delta_uj(900, 50, std::uint64_t{800})) << "a range below the last reading is not believed";
}

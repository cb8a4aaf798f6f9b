// /proc parsers on recorded files, and the procfs sampler on a recorded tree.
#include <gtest/gtest.h>

#include <cmath>

#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;

TEST(Procfs, ParsesTheAggregateCpuLine) {
  const auto a = parse_proc_stat(test::slurp(test::fixture("proc/stat.0")));
  ASSERT_TRUE(a);
  // cpu  1224588 2223 127076 626332 9732 0 4376 576 0 0
  EXPECT_EQ(a->user, 1224588u);
  EXPECT_EQ(a->nice, 2223u);
  EXPECT_EQ(a->system, 127076u);
  EXPECT_EQ(a->idle, 626332u);
  EXPECT_EQ(a->iowait, 9732u);
  EXPECT_EQ(a->irq, 0u);
  EXPECT_EQ(a->softirq, 4376u);
  EXPECT_EQ(a->steal, 576u);
  // total = 1224588 + 2223 + 127076 + 626332 + 9732 + 0 + 4376 + 576 = 1994903; busy = total − idle − iowait = 1358839
  EXPECT_EQ(a->total(), 1994903u);
  EXPECT_EQ(a->busy(), 1358839u);
}

TEST(Procfs, BusyFractionFromTwoRecordedSnapshots) {
  const auto a = parse_proc_stat(test::slurp(test::fixture("proc/stat.0")));
  const auto b = parse_proc_stat(test::slurp(test::fixture("proc/stat.1")));
  ASSERT_TRUE(a && b);
  // stat.1: cpu  1224774 2223 127082 626341 9732 0 4376 576 0 0
  // Δuser 186, Δnice 0, Δsystem 6, Δidle 9, Δiowait 0, Δirq 0, Δsoftirq 0, Δsteal 0
  // Δtotal = 201, Δbusy = 201 − 9 − 0 = 192 → 192 / 201 = 0.955223880597…
  const auto f = busy_fraction(*a, *b);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(*f, 192.0 / 201.0);
  EXPECT_FALSE(busy_fraction(*a, *a)) << "no tick passed: no value";
  EXPECT_FALSE(busy_fraction(*b, *a)) << "counters backwards: no value";
}

TEST(Procfs, RejectsTextWithoutTheCpuLine) {
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
  EXPECT_FALSE(parse_proc_stat("cpu  12 x 4 5\n"));
  EXPECT_FALSE(parse_proc_stat("cpu  1 2\n"));
}

TEST(Procfs, MemInfoInBytes) {
  const MemInfo m = parse_meminfo(test::slurp(test::fixture("proc/meminfo")));
  // MemTotal: 24684096 kB, MemAvailable: 24017752 kB (KiB: × 1024)
  ASSERT_TRUE(m.total_bytes && m.available_bytes);
  EXPECT_DOUBLE_EQ(*m.total_bytes, 24684096.0 * 1024);
  EXPECT_DOUBLE_EQ(*m.available_bytes, 24017752.0 * 1024);
}

TEST(Procfs, SamplerOnARecordedTree) {
  const fs::path root = test::fresh("procfs-tree");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  test::write_text(root / "proc/meminfo", test::slurp(test::fixture("proc/meminfo")));
  ProcfsSampler s(root.string());
  ASSERT_EQ(s.channels().size(), 3u);
  EXPECT_EQ(s.channels()[0].metric, "cpu_utilization");
  EXPECT_FALSE(s.quality());
  // The first sample is the baseline of the busy share: no utilization yet (the sampler's own start-up is not
  // measured), memory already.
  double out[3];
  s.sample(0.0, out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_DOUBLE_EQ(out[2], 24684096.0 * 1024);
  // The kernel regenerates /proc/stat; here the test rewrites it between samples (same file, read again by pread).
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.1")));
  s.sample(1.0, out);
  EXPECT_DOUBLE_EQ(out[0], 192.0 / 201.0);
  // used = (24684096 − 24017752) kB = 666344 KiB = 682336256 B
  EXPECT_DOUBLE_EQ(out[1], 666344.0 * 1024);
  EXPECT_DOUBLE_EQ(out[2], 24684096.0 * 1024);
  s.sample(2.0, out);  // nothing changed: no tick, no utilization
  EXPECT_TRUE(std::isnan(out[0]));
}

TEST(Procfs, MissingProcStatIsAClearError) {
  const fs::path root = test::fresh("procfs-none");
  try {
    ProcfsSampler s(root.string());
    FAIL() << "expected a WorkError";
  } catch (const core::WorkError& e) {
    EXPECT_NE(std::string(e.what()).find("proc/stat"), std::string::npos) << e.what();
  }
}

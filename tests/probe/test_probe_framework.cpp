// The probe framework: statistics, repetition timing, rates, cancellation, the JSON record.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <set>

#include "aicq/probe/probe.hpp"

namespace aicq::probe {

TEST(ProbeStats, MedianMinMaxMeanAndCv) {
  // samples 1, 2, 3, 4: median (2 + 3) / 2 = 2.5, mean 2.5; sample variance ((1.5² + 0.5²) × 2) / 3 = 5/3,
  // sd = 1.290994…, CV = 1.290994 / 2.5 = 0.516398
  const Stats s = statistics({4, 1, 3, 2});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.cv, std::sqrt(5.0 / 3.0) / 2.5, 1e-15);
  // odd count: the middle value; one sample: CV 0
  EXPECT_DOUBLE_EQ(statistics({5, 1, 9}).median, 5);
  EXPECT_DOUBLE_EQ(statistics({7}).cv, 0);
  EXPECT_THROW(statistics({}), std::invalid_argument);
}

TEST(ProbeStats, RatesAreWorkOverDuration) {
  // 2·128³ = 4 194 304 FLOP in 0.5 s and 0.25 s → 8 388 608 and 16 777 216 FLOP/s
  const auto r = rates(2.0 * 128 * 128 * 128, {0.5, 0.25});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(r[0], 8388608);
  EXPECT_DOUBLE_EQ(r[1], 16777216);
}

TEST(ProbeTiming, WarmupsAreNotTimedAndProgressIsReported) {
  Context ctx;
  int calls = 0, reports = 0, warmup_reports = 0;
  ctx.progress = [&](const Progress& p) {
    ++reports;
    if (p.repetition == 0) ++warmup_reports;
    EXPECT_EQ(p.probe, "x");
    EXPECT_EQ(p.repetitions, 3);
  };
  const auto d = time_repetitions(ctx, "x", "step", 2, 3, [&] { ++calls; });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(reports, 5);
  EXPECT_EQ(warmup_reports, 2);
  for (double s : d) EXPECT_GE(s, 0);
}

TEST(ProbeTiming, CancelStopsBetweenRepetitions) {
  std::atomic<bool> stop{false};
  Context ctx;
  ctx.cancel = &stop;
  int calls = 0;
  EXPECT_THROW(time_repetitions(ctx, "x", "s", 0, 10,
                                [&] {
                                  if (++calls == 3) stop = true;
                                }),
               Cancelled);
  EXPECT_EQ(calls, 3);
}

TEST(ProbeRecord, JsonRoundTripKeepsEverySample) {
  ProbeResult r;
  r.id = "compute.gemm";
  r.status = Status::invalid;
  r.reason = "spot check failed";
  Measurement m;
  m.id = "dgemm_fp64";
  m.unit = "FLOP/s";
  m.samples = {1.5e11, 1.6e11, 1.4e11};
  m.stats = statistics(m.samples);
  m.precision = "fp64";
  m.work = 2.0 * 4096 * 4096 * 4096;
  m.work_unit = "FLOP";
  m.peak = 2.2e11;
  m.peak_source = "measured";
  m.details = {{"library", "OpenBLAS 0.3.21"}};
  r.measurements.push_back(m);
  r.checks.push_back({"spot_check", false, "entry (3,5) differs by 1e-3"});
  r.power = PowerWindow{180.5, 1805, "Q1", "rapl"};
  const nlohmann::json j = to_json(r);
  // 1.5e11 / 2.2e11: the median over the peak
  EXPECT_NEAR(j["measurements"][0]["fraction_of_peak"].get<double>(), 1.5e11 / 2.2e11, 1e-15);
  // Q1 power: GFLOPS/W = 1.5e11 / 180.5
  EXPECT_NEAR(j["measurements"][0]["per_watt"].get<double>(), 1.5e11 / 180.5, 1e-3);
  const ProbeResult back = probe_result_from_json(j);
  EXPECT_EQ(back.id, r.id);
  EXPECT_EQ(back.status, Status::invalid);
  EXPECT_EQ(back.reason, r.reason);
  ASSERT_EQ(back.measurements.size(), 1u);
  EXPECT_EQ(back.measurements[0].samples, m.samples);
  EXPECT_DOUBLE_EQ(back.measurements[0].stats.median, 1.5e11);
  EXPECT_EQ(*back.measurements[0].work, *m.work);
  EXPECT_EQ(back.checks.size(), 1u);
  EXPECT_FALSE(back.checks[0].passed);
  ASSERT_TRUE(back.power);
  EXPECT_EQ(back.power->quality, "Q1");
  EXPECT_EQ(to_json(back), j);
}

TEST(ProbeRecord, Q0PowerGivesNoEfficiency) {
  ProbeResult r;
  r.id = "p";
  Measurement m;
  m.id = "x";
  m.unit = "FLOP/s";
  m.samples = {1e9};
  m.stats = statistics(m.samples);
  r.measurements.push_back(m);
  r.power = PowerWindow{50, 500, "Q0", "estimate"};
  EXPECT_FALSE(to_json(r)["measurements"][0].contains("per_watt"));
}

TEST(ProbeRegistry, IdsAreUniqueAndFindable) {
  std::set<std::string> ids;
  for (const auto& p : registry()) {
    EXPECT_TRUE(ids.insert(p.id).second) << p.id;
    EXPECT_EQ(find(p.id), &p);
  }
  EXPECT_EQ(find("no.such.probe"), nullptr);
  EXPECT_TRUE(suite_from("quick") && suite_from("standard") && suite_from("full"));
  EXPECT_FALSE(suite_from("Quick"));
}

}  // namespace aicq::probe

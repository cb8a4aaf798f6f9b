// The sampling loop: windows, energy from counters or the trapezoid, failing sources, series, the store.
//
// Power meters here are scripted samplers (the hardware boundary): their readings are functions of the time the
// loop passes in, so every expected figure is computable by hand whatever the machine's timing.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <thread>

#include "aicq/store/store.hpp"
#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;
using namespace std::chrono_literals;

namespace {

class Meter final : public Sampler {
 public:
  using Fn = std::function<void(double t, std::span<double> out)>;
  Meter(std::string id, std::optional<core::PowerQuality> q, std::vector<Channel> channels, Fn fn)
      : id_(std::move(id)), source_("scripted " + id_), q_(q), channels_(std::move(channels)), fn_(std::move(fn)) {}
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  std::optional<core::PowerQuality> quality() const override { return q_; }
  const std::vector<Channel>& channels() const override { return channels_; }
  void sample(double t, std::span<double> out) override { fn_(t, out); }

 private:
  std::string id_, source_;
  std::optional<core::PowerQuality> q_;
  std::vector<Channel> channels_;
  Fn fn_;
};

Channel power(const std::string& dev, PowerScope scope) { return {metric::power_w, dev, "W", false, scope}; }
Channel energy(const std::string& dev, PowerScope scope) { return {metric::energy_j, dev, "J", true, scope}; }

Config fast() {
  Config c;
  c.interval = 100ms;
  return c;
}

// Runs the recorder until its clock passes `until_s`, then stops it.
void run_until(Recorder& r, double until_s) {
  r.start();
  while (r.now_s() < until_s) std::this_thread::sleep_for(10ms);
  r.stop();
}

// Runs the recorder until sampler `i` has taken `n` samples (progress, not time: a loaded machine only makes it
// slower), then stops it.
void run_until_samples(Recorder& r, std::size_t i, std::int64_t n) {
  r.start();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (r.status()[i].samples < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  r.stop();
}

}  // namespace

TEST(Recorder, TrapezoidHandComputed) {
  // Segments: (0→1) ½(100 + 110)·1 = 105 J; the NaN at t = 2 is skipped, (1→4) ½(110 + 130)·3 = 360 J; 465 J.
  const double t[] = {0, 1, 2, 4};
  const double p[] = {100, 110, std::nan(""), 130};
  EXPECT_DOUBLE_EQ(trapezoid_j(t, p), 465.0);
  const double t2[] = {0, 0.5, 1.5};
  const double p2[] = {10, 20, 20};
  // ½(10 + 20)·0.5 + ½(20 + 20)·1 = 7.5 + 20 = 27.5 J
  EXPECT_DOUBLE_EQ(trapezoid_j(t2, p2), 27.5);
}

TEST(Recorder, WindowIntegratesPowerByTrapezoid) {
  // P(t) = 100 + 10·t W. The trapezoid of a linear function is exact: E[a,b] = 100(b − a) + 5(b² − a²).
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>("meter", core::PowerQuality::q2, std::vector<Channel>{power("node", PowerScope::node)},
                                      [](double t, std::span<double> out) { out[0] = 100 + 10 * t; }));
  Recorder r(fast(), std::move(s));
  run_until(r, 0.9);
  const auto w = r.window(0.25, 0.65);
  ASSERT_TRUE(w.energy_j && w.mean_power_w);
  // 100 × 0.4 + 5 × (0.65² − 0.25²) = 40 + 5 × (0.4225 − 0.0625) = 40 + 1.8 = 41.8 J; mean 41.8 / 0.4 = 104.5 W
  EXPECT_NEAR(*w.energy_j, 41.8, 1e-9);
  EXPECT_NEAR(*w.mean_power_w, 104.5, 1e-9);
  EXPECT_DOUBLE_EQ(w.covered_s, 0.4);
  EXPECT_EQ(w.quality, "Q2");
  EXPECT_EQ(w.source, "meter");
  EXPECT_GE(w.samples, 1);
}

TEST(Recorder, WindowUsesACounterThatAdvances) {
  // A Q3 node meter with an energy counter E(t) = 200·t J and power 200 W: E[0.3, 0.8] = 100 J.
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>(
      "wall", core::PowerQuality::q3, std::vector<Channel>{power("node", PowerScope::node), energy("node", PowerScope::node)},
      [](double t, std::span<double> out) {
        out[0] = 200;
        out[1] = 200 * t;
      }));
  Recorder r(fast(), std::move(s));
  run_until(r, 1.0);
  const auto w = r.window(0.3, 0.8);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 100.0, 1e-9);
  EXPECT_NEAR(*w.mean_power_w, 200.0, 1e-9);
  EXPECT_EQ(w.quality, "Q3") << "integrated energy counter over the window";
}

TEST(Recorder, CoarseCounterFallsBackToPowerReadings) {
  // A counter in whole kWh (3.6 MJ steps) does not advance between samples: the power readings are integrated
  // instead, and the window is Q2, not Q3. 300 W over [0.2, 0.7] = 150 J.
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>(
      "bmc", core::PowerQuality::q3, std::vector<Channel>{power("node", PowerScope::node), energy("node", PowerScope::node)},
      [](double, std::span<double> out) {
        out[0] = 300;
        out[1] = 0;
      }));
  Recorder r(fast(), std::move(s));
  run_until(r, 0.9);
  const auto w = r.window(0.2, 0.7);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 150.0, 1e-9);
  EXPECT_EQ(w.quality, "Q2");
}

TEST(Recorder, NodeMeterBeatsComponentsAndComponentsAdd) {
  auto comp = [](const std::string& id, const std::string& dev, double watts) {
    return std::make_unique<Meter>(id, core::PowerQuality::q1, std::vector<Channel>{power(dev, PowerScope::component)},
                                   [watts](double, std::span<double> out) { out[0] = watts; });
  };
  {
    std::vector<std::unique_ptr<Sampler>> s;
    s.push_back(comp("rapl", "package-0", 50));
    s.push_back(comp("nvml", "gpu0", 70));
    s.push_back(std::make_unique<Meter>("core-only", core::PowerQuality::q1, std::vector<Channel>{power("package-0/core", PowerScope::part)},
                                        [](double, std::span<double> out) { out[0] = 1000; }));
    Recorder r(fast(), std::move(s));
    run_until(r, 0.6);
    const auto w = r.window(0.1, 0.5);
    // 50 W + 70 W; the part (core, inside the package) is not added.
    ASSERT_TRUE(w.mean_power_w);
    EXPECT_NEAR(*w.mean_power_w, 120.0, 1e-9);
    EXPECT_NEAR(*w.energy_j, 120.0 * 0.4, 1e-9);
    EXPECT_EQ(w.quality, "Q1");
    EXPECT_EQ(w.source, "rapl+nvml");
  }
  {
    std::vector<std::unique_ptr<Sampler>> s;
    s.push_back(comp("rapl", "package-0", 50));
    s.push_back(std::make_unique<Meter>("ipmi", core::PowerQuality::q2, std::vector<Channel>{power("node", PowerScope::node)},
                                        [](double, std::span<double> out) { out[0] = 400; }));
    Recorder r(fast(), std::move(s));
    run_until(r, 0.6);
    const auto w = r.window(0.1, 0.5);
    ASSERT_TRUE(w.mean_power_w);
    EXPECT_NEAR(*w.mean_power_w, 400.0, 1e-9) << "the node meter alone: never node + components";
    EXPECT_EQ(w.source, "ipmi");
    EXPECT_EQ(w.quality, "Q2");
  }
}

TEST(Recorder, UtilizationMeans) {
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>(
      "util", std::nullopt,
      std::vector<Channel>{{metric::cpu_utilization, "cpu", "1", false, PowerScope::none},
                           {metric::gpu_utilization, "gpu0", "1", false, PowerScope::none},
                           {metric::gpu_utilization, "gpu1", "1", false, PowerScope::none}},
      [](double, std::span<double> out) {
        out[0] = 0.5;
        out[1] = 0.2;
        out[2] = 0.6;
      }));
  Recorder r(fast(), std::move(s));
  run_until(r, 0.6);
  const auto w = r.window(0.1, 0.5);
  ASSERT_TRUE(w.cpu_utilization && w.gpu_utilization);
  EXPECT_DOUBLE_EQ(*w.cpu_utilization, 0.5);
  EXPECT_NEAR(*w.gpu_utilization, 0.4, 1e-12) << "(0.2 + 0.6) / 2";
  EXPECT_FALSE(w.mean_power_w) << "no power source";
  EXPECT_TRUE(w.quality.empty());
}

TEST(Recorder, SourceFailingMidRunIsMarkedAndOthersContinue) {
  std::atomic<int> calls{0};
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>("flaky", core::PowerQuality::q1, std::vector<Channel>{power("gpu0", PowerScope::component)},
                                      [&calls](double t, std::span<double> out) {
                                        ++calls;
                                        if (t > 0.25) throw core::WorkError("nvmlDeviceGetPowerUsage: NVML_ERROR_GPU_IS_LOST (15)");
                                        out[0] = 80;
                                      }));
  s.push_back(std::make_unique<Meter>("steady", core::PowerQuality::q1, std::vector<Channel>{power("package-0", PowerScope::component)},
                                      [](double, std::span<double> out) { out[0] = 20; }));
  std::vector<std::string> log;
  std::mutex log_mu;
  Config c = fast();
  c.log = [&](const std::string& m) {
    std::lock_guard lock(log_mu);
    log.push_back(m);
  };
  Recorder r(c, std::move(s));
  run_until_samples(r, 1, 12);
  const auto st = r.status();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_TRUE(st[0].failed);
  EXPECT_NE(st[0].error.find("GPU_IS_LOST"), std::string::npos) << st[0].error;
  EXPECT_GT(st[0].failed_at_s, 0.25);
  EXPECT_FALSE(st[1].failed);
  EXPECT_GE(st[1].samples, 12) << "the other source went on sampling";
  EXPECT_GT(st[1].samples, st[0].samples + 1);
  const int calls_at_stop = calls;
  EXPECT_EQ(calls_at_stop, static_cast<int>(st[0].samples) + 1) << "a failed source is not asked again";
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("flaky"), std::string::npos) << log[0];
  // The window still has the steady source's power after the failure.
  const auto w = r.window(st[0].failed_at_s + 0.05, r.now_s());
  ASSERT_TRUE(w.mean_power_w);
  EXPECT_NEAR(*w.mean_power_w, 20.0, 1e-9);
  const auto series = r.series();
  EXPECT_TRUE(series["samplers"][0]["failed"].get<bool>());
}

TEST(Recorder, SeriesIsBoundedByDownsampling) {
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>("meter", core::PowerQuality::q1, std::vector<Channel>{power("gpu0", PowerScope::component)},
                                      [](double t, std::span<double> out) { out[0] = t < 0.05 ? std::nan("") : 10; }));
  Config c = fast();
  c.max_series_points = 16;
  Recorder r(c, std::move(s));
  run_until_samples(r, 0, 40);  // more than twice the 16 kept: downsampled at least twice
  const auto j = r.series();
  EXPECT_EQ(j["schema"], "aicq-telemetry/1");
  EXPECT_GE(j["downsampled_every"].get<int>(), 4);
  EXPECT_LE(j["t_s"].size(), 17u);
  const auto& v = j["values"]["meter/power_w/gpu0"];
  ASSERT_EQ(v.size(), j["t_s"].size());
  EXPECT_TRUE(v[0].is_null()) << "NaN is written as null";
  EXPECT_EQ(v[1], 10.0);
  // Energy is still integrated over the kept points: 10 W over [0.5, 2.0] = 15 J.
  const auto w = r.window(0.5, 2.0);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 15.0, 1e-9);
}

TEST(Recorder, IntervalBelow100msIsRefused) {
  Config c;
  c.interval = 50ms;
  EXPECT_THROW(Recorder r(c, {}), core::InputError);
  EXPECT_THROW(Recorder r2(c), core::InputError);
}

TEST(Recorder, WritesSamplesToTheStore) {
  const fs::path db = test::fresh("recorder-store") / "aicq.db";
  std::vector<std::unique_ptr<Sampler>> s;
  s.push_back(std::make_unique<Meter>("meter", core::PowerQuality::q2, std::vector<Channel>{power("node", PowerScope::node)},
                                      [](double, std::span<double> out) { out[0] = 250; }));
  Config c = fast();
  c.db = db.string();
  c.run_command = "run";
  Recorder r(c, std::move(s));
  run_until(r, 0.5);
  ASSERT_TRUE(r.run_id());
  EXPECT_TRUE(r.store_errors().empty());
  const store::Store st = store::Store::open(db.string());
  const auto runs = st.telemetry_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].command, "run");
  EXPECT_TRUE(runs[0].ended_unix_s) << "closed at stop";
  EXPECT_EQ(runs[0].samples, r.status()[0].samples) << "every sample reached the store";
  const auto rows = st.telemetry_window(r.start_unix_s() - 1, r.start_unix_s() + 60, runs[0].id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].channel.metric, "power_w");
  EXPECT_EQ(rows[0].channel.quality, "Q2");
  EXPECT_DOUBLE_EQ(rows[0].mean, 250.0);
}

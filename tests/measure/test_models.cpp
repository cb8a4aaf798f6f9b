// The AI and resilience probes' records → evidence → ie.model_compute, ce.measured and ie.intelligence, with
// figures that can be followed by hand. The probes themselves are tested in tests/probe (release build).
#include <gtest/gtest.h>

#include <stdexcept>

#include "aicq/assess/assessment.hpp"
#include "aicq/assess/profile.hpp"
#include "aicq/catalog/catalog.hpp"
#include "aicq/data/embedded.hpp"
#include "aicq/measure/session.hpp"

namespace aicq {

namespace {

const core::Evidence* find(const std::vector<core::Evidence>& ev, const std::string& metric) {
  for (const auto& e : ev)
    if (e.metric == metric) return &e;
  return nullptr;
}

const core::Evidence& get(const std::vector<core::Evidence>& ev, const std::string& metric) {
  if (const auto* e = find(ev, metric)) return *e;
  throw std::runtime_error("no evidence " + metric);
}

double si(const std::vector<core::Evidence>& ev, const std::string& metric) { return get(ev, metric).quantity.si; }

hw::Host one_socket() {
  hw::Host h;
  h.hostname = "node-a";
  h.cpu.sockets = 1;
  h.cpu.cores = 2;
  h.cpu.threads = 2;
  return h;
}

hw::Peaks peaks() {
  hw::Peaks p;
  for (const auto& [prec, flops] : {std::pair{"fp32", 400e9}, std::pair{"bf16", 800e9}}) {
    hw::Peak k;
    k.precision = prec;
    k.flops = flops;
    k.kind = "measured";
    k.method = "hand figures";
    p.peaks.push_back(k);
  }
  return p;
}

probe::Measurement measured(const std::string& id, const std::string& unit, const std::string& precision, double value) {
  probe::Measurement m;
  m.id = id;
  m.unit = unit;
  m.precision = precision;
  m.samples = {value};
  m.stats = probe::statistics(m.samples);
  return m;
}

const assess::IndicatorResult& indicator(const assess::Assessment& a, const std::string& id) {
  for (const auto& r : a.indicators)
    if (r.id == id) return r;
  throw std::runtime_error("no indicator " + id);
}

}  // namespace

TEST(RunEvidence, ModelWorkloadsFeedModelComputeAndInvalidOnesAreKeptApart) {
  // Training: 25 MFLOP per sample × 3 000 samples/s = 75 GFLOP/s on a 400 GFLOP/s fp32 peak.
  probe::ProbeResult train;
  train.id = "ai.train";
  auto t = measured("train", "FLOP/s", "fp32", 75e9);
  t.details["model"] = {{"name", "Fashion-MNIST CNN"}, {"task", "training"}, {"unit", "sample"}, {"flop_per_unit", 25e6},
                        {"throughput", 3000.0}, {"accuracy", 0.874}, {"reference_accuracy", 0.85},
                        {"accuracy_metric", "top-1, 10 000 test images"}};
  train.measurements.push_back(t);
  // Inference in BF16 whose accuracy fell below 99% of FP32: kept, marked invalid, no model row.
  probe::ProbeResult infer;
  infer.id = "ai.infer";
  auto b = measured("offline_bf16", "FLOP/s", "bf16", 160e9);
  b.details["model"] = {{"name", "Fashion-MNIST CNN"}, {"task", "inference"}, {"unit", "sample"}, {"flop_per_unit", 8e6},
                        {"throughput", 20000.0}, {"accuracy", 0.80}, {"reference_accuracy", 0.874}};
  b.details["valid"] = false;
  b.details["invalid_reason"] = "retention 0.915 < 0.99";
  infer.measurements.push_back(b);
  // Resilience.
  probe::ProbeResult ckpt;
  ckpt.id = "resilience.checkpoint";
  ckpt.measurements.push_back(measured("write_bandwidth", "B/s", "", 2e9));
  probe::ProbeResult rec;
  rec.id = "resilience.recovery";
  auto rt = measured("recovery_time", "s", "", 3.5);
  rt.higher_is_better = false;
  rec.measurements.push_back(rt);

  const auto ev = measure::evidence_of(one_socket(), peaks(), {train, infer, ckpt, rec}, true, "t");
  EXPECT_DOUBLE_EQ(si(ev, "models[m0].throughput"), 3000);
  EXPECT_EQ(get(ev, "models[m0].throughput").quantity.dim, core::dim::sample_rate());
  EXPECT_DOUBLE_EQ(si(ev, "models[m0].flop_per_unit"), 25e6);
  EXPECT_DOUBLE_EQ(si(ev, "models[m0].devices"), 1);
  EXPECT_DOUBLE_EQ(si(ev, "models[m0].peak_per_device"), 400e9);
  EXPECT_DOUBLE_EQ(si(ev, "models[m0].accuracy"), 0.874);
  EXPECT_DOUBLE_EQ(si(ev, "models[m0].reference_accuracy"), 0.85);
  EXPECT_FALSE(find(ev, "models[m1].throughput"));
  // Both are ce.measured workloads; the BF16 one is marked invalid with its reason.
  EXPECT_DOUBLE_EQ(si(ev, "probe.ai.train.train.achieved"), 75e9);
  ASSERT_TRUE(find(ev, "probe.ai.infer.offline_bf16.invalid"));
  EXPECT_EQ(get(ev, "probe.ai.infer.offline_bf16.invalid").note, "retention 0.915 < 0.99");
  EXPECT_DOUBLE_EQ(si(ev, "resilience.checkpoint.write_bandwidth"), 2e9);
  EXPECT_DOUBLE_EQ(si(ev, "resilience.recovery.time"), 3.5);

  const auto cats = catalog::Catalogs::load(data::DataSource());
  const auto profile = assess::load_profile("", data::DataSource());
  std::vector<core::Evidence> normalised;
  for (const auto& e : ev) normalised.push_back(core::normalised(e));
  const auto a = assess::assess(normalised, profile, cats);
  const auto& mc = indicator(a, "ie.model_compute");
  // MFU = 75e9 ÷ (400e9 × 1) = 0.1875; curve 0.15→45, 0.30→65: 45 + (0.1875 − 0.15)/0.15 × 20 = 50;
  // R = min(1, 0.874/0.85) = 1 → score 50.
  ASSERT_TRUE(mc.value.has_value());
  EXPECT_NEAR(*mc.value, 0.1875, 1e-12);
  ASSERT_TRUE(mc.score.has_value());
  EXPECT_NEAR(*mc.score, 50, 1e-9);
  // MCE = 100 × 0.874 ÷ 0.025 GFLOP = 3496.
  EXPECT_NEAR(mc.details["models"][0]["mce"].get<double>(), 3496, 1e-9);
  // Without a declaration the intelligence items are missing; the measured times are reported.
  const auto& ie = indicator(a, "ie.intelligence");
  EXPECT_FALSE(ie.score.has_value());
  EXPECT_DOUBLE_EQ(ie.details["recovery_time_s"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(ie.details["checkpoint_write_bandwidth_Bps"].get<double>(), 2e9);
  EXPECT_FALSE(ie.details.contains("checkpoint_write_time_s"));  // no declared state or model size to time
}

TEST(RunEvidence, MeasuredRecoveryAndCheckpointCapDeclaredLevels) {
  probe::ProbeResult ckpt;
  ckpt.id = "resilience.checkpoint";
  ckpt.measurements.push_back(measured("write_bandwidth", "B/s", "", 2e9));
  probe::ProbeResult rec;
  rec.id = "resilience.recovery";
  rec.measurements.push_back(measured("recovery_time", "s", "", 200));
  auto ev = measure::evidence_of(one_socket(), peaks(), {ckpt, rec}, true, "t");
  // Declared: fault recovery 4, checkpointing 4, largest training state 2.8 TB (GPT-3: 175e9 × 16 B).
  const auto level = [](const std::string& item, double v) {
    core::Evidence e;
    e.metric = "intelligence." + item + ".level";
    e.quantity.si = v;
    e.kind = core::EvidenceKind::declared;
    return e;
  };
  ev.push_back(level("fault_recovery", 4));
  ev.push_back(level("checkpointing", 4));
  core::Evidence state;
  state.metric = "intelligence.largest_training_state";
  state.quantity.si = 2.8e12;
  state.quantity.dim = core::dim::bytes();
  state.kind = core::EvidenceKind::declared;
  ev.push_back(state);
  std::vector<core::Evidence> normalised;
  for (const auto& e : ev) normalised.push_back(core::normalised(e));
  const auto a = assess::assess(normalised, assess::load_profile("", data::DataSource()),
                                catalog::Catalogs::load(data::DataSource()));
  const auto& ie = indicator(a, "ie.intelligence");
  // Recovery 200 s: ≤ 10 min → 2 (not ≤ 2 min). Checkpoint 2.8e12 B ÷ 2e9 B/s = 1400 s > 10 min → 0.
  // Mean of (2, 0) = 1 → 25 × 1 = 25.
  EXPECT_EQ(ie.details["levels"]["fault_recovery"].get<int>(), 2);
  EXPECT_EQ(ie.details["levels"]["checkpointing"].get<int>(), 0);
  EXPECT_NEAR(ie.details["checkpoint_write_time_s"].get<double>(), 1400, 1e-9);
  ASSERT_TRUE(ie.score.has_value());
  EXPECT_NEAR(*ie.score, 25, 1e-9);
}

}  // namespace aicq

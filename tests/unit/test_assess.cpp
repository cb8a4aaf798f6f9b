// The assessment engine: every indicator formula on a small declaration with round numbers, each expectation
// computed by hand (the arithmetic in the comments); aggregation, coverage and grades; results, rescore and
// compare through the command line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

#include "aicq/assess/assessment.hpp"
#include "aicq/assess/result.hpp"
#include "aicq/cli/cli.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/declare/declaration.hpp"
#include "support.hpp"

using namespace aicq;
namespace fs = std::filesystem;

namespace {

const catalog::Catalogs& cats() {
  static const catalog::Catalogs c = catalog::Catalogs::load(data::DataSource());
  return c;
}

const assess::Profile& profile() {
  static const assess::Profile p = assess::load_profile("", data::DataSource());
  return p;
}

// Round numbers so that every value can be followed by hand.
const std::string kSite = R"(schema_version: 1
currency: CNY
exchange_rates: {USD: 7}
system: {name: Hand site}
inventory:
  - id: gpu
    kind: server
    count: 10
    rated_power: "10 kW"
    lifetime: "4 y"
    accelerators: {count: 8, peak: {fp32: "50 TFLOPS", bf16: "500 TFLOPS"}, tdp: "700 W"}
  - id: sw
    kind: network
    count: 2
    rated_power: "1 kW"
    lifetime: "4 y"
facility:
  pue: 1.25
  grid_factor: {value: "0.6 kgCO2e/kWh", year: 2022, source: test}
  renewable_share: "20%"
  it_power: {mean: "51 kW", window: {from: 2024-01-01, to: 2024-12-31}, quality: Q2}
carbon:
  groups:
    - {group: gpu, embodied: "3 tCO2e"}
    - {group: sw, embodied: "0.5 tCO2e"}
  strategy: {procurement: 2, design: 2, construction: 3, operation: 3, recycling: 4}
utilization:
  accelerator: {value: "30%", metric: sm_active, window: {from: 2024-01-01, to: 2024-12-31}}
workloads:
  - {name: bf16-gemm, group: gpu, devices: 8, precision: bf16, rate: "2 PFLOPS"}
  - {name: fp32-app, group: gpu, devices: 80, precision: fp32, rate: "1 PFLOPS"}
  - {name: impossible, group: gpu, devices: 8, precision: bf16, rate: "5 PFLOPS"}
models:
  - {name: m, task: inference, group: gpu, devices: 8, precision: bf16, throughput: "1000 tokens/s",
     flop_per_token: "400 GFLOP", accuracy: 0.72, reference_accuracy: 0.8}
intelligence:
  items:
    job_scheduling: {level: 3}
    fault_recovery: {level: 2}
access:
  reach: regional
  scenarios: [healthcare, finance, energy]
  modes: [open_api, elastic_scaling, self_service_portal]
pricing:
  billing: [on_demand, spot]
  own:
    - {name: own, resource: {peak: "0.4 PFLOPS", precision: fp32}, price: "200 CNY/h"}
  market:
    - {name: a, resource: {peak: "0.5 PFLOPS", precision: fp32}, price: "100 USD/h", source: t}
    - {name: b, resource: {peak: "1 PFLOPS", precision: fp32}, price: "700 CNY/h", source: t}
    - {name: c, resource: {peak: "0.25 PFLOPS", precision: fp32}, price: "35 USD/h", source: t}
compatibility:
  - {layer: chips, item: a, result: pass}
  - {layer: os, item: b, result: pass}
  - {layer: ai_frameworks, item: c, result: partial}
  - {layer: models, item: d, result: fail}
supply_chain:
  categories:
    accelerator:
      - {name: A, share: "70%", on_time: "90%", defect_rate: "1%", qualified: true}
      - {name: B, share: "30%", on_time: "80%", defect_rate: "2%", qualified: true}
    cpu:
      - {name: C, share: "100%", on_time: "100%", defect_rate: "0%", qualified: true}
openness:
  conforms: [onnx, kubernetes_conformance, openapi, prometheus_exposition]
  not_applicable: {ocp_oam_ubb: "PCIe cards"}
  features: [open_apis, layered_decoupling]
)";

std::vector<core::Evidence> evidence_of(const std::string& text) {
  const auto d = declare::parse_declaration(text, "hand.yaml", cats());
  auto ev = declare::declared_evidence(d, cats());
  for (auto& e : ev) e = core::normalised(e);
  return ev;
}

assess::Assessment assessed(const std::string& text) { return assess::assess(evidence_of(text), profile(), cats()); }

double score(const assess::Assessment& a, const char* id) {
  const auto& i = a.indicator(id);
  if (!i.score) throw std::runtime_error(std::string(id) + " missing: " + i.reason);
  return *i.score;
}

std::string remove_section(std::string text, const std::string& key) {
  // Removes a top-level section (its line and the indented lines after it).
  const auto start = text.find("\n" + key + ":");
  if (start == std::string::npos) throw std::runtime_error("no section " + key);
  auto end = start + 1;
  do {
    end = text.find('\n', end) + 1;
  } while (end < text.size() && (text[end] == ' ' || text[end] == '-'));
  return text.erase(start + 1, end - start - 1);
}

}  // namespace

TEST(Assess, TheoreticalComputeEfficiency) {
  const auto a = assessed(kSite);
  const auto& i = a.indicator("ce.theoretical");
  // CP_FP32 = 10 servers × 8 GPUs × 50 TFLOPS = 4e15 FLOP/s; ΣP_IT = 10 × 10 kW + 2 × 1 kW = 102,000 W
  // CE = 4e15 / 102,000 / 1e9 = 39.2157 GFLOPS/W; curve 25→75, 50→90: 75 + (39.2157 − 25)/25 × 15 = 83.5294
  EXPECT_NEAR(*i.value, 39.2156862745, 1e-9);
  EXPECT_NEAR(*i.score, 83.5294117647, 1e-9);
  EXPECT_DOUBLE_EQ(i.details["rated_it_power_w"].get<double>(), 102000.0);
  // BF16: 10 × 8 × 500 TFLOPS = 4e16 → 392.157 GFLOPS/W, reported beside it
  EXPECT_NEAR(i.details["ce_bf16_gflops_per_w"].get<double>(), 392.156862745, 1e-6);
  EXPECT_EQ(i.kind, "declared");
}

TEST(Assess, RatedPowerEstimatedFromTdpIsMarkedEstimated) {
  std::string text = kSite;
  text.replace(text.find("    rated_power: \"10 kW\"\n"), 24, "");
  const auto held = assessed(text);
  const auto& i = held.indicator("ce.theoretical");
  // gpu group: 10 × (8 × 700 W) × (1 + 0.6 platform share) = 89,600 W; + 2 kW of switches = 91,600 W
  EXPECT_DOUBLE_EQ(i.details["rated_it_power_w"].get<double>(), 91600.0);
  EXPECT_NEAR(*i.value, 4e15 / 91600 / 1e9, 1e-12);
  EXPECT_EQ(i.kind, "estimated");
  EXPECT_EQ(i.details["rated_power_estimated_groups"][0], "gpu");
}

TEST(Assess, MeasuredPerformanceGeometricMeanAndValidity) {
  const auto a = assessed(kSite);
  const auto& i = a.indicator("ce.measured");
  // bf16-gemm: 2 PFLOPS ÷ (500 TFLOPS × 8) = 0.5; fp32-app: 1 PFLOPS ÷ (50 TFLOPS × 80) = 0.25
  // impossible: 5 PFLOPS ÷ 4 PFLOPS = 1.25 > 1.05 → invalid, kept, not scored
  // the model: 1000 tokens/s × 400 GFLOP = 0.4 PFLOPS ÷ 4 PFLOPS = 0.1 (a workload with a FLOP count too)
  // geometric mean = (0.5 × 0.25 × 0.1)^(1/3) = 0.0125^(1/3) = 0.232079
  // curve 0.10→30, 0.30→60: 30 + (0.232079 − 0.1)/0.2 × 30 = 49.8119
  EXPECT_NEAR(*i.value, std::cbrt(0.0125), 1e-12);
  EXPECT_NEAR(*i.score, 30 + (std::cbrt(0.0125) - 0.1) / 0.2 * 30, 1e-9);
  ASSERT_EQ(i.details["workloads"].size(), 4u);
  EXPECT_FALSE(i.details["workloads"][2]["valid"].get<bool>());
  EXPECT_NE(i.notes.at(0).find("invalid, not scored"), std::string::npos);
}

TEST(Assess, ResourceUtilization) {
  const auto held = assessed(kSite);
  const auto& i = held.indicator("ce.utilization");
  // L = 51 kW ÷ 102 kW = 0.5 (Q2 metered); U = SM-active 0.30; 0.5 × 0.5 + 0.5 × 0.3 = 0.4
  // curve 0.30→60, 0.50→80: 70
  EXPECT_DOUBLE_EQ(i.details["it_load_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(*i.value, 0.4);
  EXPECT_NEAR(*i.score, 70.0, 1e-9);
}

TEST(Assess, UtilizationFromQ0PowerIsNotCircular) {
  std::string text = kSite;
  text.replace(text.find("quality: Q2"), 11, "quality: Q0");
  const auto held = assessed(text);
  const auto& i = held.indicator("ce.utilization");
  // L is missing (Q0 power would make ITEU circular); U alone: 0.3 → 60
  EXPECT_FALSE(i.details.contains("it_load_rate"));
  EXPECT_DOUBLE_EQ(*i.value, 0.3);
  EXPECT_NEAR(*i.score, 60.0, 1e-9);
}

TEST(Assess, ModelComputeEfficiency) {
  const auto held = assessed(kSite);
  const auto& i = held.indicator("ie.model_compute");
  // MFU = 1000 tokens/s × 400 GFLOP ÷ (500 TFLOPS × 8) = 0.1; curve 0.05→20, 0.15→45: 32.5
  // R = min(1, 0.72 / 0.8) = 0.9; score = 32.5 × 0.9 = 29.25; MCE = 100 × 0.72 / 400 = 0.18
  EXPECT_DOUBLE_EQ(*i.value, 0.1);
  EXPECT_NEAR(*i.score, 29.25, 1e-9);
  EXPECT_NEAR(i.details["models"][0]["mce"].get<double>(), 0.18, 1e-12);
  EXPECT_NEAR(i.details["models"][0]["retention"].get<double>(), 0.9, 1e-12);
}

TEST(Assess, IntelligenceLevelsAndMeasuredCaps) {
  auto ev = evidence_of(kSite);
  auto a = assess::assess(ev, profile(), cats());
  // mean(3, 2) = 2.5 → 25 × 2.5 = 62.5
  EXPECT_NEAR(score(a, "ie.intelligence"), 62.5, 1e-9);
  // A measured recovery of 15 min caps fault recovery at level 1 (≤ 30 min → 1, ≤ 10 min → 2):
  // mean(3, 1) = 2 → 50. Measurements cap; they never raise.
  core::Evidence t;
  t.metric = "resilience.recovery.time";
  t.quantity = core::parse_quantity("15 min");
  t.kind = core::EvidenceKind::measured;
  ev.push_back(t);
  a = assess::assess(ev, profile(), cats());
  EXPECT_NEAR(score(a, "ie.intelligence"), 50.0, 1e-9);
  EXPECT_EQ(a.indicator("ie.intelligence").kind, "declared");  // the weakest input
  // A 20 s recovery would allow level 4 but does not raise the declared 2.
  ev.back().quantity = core::parse_quantity("20 s");
  EXPECT_NEAR(score(assess::assess(ev, profile(), cats()), "ie.intelligence"), 62.5, 1e-9);
}

TEST(Assess, LifecycleCarbon) {
  const auto held = assessed(kSite);
  const auto& i = held.indicator("co2.lifecycle");
  // CI_op = PUE 1.25 × 0.6 kgCO2e/kWh × (1 − 0.2) = 0.6; curve (lower better) 0.40→80, 0.79→60:
  // 80 − (0.6 − 0.4)/0.39 × 20 = 69.7436; strategy mean(2,2,3,3,4) = 2.8 → 70; 0.5·69.7436 + 0.5·70 = 69.8718
  EXPECT_NEAR(*i.value, 0.6, 1e-12);
  EXPECT_NEAR(*i.score, 0.5 * (80 - 0.2 / 0.39 * 20) + 0.5 * 70, 1e-9);
  // Footprint: embodied 10 × 3000 + 2 × 500 = 31,000 kg; IT energy 51 kW × 8760 h = 446,760 kWh/y,
  // × 4 y = 1,787,040 kWh; × 1.25 × 0.6 = 1,340,280 kg (location); × 0.8 = 1,072,224 kg (market);
  // total = 31,000 + 1,072,224 = 1,103,224 kgCO2e
  EXPECT_DOUBLE_EQ(i.details["annual_it_energy_kwh"].get<double>(), 446760.0);
  EXPECT_NEAR(i.details["footprint_kgco2e"]["operational_location_based"].get<double>(), 1340280.0, 1e-6);
  EXPECT_NEAR(i.details["footprint_total_kgco2e"].get<double>(), 1103224.0, 1e-6);
  EXPECT_NEAR(i.details["footprint_per_year_kgco2e"].get<double>(), 1103224.0 / 4, 1e-6);
}

TEST(Assess, ComputeCarbonAgainstTheNationalBaseline) {
  const auto held = assessed(kSite);
  const auto& i = held.indicator("co2.compute_carbon");
  // Baseline: 1e15 / 11.8e9 W = 84,745.76 W × 0.5 load = 42.3729 kWh per hour × 1.48 × 0.5366 = 33.6512 kg,
  // ÷ 0.3 PFLOPS·h delivered = 112.1706 kgCO2e per PFLOPS·h (methodology: ≈ 112)
  EXPECT_NEAR(i.details["cce_baseline_kg_per_pflops_h"].get<double>(), 112.170621469, 1e-6);
  // System: (31,000 + 1,340,280) kg ÷ (4 PFLOPS × 0.3 × 4 × 8760 h = 42,048 PFLOPS·h) = 32.6123
  // ratio 32.6123 / 112.1706 = 0.290738; curve (lower better) 0.2→100, 0.5→80: 100 − 0.090738/0.3 × 20 = 93.9508
  EXPECT_NEAR(i.details["cce_kg_per_pflops_h"].get<double>(), 1371280.0 / 42048.0, 1e-9);
  EXPECT_NEAR(*i.value, (1371280.0 / 42048.0) / 112.170621469, 1e-9);
  EXPECT_NEAR(*i.score, 93.9508056, 1e-6);
}

TEST(Assess, Universality) {
  // reach regional → 70; scenarios 3/12 = 0.25; modes 3/6 = 0.5; 0.4 × 70 + 30 × 0.25 + 30 × 0.5 = 50.5
  EXPECT_NEAR(score(assessed(kSite), "acc.universality"), 50.5, 1e-9);
}

TEST(Assess, InclusivenessPriceAdvantage) {
  const auto held = assessed(kSite);
  const auto& i = held.indicator("acc.inclusiveness");
  // own: 200 CNY/h ÷ 0.4 PFLOPS = 500 CNY per PFLOPS·h
  // market: 100 USD × 7 = 700 ÷ 0.5 = 1400; 700 ÷ 1 = 700; 35 USD × 7 = 245 ÷ 0.25 = 980 → median 980
  // PA = 980 / 500 = 1.96; curve 1.5→92, 2.0→100: 92 + 0.46/0.5 × 8 = 99.36
  // billing 2/5 = 0.4 → 40; 0.7 × 99.36 + 0.3 × 40 = 81.552
  EXPECT_NEAR(*i.value, 1.96, 1e-12);
  EXPECT_NEAR(*i.score, 81.552, 1e-9);
  EXPECT_DOUBLE_EQ(i.details["market_median_price_per_pflops_h"].get<double>(), 980.0);
}

TEST(Assess, Compatibility) {
  // P = (1 + 1 + 0.5 + 0)/4 = 0.625 → curve 0.5→50, 0.8→80: 62.5; K = 4/6; 62.5 × (0.5 + 0.5 × 4/6) = 52.0833
  EXPECT_NEAR(score(assessed(kSite), "sus.compatibility"), 62.5 * (0.5 + 0.5 * 4.0 / 6.0), 1e-9);
}

TEST(Assess, SupplyChain) {
  const auto held = assessed(kSite);
  const auto& i = held.indicator("sus.supply_chain");
  // accelerator: 2 qualified → multi-sourced; HHI = 0.7² + 0.3² = 0.58; D = min(1, 0.42/0.5) = 0.84
  //   q_A = mean(0.9, 0.99, 1) = 0.963333, q_B = mean(0.8, 0.98, 1) = 0.926667; share-weighted 0.952333
  // cpu: one supplier → not multi-sourced; HHI 1 → D 0; q = 1. The 7 other categories: none → 0.
  // M = 1/9, D = 0.84/9, Q = (0.952333 + 1)/9; 100 × (0.4 M + 0.3 D + 0.3 Q) = 13.7522
  EXPECT_NEAR(i.details["categories"]["accelerator"]["hhi"].get<double>(), 0.58, 1e-12);
  EXPECT_NEAR(*i.score, 100 * (0.4 / 9 + 0.3 * 0.84 / 9 + 0.3 * (0.7 * 2.89 / 3 + 0.3 * 2.78 / 3 + 1) / 9), 1e-9);
}

TEST(Assess, Openness) {
  // S = 4 conformed ÷ (10 − 1 not applicable) = 0.4444; O = 2/5 = 0.4; 100 × (0.5 × 0.4444 + 0.5 × 0.4) = 42.2222
  EXPECT_NEAR(score(assessed(kSite), "sus.openness"), 100 * (0.5 * 4.0 / 9 + 0.5 * 0.4), 1e-9);
}

TEST(Assess, DimensionsOverallAndGrade) {
  const auto a = assessed(kSite);
  // Equal weights: each dimension is the mean of its indicators, the overall the mean of the dimensions.
  double total = 0;
  for (const auto& d : a.dimensions) {
    std::vector<double> s;
    for (const auto& i : a.indicators)
      if (i.id.substr(0, i.id.find('.')) == d.id) s.push_back(*i.score);
    const double mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
    EXPECT_NEAR(*d.score, mean, 1e-9) << d.id;
    EXPECT_DOUBLE_EQ(d.coverage, 1.0);
    total += mean;
  }
  EXPECT_NEAR(*a.overall, total / 5, 1e-9);
  EXPECT_TRUE(a.final);
  EXPECT_DOUBLE_EQ(a.coverage, 1.0);
  // ce (83.5294 + 49.8119 + 70)/3 = 67.7804; ie (29.25 + 62.5)/2 = 45.875; co2 (69.8718 + 93.9508)/2 = 81.9113;
  // acc (50.5 + 81.552)/2 = 66.026; sus (52.0833 + 13.7522 + 42.2222)/3 = 36.0193; overall = 59.5224 → L1 (< 60)
  EXPECT_NEAR(*a.overall, 59.5224004, 1e-6);
  EXPECT_EQ(a.grade.grade, "L1");
}

TEST(Assess, HalfTheSectionsRemovedIsProvisionalWithTheRightCoverage) {
  std::string text = kSite;
  for (const char* s : {"carbon", "utilization", "models", "intelligence", "pricing", "supply_chain"}) text = remove_section(text, s);
  const auto a = assessed(text);
  // Present: ce.theoretical, ce.measured, ce.utilization (L from metered power), co2.lifecycle (facility),
  // acc.universality, sus.compatibility, sus.openness. Missing: ie.* (no models, no intelligence),
  // co2.compute_carbon (no utilization), acc.inclusiveness (no prices), sus.supply_chain.
  // coverage = 0.2 × 3/3 + 0.2 × 0 + 0.2 × 1/2 + 0.2 × 1/2 + 0.2 × 2/3 = 0.2 + 0.1 + 0.1 + 0.13333 = 0.53333
  EXPECT_NEAR(a.coverage, 0.2 + 0.1 + 0.1 + 0.2 * 2.0 / 3.0, 1e-12);
  EXPECT_FALSE(a.final);
  EXPECT_FALSE(a.dimensions[1].score.has_value());  // ie: no indicator → the dimension is missing
  EXPECT_FALSE(a.indicator("acc.inclusiveness").present());
  EXPECT_FALSE(a.indicator("acc.inclusiveness").reason.empty());
  // The overall renormalises over the dimensions present (ce, co2, acc, sus), never counting ie as 0.
  double sum = 0;
  int n = 0;
  for (const auto& d : a.dimensions)
    if (d.score) sum += *d.score, ++n;
  EXPECT_EQ(n, 4);
  EXPECT_NEAR(*a.overall, sum / 4, 1e-9);
}

TEST(Assess, NothingButASystemNameIsAllMissing) {
  const auto a = assessed("schema_version: 1\nsystem: {name: empty}\n");
  for (const auto& i : a.indicators) EXPECT_FALSE(i.present()) << i.id;
  EXPECT_FALSE(a.overall.has_value());
  EXPECT_DOUBLE_EQ(a.coverage, 0.0);
}

TEST(Assess, DefaultsAreEstimatedAndShown) {
  // Strategy declared but no facility: CI_op from the defaults (PUE 1.48, 0.5366) is not scored, the
  // strategy alone is; the defaults are named in the notes.
  const auto held = assessed("schema_version: 1\nsystem: {name: s}\ncarbon:\n  strategy: {operation: 2}\n");
  const auto& i = held.indicator("co2.lifecycle");
  EXPECT_NEAR(*i.score, 50.0, 1e-9);  // 25 × 2
  EXPECT_NEAR(i.details["ci_op_kg_per_kwh"].get<double>(), 1.48 * 0.5366, 1e-12);  // shown, not scored
  EXPECT_FALSE(i.value.has_value());
  EXPECT_EQ(i.kind, "declared");  // only the declared strategy level is scored
  ASSERT_EQ(i.notes.size(), 1u);
  EXPECT_NE(i.notes[0].find("carbon intensity part is not scored"), std::string::npos);
  // With a declared PUE, the default grid factor enters the score and is shown as such.
  const auto held2 = assessed("schema_version: 1\nsystem: {name: s}\nfacility: {pue: 1.2}\n");
  const auto& j = held2.indicator("co2.lifecycle");
  EXPECT_EQ(j.kind, "estimated");
  ASSERT_FALSE(j.notes.empty());
  EXPECT_NE(j.notes[0].find("default used: grid factor 0.5366"), std::string::npos);
  // CI_op = 1.2 × 0.5366 = 0.64392 → curve 0.40→80, 0.79→60: 80 − 0.24392/0.39 × 20 = 67.4913
  EXPECT_NEAR(*j.score, 80 - (1.2 * 0.5366 - 0.4) / 0.39 * 20, 1e-9);
}

TEST(Assess, ExamplesAssessToFinalGrades) {
  for (const char* name : {"ai-training-center", "cpu-datacenter", "edge-inference"}) {
    const std::string path = std::string(AICQ_SOURCE_DIR) + "/examples/" + name + ".yaml";
    const auto d = declare::load_declaration(path, cats());
    auto ev = declare::declared_evidence(d, cats());
    for (auto& e : ev) e = core::normalised(e);
    const auto a = assess::assess(ev, profile(), cats());
    for (const auto& i : a.indicators) EXPECT_TRUE(i.present()) << name << " " << i.id << ": " << i.reason;
    EXPECT_TRUE(a.final) << name;
    EXPECT_FALSE(a.grade.grade.empty()) << name;
  }
}

TEST(Assess, CanonicalJson) {
  // RFC 8785 §3.2.2.3 number formatting (ECMAScript Number::toString) and key order.
  EXPECT_EQ(core::es6_number(1e21), "1e+21");
  EXPECT_EQ(core::es6_number(1e20), "100000000000000000000");
  EXPECT_EQ(core::es6_number(0.000001), "0.000001");
  EXPECT_EQ(core::es6_number(1e-7), "1e-7");
  EXPECT_EQ(core::es6_number(5.0), "5");
  EXPECT_EQ(core::es6_number(-0.0), "0");
  EXPECT_EQ(core::es6_number(0.1), "0.1");
  EXPECT_EQ(core::es6_number(123.456), "123.456");
  EXPECT_EQ(core::es6_number(4.5e-5), "0.000045");
  EXPECT_EQ(core::es6_number(1.2345678901234567e25), "1.2345678901234566e+25");  // as node prints it
  EXPECT_EQ(core::es6_number(123e-20), "1.23e-18");
  const auto j = nlohmann::json::parse(R"({"b": [1, 2.50, "x\ny"], "a": {"d": null, "c": true}, "é": "ü"})");
  EXPECT_EQ(core::canonical_json(j), "{\"a\":{\"c\":true,\"d\":null},\"b\":[1,2.5,\"x\\ny\"],\"é\":\"ü\"}");
}

namespace {

using test::Outcome;
using test::run;

fs::path temp_dir() { return test::scratch("assess"); }

std::string result_of(const char* example) {
  const std::string out = (temp_dir() / (std::string(example) + ".json")).string();
  const auto o = run({"assess", std::string(AICQ_SOURCE_DIR) + "/examples/" + example + ".yaml", "-o", out, "--lang", "en"});
  if (o.rc != 0) throw std::runtime_error(o.err);
  return out;
}

}  // namespace

TEST(AssessCli, ResultIsCanonicalAndRescoresWithoutDifference) {
  const std::string file = result_of("ai-training-center");
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto doc = nlohmann::json::parse(ss.str());
  EXPECT_EQ(ss.str(), core::canonical_json(doc));  // the file is its own canonical form
  EXPECT_EQ(doc["schema_version"], "1.1.0");
  EXPECT_EQ(doc["status"], "complete");
  EXPECT_EQ(doc["overall"]["grade_status"], "final");
  EXPECT_EQ(doc["profile"]["id"], "aicq-default");
  EXPECT_EQ(doc["profile"]["sha256"].get<std::string>().size(), 64u);
  const auto o = run({"rescore", file});
  EXPECT_EQ(o.rc, 0) << o.out;
  EXPECT_NE(o.out.find("no differences"), std::string::npos);
}

TEST(AssessCli, EditingOneEvidenceValueNamesExactlyItsConsequences) {
  const std::string file = result_of("edge-inference");
  std::ifstream in(file);
  auto doc = nlohmann::json::parse(in);
  for (auto& e : doc["evidence"])
    if (e["metric"] == "access.reach") e["value"] = 3;  // internal → national
  const std::string edited = (temp_dir() / "edited.json").string();
  std::ofstream(edited) << doc.dump();
  const auto o = run({"rescore", edited});
  EXPECT_EQ(o.rc, 3);
  // Reach feeds acc.universality only: its details, value and score, the acc dimension, the overall score —
  // and nothing else.
  std::vector<std::string> paths;
  std::istringstream lines(o.out);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) paths.push_back(line.substr(2, line.find(':') - 2));
  const std::vector<std::string> expected = {"/dimensions/acc/score", "/indicators/acc.universality/details/reach",
                                             "/indicators/acc.universality/score", "/indicators/acc.universality/value",
                                             "/overall/score"};
  // The grade may change too when the overall crosses a band.
  std::vector<std::string> without_grade;
  for (const auto& p : paths)
    if (p.rfind("/overall/grade", 0) != 0) without_grade.push_back(p);
  EXPECT_EQ(without_grade, expected) << o.out;
}

TEST(AssessCli, CompareEqualsAHandTopsis) {
  const std::vector<std::string> files = {result_of("ai-training-center"), result_of("cpu-datacenter"), result_of("edge-inference")};
  const std::string out = (temp_dir() / "compare.json").string();
  const auto o = run({"compare", files[0], files[1], files[2], "-o", out});
  ASSERT_EQ(o.rc, 0) << o.err;
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  // Hand TOPSIS on the five dimension scores, equal weights 0.2, all benefit criteria:
  // r_ij = x_ij / sqrt(Σ_i x_ij²); v_ij = 0.2 r_ij; A+ = column max, A− = column min;
  // C_i = D−/(D+ + D−) with Euclidean distances.
  std::vector<std::vector<double>> x;
  for (const auto& f : files) {
    std::ifstream rin(f);
    const auto r = nlohmann::json::parse(rin);
    std::vector<double> row;
    for (const char* d : {"ce", "ie", "co2", "acc", "sus"}) row.push_back(r["dimensions"][d]["score"].get<double>());
    x.push_back(row);
  }
  std::vector<double> norm(5, 0), best(5, -1e300), worst(5, 1e300);
  for (const auto& row : x)
    for (std::size_t k = 0; k < 5; ++k) norm[k] += row[k] * row[k];
  std::vector<std::vector<double>> v = x;
  for (auto& row : v)
    for (std::size_t k = 0; k < 5; ++k) {
      row[k] = 0.2 * row[k] / std::sqrt(norm[k]);
      best[k] = std::max(best[k], row[k]);
      worst[k] = std::min(worst[k], row[k]);
    }
  for (std::size_t i = 0; i < 3; ++i) {
    double dp = 0, dm = 0;
    for (std::size_t k = 0; k < 5; ++k) {
      dp += (v[i][k] - best[k]) * (v[i][k] - best[k]);
      dm += (v[i][k] - worst[k]) * (v[i][k] - worst[k]);
    }
    const double c = std::sqrt(dm) / (std::sqrt(dp) + std::sqrt(dm));
    EXPECT_NEAR(j["systems"][i]["topsis_closeness"].get<double>(), c, 1e-12) << i;
  }
  EXPECT_EQ(j["systems"][0]["topsis_rank"], 1);  // the training centre leads on four of five dimensions
}

TEST(AssessCli, CompareNamesASystemMissingACriterion) {
  const std::string full = result_of("cpu-datacenter");
  const fs::path partial_site = temp_dir() / "partial.yaml";
  std::ofstream(partial_site) << "schema_version: 1\nsystem: {name: Partial}\naccess: {reach: national}\n";
  const std::string partial = (temp_dir() / "partial.json").string();
  ASSERT_EQ(run({"assess", partial_site.string(), "-o", partial}).rc, 0);
  const auto o = run({"compare", full, partial});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("system 'Partial' has no score for ce, ie, co2, sus"), std::string::npos) << o.err;
  const auto ex = run({"compare", full, partial, result_of("edge-inference"), "--missing", "exclude"});
  EXPECT_EQ(ex.rc, 0) << ex.err;
  EXPECT_NE(ex.out.find("excluded: Partial"), std::string::npos);
}

TEST(AssessCli, ProfileCheckRejectsAnInconsistentAhpMatrix) {
  std::ifstream in(std::string(AICQ_SOURCE_DIR) + "/data/profiles/default.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // Saaty's judgements are consistent enough here: ce ≻ ie (3), ce ≻ co2 (5) … → CR < 0.10.
  const std::string fixed = "dimensions: {ce: 1, ie: 1, co2: 1, acc: 1, sus: 1}";
  const std::string good =
      "dimensions: {ahp: {order: [ce, ie, co2, acc, sus], matrix: [[1, 3, 3, 5, 5], [1/3, 1, 1, 3, 3], "
      "[1/3, 1, 1, 3, 3], [1/5, 1/3, 1/3, 1, 1], [1/5, 1/3, 1/3, 1, 1]]}}";
  std::string g = text;
  g.replace(g.find(fixed), fixed.size(), good);
  const fs::path gp = temp_dir() / "ahp-good.yaml";
  std::ofstream(gp) << g;
  const auto ok = run({"profile", "check", gp.string()});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.out.find("dimensions (ahp)"), std::string::npos);
  // Circular judgements (ce ≻ ie ≻ co2 ≻ ce) are inconsistent: rejected with the matrix named and its CR.
  const std::string bad =
      "dimensions: {ahp: {order: [ce, ie, co2, acc, sus], matrix: [[1, 9, 1/9, 1, 1], [1/9, 1, 9, 1, 1], "
      "[9, 1/9, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]}}";
  std::string b = text;
  b.replace(b.find(fixed), fixed.size(), bad);
  const fs::path bp = temp_dir() / "ahp-bad.yaml";
  std::ofstream(bp) << b;
  const auto no = run({"profile", "check", bp.string()});
  EXPECT_EQ(no.rc, 2);
  EXPECT_NE(no.err.find("weights.dimensions.ahp.matrix: the AHP matrix of the dimensions is not consistent enough: CR = "),
            std::string::npos)
      << no.err;
}

TEST(AssessCli, ExplainShowsInputsFormulaAndCurve) {
  const std::string file = result_of("ai-training-center");
  const auto o = run({"explain", file, "ce.theoretical", "--lang", "en"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("CE = Σ peak fp32"), std::string::npos);
  EXPECT_NE(o.out.find("catalog nvidia-h800-sxm5-80gb"), std::string::npos);
  EXPECT_NE(o.out.find("11.8 → 60"), std::string::npos);
  const auto bad = run({"explain", file, "ce.theoretcal"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("did you mean 'ce.theoretical'"), std::string::npos);
}

TEST(Assess, EdgeCasesAreMissingNotZero) {
  // Only a partner count: no supplier in any category → missing, not 0.
  const auto a = assessed("schema_version: 1\nsystem: {name: s}\nsupply_chain: {partners: 12}\n");
  EXPECT_FALSE(a.indicator("sus.supply_chain").present());
  // Every standard not applicable: the standards part is left out, the features part alone scores:
  // O = 2/5 → 40.
  std::string na = "schema_version: 1\nsystem: {name: s}\nopenness:\n  features: [open_apis, layered_decoupling]\n  not_applicable:\n";
  for (const auto& item : cats().vocabulary("standards").items()) na += "    " + item.id + ": reason\n";
  const auto b = assessed(na);
  EXPECT_NEAR(*b.indicator("sus.openness").score, 40.0, 1e-9);
  EXPECT_FALSE(b.indicator("sus.openness").details.contains("standards_share"));
}

TEST(Assess, PricePerMillionTokens) {
  // Own offer: 8 H100 for 280 CNY/h → 35 CNY per device-hour; a model on 8 devices at 24,525 tokens/s:
  // 280 CNY/h ÷ (24,525 × 3600 / 1e6 = 88.29 million tokens per hour) = 3.1714 CNY per million tokens.
  const std::string site = R"(schema_version: 1
currency: CNY
system: {name: t}
inventory:
  - {id: gpu, kind: server, count: 1, rated_power: "10.2 kW", accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}}
models:
  - {name: llm, task: inference, group: gpu, devices: 8, precision: fp8, throughput: "24525 tokens/s",
     flop_per_token: "140 GFLOP", accuracy: 0.44, reference_accuracy: 0.44}
pricing:
  own:
    - {name: node, resource: {model: nvidia-h100-sxm5-80gb, count: 8}, price: "280 CNY/h"}
  market:
    - {name: m, resource: {model: nvidia-h100-sxm5-80gb, count: 8}, price: "300 CNY/h", source: s}
)";
  const auto held = assessed(site);
  const auto& i = held.indicator("acc.inclusiveness");
  ASSERT_TRUE(i.details.contains("price_per_million_tokens"));
  EXPECT_NEAR(i.details["price_per_million_tokens"][0]["value"].get<double>(), 280.0 / (24525.0 * 3600 / 1e6), 1e-9);
  EXPECT_EQ(i.details["price_per_million_tokens"][0]["currency"], "CNY");
  // PA = 300/280 per PFLOPS·h (both 8 × 67 TFLOPS) = 1.0714
  EXPECT_NEAR(*i.value, 300.0 / 280.0, 1e-12);
}

TEST(AssessCli, AnotherProfileChangesCurvesWeightsAndBandsWithoutRebuild) {
  std::ifstream in(std::string(AICQ_SOURCE_DIR) + "/data/profiles/default.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // Only the carbon dimension counts, and L5 starts at 50.
  const std::string weights = "dimensions: {ce: 1, ie: 1, co2: 1, acc: 1, sus: 1}";
  text.replace(text.find(weights), weights.size(), "dimensions: {ce: 0, ie: 0, co2: 1, acc: 0, sus: 0}");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"L5, min: 90", "L5, min: 50"}, {"L4, min: 80", "L4, min: 40"}, {"L3, min: 70", "L3, min: 30"}, {"L2, min: 60", "L2, min: 20"}})
    text.replace(text.find(from), from.size(), to);
  const fs::path prof = temp_dir() / "carbon-only.yaml";
  std::ofstream(prof) << text;
  const std::string out = (temp_dir() / "carbon-only.json").string();
  const auto o = run({"assess", std::string(AICQ_SOURCE_DIR) + "/examples/cpu-datacenter.yaml", "--profile", prof.string(),
                      "-o", out, "--lang", "en"});
  ASSERT_EQ(o.rc, 0) << o.err;
  std::ifstream rin(out);
  const auto r = nlohmann::json::parse(rin);
  // overall = the co2 dimension score alone; weights of 0 still count for coverage as nothing (full coverage)
  EXPECT_DOUBLE_EQ(r["overall"]["score"].get<double>(), r["dimensions"]["co2"]["score"].get<double>());
  // The grade follows the new bands: L5 ≥ 50, L4 ≥ 40, L3 ≥ 30, L2 ≥ 20 (the default bands would give L1).
  const double co2 = r["dimensions"]["co2"]["score"].get<double>();
  EXPECT_EQ(r["overall"]["grade"], co2 >= 50 ? "L5" : co2 >= 40 ? "L4" : co2 >= 30 ? "L3" : co2 >= 20 ? "L2" : "L1");
  EXPECT_GE(co2, 40.0);
  EXPECT_NE(r["profile"]["sha256"], profile().sha256);
  // rescore with the default profile reports the profile difference; with the same profile, none.
  EXPECT_EQ(run({"rescore", out}).rc, 3);
  EXPECT_EQ(run({"rescore", out, "--profile", prof.string()}).rc, 0);
}

namespace {

// A site whose HPL figure comes from the HPL.out it references, copied next to it. A failed residual check
// leaves no "best" run, so that site refers to the run itself.
fs::path hpl_site(const std::string& name, bool failed_residual) {
  const fs::path dir = temp_dir() / name;
  fs::create_directories(dir);
  std::ifstream in(std::string(AICQ_SOURCE_DIR) + "/tests/fixtures/hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (failed_residual) text.replace(text.find("PASSED"), 6, "FAILED");
  std::ofstream(dir / "HPL.out") << text;
  std::ofstream(dir / "site.yaml") << "schema_version: 1\nsystem: {name: HPL site}\ninventory:\n"
                                      "  - {id: cpu, kind: server, count: 1, rated_power: \"1 kW\", cpus: {model: amd-epyc-9654, count: 2}}\n"
                                      "workloads:\n"
                                      "  - {name: hpl, group: cpu, devices: 2, precision: fp64, rate: {evidence: " +
                                          std::string(failed_residual ? "'hpl.run[0].achieved'" : "hpl.best.achieved") + "}}\n"
                                      "evidence:\n  - {import: hpl, path: HPL.out}\n";
  return dir / "site.yaml";
}

}  // namespace

TEST(AssessImport, AWorkloadTakesItsRateFromAnImportedHplRun) {
  const fs::path site = hpl_site("hpl-ok", false);
  const std::string out = (site.parent_path() / "r.json").string();
  const auto o = run({"assess", site.string(), "-o", out, "--db", (site.parent_path() / "db").string()});
  ASSERT_EQ(o.rc, 0) << o.err;
  std::ifstream in(out);
  const auto r = nlohmann::json::parse(in);
  const auto& m = r["indicators"]["ce.measured"];
  // HPL.out line 47: 3.318e+01 Gflops on 2 × EPYC 9654 (3.6864 TFLOPS FP64 each):
  // e = 33.18e9 / 7.3728e12 = 0.0045003; curve 0→0, 0.10→30: 0.0045003 × 300 = 1.35
  EXPECT_NEAR(m["value"].get<double>(), 33.18e9 / 7.3728e12, 1e-12);
  EXPECT_NEAR(m["score"].get<double>(), 33.18e9 / 7.3728e12 * 300, 1e-9);
  // The achieved rate is imported evidence, with its file, line and SHA-256.
  bool found = false;
  for (const auto& e : r["evidence"])
    if (e["metric"] == "workloads[0].achieved") {
      found = true;
      EXPECT_EQ(e["kind"], "imported");
      EXPECT_EQ(e["source"]["line"], 47);
      EXPECT_EQ(e["source"]["sha256"].get<std::string>().size(), 64u);
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(run({"rescore", out}).rc, 0);
}

TEST(AssessImport, AnInvalidRunIsKeptAndNotScored) {
  const fs::path site = hpl_site("hpl-failed", true);
  const std::string out = (site.parent_path() / "r.json").string();
  ASSERT_EQ(run({"assess", site.string(), "-o", out, "--db", (site.parent_path() / "db").string()}).rc, 0);
  std::ifstream in(out);
  const auto r = nlohmann::json::parse(in);
  const auto& m = r["indicators"]["ce.measured"];
  EXPECT_EQ(m["status"], "missing");
  EXPECT_EQ(m["reason"], "no valid workload");
  EXPECT_NE(m["notes"][0].get<std::string>().find("invalid by its own verdict"), std::string::npos) << m.dump();
  EXPECT_FALSE(m["details"]["workloads"][0]["valid"].get<bool>());
}

TEST(AssessImport, AnUnknownReferenceIsLocatedWithASuggestion) {
  const fs::path site = hpl_site("hpl-typo", false);
  std::ifstream in(site);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.replace(text.find("hpl.best.achieved"), 17, "hpl.best.achived");
  std::ofstream(site) << text;
  const auto o = run({"assess", site.string(), "--db", (site.parent_path() / "db").string()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find(site.string() + ":6:75: workloads[0].rate.evidence: expected a metric of the declaration's evidence files or imports, "
                                       "found 'hpl.best.achived'; did you mean 'hpl.best.achieved'?"),
            std::string::npos)
      << o.err;
}

TEST(AssessImport, RescoreVerifySourcesHashesTheImportedFilesAgain) {
  const fs::path site = hpl_site("hpl-verify", false);
  const std::string out = (site.parent_path() / "r.json").string();
  ASSERT_EQ(run({"assess", site.string(), "-o", out, "--db", (site.parent_path() / "db").string()}).rc, 0);
  const auto ok = run({"rescore", out, "--verify-sources"});
  EXPECT_EQ(ok.rc, 0) << ok.out;
  EXPECT_NE(ok.out.find("sources of"), std::string::npos);
  // One byte of the HPL output changes: the scores still follow from the embedded evidence, but the source
  // no longer matches what was imported.
  std::ofstream(site.parent_path() / "HPL.out", std::ios::app) << " ";
  const auto changed = run({"rescore", out, "--verify-sources"});
  EXPECT_EQ(changed.rc, 3);
  EXPECT_NE(changed.out.find("HPL.out: sha256"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("the file changed since it was imported"), std::string::npos);
  EXPECT_EQ(run({"rescore", out}).rc, 0);  // without the flag, only the evidence is checked
}

TEST(AssessImport, AModelTakesItsAccuracyFromAnImportedLmEvalScore) {
  const fs::path dir = temp_dir() / "lm-eval";
  fs::create_directories(dir);
  fs::copy_file(std::string(AICQ_SOURCE_DIR) + "/tests/fixtures/lm_eval/lmeval_results_2025-01-21T00-40-03.356274.json",
                dir / "results.json", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "site.yaml")
      << "schema_version: 1\nsystem: {name: LM site}\ninventory:\n"
         "  - {id: gpu, kind: server, count: 1, rated_power: \"10.2 kW\", accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}}\n"
         "models:\n"
         "  - {name: m, task: inference, group: gpu, devices: 1, precision: bf16, throughput: \"1000 tokens/s\",\n"
         "     flop_per_token: \"5 GFLOP\", accuracy: {evidence: lm_eval.mmlu_abstract_algebra.acc.none}, reference_accuracy: 0.40}\n"
         "evidence:\n  - {import: lm-eval, path: results.json}\n";
  const std::string out = (dir / "r.json").string();
  const auto o = run({"assess", (dir / "site.yaml").string(), "-o", out, "--db", (dir / "db").string()});
  ASSERT_EQ(o.rc, 0) << o.err;
  std::ifstream in(out);
  const auto r = nlohmann::json::parse(in);
  const auto& m = r["indicators"]["ie.model_compute"];
  // results.json line 5: acc 0.34 (MMLU abstract algebra); R = 0.34 / 0.40 = 0.85
  // MFU = 1000 tokens/s × 5 GFLOP ÷ 989.5 TFLOPS = 0.0050531; curve 0→0, 0.05→20: 0.0050531 × 400 = 2.02122
  // score = 2.02122 × 0.85 = 1.71804
  EXPECT_NEAR(m["details"]["models"][0]["retention"].get<double>(), 0.85, 1e-12);
  EXPECT_NEAR(m["score"].get<double>(), 5e12 / 989.5e12 * 400 * 0.85, 1e-9);
  for (const auto& e : r["evidence"])
    if (e["metric"] == "models[0].accuracy") {
      EXPECT_EQ(e["kind"], "imported");
      EXPECT_EQ(e["source"]["line"], 5);
    }
}

// Valid declarations: the bundled examples, and small ones whose evidence is checked value by value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "aicq/declare/declaration.hpp"

using namespace aicq;

namespace {

const catalog::Catalogs& cats() {
  static const catalog::Catalogs c = catalog::Catalogs::load(data::DataSource());
  return c;
}

const core::Evidence& find(const std::vector<core::Evidence>& ev, std::string_view metric) {
  auto it = std::find_if(ev.begin(), ev.end(), [&](const auto& e) { return e.metric == metric; });
  if (it == ev.end()) throw std::runtime_error("no evidence " + std::string(metric));
  return *it;
}

std::size_t count(const std::vector<core::Evidence>& ev, std::string_view metric) {
  return static_cast<std::size_t>(std::count_if(ev.begin(), ev.end(), [&](const auto& e) { return e.metric == metric; }));
}

const std::string kSmall = R"(schema_version: 1
currency: CNY
exchange_rates: {USD: 7.2}
system:
  name: Small site
  location: {country: CN, region: Guizhou}
inventory:
  - id: gpu
    kind: server
    count: 4
    rated_power: "10.2 kW"
    lifetime: "5 y"
    accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}
    cpus: {count: 2, peak: {fp64: "3.584 TFLOPS", fp32: "7.168 TFLOPS"}, tdp: "350 W"}
  - id: switches
    kind: network
    count: 2
    rated_power: "1.5 kW"
facility:
  pue: 1.25
  grid_factor: {value: "0.5366 kgCO2e/kWh", year: 2022, source: "MEE 2024"}
  renewable_share: "55%"
  it_power: {mean: "30 kW", window: {from: 2024-01-01, to: 2024-12-31}, quality: Q2, source: BMC}
workloads:
  - {name: resnet, group: gpu, devices: 8, precision: int8, rate: "700000 samples/s", flop_per_unit: "8.2 GFLOP"}
  - {name: hpl, group: gpu, devices: 32, precision: fp64, rate: "1.2 PFLOPS"}
models:
  - name: llama-infer
    task: inference
    group: gpu
    devices: 8
    precision: fp8
    throughput: "24525 tokens/s"
    accuracy: 0.445
    reference_accuracy: 0.444
    structure: {active_parameters: 70e9, layers: 80, heads: 64, head_dim: 128, sequence_length: 4096}
  - name: llama-train
    task: training
    group: gpu
    devices: 32
    precision: bf16
    throughput: "9000 tokens/s"
    accuracy: "92.5%"
    reference_accuracy: "92.5%"
    structure: {active_parameters: 70e9, layers: 80, heads: 64, head_dim: 128, sequence_length: 4096}
supply_chain:
  categories:
    cpu:
      - {name: A, share: "59.5%", qualified: true}
      - {name: B, share: "40%", qualified: true}
pricing:
  own:
    - {name: node, resource: {model: nvidia-h100-sxm5-80gb, count: 8}, price: "280 CNY/h"}
  market:
    - {name: cloud, resource: {model: nvidia-h100-sxm5-80gb, count: 8}, price: "39.2 USD/h", source: "list price"}
)";

}  // namespace

TEST(Declaration, ExamplesAreValidAndComplete) {
  for (const char* name : {"ai-training-center", "cpu-datacenter", "edge-inference"}) {
    const std::string path = std::string(AICQ_SOURCE_DIR) + "/examples/" + name + ".yaml";
    declare::Declaration d;
    ASSERT_NO_THROW(d = declare::load_declaration(path, cats())) << name;
    // Every section filled, so that each example can reach full coverage once the engine lands.
    EXPECT_FALSE(d.inventory.empty()) << name;
    EXPECT_TRUE(d.facility && d.facility->pue && d.facility->grid_factor) << name;
    EXPECT_TRUE(d.carbon && d.carbon->strategy.size() == 5) << name;
    EXPECT_TRUE(d.utilization) << name;
    EXPECT_FALSE(d.workloads.empty()) << name;
    EXPECT_FALSE(d.models.empty()) << name;
    EXPECT_TRUE(d.intelligence && d.intelligence->items.size() == 7) << name;
    EXPECT_TRUE(d.access && !d.access->scenarios.empty()) << name;
    EXPECT_TRUE(d.pricing && !d.pricing->own.empty() && d.pricing->market.size() >= 3) << name;
    std::set<std::string> layers;
    for (const auto& c : d.compatibility) layers.insert(c.layer);
    EXPECT_EQ(layers.size(), 6u) << name;
    EXPECT_TRUE(d.supply_chain && d.supply_chain->categories.size() == 9) << name;
    EXPECT_TRUE(d.openness) << name;
    const auto ev = declare::declared_evidence(d, cats());
    EXPECT_GT(ev.size(), 50u) << name;
    for (const auto& e : ev) {
      EXPECT_GT(e.source.at.line, 0) << name << " " << e.metric;
      EXPECT_EQ(e.kind, core::EvidenceKind::declared) << e.metric;
    }
  }
}

TEST(Declaration, CatalogModelsResolveToDeclaredEvidenceNamingTheEntry) {
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  const auto ev = declare::declared_evidence(d, cats());
  const auto& fp32 = find(ev, "inventory.gpu.accelerator.peak.fp32");
  EXPECT_DOUBLE_EQ(fp32.quantity.si, 67e12);  // NVIDIA H100 SXM5 datasheet
  EXPECT_EQ(fp32.source.catalog, "nvidia-h100-sxm5-80gb");
  EXPECT_FALSE(fp32.source.reference.empty());
  EXPECT_EQ(fp32.source.at.line, 13);  // the 'accelerators' line
  EXPECT_EQ(find(ev, "inventory.gpu.accelerator.tdp").quantity.si, 700.0);
  // Explicit CPU figures are evidence at their own line, with no catalog entry.
  const auto& cpu = find(ev, "inventory.gpu.cpu.peak.fp64");
  EXPECT_DOUBLE_EQ(cpu.quantity.si, 3.584e12);
  EXPECT_TRUE(cpu.source.catalog.empty());
  EXPECT_EQ(cpu.source.at.line, 14);
  EXPECT_EQ(count(ev, "inventory.gpu.accelerator.peak.fp32"), 1u);
}

TEST(Declaration, ExplicitPeakOverridesTheCatalogPerPrecision) {
  std::string text = kSmall;
  const std::string from = "accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}";
  text.replace(text.find(from), from.size(),
               "accelerators: {model: nvidia-h100-sxm5-80gb, count: 8, peak: {fp32: \"60 TFLOPS\"}}");
  const auto d = declare::parse_declaration(text, "small.yaml", cats());
  const auto ev = declare::declared_evidence(d, cats());
  EXPECT_EQ(count(ev, "inventory.gpu.accelerator.peak.fp32"), 1u);
  EXPECT_DOUBLE_EQ(find(ev, "inventory.gpu.accelerator.peak.fp32").quantity.si, 60e12);
  EXPECT_TRUE(find(ev, "inventory.gpu.accelerator.peak.fp32").source.catalog.empty());
  EXPECT_DOUBLE_EQ(find(ev, "inventory.gpu.accelerator.peak.bf16").quantity.si, 989.5e12);  // still the catalog's
}

TEST(Declaration, FlopPerTokenFromStructure) {
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  ASSERT_EQ(d.models.size(), 2u);
  // Inference, PaLM appendix B: 2N + 4·L·H·Q·T
  //   2 × 70e9 = 140,000,000,000
  //   L·H·Q·T = 80 × 64 × 128 × 4096 = 2,684,354,560; × 4 = 10,737,418,240
  //   F = 150,737,418,240 FLOP per token
  EXPECT_DOUBLE_EQ(*d.models[0].flop_per_unit(), 150'737'418'240.0);
  // Training: 6N + 12·L·H·Q·T = 420,000,000,000 + 32,212,254,720 = 452,212,254,720
  EXPECT_DOUBLE_EQ(*d.models[1].flop_per_unit(), 452'212'254'720.0);
  const auto ev = declare::declared_evidence(d, cats());
  const auto& f = find(ev, "models[0].flop_per_unit");
  EXPECT_DOUBLE_EQ(f.quantity.si, 150'737'418'240.0);
  EXPECT_NE(f.source.method.find("2N + 4·L·H·Q·T"), std::string::npos);
  EXPECT_DOUBLE_EQ(find(ev, "models[1].accuracy").quantity.si, 0.925);
}

TEST(Declaration, CategoricalFactsAndPeaksPerDeviceAreEvidence) {
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  const auto ev = declare::declared_evidence(d, cats());
  // The resnet workload runs at int8 on group gpu's H100s: the catalog's dense INT8 peak per device.
  const auto& peak = find(ev, "workloads[0].peak_per_device");
  EXPECT_DOUBLE_EQ(peak.quantity.si, 1979e12);
  EXPECT_EQ(peak.source.catalog, "nvidia-h100-sxm5-80gb");
  EXPECT_DOUBLE_EQ(find(ev, "workloads[0].devices").quantity.si, 8);
  EXPECT_DOUBLE_EQ(find(ev, "workloads[0].achieved").quantity.si, 5.74e15);
  // Offers: 8 × the catalog FP32 peak (8 × 67 TFLOPS = 536 TFLOPS).
  EXPECT_DOUBLE_EQ(find(ev, "pricing.own[0].peak.fp32").quantity.si, 536e12);
  // An exchange rate is an amount of the main currency per unit of the other.
  const auto& rate = find(ev, "exchange_rate.USD");
  EXPECT_DOUBLE_EQ(rate.quantity.si, 7.2);
  EXPECT_EQ(rate.quantity.currency, "CNY");
  EXPECT_EQ(rate.source.at.line, 3);
  // Qualified flags are numbers, 1 or 0.
  EXPECT_DOUBLE_EQ(find(ev, "supply_chain.cpu[1].qualified").quantity.si, 1);
}

TEST(Declaration, WorkloadAchievedRate) {
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  // 700,000 samples/s × 8.2 GFLOP/sample = 5.74e15 FLOP/s
  EXPECT_DOUBLE_EQ(d.workloads[0].achieved()->si, 700000.0 * 8.2e9);
  // A rate already in FLOPS is the achieved rate.
  EXPECT_DOUBLE_EQ(d.workloads[1].achieved()->si, 1.2e15);
  EXPECT_EQ(d.workloads[0].placement.device, "accelerator");  // the group has accelerators
}

TEST(Declaration, FacilityAndShares) {
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  ASSERT_TRUE(d.facility);
  EXPECT_DOUBLE_EQ(d.facility->pue->quantity.si, 1.25);
  EXPECT_DOUBLE_EQ(d.facility->renewable_share->quantity.si, 0.55);
  EXPECT_DOUBLE_EQ(d.facility->grid_factor->value.quantity.canonical_value(), 0.5366);
  EXPECT_EQ(d.facility->it_power->quality, core::PowerQuality::q2);
  // Shares may sum to 100% ± 1%: 59.5% + 40% = 99.5% is accepted.
  ASSERT_TRUE(d.supply_chain);
  EXPECT_EQ(d.supply_chain->categories[0].suppliers.size(), 2u);
  EXPECT_EQ(d.exchange_rates.at("USD"), 7.2);
  const auto ev = declare::declared_evidence(d, cats());
  EXPECT_EQ(find(ev, "facility.it_power.mean").quality, core::PowerQuality::q2);
  EXPECT_DOUBLE_EQ(find(ev, "pricing.market[0].price").quantity.canonical_value(), 39.2);
  EXPECT_EQ(find(ev, "pricing.market[0].price").quantity.currency, "USD");
}

TEST(Declaration, MinimalDeclarationIsValid) {
  const auto d = declare::parse_declaration("schema_version: 1\nsystem: {name: x}\n", "min.yaml", cats());
  EXPECT_EQ(d.system.name, "x");
  EXPECT_FALSE(d.facility);
  EXPECT_TRUE(declare::declared_evidence(d, cats()).empty());
}

TEST(Declaration, JsonCarriesCanonicalValues) {
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  const auto j = declare::to_json(d);
  EXPECT_EQ(j["system"]["name"], "Small site");
  EXPECT_EQ(j["inventory"][0]["rated_power"]["value"], 10200.0);
  EXPECT_EQ(j["inventory"][0]["rated_power"]["unit"], "W");
  EXPECT_EQ(j["inventory"][0]["rated_power"]["text"], "10.2 kW");
  EXPECT_EQ(j["facility"]["grid_factor"]["value"], 0.5366);
  EXPECT_EQ(j["facility"]["grid_factor"]["unit"], "kgCO2e/kWh");
  EXPECT_EQ(j["models"][0]["flop_per_unit"], 150'737'418'240.0);
  const auto ev = core::to_json(find(declare::declared_evidence(d, cats()), "facility.pue"));
  EXPECT_EQ(ev["kind"], "declared");
  EXPECT_EQ(ev["value"], 1.25);
  EXPECT_EQ(ev["unit"], "");
  EXPECT_EQ(ev["source"]["file"], "small.yaml");
  EXPECT_EQ(ev["source"]["line"], 20);
  EXPECT_EQ(ev["source"]["column"], 8);
}

TEST(Declaration, EveryExampleInTheReferenceIsValid) {
  // docs/declaration.md shows each section as a YAML block; each must validate as written, on top of a
  // minimal declaration, so that the reference cannot drift from the parser.
  namespace fs = std::filesystem;
  std::ifstream in(std::string(AICQ_SOURCE_DIR) + "/docs/declaration.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const fs::path dir = fs::temp_directory_path() / ("aicq-docblocks-" + std::to_string(::getpid()));
  fs::create_directories(dir / "results/resnet50/Offline");
  std::ofstream(dir / "gpu-probe.json") << R"({"schema": "aicq-evidence/1", "evidence": []})";
  const std::string base =
      "schema_version: 1\ncurrency: CNY\nexchange_rates: {USD: 7.2}\nsystem: {name: doc}\n"
      "inventory:\n  - {id: gpu-servers, kind: server, count: 64, accelerators: {model: nvidia-h800-sxm5-80gb, count: 8}}\n";
  std::size_t blocks = 0;
  for (std::size_t pos = doc.find("```yaml\n"); pos != std::string::npos; pos = doc.find("```yaml\n", pos + 1)) {
    const std::size_t start = pos + 8;
    const std::string block = doc.substr(start, doc.find("```", start) - start);
    const std::string file = (dir / ("block" + std::to_string(blocks) + ".yaml")).string();
    try {
      declare::parse_declaration(base + block, file, cats());
    } catch (const core::InputError& e) {
      ADD_FAILURE() << e.what() << "\nin the block:\n" << block;
    }
    ++blocks;
  }
  EXPECT_GE(blocks, 9u);
  fs::remove_all(dir);
}

TEST(Declaration, EvidenceFilesRoundTrip) {
  // Evidence written as JSON and referenced from another declaration reads back to the same values.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aicq-evfile-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto d = declare::parse_declaration(kSmall, "small.yaml", cats());
  const auto original = declare::declared_evidence(d, cats());
  nlohmann::json doc{{"schema", "aicq-evidence/1"}, {"evidence", nlohmann::json::array()}};
  for (const auto& e : original) doc["evidence"].push_back(core::to_json(e));
  std::ofstream(dir / "ev.json") << doc.dump(2);
  const auto ref = declare::parse_declaration("schema_version: 1\nsystem: {name: r}\nevidence:\n  - {file: ev.json}\n",
                                              (dir / "site.yaml").string(), cats());
  const auto back = declare::referenced_evidence(ref);
  ASSERT_EQ(back.size(), original.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].metric, original[i].metric);
    EXPECT_EQ(back[i].quantity.dim, original[i].quantity.dim) << back[i].metric;
    EXPECT_EQ(back[i].quantity.currency, original[i].quantity.currency) << back[i].metric;
    EXPECT_NEAR(back[i].quantity.si, original[i].quantity.si, std::fabs(original[i].quantity.si) * 1e-14) << back[i].metric;
    EXPECT_EQ(back[i].kind, original[i].kind);
    EXPECT_EQ(back[i].quality, original[i].quality);
    EXPECT_EQ(back[i].source.at.line, original[i].source.at.line);
  }
  fs::remove_all(dir);
}

TEST(Declaration, BrokenEvidenceFileIsLocated) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aicq-evbad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ev.json") << "{\n  \"schema\": \"aicq-evidence/1\",\n  \"evidence\": [\n"
                                    "    {\"metric\": \"x.power\", \"value\": 5, \"unit\": \"KW\", \"kind\": \"measured\", \"source\": {}},\n"
                                    "    {\"metric\": \"x.util\", \"value\": 0.5, \"unit\": \"\", \"kind\": \"guessed\", \"source\": {},"
                                    " \"quality\": \"Q1\"}\n  ]\n}\n";
  try {
    declare::parse_declaration("schema_version: 1\nsystem: {name: r}\nevidence:\n  - {file: ev.json}\n",
                               (dir / "site.yaml").string(), cats());
    FAIL() << "a broken evidence file must be rejected";
  } catch (const core::InputError& e) {
    std::vector<std::string> got;
    for (const auto& x : e.diagnostics()) got.push_back(x.to_string());
    const std::string f = (dir / "ev.json").string();
    EXPECT_EQ(got, (std::vector<std::string>{
                       f + ":4:47: evidence[0].unit: expected a unit aicq reads, found 'KW': unknown unit 'KW'; did you "
                           "mean 'kW'? (units are case-sensitive)",
                       f + ":5:60: evidence[1].kind: expected an evidence kind (one of measured, imported, declared, "
                           "estimated), found 'guessed'",
                       f + ":5:96: evidence[1].quality: expected a quality level only on power or energy, found it on ratio"}));
  }
  fs::remove_all(dir);
}

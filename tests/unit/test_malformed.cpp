// Malformed declarations: each case runs `aicq validate` in-process on a file written to a temporary
// folder and asserts exit code 2, nothing on standard output, and the exact diagnostics
// (file:line:column: field.path: message). None may crash (the sanitizer build runs these too).
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aicq/cli/cli.hpp"
#include "aicq/declare/declaration.hpp"

namespace fs = std::filesystem;

namespace {

struct Case {
  const char* name;
  std::string yaml;
  std::vector<std::string> expected;  // diagnostics without the "FILE:" prefix
};

// A small valid declaration; cases splice lines into it. Line numbers are noted for reading the cases.
const std::string kHead =
    "schema_version: 1\n"                                   // 1
    "currency: CNY\n"                                       // 2
    "system:\n"                                             // 3
    "  name: Test site\n";                                  // 4
const std::string kInventory =
    "inventory:\n"                                          // 5
    "  - id: gpu\n"                                         // 6
    "    kind: server\n"                                    // 7
    "    count: 4\n"                                        // 8
    "    rated_power: \"10.2 kW\"\n"                        // 9
    "    accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}\n";  // 10

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Malformed : public ::testing::TestWithParam<Case> {};

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("aicq-malformed-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::tuple<int, std::string, std::string> validate(const fs::path& file) {
  std::ostringstream out, err;
  const int rc = aicq::cli::run({"aicq", "validate", file.string()}, aicq::cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) v.push_back(l);
  return v;
}

TEST_P(Malformed, ReportsExactLocationPathAndMessage) {
  const Case& c = GetParam();
  const fs::path file = temp_dir() / (std::string(c.name) + ".yaml");
  {
    std::ofstream f(file, std::ios::binary);
    f << c.yaml;
  }
  const auto [rc, out, err] = validate(file);
  EXPECT_EQ(rc, 2) << err;
  EXPECT_EQ(out, "") << "nothing may be written on bad input";
  std::vector<std::string> expected;
  for (std::string e : c.expected) {
    if (auto p = e.find("{DIR}"); p != std::string::npos) e.replace(p, 5, file.parent_path().string());
    expected.push_back(file.string() + ":" + e);
  }
  expected.push_back(fmt::format("aicq validate: {} problem{} found; nothing written", c.expected.size(),
                                 c.expected.size() == 1 ? "" : "s"));
  EXPECT_EQ(lines_of(err), expected);
}

const std::vector<Case> kCases = {
    // --- the file itself ---------------------------------------------------------------------------------
    {"empty_file", "", {"1:1: the file is empty: expected a site declaration: a mapping with schema_version and system (docs/declaration.md)"}},
    {"only_comments", "# nothing here\n\n", {"1:1: the file is empty: expected a site declaration: a mapping with schema_version and system (docs/declaration.md)"}},
    {"binary_nul", std::string("schema_version: 1\nsys\0tem:\n", 26), {"2:4: expected a UTF-8 text file, found a NUL byte (is this a binary file?)"}},
    {"binary_gzip", std::string("\x1f\x8b\x08\x00\x00\x00", 6), {"1:2: expected a UTF-8 text file, found the byte 0x8B (binary file or another encoding?)"}},
    {"latin1", "schema_version: 1\nsystem:\n  name: Caf\xe9\n", {"3:12: expected a UTF-8 text file, found the byte 0xE9 (binary file or another encoding?)"}},
    {"truncated_in_quote", kHead + "inventory:\n  - id: gpu\n    rated_power: \"10.2 k",
     {"7:25: not valid YAML: illegal EOF in scalar (truncated or mistyped file?)"}},
    {"truncated_flow", kHead + "access:\n  scenarios: [healthcare, fin",
     {"6:1: not valid YAML: end of sequence flow not found (truncated or mistyped file?)"}},
    {"not_a_mapping", "- schema_version: 1\n",
     {"1:1: expected a mapping with fields schema_version, currency, exchange_rates, system, inventory, facility, carbon, "
      "utilization, … (17 in all), found a list"}},
    {"tab_indentation", "schema_version: 1\nsystem:\n\tname: x\n",
     {"3:6: not valid YAML: illegal map value (truncated or mistyped file?)"}},
    // --- top level -----------------------------------------------------------------------------------------
    {"missing_system", "schema_version: 1\n", {"1:1: system: missing required field 'system'"}},
    {"missing_schema_version", "system:\n  name: x\n", {"1:1: schema_version: missing required field 'schema_version'"}},
    {"wrong_schema_version", "schema_version: 2\nsystem:\n  name: x\n",
     {"1:17: schema_version: expected schema_version 1 (the version this aicq reads), found 2"}},
    {"unknown_top_key", kHead + "facilty:\n  pue: 1.3\n",
     {"5:1: facilty: unknown field 'facilty' (did you mean 'facility'?); expected one of schema_version, currency, "
      "exchange_rates, system, inventory, facility, carbon, utilization, workloads, models, intelligence, access, … (17 in all)"}},
    {"duplicate_key", kHead + "currency: USD\n", {"5:1: currency: duplicate field 'currency': expected each field once"}},
    {"bad_currency", "schema_version: 1\ncurrency: RMB\nsystem:\n  name: x\n",
     {"2:11: currency: expected an ISO 4217 currency code such as CNY, USD or EUR, found 'RMB'"}},
    {"missing_system_name", "schema_version: 1\nsystem:\n  operator: x\n", {"3:3: system.name: missing required field 'name'"}},
    {"bad_country", kHead + "  location: {country: China}\n",
     {"5:23: system.location.country: expected an ISO 3166-1 alpha-2 country code such as CN, found 'China'"}},
    // --- inventory -------------------------------------------------------------------------------------------
    {"rated_power_without_unit", kHead + kInventory + "    lifetime: 5\n",
     {"11:15: inventory[0].lifetime: missing unit: expected duration with a unit, e.g. '5 y', found '5'"}},
    {"rated_power_wrong_case", kHead + "inventory:\n  - id: gpu\n    kind: server\n    count: 4\n    rated_power: 10.2 KW\n"
                                       "    cpus: {model: amd-epyc-9654, count: 2}\n",
     {"9:23: inventory[0].rated_power: expected power (e.g. '10.2 kW'), found '10.2 KW': unknown unit 'KW'; did you mean 'kW'? (units are case-sensitive)"}},
    {"rated_power_is_energy", kHead + "inventory:\n  - id: gpu\n    kind: server\n    count: 4\n    rated_power: \"10.2 kWh\"\n"
                                      "    cpus: {model: amd-epyc-9654, count: 2}\n",
     {"9:19: inventory[0].rated_power: expected power (e.g. '10.2 kW'), found energy '10.2 kWh'"}},
    {"negative_power", kHead + "inventory:\n  - id: sw\n    kind: network\n    count: 4\n    rated_power: \"-1.5 kW\"\n",
     {"9:18: inventory[0].rated_power: expected power greater than zero, found '-1.5 kW'"}},
    {"zero_lifetime", kHead + kInventory + "    lifetime: \"0 y\"\n",
     {"11:15: inventory[0].lifetime: expected duration greater than zero, found '0 y'"}},
    {"count_zero", kHead + "inventory:\n  - id: sw\n    kind: network\n    count: 0\n",
     {"8:12: inventory[0].count: expected a whole number from 1 to 100000000, found 0"}},
    {"count_fraction", kHead + "inventory:\n  - id: sw\n    kind: network\n    count: 2.5\n",
     {"8:12: inventory[0].count: expected a whole number from 1 to 100000000, found '2.5'"}},
    {"unknown_model", kHead + "inventory:\n  - id: gpu\n    kind: server\n    count: 4\n    accelerators: {model: nvidia-h100-sxm, count: 8}\n",
     {"9:27: inventory[0].accelerators.model: expected an accelerator model from the hardware catalog, found "
      "'nvidia-h100-sxm'; did you mean 'nvidia-h100-sxm5-80gb'?"}},
    {"cpu_model_as_accelerator", kHead + "inventory:\n  - id: gpu\n    kind: server\n    count: 4\n    accelerators: {model: amd-epyc-9654, count: 8}\n",
     {"9:27: inventory[0].accelerators.model: expected an accelerator model from the hardware catalog, found "
      "'amd-epyc-9654' (known: nvidia-a100-sxm4-80gb, nvidia-a100-pcie-80gb, nvidia-a10, nvidia-l40s, nvidia-l4, "
      "nvidia-h100-sxm5-80gb, nvidia-h100-pcie-80gb, nvidia-h800-sxm5-80gb, … (14 in all))"}},
    {"unknown_precision", kHead + "inventory:\n  - id: gpu\n    kind: server\n    count: 4\n    accelerators: {count: 8, peak: {fp23: \"60 TFLOPS\"}}\n",
     {"9:37: inventory[0].accelerators.peak.fp23: unknown precision 'fp23' (did you mean 'fp32'?); expected one of fp64, "
      "fp32, tf32, bf16, fp16, fp8, fp4, int8"}},
    {"duplicate_group_id", kHead + kInventory + "  - id: gpu\n    kind: network\n    count: 2\n",
     {"11:9: inventory[1].id: duplicate group id 'gpu'"}},
    {"bad_group_kind", kHead + "inventory:\n  - id: x\n    kind: servers\n    count: 2\n    cpus: {model: amd-epyc-9654, count: 2}\n",
     {"7:11: inventory[0].kind: expected a group kind (one of server, network, storage, other), found 'servers'; did you mean 'server'?"}},
    {"devices_in_network_group", kHead + "inventory:\n  - id: sw\n    kind: network\n    count: 2\n    cpus: {model: amd-epyc-9654, count: 1}\n",
     {"9:11: inventory[0].cpus: expected compute devices only in a group of kind 'server', found them in kind 'network'"}},
    {"server_without_devices", kHead + "inventory:\n  - id: srv\n    kind: server\n    count: 2\n",
     {"6:5: inventory[0]: a server group needs 'accelerators' or 'cpus' (what computes in it)"}},
    // --- facility ---------------------------------------------------------------------------------------------
    {"pue_below_one", kHead + "facility:\n  pue: 0.9\n", {"6:8: facility.pue: expected the PUE from 1 to 5, found 0.9"}},
    {"pue_as_text", kHead + "facility:\n  pue: \"1.3\"\n", {"6:8: facility.pue: expected the PUE (a number from 1 to 5), found '1.3'"}},
    {"renewable_above_100", kHead + "facility:\n  renewable_share: \"120%\"\n",
     {"6:20: facility.renewable_share: expected a percentage from 0% to 100%, found '120%'"}},
    {"renewable_bare_percent", kHead + "facility:\n  renewable_share: 45\n",
     {"6:20: facility.renewable_share: expected a share: a number from 0 to 1 or a percentage such as '45%', found 45 "
      "(write '45%' for a percentage)"}},
    {"grid_factor_wrong_unit", kHead + "facility:\n  grid_factor: {value: \"0.5366 kgCO2e\", year: 2022, source: MEE}\n",
     {"6:25: facility.grid_factor.value: expected carbon intensity (e.g. '0.5366 kgCO2e/kWh'), found emissions '0.5366 kgCO2e'"}},
    {"grid_factor_missing_source", kHead + "facility:\n  grid_factor: {value: \"0.5366 kgCO2e/kWh\", year: 2022}\n",
     {"6:16: facility.grid_factor.source: missing required field 'source'"}},
    {"window_reversed", kHead + "facility:\n  it_power: {mean: \"3 MW\", quality: Q2, window: {from: 2024-12-31, to: 2024-01-01}}\n",
     {"6:72: facility.it_power.window.to: expected a window end on or after its start 2024-12-31, found 2024-01-01"}},
    {"impossible_date", kHead + "facility:\n  it_power: {mean: \"3 MW\", quality: Q2, window: {from: 2024-02-30, to: 2024-03-01}}\n",
     {"6:56: facility.it_power.window.from: expected a date that exists, found '2024-02-30'"}},
    {"bad_quality_level", kHead + "facility:\n  it_energy: {annual: \"28 GWh\", year: 2024, quality: Q4}\n",
     {"6:54: facility.it_energy.quality: expected a power measurement quality level (one of Q0, Q1, Q2, Q3), found 'Q4'"}},
    // --- other sections ---------------------------------------------------------------------------------------
    {"strategy_level_out_of_range", kHead + "carbon:\n  strategy: {procurement: 5}\n",
     {"6:27: carbon.strategy.procurement: expected a whole number from 0 to 4, found 5"}},
    {"carbon_unknown_group", kHead + kInventory + "carbon:\n  groups:\n    - {group: gpus, embodied: \"3 tCO2e\"}\n",
     {"13:15: carbon.groups[0].group: expected the id of an inventory group (gpu), found 'gpus'; did you mean 'gpu'?"}},
    {"unknown_scenario", kHead + "access:\n  reach: national\n  scenarios: [healthcare, finanse]\n",
     {"7:27: access.scenarios[1]: expected an application scenario (one of healthcare, manufacturing, autonomous_driving, "
      "finance, scientific_computing, smart_city, education, government_services, energy, transport_logistics, "
      "media_entertainment, agriculture), found 'finanse'; did you mean 'finance'?"}},
    {"duplicate_scenario", kHead + "access:\n  scenarios: [finance, finance]\n",
     {"6:24: access.scenarios[1]: duplicate 'finance': expected each id once"}},
    {"supplier_shares_not_100", kHead + "supply_chain:\n  categories:\n    cpu:\n      - {name: A, share: \"60%\", qualified: true}\n"
                                        "      - {name: B, share: \"30%\", qualified: true}\n",
     {"8:7: supply_chain.categories.cpu: expected the shares of category 'cpu' to sum to 100% (± 1%), found 90%"}},
    {"price_without_exchange_rate", kHead + "pricing:\n  own:\n    - {name: node, resource: {model: nvidia-h100-sxm5-80gb, count: 8}, price: \"39 USD/h\"}\n",
     {"7:79: pricing.own[0].price: expected a price in CNY or an exchange_rates entry for USD, found none"}},
    {"price_per_kwh", kHead + "pricing:\n  own:\n    - {name: node, resource: {model: nvidia-h100-sxm5-80gb, count: 8}, price: \"0.5 CNY/kWh\"}\n",
     {"7:80: pricing.own[0].price: expected price per time (e.g. '250 CNY/h'), found price per energy '0.5 CNY/kWh'"}},
    {"model_without_flops", kHead + kInventory +
                                "models:\n  - {name: m, task: inference, group: gpu, devices: 8, precision: fp8, throughput: \"1000 tokens/s\", "
                                "accuracy: 0.7, reference_accuracy: 0.7}\n",
     {"12:5: models[0]: model 'm': expected 'flop_per_token' or 'structure' (to count FLOP per token)"}},
    {"too_many_devices", kHead + kInventory +
                             "workloads:\n  - {name: hpl, group: gpu, devices: 64, precision: fp64, rate: \"1 PFLOPS\"}\n",
     {"12:38: workloads[0].devices: expected at most 32 accelerators (group 'gpu': 4 units × 8), found 64"}},
    {"missing_evidence_file", kHead + "evidence:\n  - {file: no-such-evidence.json}\n",
     {"6:12: evidence[0].file: expected an existing file or folder, found no '{DIR}/no-such-evidence.json'"}},
    {"intelligence_item_typo", kHead + "intelligence:\n  items:\n    fault_recovry: {level: 2}\n",
     {"7:5: intelligence.items.fault_recovry: unknown capability item 'fault_recovry' (did you mean 'fault_recovery'?); "
      "expected one of job_scheduling, resource_allocation, fault_detection, fault_recovery, checkpointing, "
      "self_optimization, energy_management"}},
    // --- several problems at once, in file order ------------------------------------------------------------
    {"many_at_once", "schema_version: 1\nsystem:\n  nam: x\nfacility:\n  pue: 0.5\n  renewable_share: \"101%\"\n",
     {"3:3: system.nam: unknown field 'nam' (did you mean 'name'?); expected one of name, operator, description, boundary, location",
      "3:3: system.name: missing required field 'name'",
      "5:8: facility.pue: expected the PUE from 1 to 5, found 0.5",
      "6:20: facility.renewable_share: expected a percentage from 0% to 100%, found '101%'"}},
};

INSTANTIATE_TEST_SUITE_P(Declarations, Malformed, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(MalformedFiles, MissingFileAndFolder) {
  std::ostringstream out, err;
  EXPECT_EQ(aicq::cli::run({"aicq", "validate", "/nonexistent/site.yaml"}, {out, err}), 2);
  EXPECT_EQ(err.str(),
            "/nonexistent/site.yaml: cannot open the file (missing, or no permission to read it)\n"
            "aicq validate: 1 problem found; nothing written\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(aicq::cli::run({"aicq", "validate", temp_dir().string()}, {out2, err2}), 2);
  EXPECT_EQ(err2.str(), temp_dir().string() + ": expected a declaration file, found a folder\n"
                        "aicq validate: 1 problem found; nothing written\n");
}

TEST(MalformedFiles, OutputFileIsNotWrittenOnBadInput) {
  const fs::path bad = temp_dir() / "bad-for-output.yaml";
  {
    std::ofstream f(bad);
    f << "schema_version: 1\n";
  }
  const fs::path target = temp_dir() / "should-not-exist.json";
  fs::remove(target);
  std::ostringstream out, err;
  EXPECT_EQ(aicq::cli::run({"aicq", "validate", bad.string(), "--format", "json", "-o", target.string()}, {out, err}), 2);
  EXPECT_FALSE(fs::exists(target));
}

}  // namespace

namespace {

// Robustness: every prefix of a real declaration (a file truncated anywhere) and every single-line deletion
// either validates or is rejected with located diagnostics — never a crash or another exception.
void expect_clean_outcome(const std::string& text, const std::string& what) {
  static const aicq::catalog::Catalogs cats = aicq::catalog::Catalogs::load(aicq::data::DataSource());
  try {
    aicq::declare::parse_declaration(text, "cut.yaml", cats);
  } catch (const aicq::core::InputError& e) {
    ASSERT_FALSE(e.diagnostics().empty()) << what;
    for (const auto& d : e.diagnostics()) {
      ASSERT_EQ(d.where.file, "cut.yaml") << what;
      ASSERT_GE(d.where.line, 1) << what << ": " << d.to_string();
    }
  } catch (const std::exception& e) {
    FAIL() << what << ": unexpected exception " << e.what();
  }
}

std::string read_example(const char* name) {
  std::ifstream in(std::string(AICQ_SOURCE_DIR) + "/examples/" + name + ".yaml", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(MalformedFiles, TruncatedAnywhereNeverCrashes) {
  const std::string text = read_example("edge-inference");
  ASSERT_GT(text.size(), 1000u);
  for (std::size_t cut = 0; cut < text.size(); cut += 37) expect_clean_outcome(text.substr(0, cut), "cut at " + std::to_string(cut));
}

TEST(MalformedFiles, AnyLineDeletedNeverCrashes) {
  const std::string text = read_example("cpu-datacenter");
  std::vector<std::size_t> starts = {0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  for (std::size_t l = 0; l + 1 < starts.size(); ++l) {
    const std::string edited = text.substr(0, starts[l]) + text.substr(starts[l + 1]);
    expect_clean_outcome(edited, "line " + std::to_string(l + 1) + " deleted");
  }
}

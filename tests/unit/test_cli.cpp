// The command line: help from docs/cli.md (and no drift between it and the parser), exit codes, the units
// and validate commands, atomic output; some through the real binary as a user runs it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "aicq/cli/cli.hpp"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int rc;
  std::string out, err;
};

Outcome run(std::vector<std::string> args) {
  args.insert(args.begin(), "aicq");
  std::ostringstream out, err;
  const int rc = aicq::cli::run(args, aicq::cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

// Runs the real binary through the shell; returns its exit status and standard output.
std::pair<int, std::string> run_binary(const std::string& args) {
  const std::string cmd = std::string(AICQ_BINARY) + " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("aicq-cli-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = temp_dir() / name;
  std::ofstream(p) << text;
  return p;
}

const std::string kSite = R"(schema_version: 1
system: {name: CLI site, operator: Op, location: {country: CN, region: Gansu}}
inventory:
  - {id: gpu, kind: server, count: 4, rated_power: "10.2 kW", accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}}
  - {id: sw, kind: network, count: 2, rated_power: "1.5 kW"}
facility: {pue: 1.2}
)";

}  // namespace

TEST(Cli, HelpAndParserNeverDrift) {
  // Every option a command accepts is documented in docs/cli.md, and every documented option is accepted.
  for (const std::string& cmd : [] {
         auto v = aicq::cli::commands();
         v.insert(v.begin(), "");
         return v;
       }()) {
    EXPECT_FALSE(aicq::cli::help_text(cmd).empty()) << "no section for '" << cmd << "' in docs/cli.md";
    EXPECT_EQ(aicq::cli::declared_options(cmd), aicq::cli::accepted_options(cmd)) << "command '" << cmd << "'";
  }
}

TEST(Cli, HelpComesFromTheReference) {
  const auto o = run({"validate", "--help"});
  EXPECT_EQ(o.rc, 0);
  EXPECT_EQ(o.out, aicq::cli::help_text("validate"));
  EXPECT_NE(o.out.find("Usage: aicq validate FILE…"), std::string::npos);
  const auto top = run({"--help"});
  EXPECT_EQ(top.rc, 0);
  EXPECT_NE(top.out.find("Commands:"), std::string::npos);
  EXPECT_EQ(run({"units", "-h"}).out, aicq::cli::help_text("units"));
}

TEST(Cli, NoCommandOrUnknownCommandIsBadInput) {
  const auto none = run({});
  EXPECT_EQ(none.rc, 2);
  EXPECT_EQ(none.out, aicq::cli::help_text(""));
  const auto unknown = run({"frobnicate"});
  EXPECT_EQ(unknown.rc, 2);
  EXPECT_NE(unknown.err.find("frobnicate"), std::string::npos);
  const auto bad_option = run({"validate", "--formt", "json", "x.yaml"});
  EXPECT_EQ(bad_option.rc, 2);
  const auto bad_format = run({"validate", "--format", "xml", "x.yaml"});
  EXPECT_EQ(bad_format.rc, 2);
  EXPECT_NE(bad_format.err.find("xml"), std::string::npos);
}

TEST(Cli, Version) {
  const auto o = run({"--version"});
  EXPECT_EQ(o.rc, 0);
  EXPECT_TRUE(std::regex_match(o.out, std::regex(R"re(aicq \d+\.\d+\.\d+ \(git ([0-9a-f]{12}|unknown)[^\n]*\n)re")))
      << o.out;
}

TEST(Cli, UnitsShowsHowAQuantityIsRead) {
  const auto o = run({"units", "10.2 kW", "0.5366 kgCO2e/kWh"});
  EXPECT_EQ(o.rc, 0);
  EXPECT_EQ(o.out,
            "\"10.2 kW\"\n  dimension  power\n  canonical  10200 W\n  reads as   10.2 kW\n"
            "\"0.5366 kgCO2e/kWh\"\n  dimension  carbon intensity\n  canonical  0.5366 kgCO2e/kWh\n"
            "  reads as   0.5366 kgCO2e/kWh\n");
  const auto in = run({"units", "989 TFLOPS", "--in", "PFLOPS"});
  EXPECT_NE(in.out.find("  in PFLOPS 0.989\n"), std::string::npos) << in.out;
}

TEST(Cli, UnitsRejectsAndPointsAtTheProblem) {
  const auto o = run({"units", "10.2 kW", "10 KW"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err, "aicq units: \"10 KW\": unknown unit 'KW'; did you mean 'kW'? (units are case-sensitive)\n"
                   "  10 KW\n"
                   "     ^\n");
  EXPECT_EQ(run({"units", "10.2 kW", "--in", "kWh"}).rc, 2);
}

TEST(Cli, ValidateSummarisesWithHandComputedTotals) {
  const auto o = run({"validate", write("site.yaml", kSite).string()});
  EXPECT_EQ(o.rc, 0) << o.err;
  // FP32 peak: 4 servers × 8 GPUs × 67 TFLOPS = 2144 TFLOPS = 2.144 PFLOP/s
  EXPECT_NE(o.out.find("fp32 2.144 PFLOP/s"), std::string::npos) << o.out;
  // Rated IT: 4 × 10.2 kW + 2 × 1.5 kW = 43.8 kW
  EXPECT_NE(o.out.find("rated IT   43.8 kW\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("sections   facility\n"), std::string::npos) << o.out;
}

TEST(Cli, ValidateJsonWritesEvidenceAtomically) {
  const fs::path out = temp_dir() / "evidence.json";
  fs::remove(out);
  const auto o = run({"validate", write("site2.yaml", kSite).string(), "--format", "json", "-o", out.string()});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "");
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["schema"], "aicq-evidence/1");
  const auto& ev = j["evidence"];
  EXPECT_EQ(j["declarations"][0]["declaration"]["system"]["name"], "CLI site");
  const auto pue = std::find_if(ev.begin(), ev.end(), [](const auto& e) { return e["metric"] == "facility.pue"; });
  ASSERT_NE(pue, ev.end());
  EXPECT_EQ((*pue)["value"], 1.2);
  EXPECT_EQ((*pue)["kind"], "declared");
  EXPECT_EQ((*pue)["source"]["line"], 6);
  // No temporary file is left beside the output.
  for (const auto& entry : fs::directory_iterator(temp_dir()))
    EXPECT_EQ(entry.path().filename().string().rfind(".aicq-", 0), std::string::npos) << entry.path();
  // A folder that does not exist is bad input, not a crash.
  EXPECT_EQ(run({"validate", write("site3.yaml", kSite).string(), "--format", "json", "-o", "/no/such/dir/e.json"}).rc, 2);
}

TEST(Cli, RealBinaryExitCodes) {
  EXPECT_EQ(run_binary("validate " + write("good.yaml", kSite).string()).first, 0);
  EXPECT_EQ(run_binary("validate " + write("bad.yaml", "schema_version: 1\n").string()).first, 2);
  EXPECT_EQ(run_binary("validate /no/such/file.yaml").first, 2);
  EXPECT_EQ(run_binary("--data-dir /no/such/dir validate " + write("good2.yaml", kSite).string()).first, 2);
  EXPECT_EQ(run_binary("units '1 kW'").first, 0);
  EXPECT_EQ(run_binary("units '1 KW'").first, 2);
  const auto [rc, out] = run_binary("--version");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.rfind("aicq ", 0), 0u);
}

TEST(Cli, ValidateReportsEveryFileItCannotRead) {
  const auto o = run({"validate", write("ok.yaml", kSite).string(), "/missing-1.yaml", "/missing-2.yaml"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("/missing-1.yaml: cannot open"), std::string::npos);
  EXPECT_NE(o.err.find("/missing-2.yaml: cannot open"), std::string::npos);
  EXPECT_NE(o.err.find("2 problems found"), std::string::npos);
}

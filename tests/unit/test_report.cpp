// Reports for people (aicq report): the self-contained HTML (ECharts inlined once, nothing loaded from the
// network, every string from a result escaped, missing indicators with their reason and never a 0 score),
// "how to improve" from the profile's curves, the comparison (TOPSIS, missing dimension → exit 2), and the
// exact Markdown and CSV of a small result.
#include <gtest/gtest.h>

#include "aicq/cli/site_inputs.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cctype>
#include <sstream>

#include "aicq/assess/profile.hpp"
#include "aicq/cli/cli.hpp"
#include "aicq/core/indicators.hpp"
#include "aicq/data/embedded.hpp"
#include "aicq/method/method.hpp"
#include "aicq/report/html.hpp"
#include "aicq/report/messages.hpp"
#include "aicq/report/tables.hpp"

using namespace aicq;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  int rc;
  std::string out, err;
};

Outcome run(const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.emplace_back("aicq");
  for (const auto& a : args) argv.push_back(a);
  std::ostringstream out, err;
  const int rc = cli::run(argv, cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

fs::path temp_dir() {
  static const fs::path d = [] {
    const fs::path p = fs::temp_directory_path() / ("aicq-report-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return d;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = temp_dir() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// The result of assessing an example (once per test run).
const fs::path& example_result(const std::string& name) {
  static std::map<std::string, fs::path> done;
  auto it = done.find(name);
  if (it == done.end()) {
    const fs::path out = temp_dir() / (name + ".json");
    const auto o = run({"assess", std::string(AICQ_SOURCE_DIR) + "/examples/" + name + ".yaml", "-o", out.string()});
    EXPECT_EQ(o.rc, 0) << o.err;
    it = done.emplace(name, out).first;
  }
  return it->second;
}

// A declaration with only `system` and `access`, whose name is an attempt at script injection.
const std::string kHostileName = "<script>alert(1)</script> & \"quoted\" 'single'";
const fs::path& minimal_result() {
  static const fs::path out = [] {
    const fs::path decl = write("minimal.yaml", "schema_version: 1\nsystem:\n  name: \"<script>alert(1)</script> & \\\"quoted\\\" 'single'\"\n"
                                                "access:\n  reach: internal\n  scenarios: [smart_city]\n  modes: [open_api]\n");
    const fs::path p = temp_dir() / "minimal.json";
    const auto o = run({"assess", decl.string(), "-o", p.string()});
    EXPECT_EQ(o.rc, 0) << o.err;
    return p;
  }();
  return out;
}

std::string render(const std::vector<std::string>& args) {
  std::vector<std::string> a;
  a.reserve(args.size() + 1);
  a.emplace_back("report");
  for (const auto& x : args) a.push_back(x);
  const auto o = run(a);
  EXPECT_EQ(o.rc, 0) << o.err;
  return o.out;
}

std::string echarts() {
  for (const auto& f : data::web_files())
    if (f.path == "dist/echarts.min.js") return std::string(f.content);
  return {};
}

std::string licence() {
  for (const auto& f : data::web_files())
    if (f.path == "LICENSE") return std::string(f.content);
  return {};
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

// The profile as cmd_report hands it to the renderer.
report::ProfileView profile_view() { return cli::profile_view(assess::load_profile("", data::DataSource())); }

json load_json(const fs::path& p) { return json::parse(read_file(p)); }

// A small result with every number chosen to show the formatting: one indicator scored, one missing with a
// reason that needs CSV quoting, the rest missing.
json small_result() {
  json r;
  r["schema_version"] = "1.0.0";
  r["status"] = "complete";
  r["system"] = {{"name", "Small | site"}};
  r["profile"] = {{"id", "aicq-default"}, {"version", "1.0.0"}, {"sha256", "abc"}};
  r["overall"] = {{"score", 61.26}, {"coverage", 0.5}, {"grade", "L2"}, {"grade_status", "provisional"},
                  {"grade_name", {{"en", "basic"}, {"zh", "基础"}}}};
  for (const auto& i : core::indicators())
    r["indicators"][std::string(i.id)] = {{"status", "missing"}, {"reason", "no data"}, {"unit", ""}, {"weight", 0.1}};
  r["indicators"]["ce.theoretical"] = {{"status", "scored"}, {"value", 12345.678}, {"unit", "GFLOPS/W"}, {"score", 61.26},
                                       {"kind", "measured"}, {"weight", 0.0625}};
  r["indicators"]["acc.universality"]["reason"] = "none, said \"no\"\nat all";
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

TEST(ReportMessages, CatalogHasEveryLabelInBothLanguages) {
  EXPECT_TRUE(report::catalog_complete());
  EXPECT_EQ(report::msg(report::Msg::missing, report::Lang::en), "missing");
  EXPECT_EQ(report::msg(report::Msg::missing, report::Lang::zh), "缺失");
  EXPECT_EQ(report::kind_name("estimated", report::Lang::zh), "估算");
}

TEST(ReportHtml, EmbedsEchartsOnceWithItsLicenceAndLoadsNothing) {
  const std::string html = render({example_result("ai-training-center").string(), "--lang", "en"});
  const std::string lib = echarts();
  ASSERT_GT(lib.size(), 100000u);
  EXPECT_EQ(count(html, lib), 1u) << "ECharts inlined exactly once";
  // The licence is kept, whole, in the page (escaped as text).
  EXPECT_NE(html.find(report::escape_html(licence())), std::string::npos);
  EXPECT_NE(html.find("Apache License"), std::string::npos);

  // echarts.min.js has URL strings in its code (SVG and XML namespaces, its licence header), so the rest of the
  // page is checked for URLs, and the whole page for anything that would load a resource.
  std::string rest = html;
  rest.erase(rest.find(lib), lib.size());
  const std::string lic = report::escape_html(licence());
  rest.erase(rest.find(lic), lic.size());
  EXPECT_EQ(rest.find("http://"), std::string::npos);
  EXPECT_EQ(rest.find("https://"), std::string::npos);
  EXPECT_EQ(rest.find("url("), std::string::npos);
  EXPECT_EQ(rest.find("@import"), std::string::npos);
  // The page outside the library: no element that loads anything, no script with a source.
  std::string lower = rest;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* tag : {"<link", "<img", "<iframe", "<object", "<embed", "<base ", "<base>", "<meta http-equiv=\"refresh"})
    EXPECT_EQ(lower.find(tag), std::string::npos) << tag;
  // The library itself writes no script, link or import; its one "<img" is the "save as image" toolbox
  // feature, which builds a page around a data: URL it has just rendered (and is not enabled here).
  for (const char* tag : {"<script", "<link", "<iframe", "@import"}) EXPECT_EQ(lib.find(tag), std::string::npos) << tag;
  for (std::size_t at = lower.find("<script"); at != std::string::npos; at = lower.find("<script", at + 7)) {
    const std::string tag = lower.substr(at, lower.find('>', at) - at);
    EXPECT_EQ(tag.find("src"), std::string::npos) << tag;
  }
  // Every url( in the library is a reference to an element of the same document (SVG gradients).
  for (std::size_t at = html.find("url("); at != std::string::npos; at = html.find("url(", at + 4))
    EXPECT_TRUE(html.compare(at, 6, "url(\"#") == 0 || html.compare(at, 5, "url(#") == 0) << html.substr(at, 40);
  // And the page forbids loading anything, should a string ever slip through.
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(html.find("</script", html.find(lib) - 1), html.find(lib) + lib.size() + 1) << "the library's script ends right after it";
}

TEST(ReportHtml, HeaderSectionsAndKindsOfAnExample) {
  const json r = load_json(example_result("ai-training-center"));
  const std::string html = render({example_result("ai-training-center").string(), "--lang", "en"});
  EXPECT_NE(html.find(">Example North AI Training Centre</h1>"), std::string::npos);
  EXPECT_NE(html.find("data-grade=\"L4\">L4 · advanced</span>"), std::string::npos);
  EXPECT_NE(html.find("data-grade-status=\"final\""), std::string::npos);
  EXPECT_NE(html.find(r["provenance"]["created"].get<std::string>().substr(0, 10)), std::string::npos);
  EXPECT_NE(html.find(r["profile"]["sha256"].get<std::string>().substr(0, 12)), std::string::npos);
  for (const char* id : {"dimensions", "indicators", "carbon", "improve", "method", "repro", "radar", "carbon-chart", "licence"})
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(html.find("id=\"probes\""), std::string::npos) << "no probes in the result, no section";
  EXPECT_EQ(html.find("id=\"telemetry\""), std::string::npos);
  EXPECT_EQ(count(html, "data-status=\"scored\""), 12u);
  EXPECT_EQ(count(html, "<details><summary>Details"), 12u) << "every indicator's intermediate values on expansion";
  EXPECT_NE(html.find("class=\"kind kind-declared\" data-kind=\"declared\"><b>D</b> declared"), std::string::npos);
  EXPECT_NE(html.find("unsigned"), std::string::npos);
  EXPECT_NE(html.find(r["data"]["vocabularies_sha256"].get<std::string>()), std::string::npos);
  EXPECT_NE(html.find(std::to_string(r["evidence"].size())), std::string::npos);
  // The lifecycle footprint, in tonnes, in the chart data.
  const double embodied_t = r["indicators"]["co2.lifecycle"]["details"]["footprint_kgco2e"]["embodied"].get<double>() / 1000;
  EXPECT_NE(html.find(report::full_precision(embodied_t)), std::string::npos);

  const std::string zh = render({example_result("ai-training-center").string(), "--lang", "zh"});
  EXPECT_NE(zh.find("<html lang=\"zh-CN\">"), std::string::npos);
  EXPECT_NE(zh.find("L4 · 先进"), std::string::npos);
  EXPECT_NE(zh.find("五维评估"), std::string::npos);
  EXPECT_NE(zh.find("理论算效"), std::string::npos);
}

TEST(ReportHtml, EscapesAHostileSystemName) {
  const std::string html = render({minimal_result().string()});
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("<h1 id=\"system-name\">&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;</h1>"),
            std::string::npos);
  EXPECT_NE(html.find("<title>&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // In the chart data block the name is JSON with < > & escaped, so it cannot end the script element.
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026 \\\"quoted\\\""), std::string::npos);
  EXPECT_EQ(report::escape_html(kHostileName), "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;");
  EXPECT_EQ(report::json_for_script(json("</script>\xE2\x80\xA8")), "\"\\u003c/script\\u003e\\u2028\"");

  // Markdown does not pass HTML through either.
  const std::string md = render({minimal_result().string(), "--format", "md"});
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  EXPECT_NE(md.find("&lt;script&gt;"), std::string::npos);
}

TEST(ReportHtml, MissingIndicatorsShowTheirReasonAndNeverAZeroScore) {
  const json r = load_json(minimal_result());
  const std::string html = render({minimal_result().string(), "--lang", "en"});
  std::size_t missing = 0;
  for (const auto& i : core::indicators()) {
    const json& x = r["indicators"][std::string(i.id)];
    if (x["status"] == "scored") continue;
    ++missing;
    const std::string row_start = "<tr class=\"ind missing\" id=\"ind-" + std::string(i.id) + "\"";
    const auto at = html.find(row_start);
    ASSERT_NE(at, std::string::npos) << i.id;
    const std::string row = html.substr(at, html.find("</tr>", at) - at);
    EXPECT_NE(row.find("<span class=\"miss\">missing</span>" + report::escape_html(x["reason"].get<std::string>())), std::string::npos) << row;
    EXPECT_NE(row.find("<td class=\"score none\" data-score=\"\">—</td>"), std::string::npos) << row;
  }
  EXPECT_EQ(missing, 11u);
  EXPECT_EQ(html.find("data-score=\"0\""), std::string::npos);
  EXPECT_NE(html.find("data-grade-status=\"provisional\""), std::string::npos);
  EXPECT_NE(html.find("id=\"provisional-note\""), std::string::npos);
  // The radar has no point for a missing dimension (ECharts' empty value "-"), never 0.
  EXPECT_NE(html.find("\"value\":[\"-\",\"-\",\"-\",23.5,\"-\"]"), std::string::npos);
  EXPECT_NE(html.find("Compute efficiency\\n(missing)"), std::string::npos);
  // The lifecycle footprint is all zeros: no chart, a sentence instead.
  EXPECT_NE(html.find("id=\"carbon-none\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"carbon-chart\""), std::string::npos);
  EXPECT_NE(html.find("id=\"improve-missing\""), std::string::npos);
}

TEST(ReportHtml, SignatureStatusAndProbesWhenPresent) {
  report::ResultDoc doc{"r.json", load_json(minimal_result()), ""};
  const auto p = profile_view();
  EXPECT_NE(report::html(doc, &p, report::Lang::en).find("<span id=\"signature-status\">unsigned</span>"), std::string::npos);
  doc.doc["signature"] = {{"algorithm", "Ed25519"}, {"key_id", "0123456789abcdef"}, {"value", "xx"}};
  // The measurement member `aicq run` writes: machine, peaks, probe records (every repetition), diagnosis.
  doc.doc["measurement"] = json::parse(R"({
    "host": {"hostname": "vm", "cpu": {"model_name": "AMD EPYC", "microarch": "amd-zen4", "cores": 2, "threads": 2}},
    "peaks": {"peaks": [{"precision": "fp64", "flops": 118.2e9, "kind": "measured", "method": "2 x 3.69 GHz x 16"}]},
    "probes": [
      {"id": "<b>gemm</b>", "status": "ok", "power": {"mean_power_w": 180.5, "quality": "Q1"},
       "measurements": [{"id": "dgemm_fp64", "unit": "FLOP/s", "stats": {"median": 36.95e9, "cv": 0.056, "n": 5},
                         "fraction_of_peak": 0.3126}]},
      {"id": "storage.io", "status": "skipped", "reason": "no space", "measurements": []},
      {"id": "ai.infer", "status": "ok", "measurements": [
        {"id": "offline_bf16", "unit": "FLOP/s", "precision": "bf16", "stats": {"median": 160e9, "cv": 0.01, "n": 3},
         "fraction_of_peak": 0.2, "details": {"valid": false, "model": {"name": "Fashion-MNIST CNN", "task": "inference",
         "unit": "sample", "throughput": 20000, "flop_per_unit": 8e6, "accuracy": 0.80, "reference_accuracy": 0.875}}}]},
      {"id": "resilience.recovery", "status": "ok", "measurements": [
        {"id": "recovery_time", "unit": "s", "stats": {"median": 3.5, "cv": 0, "n": 1}, "details": {"steps_lost": 7}}]}],
    "diagnosis": [{"id": "blas.openblas_coretype", "what": "OPENBLAS_CORETYPE=Haswell", "cost_fraction": 0.4,
                   "cost_method": "measured", "fix": "unset it"}]})");
  doc.doc["telemetry"] = {{"series", json::array({{{"name", "power"}, {"unit", "W"}, {"points", {{0, 100.5}, {1000, 101}}}}})}};
  const std::string html = report::html(doc, &p, report::Lang::en);
  EXPECT_NE(html.find("signed by key 0123456789abcdef (verify with aicq verify)"), std::string::npos);
  EXPECT_NE(html.find("id=\"probes\""), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;gemm&lt;/b&gt;"), std::string::npos);
  // 36.95e9 FLOP/s → "36.95 GFLOP/s"; CV 0.056 → "5.6%"; 0.3126 of peak → "31.3%"; 180.5 W at Q1
  EXPECT_NE(html.find("36.95 GFLOP/s"), std::string::npos);
  EXPECT_NE(html.find("5.6%"), std::string::npos);
  EXPECT_NE(html.find("31.3%"), std::string::npos);
  EXPECT_NE(html.find("180.5 W (Q1)"), std::string::npos);
  EXPECT_NE(html.find("118.2 GFLOP/s"), std::string::npos);
  EXPECT_NE(html.find(">no space</td><td>skipped<"), std::string::npos);  // a probe that did not run: why
  EXPECT_NE(html.find("40% — measured"), std::string::npos);
  EXPECT_NE(html.find("id=\"telemetry-chart\""), std::string::npos);
  // The AI workload row: 20000 samples/s, 8 MFLOP per sample, MFU 20.0%, accuracy 80.00% (87.50%), retention
  // 0.80/0.875 = 0.9143, marked ✗ (below MLPerf's 99%: details.valid false).
  EXPECT_NE(html.find("id=\"models\""), std::string::npos);
  EXPECT_NE(html.find("Fashion-MNIST CNN (inference, bf16)"), std::string::npos);
  EXPECT_NE(html.find("20000 samples/s"), std::string::npos);
  EXPECT_NE(html.find("80.00% (87.50%)"), std::string::npos);
  EXPECT_NE(html.find("0.9143 ✗"), std::string::npos);
  // Resilience: the recovery time and the figures behind it.
  EXPECT_NE(html.find("id=\"resilience\""), std::string::npos);
  EXPECT_NE(html.find(">steps_lost</td><td class=\"num\">7<"), std::string::npos);
  EXPECT_NE(html.find("href=\"#probes\""), std::string::npos);  // in the table of contents
  EXPECT_EQ(html.find("id=\"cluster\""), std::string::npos);  // one machine: no cluster section
}

TEST(ReportHtml, ClusterSectionNamesNodesStragglersAndTheMissing) {
  report::ResultDoc doc{"r.json", load_json(minimal_result()), ""};
  doc.doc["cluster"] = json::parse(R"({"complete": false, "nodes_expected": 3, "nodes_with_result": 2, "ranks_expected": 4,
    "nodes": [{"node": "n1", "host": "n1", "ranks": [0, 1], "status": "complete", "peaks": {"fp64": 118.2e9}},
              {"node": "n2", "host": "n2", "ranks": [2], "status": "complete", "peaks": {"fp64": 100e9}},
              {"node": "n3", "host": "n3", "ranks": [3], "status": "missing", "reason": "no result"}],
    "straggler_rule": "a node more than 10% worse than the median",
    "stragglers": [{"node": "n2", "probe": "compute.gemm", "measurement": "dgemm_fp64", "unit": "FLOP/s",
                    "value": 88e9, "median": 100e9, "shortfall": 0.12}],
    "missing": {"ranks": [{"rank": 3, "host": "n3", "why": "killed"}], "nodes": [], "hosts": ["n3"]}})");
  const auto p = profile_view();
  const std::string html = report::html(doc, &p, report::Lang::en);
  EXPECT_NE(html.find("href=\"#cluster\""), std::string::npos);
  EXPECT_NE(html.find("2 / 3 nodes, 4 ranks — incomplete"), std::string::npos);
  EXPECT_NE(html.find("<td>n1</td><td>n1</td><td>0,1</td><td>complete</td><td>fp64 118.2 GFLOP/s</td>"), std::string::npos);
  EXPECT_NE(html.find("88 GFLOP/s / 100 GFLOP/s"), std::string::npos);
  EXPECT_NE(html.find("−12.0%"), std::string::npos);  // shortfall 0.12
  EXPECT_NE(html.find("rank 3 (n3): killed"), std::string::npos);
}

TEST(ReportHtml, ImprovementsFollowTheNextCurveAnchorWeightedByTheGlobalWeight) {
  const json r = load_json(example_result("ai-training-center"));
  const auto p = profile_view();
  const report::Improvements im = report::improvements(r, &p);
  ASSERT_EQ(im.curves, report::Improvements::Curves::available);
  ASSERT_FALSE(im.items.empty());
  for (std::size_t i = 1; i < im.items.size(); ++i) EXPECT_GE(im.items[i - 1].overall_points, im.items[i].overall_points);
  // ie.model_compute: MFU v on the curve 0.15→45, 0.30→65 scores 45 + (v − 0.15)/0.15 × 20; the next anchor is
  // 0.30 → 65; one model with accuracy retention 1, so the gain is the curve's; full coverage, weight 0.1.
  const double v = r["indicators"]["ie.model_compute"]["value"].get<double>();
  const double now = 45 + (v - 0.15) / 0.15 * 20;
  const auto it = std::find_if(im.items.begin(), im.items.end(), [](const auto& x) { return x.indicator == "ie.model_compute"; });
  ASSERT_NE(it, im.items.end());
  EXPECT_NEAR(it->curve_score, now, 1e-9);
  EXPECT_DOUBLE_EQ(it->next_value, 0.30);
  EXPECT_DOUBLE_EQ(it->next_score, 65);
  EXPECT_NEAR(it->overall_points, (65 - now) * 0.1, 1e-9);
  // co2.lifecycle blends the carbon-intensity curve with the strategy half and half: half the curve's gain.
  const auto co2 = std::find_if(im.items.begin(), im.items.end(), [](const auto& x) { return x.indicator == "co2.lifecycle"; });
  ASSERT_NE(co2, im.items.end());
  EXPECT_NEAR(co2->indicator_points, 0.5 * (co2->next_score - co2->curve_score), 1e-9);
  // Already at the top, linear, none missing.
  EXPECT_EQ(im.at_top, std::vector<std::string>{"co2.compute_carbon"});
  EXPECT_EQ(im.linear.size(), 4u);
  EXPECT_TRUE(im.missing.empty());

  // Another profile: the curves are not this result's, and the report says so.
  report::ProfileView other = p;
  other.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
  EXPECT_EQ(report::improvements(r, &other).curves, report::Improvements::Curves::other_profile);
  const std::string html = report::html({"r.json", r, ""}, &other, report::Lang::en);
  EXPECT_NE(html.find("id=\"curves-unavailable\""), std::string::npos);
  EXPECT_NE(html.find("The scoring curves are unavailable"), std::string::npos);
  EXPECT_EQ(html.find("id=\"improve-list\""), std::string::npos);
}

TEST(ReportCompare, RanksWithTopsisAndMarksTheBest) {
  std::vector<std::string> files;
  for (const char* e : {"ai-training-center", "cpu-datacenter", "edge-inference"}) files.push_back(example_result(e).string());
  const std::string html = render({files[0], files[1], files[2], "--lang", "en"});
  EXPECT_EQ(count(html, echarts()), 1u);
  EXPECT_NE(html.find("id=\"ranking-table\""), std::string::npos);
  EXPECT_NE(html.find("id=\"across-table\""), std::string::npos);
  // Closeness equals TOPSIS on the five dimension scores with the profile's weights.
  const auto p = profile_view();
  method::Matrix x;
  std::vector<double> w;
  for (const auto& d : core::dimensions()) w.push_back(p.dimension_weights.at(std::string(d.id)));
  for (const auto& f : files) {
    const json r = load_json(f);
    std::vector<double> row;
    for (const auto& d : core::dimensions()) row.push_back(r["dimensions"][std::string(d.id)]["score"].get<double>());
    x.push_back(row);
  }
  const auto t = method::topsis(x, w, std::vector<bool>(5, true));
  for (std::size_t i = 0; i < files.size(); ++i)
    EXPECT_NE(html.find("data-rank=\"" + std::to_string(t.rank[i]) + "\" data-closeness=\"" + report::full_precision(t.closeness[i]) + "\""),
              std::string::npos);
  // Every indicator row has at least one best cell.
  EXPECT_GE(count(html, "data-best=\"true\""), 12u);
  // Radar overlay: one series per system.
  EXPECT_EQ(count(html, "\"name\":\"Example "), 3u);

  const std::string md = render({files[0], files[1], "--format", "md"});
  EXPECT_NE(md.find("## Ranking (TOPSIS)"), std::string::npos);
  EXPECT_NE(md.find("| 1 | Example North AI Training Centre |"), std::string::npos);
}

TEST(ReportCompare, ASystemMissingADimensionIsBadInputNamingIt) {
  const auto o = run({"report", example_result("edge-inference").string(), minimal_result().string()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find(minimal_result().string()), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("has no score for ce, ie, co2, sus"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(kHostileName), std::string::npos) << o.err;
  // CSV ranks nothing: one row per system and indicator.
  const auto c = run({"report", example_result("edge-inference").string(), minimal_result().string(), "--format", "csv"});
  EXPECT_EQ(c.rc, 0) << c.err;
  EXPECT_EQ(count(c.out, "\r\n"), 1u + 2 * 12);
}

TEST(ReportTables, MarkdownOfASmallResult) {
  const std::string md = report::markdown({{"small.json", small_result(), ""}}, nullptr, report::Lang::en);
  const std::string expected =
      "# AI compute system assessment: Small \\| site\n\n"
      "Overall score: 61.3 · Grade: L2 basic (provisional) · Coverage: 50.0%\n\n"
      "| Dimension | Indicator | Value | Unit | Score | Evidence |\n"
      "|---|---|---:|---|---:|---|\n"
      "| Compute efficiency | `ce.theoretical` Theoretical compute efficiency | 12,346 | GFLOPS/W | 61.3 | [M] measured |\n"
      "| Compute efficiency | `ce.measured` Measured performance | — |  | — | missing: no data |\n"
      "| Compute efficiency | `ce.utilization` Resource utilization | — |  | — | missing: no data |\n"
      "| Intelligence efficiency | `ie.model_compute` Model-compute efficiency | — |  | — | missing: no data |\n"
      "| Intelligence efficiency | `ie.intelligence` Degree of intelligence | — |  | — | missing: no data |\n"
      "| Carbon efficiency | `co2.lifecycle` Lifecycle low-carbon management | — |  | — | missing: no data |\n"
      "| Carbon efficiency | `co2.compute_carbon` Compute carbon efficiency | — |  | — | missing: no data |\n"
      "| Accessibility | `acc.universality` Universality | — |  | — | missing: none, said \"no\" at all |\n"
      "| Accessibility | `acc.inclusiveness` Inclusiveness | — |  | — | missing: no data |\n"
      "| Sustainability | `sus.compatibility` Technical compatibility | — |  | — | missing: no data |\n"
      "| Sustainability | `sus.supply_chain` Supply-chain completeness | — |  | — | missing: no data |\n"
      "| Sustainability | `sus.openness` Ecosystem openness | — |  | — | missing: no data |\n";
  EXPECT_EQ(md, expected);
}

TEST(ReportTables, CsvOfASmallResult) {
  const std::string csv = report::csv({{"small.json", small_result(), ""}}, report::Lang::en);
  const std::string expected =
      "indicator,dimension,name,status,value,unit,score,kind,weight,reason\r\n"
      "ce.theoretical,ce,Theoretical compute efficiency,scored,12345.678,GFLOPS/W,61.26,measured,0.0625,\r\n"
      "ce.measured,ce,Measured performance,missing,,,,,0.1,no data\r\n"
      "ce.utilization,ce,Resource utilization,missing,,,,,0.1,no data\r\n"
      "ie.model_compute,ie,Model-compute efficiency,missing,,,,,0.1,no data\r\n"
      "ie.intelligence,ie,Degree of intelligence,missing,,,,,0.1,no data\r\n"
      "co2.lifecycle,co2,Lifecycle low-carbon management,missing,,,,,0.1,no data\r\n"
      "co2.compute_carbon,co2,Compute carbon efficiency,missing,,,,,0.1,no data\r\n"
      "acc.universality,acc,Universality,missing,,,,,0.1,\"none, said \"\"no\"\"\nat all\"\r\n"
      "acc.inclusiveness,acc,Inclusiveness,missing,,,,,0.1,no data\r\n"
      "sus.compatibility,sus,Technical compatibility,missing,,,,,0.1,no data\r\n"
      "sus.supply_chain,sus,Supply-chain completeness,missing,,,,,0.1,no data\r\n"
      "sus.openness,sus,Ecosystem openness,missing,,,,,0.1,no data\r\n";
  EXPECT_EQ(csv, expected);

  // Several results: system and file first, quoted where needed.
  json other = small_result();
  other["system"]["name"] = "Big, \"new\" site";
  const std::string two = report::csv({{"a.json", small_result(), ""}, {"b.json", other, ""}}, report::Lang::en);
  EXPECT_TRUE(two.starts_with("system,file,indicator,dimension,name,status,value,unit,score,kind,weight,reason\r\n"
                              "Small | site,a.json,ce.theoretical,ce,"));
  EXPECT_NE(two.find("\r\n\"Big, \"\"new\"\" site\",b.json,ce.theoretical,"), std::string::npos);
}

TEST(ReportTables, CsvFieldsAndNumbers) {
  EXPECT_EQ(report::csv_field("plain"), "plain");
  EXPECT_EQ(report::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(report::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(report::csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(report::csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(report::csv_field(""), "");
  EXPECT_EQ(report::full_precision(0.1), "0.1");
  EXPECT_EQ(std::stod(report::full_precision(47.65568869672637)), 47.65568869672637);
  EXPECT_EQ(std::stod(report::full_precision(1.0 / 3)), 1.0 / 3);
  EXPECT_EQ(report::format_number(1234.5, report::Lang::en, 5), "1,234.5");
  EXPECT_EQ(report::format_number(1234.5, report::Lang::zh, 5), "1,234.5");
  EXPECT_EQ(report::format_number(1234.56, report::Lang::en), "1,235");
  EXPECT_EQ(report::format_number(59568000, report::Lang::en), "59,568,000");
  EXPECT_EQ(report::format_number(0.2973676835269961, report::Lang::en), "0.2974");
  EXPECT_EQ(report::format_number(-1234567.25, report::Lang::en, 9), "-1,234,567.25");
  EXPECT_EQ(report::format_number(0, report::Lang::en), "0");
  EXPECT_EQ(report::format_number(1.979e15, report::Lang::en), "1.979e+15");
  EXPECT_EQ(report::format_number(5.4e16, report::Lang::en, 6), "5.4e+16");
  EXPECT_EQ(report::format_number(0.00012346, report::Lang::en), "1.235e-04");
  EXPECT_EQ(report::format_fixed(84.63100112177224, report::Lang::en, 1), "84.6");
  EXPECT_EQ(report::format_fixed(-0.01, report::Lang::en, 1), "0.0");
  EXPECT_EQ(report::format_number(std::nan(""), report::Lang::en), "—");
}

TEST(ReportCli, WritesAtomicallyOrToStandardOutput) {
  const fs::path out = temp_dir() / "report.html";
  const auto o = run({"report", example_result("cpu-datacenter").string(), "-o", out.string(), "--lang", "zh"});
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_TRUE(o.out.empty());
  const std::string html = read_file(out);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(html.ends_with("</html>\n"));
  for (const auto& e : fs::directory_iterator(temp_dir())) EXPECT_FALSE(e.path().filename().string().starts_with(".aicq-")) << e.path();
  EXPECT_EQ(run({"report", example_result("cpu-datacenter").string(), "-o", (temp_dir() / "no/such/dir/r.html").string()}).rc, 2);
  EXPECT_EQ(run({"report", (temp_dir() / "absent.json").string()}).rc, 2);
  EXPECT_EQ(run({"report", example_result("cpu-datacenter").string(), "--format", "pdf"}).rc, 2);
  const std::string csv = render({example_result("cpu-datacenter").string(), "--format", "csv"});
  EXPECT_EQ(count(csv, "\r\n"), 13u);
}

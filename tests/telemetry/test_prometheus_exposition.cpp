// The /metrics page: the exposition writer's exact text (golden strings), the mapping of telemetry values to
// Prometheus names, `promtool check metrics` on both (clean: exit 0, no findings), and the Grafana dashboard
// against the names aicq exposes.
#include <gtest/gtest.h>

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "aicq/core/version.hpp"
#include "aicq/server/exposition.hpp"
#include "aicq/server/metrics.hpp"
#include "support.hpp"
#include "test_prometheus_support.hpp"

namespace {

using aicq::server::MetricFamily;
using aicq::server::MetricType;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<MetricFamily> hand_built() {
  return {
      {"aicq_power_watts", "Power in watts", MetricType::gauge,
       {{{{"source", "rapl"}, {"device", "package-0"}}, 12.5}, {{{"source", "nvml"}, {"device", "gpu0"}}, 250}}},
      {"aicq_energy_joules_total", "Energy in joules", MetricType::counter, {{{{"source", "rapl"}, {"device", "package-0"}}, 1234567890123.0}}},
      {"aicq_temperature_celsius", "Temperature with a \\ backslash\nand a newline", MetricType::gauge,
       {{{{"device", "say \"hi\" \\ then\nbye"}}, kNaN}, {{{"device", "hot"}}, kInf}, {{{"device", "cold"}}, -kInf}}},
      {"aicq_unused_ratio", "A family without samples is left out", MetricType::gauge, {}},
      {"aicq_sample_interval_seconds", "Sampling interval in seconds", MetricType::gauge, {{{}, 0.1}}},
      {"aicq_big_bytes", "Large and small values", MetricType::gauge, {{{{"k", "a"}}, 1e21}, {{{"k", "b"}}, 2.5e-7}, {{{"k", "c"}}, -3}}},
  };
}

// Golden text: the order is the order given; escapes per the 0.0.4 format (HELP: \\ and \n; label values: \\,
// \" and \n); NaN and ±Inf spelled as Prometheus reads them; shortest round-trip numbers.
const char* const kGolden =
    "# HELP aicq_power_watts Power in watts\n"
    "# TYPE aicq_power_watts gauge\n"
    "aicq_power_watts{source=\"rapl\",device=\"package-0\"} 12.5\n"
    "aicq_power_watts{source=\"nvml\",device=\"gpu0\"} 250\n"
    "# HELP aicq_energy_joules_total Energy in joules\n"
    "# TYPE aicq_energy_joules_total counter\n"
    "aicq_energy_joules_total{source=\"rapl\",device=\"package-0\"} 1234567890123\n"
    "# HELP aicq_temperature_celsius Temperature with a \\\\ backslash\\nand a newline\n"
    "# TYPE aicq_temperature_celsius gauge\n"
    "aicq_temperature_celsius{device=\"say \\\"hi\\\" \\\\ then\\nbye\"} NaN\n"
    "aicq_temperature_celsius{device=\"hot\"} +Inf\n"
    "aicq_temperature_celsius{device=\"cold\"} -Inf\n"
    "# HELP aicq_sample_interval_seconds Sampling interval in seconds\n"
    "# TYPE aicq_sample_interval_seconds gauge\n"
    "aicq_sample_interval_seconds 0.1\n"
    "# HELP aicq_big_bytes Large and small values\n"
    "# TYPE aicq_big_bytes gauge\n"
    "aicq_big_bytes{k=\"a\"} 1e+21\n"
    "aicq_big_bytes{k=\"b\"} 2.5e-07\n"
    "aicq_big_bytes{k=\"c\"} -3\n";

aicq::test::ToolRun promtool_check(const std::string& text) {
  const std::string promtool = aicq::test::promtool_binary();
  if (promtool.empty()) ADD_FAILURE() << aicq::test::missing_tool_message("promtool");
  if (promtool.empty()) return {};
  return aicq::test::run_tool({promtool, "check", "metrics"}, text, aicq::test::scratch("promtool"));
}

TEST(PrometheusExposition, GoldenText) { EXPECT_EQ(aicq::server::exposition_text(hand_built()), kGolden); }

TEST(PrometheusExposition, EscapesAndValues) {
  EXPECT_EQ(aicq::server::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(aicq::server::escape_help("a\"b\\c\nd"), "a\"b\\\\c\\nd");  // quotes stay as they are in HELP
  EXPECT_EQ(aicq::server::format_sample_value(kNaN), "NaN");
  EXPECT_EQ(aicq::server::format_sample_value(0.1), "0.1");
  EXPECT_EQ(aicq::server::format_sample_value(1.0 / 3), "0.3333333333333333");  // 16 digits read back to the same double
  EXPECT_EQ(std::stod(aicq::server::format_sample_value(1.0 / 3)), 1.0 / 3);
}

TEST(PrometheusExposition, RefusesWhatWouldNotPassPromtool) {
  using aicq::server::exposition_text;
  EXPECT_THROW(exposition_text({{"aicq_energy_joules", "counter without _total", MetricType::counter, {{{}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq_power_total", "gauge ending in _total", MetricType::gauge, {{{}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq_x", "", MetricType::gauge, {{{}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq-x", "bad name", MetricType::gauge, {{{}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq:x", "colons are for recording rules", MetricType::gauge, {{{}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq_x", "label", MetricType::gauge, {{{{"__name", "x"}}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq_x", "label twice", MetricType::gauge, {{{{"a", "x"}, {"a", "y"}}, 1}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq_x", "series twice", MetricType::gauge, {{{{"a", "x"}}, 1}, {{{"a", "x"}}, 2}}}}), std::invalid_argument);
  EXPECT_THROW(exposition_text({{"aicq_x", "a", MetricType::gauge, {{{}, 1}}}, {"aicq_x", "b", MetricType::gauge, {{{}, 2}}}}),
               std::invalid_argument);
}

TEST(PrometheusExposition, PromtoolCheckMetricsIsCleanOnTheGoldenText) {
  const auto r = promtool_check(kGolden);
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "") << "promtool findings (lint):\n" << r.out;
}

// The telemetry values a Recorder could hold on a machine with RAPL, one GPU and a failed IPMI sampler.
std::vector<aicq::telemetry::LatestValue> latest_values() {
  using aicq::telemetry::Channel;
  using aicq::telemetry::PowerScope;
  namespace m = aicq::telemetry::metric;
  using Q = aicq::core::PowerQuality;
  return {
      {"procfs", Channel{m::cpu_utilization, "cpu", "1", false, PowerScope::none}, std::nullopt, 3, 0.25},
      {"procfs", Channel{m::memory_used_bytes, "memory", "B", false, PowerScope::none}, std::nullopt, 3, 8589934592},
      {"procfs", Channel{m::memory_total_bytes, "memory", "B", false, PowerScope::none}, std::nullopt, 3, 17179869184},
      {"rapl", Channel{m::energy_j, "package-0", "J", true, PowerScope::component}, Q::q1, 3, 150.5},
      {"rapl", Channel{m::power_w, "package-0", "W", false, PowerScope::component}, Q::q1, 3, 50.25},
      {"rapl", Channel{m::power_w, "package-0/core", "W", false, PowerScope::part}, Q::q1, 3, 30},
      {"rapl", Channel{m::power_w, "package-0/dram", "W", false, PowerScope::component}, Q::q1, 3, kNaN},  // not available: left out
      {"nvml", Channel{m::gpu_utilization, "gpu0", "1", false, PowerScope::none}, Q::q1, 3, 0.97},
      {"nvml", Channel{m::power_w, "gpu0", "W", false, PowerScope::component}, Q::q1, 3, 301},
      {"nvml", Channel{m::temperature_c, "gpu0", "Cel", false, PowerScope::none}, Q::q1, 3, 64},
      {"nvml", Channel{m::sm_clock_hz, "gpu0", "Hz", false, PowerScope::none}, Q::q1, 3, 1.98e9},
      {"ipmi", Channel{m::power_w, "node", "W", false, PowerScope::node}, Q::q2, 1, 420},  // its sampler failed: left out
  };
}

std::vector<aicq::telemetry::SamplerStatus> sampler_status() {
  using Q = aicq::core::PowerQuality;
  std::vector<aicq::telemetry::SamplerStatus> s(4);
  s[0].id = "procfs";
  s[0].samples = 4;
  s[1].id = "rapl";
  s[1].quality = Q::q1;
  s[1].samples = 4;
  s[2].id = "nvml";
  s[2].quality = Q::q1;
  s[2].samples = 4;
  s[3].id = "ipmi";
  s[3].quality = Q::q2;
  s[3].failed = true;
  s[3].error = "ipmitool: BMC not answering";
  s[3].samples = 1;
  return s;
}

TEST(PrometheusExposition, TelemetryValuesUnderPrometheusNames) {
  const std::string text = aicq::server::exposition_text(aicq::server::telemetry_families(latest_values(), sampler_status(), 1));
  const std::string expected = fmt::format(
      "# HELP aicq_power_watts Power of one channel in watts; sources overlap (a node reading includes its components): add only "
      "scope=\"component\" series of one source\n"
      "# TYPE aicq_power_watts gauge\n"
      "aicq_power_watts{{source=\"rapl\",device=\"package-0\",scope=\"component\"}} 50.25\n"
      "aicq_power_watts{{source=\"rapl\",device=\"package-0/core\",scope=\"part\"}} 30\n"
      "aicq_power_watts{{source=\"nvml\",device=\"gpu0\",scope=\"component\"}} 301\n"
      "# HELP aicq_energy_joules_total Energy in joules since the sampler opened\n"
      "# TYPE aicq_energy_joules_total counter\n"
      "aicq_energy_joules_total{{source=\"rapl\",device=\"package-0\",scope=\"component\"}} 150.5\n"
      "# HELP aicq_cpu_utilization_ratio Busy share of all CPUs since the previous sample (0-1)\n"
      "# TYPE aicq_cpu_utilization_ratio gauge\n"
      "aicq_cpu_utilization_ratio 0.25\n"
      "# HELP aicq_accelerator_utilization_ratio Share of time a kernel ran on the accelerator (0-1)\n"
      "# TYPE aicq_accelerator_utilization_ratio gauge\n"
      "aicq_accelerator_utilization_ratio{{device=\"gpu0\"}} 0.97\n"
      "# HELP aicq_memory_used_bytes Memory in use in bytes (host: MemTotal - MemAvailable)\n"
      "# TYPE aicq_memory_used_bytes gauge\n"
      "aicq_memory_used_bytes{{device=\"memory\"}} 8589934592\n"
      "# HELP aicq_memory_total_bytes Memory installed in bytes\n"
      "# TYPE aicq_memory_total_bytes gauge\n"
      "aicq_memory_total_bytes{{device=\"memory\"}} 17179869184\n"
      "# HELP aicq_temperature_celsius Temperature in degrees Celsius\n"
      "# TYPE aicq_temperature_celsius gauge\n"
      "aicq_temperature_celsius{{source=\"nvml\",device=\"gpu0\"}} 64\n"
      "# HELP aicq_accelerator_sm_clock_hertz Accelerator SM clock in hertz\n"
      "# TYPE aicq_accelerator_sm_clock_hertz gauge\n"
      "aicq_accelerator_sm_clock_hertz{{device=\"gpu0\"}} 1.98e+09\n"
      "# HELP aicq_sampler_up 1 when the sampler is sampling, 0 when it failed (its series are then absent)\n"
      "# TYPE aicq_sampler_up gauge\n"
      "aicq_sampler_up{{source=\"procfs\"}} 1\n"
      "aicq_sampler_up{{source=\"rapl\"}} 1\n"
      "aicq_sampler_up{{source=\"nvml\"}} 1\n"
      "aicq_sampler_up{{source=\"ipmi\"}} 0\n"
      "# HELP aicq_power_quality_level Power measurement quality level of the source: 0-3 for Q0 (estimate) to Q3 (integrated energy counters)\n"
      "# TYPE aicq_power_quality_level gauge\n"
      "aicq_power_quality_level{{source=\"rapl\"}} 1\n"
      "aicq_power_quality_level{{source=\"nvml\"}} 1\n"
      "aicq_power_quality_level{{source=\"ipmi\"}} 2\n"
      "# HELP aicq_sampler_samples_total Samples taken by the sampler\n"
      "# TYPE aicq_sampler_samples_total counter\n"
      "aicq_sampler_samples_total{{source=\"procfs\"}} 4\n"
      "aicq_sampler_samples_total{{source=\"rapl\"}} 4\n"
      "aicq_sampler_samples_total{{source=\"nvml\"}} 4\n"
      "aicq_sampler_samples_total{{source=\"ipmi\"}} 1\n"
      "# HELP aicq_sample_interval_seconds Sampling interval in seconds\n"
      "# TYPE aicq_sample_interval_seconds gauge\n"
      "aicq_sample_interval_seconds 1\n"
      "# HELP aicq_build_info Version and git revision of the aicq that serves these metrics\n"
      "# TYPE aicq_build_info gauge\n"
      "aicq_build_info{{version=\"{}\",revision=\"{}\"}} 1\n",
      aicq::core::version(), aicq::core::git_revision());
  EXPECT_EQ(text, expected);
  const auto r = promtool_check(text);
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out, "") << "promtool findings (lint):\n" << r.out;
}

// contrib/grafana/aicq-dashboard.json: valid JSON, the datasource a template variable, the three kinds of panels
// the issue asks for, and every aicq_* name in a query one that aicq exposes.
TEST(PrometheusExposition, GrafanaDashboardUsesExposedNames) {
  std::ifstream in(std::string(AICQ_SOURCE_DIR) + "/contrib/grafana/aicq-dashboard.json");
  ASSERT_TRUE(in) << "contrib/grafana/aicq-dashboard.json is missing";
  const auto dash = nlohmann::json::parse(in);
  bool ds_var = false;
  for (const auto& v : dash.at("templating").at("list"))
    if (v.at("type") == "datasource" && v.at("query") == "prometheus") ds_var = true;
  EXPECT_TRUE(ds_var) << "the datasource must be a template variable of type datasource";
  const auto exposed = aicq::server::exposed_metric_names();
  const std::set<std::string> names(exposed.begin(), exposed.end());
  std::set<std::string> titles, used;
  int targets = 0;
  const std::regex metric_re("aicq_[a-z_]+");
  // get_ref rather than get<std::string>: GCC 12 reports a false -Wnull-dereference in nlohmann's from_json.
  auto text = [](const nlohmann::json& j, const char* key) -> std::string {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ref<const std::string&>() : std::string();
  };
  for (const auto& p : dash.at("panels")) {
    const std::string title = text(p, "title");
    titles.insert(title);
    if (!p.contains("targets")) continue;
    EXPECT_EQ(text(p.at("datasource"), "uid"), "${datasource}") << title;
    for (const auto& t : p.at("targets")) {
      ++targets;
      const std::string expr = text(t, "expr");
      for (std::sregex_iterator it(expr.begin(), expr.end(), metric_re), end; it != end; ++it) {
        used.insert(it->str());
        EXPECT_TRUE(names.contains(it->str())) << title << ": " << it->str() << " is not a name aicq exposes";
      }
    }
  }
  EXPECT_GE(targets, 5);
  for (const char* needed : {"aicq_power_watts", "aicq_energy_joules_total", "aicq_cpu_utilization_ratio", "aicq_accelerator_utilization_ratio",
                             "aicq_sampler_up", "aicq_power_quality_level"})
    EXPECT_TRUE(used.contains(needed)) << needed << " has no panel";
  EXPECT_TRUE(titles.contains("Power")) << "no Power panel";
  EXPECT_TRUE(titles.contains("Energy rate")) << "no Energy rate panel";
}

}  // namespace

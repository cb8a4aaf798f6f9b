// Reading Prometheus: the query_range plan (window/step → requests), parsing recorded answers of a real
// Prometheus 2.42 (NaN, ±Inf, string values, float times, errors), metric names → readings, and the failures a
// user meets (an unreachable server, bad options) with their exit codes.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "aicq/core/diagnostics.hpp"
#include "aicq/server/http.hpp"
#include "aicq/server/prometheus_api.hpp"
#include "aicq/server/utilization.hpp"
#include "support.hpp"
#include "test_prometheus_support.hpp"

namespace {

using aicq::server::plan_range;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(AICQ_FIXTURES_DIR) + "/prometheus/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr std::int64_t kDay = 86'400'000;

TEST(PrometheusPlan, ThirtyDaysAtOneMinuteBecomesTenThousandSteps) {
  // 30 d = 2,592,000,000 ms; /10,000 = 259,200 ms > the 60,000 ms asked → step 259.2 s, 10,000 steps, one request.
  const auto p = plan_range(0, 30 * kDay, 60'000);
  EXPECT_EQ(p.requested_step_ms, 60'000);
  EXPECT_EQ(p.step_ms, 259'200);
  EXPECT_EQ(p.points, 10'000);
  EXPECT_EQ(p.start_ms, 0);
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].start_ms, 259'200);
  EXPECT_EQ(p.requests[0].end_ms, 30 * kDay);
  EXPECT_EQ(p.requests[0].points, 10'000);
}

TEST(PrometheusPlan, ShortWindowKeepsTheRequestedStep) {
  // 1 h at 15 s: 3,600,000 / 10,000 = 360 ms < 15,000 → 15 s; 240 steps.
  const auto p = plan_range(1'000'000, 1'000'000 + 3'600'000, 15'000);
  EXPECT_EQ(p.step_ms, 15'000);
  EXPECT_EQ(p.points, 240);
  EXPECT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].start_ms, 1'015'000);
  EXPECT_EQ(p.requests[0].end_ms, 4'600'000);
}

TEST(PrometheusPlan, ChunksTileTheWindowWithoutOverlap) {
  // 7 d at 1 min with at most 3,000 points a request: 604,800,000 / 10,000 = 60,480 ms > 60,000 → step 60.48 s,
  // 10,000 steps → requests of 3,000, 3,000, 3,000 and 1,000 points, each starting one step after the last.
  const auto p = plan_range(0, 7 * kDay, 60'000, 3'000);
  EXPECT_EQ(p.step_ms, 60'480);
  EXPECT_EQ(p.points, 10'000);
  ASSERT_EQ(p.requests.size(), 4u);
  const std::int64_t expected_points[] = {3'000, 3'000, 3'000, 1'000};
  std::int64_t total = 0;
  for (std::size_t i = 0; i < p.requests.size(); ++i) {
    EXPECT_EQ(p.requests[i].points, expected_points[i]);
    EXPECT_EQ(p.requests[i].end_ms - p.requests[i].start_ms, (p.requests[i].points - 1) * p.step_ms);
    if (i > 0) {
      EXPECT_EQ(p.requests[i].start_ms, p.requests[i - 1].end_ms + p.step_ms);
    }
    total += p.requests[i].points;
  }
  EXPECT_EQ(total, p.points);
  EXPECT_EQ(p.requests.front().start_ms, p.start_ms + p.step_ms);
  EXPECT_EQ(p.requests.back().end_ms, 7 * kDay);
  // Prometheus' own limit: 11,000 points per series and request.
  for (const auto& r : plan_range(0, 400 * kDay, 1'000, aicq::server::kMaxPointsPerRequest, 50'000).requests) {
    EXPECT_LE(r.points, 11'000);
  }
}

TEST(PrometheusPlan, WindowNotAMultipleOfTheStepEndsNow) {
  // 100 s at 30 s: 3 whole steps (90 s) ending at the window's end; the effective window is reported.
  const auto p = plan_range(0, 100'000, 30'000);
  EXPECT_EQ(p.points, 3);
  EXPECT_EQ(p.start_ms, 10'000);
  EXPECT_EQ(p.end_ms, 100'000);
  EXPECT_DOUBLE_EQ(p.window_s(), 90);
  // A step longer than the window shrinks to it: one step.
  const auto q = plan_range(0, 20'000, 60'000);
  EXPECT_EQ(q.step_ms, 20'000);
  EXPECT_EQ(q.points, 1);
  EXPECT_THROW(plan_range(5, 5, 1'000), std::invalid_argument);
}

TEST(PrometheusParse, RecordedMatrixWithNanInfAndStrings) {
  const auto r = aicq::server::parse_api_response(200, fixture("query_range_matrix_nan_inf.json"), "test");
  EXPECT_EQ(r.result_type, "matrix");
  ASSERT_EQ(r.series.size(), 5u);
  std::map<std::string, const aicq::server::Series*> by_kind;
  for (const auto& s : r.series) by_kind[s.labels.at("kind")] = &s;
  ASSERT_EQ(by_kind.size(), 5u);
  for (const auto& [kind, s] : by_kind) {
    ASSERT_EQ(s->values.size(), 5u) << kind;
    EXPECT_EQ(s->labels.at("job"), "prometheus");
    EXPECT_EQ(s->labels.count("__name__"), 0u);  // dropped by the arithmetic
  }
  EXPECT_TRUE(std::isinf(by_kind["inf"]->values[0]) && by_kind["inf"]->values[0] > 0);
  EXPECT_TRUE(std::isinf(by_kind["minus_inf"]->values[0]) && by_kind["minus_inf"]->values[0] < 0);
  EXPECT_TRUE(std::isnan(by_kind["nan"]->values[2]));
  EXPECT_EQ(by_kind["quarter"]->values[4], 0.25);
  EXPECT_EQ(by_kind["big"]->values[1], 1e21);
  // Float seconds with a fractional part, 1.5 s apart.
  EXPECT_DOUBLE_EQ(by_kind["quarter"]->t_s[0], 1795964683.25);
  EXPECT_DOUBLE_EQ(by_kind["quarter"]->t_s[1] - by_kind["quarter"]->t_s[0], 1.5);
}

TEST(PrometheusParse, RecordedVector) {
  const auto r = aicq::server::parse_api_response(200, fixture("query_vector.json"), "test");
  EXPECT_EQ(r.result_type, "vector");
  ASSERT_EQ(r.series.size(), 1u);
  EXPECT_EQ(r.series[0].labels.at("__name__"), "up");
  EXPECT_EQ(r.series[0].values[0], 1);
  EXPECT_DOUBLE_EQ(r.series[0].t_s[0], 1795964672.069);
}

TEST(PrometheusParse, ErrorAnswersBecomeClearMessages) {
  try {
    (void)aicq::server::parse_api_response(400, fixture("error_bad_regexp.json"), "Prometheus http://127.0.0.1:9090 query 'up{job=~\"(\"}'");
    FAIL() << "expected a WorkError";
  } catch (const aicq::core::WorkError& e) {
    EXPECT_STREQ(e.what(),
                 "Prometheus http://127.0.0.1:9090 query 'up{job=~\"(\"}': Prometheus answered HTTP 400 bad_data: invalid parameter \"query\": "
                 "1:4: parse error: error parsing regexp: missing closing ): `^(?:()$`");
  }
  try {
    (void)aicq::server::parse_api_response(400, fixture("error_too_many_points.json"), "q");
    FAIL() << "expected a WorkError";
  } catch (const aicq::core::WorkError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeded maximum resolution of 11,000 points per timeseries"), std::string::npos) << e.what();
  }
  // Not the API at all: a web page with a 404.
  try {
    (void)aicq::server::parse_api_response(404, "<html><body>Not Found</body></html>", "q");
    FAIL() << "expected a WorkError";
  } catch (const aicq::core::WorkError& e) {
    EXPECT_EQ(std::string(e.what()), "q: not a Prometheus API answer (HTTP 404, is the URL a Prometheus server?): '<html><body>Not Found</body></html>'");
  }
  EXPECT_THROW((void)aicq::server::parse_api_response(200, R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}})", "q"),
               aicq::core::WorkError);  // a value that is not a string
}

TEST(PrometheusParse, SampleValues) {
  using aicq::server::parse_sample_value;
  EXPECT_EQ(parse_sample_value("0.25"), 0.25);
  EXPECT_EQ(parse_sample_value("1e+21"), 1e21);
  EXPECT_EQ(parse_sample_value("-3"), -3);
  EXPECT_TRUE(std::isnan(parse_sample_value("NaN")));
  EXPECT_EQ(parse_sample_value("+Inf"), HUGE_VAL);
  EXPECT_EQ(parse_sample_value("-Inf"), -HUGE_VAL);
  EXPECT_THROW(parse_sample_value(""), std::invalid_argument);
  EXPECT_THROW(parse_sample_value("1.5x"), std::invalid_argument);
}

TEST(PrometheusReadings, KnownNamesAndTheirUnits) {
  using aicq::server::resolve_metric;
  using aicq::server::Signal;
  const auto gpu = resolve_metric(Signal::accelerator, "DCGM_FI_DEV_GPU_UTIL", "cluster=\"a\"", "--gpu-metric");
  EXPECT_EQ(gpu.scale, 0.01);
  EXPECT_EQ(gpu.evidence_metric, "utilization.accelerator.gpu_util");
  EXPECT_EQ(gpu.selector(), "DCGM_FI_DEV_GPU_UTIL{cluster=\"a\"}");
  EXPECT_EQ(gpu.expressions(259'200), (std::vector<std::string>{"sum_over_time(DCGM_FI_DEV_GPU_UTIL{cluster=\"a\"}[259200ms])",
                                                                "count_over_time(DCGM_FI_DEV_GPU_UTIL{cluster=\"a\"}[259200ms])"}));
  EXPECT_EQ(resolve_metric(Signal::accelerator, "DCGM_FI_PROF_SM_ACTIVE", "", "o").evidence_metric, "utilization.accelerator.sm_active");
  const auto cpu = resolve_metric(Signal::cpu, "node_cpu_seconds_total{job=\"node\"}", "", "--cpu-metric");
  EXPECT_EQ(cpu.expressions(60'000),
            (std::vector<std::string>{"sum without (cpu, mode) (node_cpu_seconds_total{job=\"node\",mode=\"idle\"})",
                                      "max without (cpu, mode) (timestamp(node_cpu_seconds_total{job=\"node\",mode=\"idle\"}))",
                                      "count without (cpu, mode) (node_cpu_seconds_total{job=\"node\",mode=\"idle\"})"}));
  EXPECT_EQ(cpu.evidence_metric, "utilization.cpu.cpu_busy");
  const auto energy = resolve_metric(Signal::power, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "", "--power-metric");
  EXPECT_EQ(energy.scale, 0.001);  // mJ → J, so rate() gives W
  EXPECT_EQ(energy.quality, aicq::core::PowerQuality::q1);
  EXPECT_EQ(energy.expressions(2'000),
            (std::vector<std::string>{"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "timestamp(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION)"}));
  EXPECT_EQ(resolve_metric(Signal::power, "ipmi_dcmi_power_consumption_watts", "", "o").quality, aicq::core::PowerQuality::q2);
  const auto own = resolve_metric(Signal::power, "aicq_power_watts{source=\"ipmi\"}", "", "o");
  EXPECT_EQ(own.quality, aicq::core::PowerQuality::q2);
  EXPECT_EQ(own.selector(), "aicq_power_watts{source=\"ipmi\",scope!=\"part\"}");
  EXPECT_EQ(own.note, "aicq ipmi readings");
  EXPECT_EQ(resolve_metric(Signal::power, "aicq_power_watts{source=\"estimate\"}", "", "o").quality, aicq::core::PowerQuality::q0);
  EXPECT_EQ(resolve_metric(Signal::power, "site_pdu_watts", "", "o", aicq::core::PowerQuality::q3).quality, aicq::core::PowerQuality::q3);
}

TEST(PrometheusReadings, BadNamesAndMatchersAreInputErrors) {
  using aicq::server::resolve_metric;
  using aicq::server::Signal;
  EXPECT_THROW(resolve_metric(Signal::accelerator, "DCGM_FI_DEV_GPU_TEMP", "", "--gpu-metric"), aicq::core::InputError);
  EXPECT_THROW(resolve_metric(Signal::power, "aicq_power_watts", "", "--power-metric"), aicq::core::InputError);  // sources overlap
  EXPECT_THROW(resolve_metric(Signal::power, "aicq_power_watts{source=~\".*\"}", "", "--power-metric"), aicq::core::InputError);
  EXPECT_THROW(resolve_metric(Signal::cpu, "node_cpu_seconds_total{mode=\"user\"}", "", "--cpu-metric"), aicq::core::InputError);
  EXPECT_THROW(resolve_metric(Signal::cpu, "aicq_cpu_utilization_ratio", "cluster=a", "--cpu-metric"), aicq::core::InputError);  // unquoted
  EXPECT_THROW(resolve_metric(Signal::cpu, "aicq_cpu_utilization_ratio{x=\"1\"", "", "--cpu-metric"), aicq::core::InputError);
  EXPECT_THROW(resolve_metric(Signal::cpu, "1abc", "", "--cpu-metric"), aicq::core::InputError);
  const auto ms = aicq::server::parse_matchers("{a=\"x\", b!~'y.*', c=`raw\\`}", "--selector");
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[1].op, "!~");
  EXPECT_EQ(ms[1].value, "y.*");
  EXPECT_EQ(ms[2].value, "raw\\");
}

TEST(PrometheusCli, UnreachableServerExitsOneNamingUrlAndReason) {
  const int port = aicq::test::free_loopback_port();  // nothing listens there
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const auto r = aicq::test::run({"utilization", "--prometheus", url, "--since", "1h"});
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("cannot reach " + url), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(PrometheusCli, OutputFileIsNotTouchedWhenPrometheusIsUnreachable) {
  const auto dir = aicq::test::scratch("prom-unreachable");
  const auto out = dir / "evidence.json";
  std::ofstream(out) << "previous\n";
  const auto r = aicq::test::run({"utilization", "--prometheus", "http://127.0.0.1:" + std::to_string(aicq::test::free_loopback_port()), "-o", out.string()});
  EXPECT_EQ(r.rc, 1);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "previous");
}

TEST(PrometheusCli, BadOptionsExitTwo) {
  EXPECT_EQ(aicq::test::run({"utilization", "--prometheus", "127.0.0.1:9090"}).rc, 2);  // no scheme
  EXPECT_EQ(aicq::test::run({"utilization", "--prometheus", "http://user:pw@127.0.0.1:9090"}).rc, 2);
  EXPECT_EQ(aicq::test::run({"utilization", "--since", "30 parsecs"}).rc, 2);
  EXPECT_EQ(aicq::test::run({"utilization", "--gpu-metric", "DCGM_FI_DEV_GPU_UTIL"}).rc, 2);  // needs --prometheus
  EXPECT_EQ(aicq::test::run({"utilization", "--prometheus", "http://127.0.0.1:1", "--db", "x.db"}).rc, 2);
  const auto r = aicq::test::run({"utilization", "--prometheus", "http://127.0.0.1:1", "--power-metric", "aicq_power_watts"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--power-metric"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected one source"), std::string::npos) << r.err;
}

TEST(PrometheusUrls, BaseUrlAndListenAddress) {
  const auto u = aicq::server::parse_base_url("https://prom.example/prometheus/", "--prometheus");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.prefix, "/prometheus");
  EXPECT_EQ(u.text(), "https://prom.example:443/prometheus");
  const auto v6 = aicq::server::parse_base_url("http://[::1]:9090", "--prometheus");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.text(), "http://[::1]:9090");
  const auto l = aicq::server::parse_listen_address("0.0.0.0:9464");
  EXPECT_EQ(l.host, "0.0.0.0");
  EXPECT_EQ(l.port, 9464);
  EXPECT_EQ(aicq::server::parse_listen_address("[::1]:0").text(), "[::1]:0");
  EXPECT_THROW(aicq::server::parse_listen_address("9464"), aicq::core::InputError);
  EXPECT_THROW(aicq::server::parse_listen_address("127.0.0.1:70000"), aicq::core::InputError);
  EXPECT_THROW(aicq::server::parse_listen_address(":9464"), aicq::core::InputError);
  EXPECT_EQ(aicq::server::url_encode("a b{c=\"d\"}[5m]"), "a%20b%7Bc%3D%22d%22%7D%5B5m%5D");
  EXPECT_EQ(aicq::server::api_time(1795964683250), "1795964683.250");
}

}  // namespace

// The real thing, end to end: a real Prometheus (Debian's 2.42) on loopback scrapes the real `aicq monitor`
// binary and an exporter page in dcgm-exporter's and node_exporter's names (help texts and base values from the
// recorded fixtures); `aicq utilization --prometheus` reads both back through the HTTP API.
//
// What is compared, and why the tolerances are what they are:
// - The exporter page holds constants (GPU utilization 40 % and 90 %, SM active 0.25 and 0.75, board power
//   300.5 W and 150.25 W) and counters that are exactly linear in their own exposed timestamps (energy at
//   300.5 W and 150.25 W in mJ, idle CPU seconds at 0.25 s/s and 0.75 s/s). Means of constants are exact
//   whatever the scrape timing (1e-12); counters are read as increase / time between their own samples, exact
//   for a linear counter up to double rounding of values near 1e10 mJ (1e-9 relative).
// - aicq monitor's own values: every value Prometheus scraped must be one of the monitor's samples from the
//   1 s sampling interval before the scrape (scrape alignment: the page shows the newest sample; one interval
//   of slack more for the sample being published while the scrape ran). The mean aicq utilization reports must
//   then equal the mean of exactly those raw samples, tile by tile (1e-12): same numbers, same arithmetic.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "aicq/declare/evidence_file.hpp"
#include "aicq/server/http.hpp"
#include "aicq/server/prometheus_api.hpp"
#include "support.hpp"
#include "test_prometheus_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// HELP texts and types of the recorded exporters' own lists.
std::map<std::string, std::pair<std::string, std::string>> dcgm_fields() {
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const char* f : {"default-counters.csv", "dcp-metrics-included.csv"}) {
    std::ifstream in(std::string(AICQ_FIXTURES_DIR) + "/dcgm_exporter/" + f);
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_match(line, m, std::regex(R"(#?\s*(DCGM_FI_\w+)\s*,\s*(\w+)\s*,\s*(.*))"))) out[m[1]] = {m[2], m[3]};
    }
  }
  return out;
}

struct ExporterPage {
  std::int64_t t0_ms = 0;
  std::map<std::string, std::pair<std::string, std::string>> dcgm = dcgm_fields();
  double idle0 = 0, idle1 = 0;  // node_exporter fixture's idle seconds of cpu 0 and 1
  std::string node_help;

  ExporterPage() {
    std::ifstream in(std::string(AICQ_FIXTURES_DIR) + "/node_exporter/e2e-output_excerpt_cpu_rapl.prom");
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("# HELP node_cpu_seconds_total ")) node_help = line.substr(30);
      if (line.starts_with("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} ")) idle0 = std::stod(line.substr(line.find("} ") + 2));
      if (line.starts_with("node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} ")) idle1 = std::stod(line.substr(line.find("} ") + 2));
    }
  }

  std::string text(std::int64_t ts_ms) const {
    const double t = static_cast<double>(ts_ms - t0_ms) / 1000;
    std::string out;
    auto family = [&](const std::string& name) {
      const auto it = dcgm.find(name);
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, it == dcgm.end() ? "?" : it->second.second, name,
                         it == dcgm.end() ? "gauge" : it->second.first);
    };
    auto gpu = [&](const std::string& name, int g, double v) {
      out += fmt::format("{}{{gpu=\"{}\",UUID=\"GPU-{}\",device=\"nvidia{}\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"node-a\"}} {} {}\n", name, g,
                         g, g, v, ts_ms);
    };
    family("DCGM_FI_DEV_GPU_UTIL");
    gpu("DCGM_FI_DEV_GPU_UTIL", 0, 40);
    gpu("DCGM_FI_DEV_GPU_UTIL", 1, 90);
    family("DCGM_FI_PROF_SM_ACTIVE");
    gpu("DCGM_FI_PROF_SM_ACTIVE", 0, 0.25);
    gpu("DCGM_FI_PROF_SM_ACTIVE", 1, 0.75);
    family("DCGM_FI_DEV_POWER_USAGE");
    gpu("DCGM_FI_DEV_POWER_USAGE", 0, 300.5);
    gpu("DCGM_FI_DEV_POWER_USAGE", 1, 150.25);
    family("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION");
    gpu("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", 0, 5e9 + 300500 * t);  // mJ: 300.5 W
    gpu("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", 1, 7e9 + 150250 * t);  // mJ: 150.25 W
    out += "# HELP node_cpu_seconds_total " + node_help + "\n# TYPE node_cpu_seconds_total counter\n";
    out += fmt::format("node_cpu_seconds_total{{cpu=\"0\",mode=\"idle\"}} {} {}\n", idle0 + 0.25 * t, ts_ms);
    out += fmt::format("node_cpu_seconds_total{{cpu=\"0\",mode=\"user\"}} {} {}\n", 444.9 + 0.75 * t, ts_ms);
    out += fmt::format("node_cpu_seconds_total{{cpu=\"1\",mode=\"idle\"}} {} {}\n", idle1 + 0.75 * t, ts_ms);
    out += fmt::format("node_cpu_seconds_total{{cpu=\"1\",mode=\"user\"}} {} {}\n", 478.69 + 0.25 * t, ts_ms);
    return out;
  }
};

const json* signal_of(const json& doc, const std::string& name) {
  for (const auto& s : doc.at("summary").at("signals"))
    if (s.at("signal") == name) return &s;
  return nullptr;
}

const json* evidence_of(const json& doc, const std::string& metric) {
  for (const auto& e : doc.at("evidence"))
    if (e.at("metric") == metric) return &e;
  return nullptr;
}

// Raw samples of a selector in (end − 120 s, end], as Prometheus stored them.
std::vector<aicq::server::Series> raw_samples(const aicq::server::PrometheusClient& c, const std::string& selector, std::int64_t end_ms) {
  return c.query(selector + "[120s]", end_ms).series;
}

// Tiles of a utilization report's window, with Prometheus 2.x' closed range selectors [t_k − step, t_k].
struct Tiles {
  std::int64_t start_ms, step_ms, steps;
  template <class F>
  void each(double t_s, F f) const {
    const auto t = static_cast<std::int64_t>(std::llround(t_s * 1000));
    for (std::int64_t k = 1; k <= steps; ++k)
      if (t >= start_ms + (k - 1) * step_ms && t <= start_ms + k * step_ms) f(k);
  }
};

Tiles tiles_of(const json& doc) {
  const auto& w = doc.at("summary").at("window");
  return {std::llround(w.at("start_unix_s").get<double>() * 1000), std::llround(w.at("step_s").get<double>() * 1000), w.at("steps").get<std::int64_t>()};
}

TEST(PrometheusE2E, MonitorScrapedByRealPrometheusAndReadBack) {
  const std::string prometheus = aicq::test::prometheus_binary();
  ASSERT_FALSE(prometheus.empty()) << aicq::test::missing_tool_message("prometheus");
  const std::string promtool = aicq::test::promtool_binary();
  ASSERT_FALSE(promtool.empty()) << aicq::test::missing_tool_message("promtool");
  const fs::path dir = aicq::test::scratch("prometheus-e2e");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto began = std::chrono::steady_clock::now();

  // 1. The exporter page (dcgm-exporter and node_exporter names) on a loopback port of its own.
  ExporterPage page;
  page.t0_ms = now_ms();
  aicq::server::HttpServer exporter;
  exporter.get("/metrics", [&page] { return aicq::server::HttpResponse{200, "text/plain; version=0.0.4", page.text(now_ms())}; });
  const int exporter_port = exporter.start({"127.0.0.1", 0});

  // 2. The real aicq monitor, on a port it picks (port 0) and prints.
  const fs::path db = dir / "aicq.db", run_json = dir / "run.json";
  aicq::test::Child monitor({AICQ_BINARY, "monitor", "--listen", "127.0.0.1:0", "--interval", "1s", "--db", db.string(), "-o", run_json.string()});
  const std::string banner = monitor.read_until("/metrics\n", 30s);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(banner, m, std::regex(R"(serving http://127\.0\.0\.1:(\d+)/metrics)"))) << banner;
  const int monitor_port = std::stoi(m[1]);

  // 3. A real Prometheus with its own config and data folder, scraping both every second.
  const int prom_port = aicq::test::free_loopback_port();
  std::ofstream(dir / "prometheus.yml") << fmt::format(
      "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n"
      "scrape_configs:\n"
      "  - job_name: aicq\n    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n"
      "  - job_name: exporter\n    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
      monitor_port, exporter_port);
  aicq::test::Child prom({prometheus, "--config.file=" + (dir / "prometheus.yml").string(), "--storage.tsdb.path=" + (dir / "data").string(),
                          fmt::format("--web.listen-address=127.0.0.1:{}", prom_port), "--log.level=warn"},
                         dir / "prometheus.log");
  const std::string url = fmt::format("http://127.0.0.1:{}", prom_port);
  const aicq::server::PrometheusClient client(aicq::server::parse_base_url(url, "test"), 5s);
  auto log = [&] {
    std::ifstream in(dir / "prometheus.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  // The first samples appear 6–11 s after launch; wait for 8 of each job, giving up after 40 s.
  auto count = [&](const std::string& expr) {
    try {
      const auto r = client.query(expr, now_ms());
      return r.series.empty() ? 0.0 : r.series.front().values.front();
    } catch (const std::exception&) {
      return 0.0;  // not listening yet
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  while (std::chrono::steady_clock::now() < deadline &&
         (count("count_over_time(aicq_cpu_utilization_ratio[1m])") < 8 || count("min(count_over_time(DCGM_FI_DEV_GPU_UTIL[1m]))") < 8))
    std::this_thread::sleep_for(500ms);
  ASSERT_GE(count("count_over_time(aicq_cpu_utilization_ratio[1m])"), 8) << "Prometheus did not scrape aicq monitor within 40 s\n" << log();
  ASSERT_GE(count("min(count_over_time(DCGM_FI_DEV_GPU_UTIL[1m]))"), 8) << "Prometheus did not scrape the exporter within 40 s\n" << log();
  EXPECT_EQ(count("aicq_sampler_up{source=\"procfs\"}"), 1);
  EXPECT_EQ(count("count(aicq_build_info)"), 1);

  // The live page is clean for promtool too (the real samplers of this machine).
  const auto page_now = aicq::server::http_get(aicq::server::parse_base_url(fmt::format("http://127.0.0.1:{}", monitor_port), "test"), "/metrics", 5s);
  EXPECT_EQ(page_now.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const auto lint = aicq::test::run_tool({promtool, "check", "metrics"}, page_now.body, dir);
  EXPECT_EQ(lint.rc, 0) << lint.out << "\n" << page_now.body;
  EXPECT_EQ(lint.out, "") << lint.out;

  // 4. Ctrl-C the monitor: exit 130, what it collected written.
  const auto rc = monitor.stop(SIGINT, 20s);
  ASSERT_TRUE(rc.has_value()) << "aicq monitor did not stop on SIGINT\n" << monitor.output();
  EXPECT_EQ(*rc, 130) << monitor.output();
  std::ifstream run_in(run_json);
  ASSERT_TRUE(run_in) << "no -o file after SIGINT\n" << monitor.output();
  const json run = json::parse(run_in);
  EXPECT_EQ(run.at("status"), "interrupted");
  EXPECT_EQ(run.at("schema"), "aicq-monitor/1");

  // 5a. dcgm-exporter and node_exporter defaults, read back through query_range.
  const auto util_json = dir / "util.json";
  const auto dcgm = aicq::test::run({"utilization", "--prometheus", url, "--since", "45s", "--step", "3s", "--format", "json", "-o", util_json.string()});
  ASSERT_EQ(dcgm.rc, 0) << dcgm.err << dcgm.out;
  const json d = json::parse(dcgm.out);
  const json* gpu = signal_of(d, "accelerator");
  ASSERT_NE(gpu, nullptr);
  EXPECT_NEAR(gpu->at("mean").get<double>(), 0.65, 1e-12);  // (40 + 90) / 2 / 100, the same sample count per GPU
  EXPECT_EQ(gpu->at("series").size(), 2u);
  const json* cpu = signal_of(d, "cpu");
  EXPECT_NEAR(cpu->at("mean").get<double>(), 0.5, 1e-9);  // 1 − (0.25 + 0.75) / 2
  const json* power = signal_of(d, "power");
  EXPECT_NEAR(power->at("mean").get<double>(), 450.75, 1e-9);  // 300.5 + 150.25 W
  EXPECT_EQ(power->at("quality"), "Q1");
  const json* ev = evidence_of(d, "utilization.accelerator.gpu_util");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->at("kind"), "imported");
  EXPECT_EQ(ev->at("source").at("tool"), "prometheus");
  EXPECT_NE(ev->at("source").at("reference").get<std::string>().find("/api/v1/query_range?query=sum_over_time"), std::string::npos);
  const json* itp = evidence_of(d, "facility.it_power.mean");
  ASSERT_NE(itp, nullptr);
  EXPECT_EQ(itp->at("quality"), "Q1");
  EXPECT_EQ(itp->at("unit"), "W");
  EXPECT_NEAR(itp->at("value").get<double>(), 450.75, 1e-9);
  ASSERT_NE(evidence_of(d, "utilization.cpu.cpu_busy"), nullptr);
  // The -o file is the same document, and the evidence reader a declaration uses takes it.
  const auto read_back = aicq::declare::load_evidence_file(util_json.string());
  ASSERT_EQ(read_back.size(), 3u);
  for (const auto& rec : read_back) {
    EXPECT_EQ(rec.kind, aicq::core::EvidenceKind::imported) << rec.metric;
    if (rec.metric == "facility.it_power.mean") {
      EXPECT_EQ(rec.quality, aicq::core::PowerQuality::q1);
    }
  }

  // Coverage and counts, tile by tile from the raw samples Prometheus holds.
  const Tiles tiles = tiles_of(d);
  const std::int64_t end_ms = std::llround(d.at("summary").at("window").at("end_unix_s").get<double>() * 1000);
  for (const auto& series : gpu->at("series")) {
    const std::string labels = series.at("labels");
    const std::string gpu_id = labels.find("gpu=\"0\"") != std::string::npos ? "0" : "1";
    const auto raw = raw_samples(client, "DCGM_FI_DEV_GPU_UTIL{gpu=\"" + gpu_id + "\"}", end_ms);
    ASSERT_EQ(raw.size(), 1u);
    std::set<std::int64_t> with_data;
    std::int64_t counted = 0;
    for (const double t : raw.front().t_s) tiles.each(t, [&](std::int64_t k) {
        with_data.insert(k);
        ++counted;
      });
    EXPECT_EQ(series.at("steps_with_data").get<std::int64_t>(), static_cast<std::int64_t>(with_data.size())) << labels;
    EXPECT_EQ(series.at("samples").get<std::int64_t>(), counted) << labels;
    EXPECT_NEAR(series.at("coverage").get<double>(), static_cast<double>(with_data.size()) / static_cast<double>(tiles.steps), 1e-12);
  }

  // 5b. Power from dcgm-exporter's energy counter (mJ) and SM activity.
  const auto energy = aicq::test::run({"utilization", "--prometheus", url, "--since", "45s", "--step", "3s", "--format", "json", "--power-metric",
                                       "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "--gpu-metric", "DCGM_FI_PROF_SM_ACTIVE"});
  ASSERT_EQ(energy.rc, 0) << energy.err;
  const json e = json::parse(energy.out);
  EXPECT_NEAR(signal_of(e, "power")->at("mean").get<double>(), 450.75, 450.75 * 1e-9);  // 300,500 + 150,250 mJ/s
  double energy_sum = 0;
  for (const auto& s : signal_of(e, "power")->at("series")) energy_sum += s.at("energy_j").get<double>();
  EXPECT_NEAR(signal_of(e, "power")->at("energy_j").get<double>(), energy_sum, 1e-6);
  EXPECT_NEAR(signal_of(e, "accelerator")->at("mean").get<double>(), 0.5, 1e-12);  // (0.25 + 0.75) / 2
  ASSERT_NE(evidence_of(e, "utilization.accelerator.sm_active"), nullptr);

  // 5c. aicq's own names, compared with what the monitor sampled (its -o JSON).
  const std::string power_source = run.at("summary").at("power_source").is_string() && !run.at("summary").at("power_source").get<std::string>().empty()
                                       ? run.at("summary").at("power_source").get<std::string>()
                                       : "estimate";
  const std::string first_source = power_source.substr(0, power_source.find('+'));
  const auto own = aicq::test::run({"utilization", "--prometheus", url, "--since", "45s", "--step", "2s", "--format", "json", "--gpu-metric",
                                    "aicq_accelerator_utilization_ratio", "--cpu-metric", "aicq_cpu_utilization_ratio", "--power-metric",
                                    "aicq_power_watts{source=\"" + first_source + "\"}"});
  ASSERT_EQ(own.rc, 0) << own.err << own.out;
  const json o = json::parse(own.out);
  const json* own_cpu = signal_of(o, "cpu");
  ASSERT_FALSE(own_cpu->at("mean").is_null()) << own.out;
  const std::int64_t own_end = std::llround(o.at("summary").at("window").at("end_unix_s").get<double>() * 1000);
  const auto raw = raw_samples(client, "aicq_cpu_utilization_ratio", own_end);
  ASSERT_EQ(raw.size(), 1u);
  // The monitor's samples of cpu_utilization with their wall-clock times.
  const auto& series = run.at("series");
  const double start_unix = series.at("start_unix_s").get<double>();
  std::vector<std::pair<double, double>> sampled;  // (unix time, value)
  for (const auto& [key, values] : series.at("values").items()) {
    if (key.find("/cpu_utilization/") == std::string::npos) continue;
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!values[i].is_null()) sampled.emplace_back(start_unix + series.at("t_s")[i].get<double>(), values[i].get<double>());
  }
  ASSERT_FALSE(sampled.empty());
  double lo = sampled.front().second, hi = lo;
  for (const auto& [t, v] : sampled) lo = std::min(lo, v), hi = std::max(hi, v);
  const Tiles own_tiles = tiles_of(o);
  double tile_sum = 0, tile_n = 0;
  for (std::size_t i = 0; i < raw.front().t_s.size(); ++i) {
    const double t = raw.front().t_s[i], v = raw.front().values[i];
    bool found = false;
    for (const auto& [ts, sv] : sampled)
      if (sv == v && ts <= t + 0.05 && ts >= t - 2.05) found = true;  // the newest sample at scrape time, or the one before
    EXPECT_TRUE(found) << "Prometheus holds " << v << " at " << fmt::format("{:.3f}", t) << ", not a value the monitor sampled in the 2 s before";
    own_tiles.each(t, [&](std::int64_t) {
      tile_sum += v;
      tile_n += 1;
    });
  }
  ASSERT_GT(tile_n, 0);
  EXPECT_NEAR(own_cpu->at("mean").get<double>(), tile_sum / tile_n, 1e-12 * std::max(1.0, tile_sum / tile_n));
  EXPECT_GE(own_cpu->at("mean").get<double>(), lo);
  EXPECT_LE(own_cpu->at("mean").get<double>(), hi);
  const json* own_power = signal_of(o, "power");
  if (run.at("summary").at("mean_power_w").is_null()) {
    EXPECT_TRUE(own_power->at("mean").is_null()) << "no power source here, yet Prometheus had aicq_power_watts";
  } else {
    EXPECT_FALSE(own_power->at("mean").is_null()) << own.out;
  }
  RecordProperty("monitor_cpu_mean", fmt::format("{}", run.at("summary").at("cpu_utilization").dump()));
  RecordProperty("prometheus_cpu_mean", fmt::format("{}", own_cpu->at("mean").get<double>()));

  // 6. An error answer from Prometheus (an invalid regular expression) becomes a clear message, exit 1.
  const auto bad = aicq::test::run({"utilization", "--prometheus", url, "--since", "45s", "--selector", "job=~\"(\""});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("bad_data"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(url), std::string::npos) << bad.err;

  // 7. The store holds what the monitor sampled: `aicq utilization --db` agrees with the monitor's own summary.
  const auto local = aicq::test::run({"utilization", "--db", db.string(), "--since", "5m", "--format", "json"});
  ASSERT_EQ(local.rc, 0) << local.err << local.out;
  const json l = json::parse(local.out);
  ASSERT_FALSE(signal_of(l, "cpu")->at("mean").is_null());
  // The store's mean is the sample mean of what the monitor sampled (its -o series holds every sample here).
  double all_sum = 0;
  for (const auto& [t, v] : sampled) all_sum += v;
  EXPECT_NEAR(signal_of(l, "cpu")->at("mean").get<double>(), all_sum / static_cast<double>(sampled.size()), 1e-12);
  EXPECT_EQ(signal_of(l, "cpu")->at("samples").get<std::size_t>(), sampled.size());
  EXPECT_EQ(evidence_of(l, "utilization.cpu.cpu_busy")->at("kind"), "measured");

  const auto stopped = prom.stop(SIGTERM, 20s);
  EXPECT_TRUE(stopped.has_value()) << "Prometheus did not stop on SIGTERM";
  exporter.stop();
  fs::remove_all(dir);
  RecordProperty("seconds", fmt::format("{:.1f}", std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()));
}

}  // namespace

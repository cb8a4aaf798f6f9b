// aicq utilization [--since DURATION] [--db FILE | --prometheus URL [--gpu-metric NAME] [--cpu-metric NAME]
// [--power-metric NAME] …] [--format text|json] [-o FILE]: mean utilization and power over a window, and the
// evidence records a declaration can reference.
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/cli/run_control.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/server/utilization.hpp"
#include "aicq/store/store.hpp"

namespace aicq::cli {

namespace {

struct UtilizationOptions {
  std::string since = "30d", db, prometheus, gpu_metric, cpu_metric, power_metric, power_quality, selector, step = "1m",
              timeout = "30s", format = "text", output;
};

int run_utilization(const UtilizationOptions& o, Io io) {
  const double since_s = duration_option(o.since, "--since");
  if (since_s <= 0) throw core::InputError(core::Location{"--since"}, "--since", fmt::format("expected a positive duration, found '{}'", o.since));
  if (!o.output.empty() && !std::filesystem::is_directory(std::filesystem::absolute(o.output).parent_path()))
    throw core::InputError(core::Location{o.output}, "-o", fmt::format("the folder {} does not exist", std::filesystem::absolute(o.output).parent_path().string()));
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  server::UtilizationReport report;
  if (!o.prometheus.empty()) {
    if (!o.db.empty()) throw core::InputError(core::Location{"--db"}, "--db", "expected either --db or --prometheus, found both");
    const server::BaseUrl url = server::parse_base_url(o.prometheus, "--prometheus");
    const double step_s = duration_option(o.step, "--step");
    if (step_s < 0.001) throw core::InputError(core::Location{"--step"}, "--step", fmt::format("expected at least 1ms, found '{}'", o.step));
    const double timeout_s = duration_option(o.timeout, "--timeout");
    if (timeout_s < 0.001) throw core::InputError(core::Location{"--timeout"}, "--timeout", fmt::format("expected at least 1ms, found '{}'", o.timeout));
    std::optional<core::PowerQuality> quality;
    if (!o.power_quality.empty()) quality = core::power_quality_from(o.power_quality);
    std::vector<server::MetricReading> metrics;
    using server::Signal;
    metrics.push_back(server::resolve_metric(Signal::accelerator, o.gpu_metric.empty() ? server::kDefaultGpuMetric : o.gpu_metric, o.selector, "--gpu-metric"));
    metrics.push_back(server::resolve_metric(Signal::cpu, o.cpu_metric.empty() ? server::kDefaultCpuMetric : o.cpu_metric, o.selector, "--cpu-metric"));
    metrics.push_back(
        server::resolve_metric(Signal::power, o.power_metric.empty() ? server::kDefaultPowerMetric : o.power_metric, o.selector, "--power-metric", quality));
    const auto window_ms = static_cast<std::int64_t>(since_s * 1000 + 0.5);
    const auto step_ms = std::max<std::int64_t>(1, static_cast<std::int64_t>(step_s * 1000 + 0.5));
    const server::RangePlan plan = server::plan_range(now_ms - window_ms, now_ms, step_ms);
    const server::PrometheusClient client(url, std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000 + 0.5)));
    report = server::prometheus_utilization(client, metrics, plan, since_s);
  } else {
    for (const auto* opt : {&o.gpu_metric, &o.cpu_metric, &o.power_metric, &o.power_quality, &o.selector})
      if (!opt->empty())
        throw core::InputError(core::Location{"--prometheus"}, "--prometheus",
                               "--gpu-metric, --cpu-metric, --power-metric, --power-quality and --selector name Prometheus series: expected --prometheus URL with them");
    const std::string path = o.db.empty() ? store::default_db_path() : o.db;
    const auto db = store::Store::open_existing(path);
    if (!db) throw core::WorkError(fmt::format("no store at {}: `aicq monitor` (or `aicq run`) records telemetry there first", path));
    report = server::store_utilization(*db, since_s, static_cast<double>(now_ms) / 1000);
  }

  const nlohmann::json doc = server::utilization_document(report);
  if (!o.output.empty()) core::write_file_atomic(o.output, doc.dump(2) + "\n");
  if (o.format == "json") io.out << doc.dump(2) << "\n";
  else io.out << server::utilization_text(report);
  if (!o.output.empty() && o.format != "json") io.out << fmt::format("written: {}\n", o.output);
  for (const auto& s : report.signals)
    if (s.mean) return kOk;
  io.err << "aicq: no utilization or power data in the window\n";
  return kWorkFailure;
}

}  // namespace

Action add_utilization(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<UtilizationOptions>();
  app.add_option("--since", o->since, "window ending now");
  app.add_option("--db", o->db, "store file");
  app.add_option("--prometheus", o->prometheus, "Prometheus base URL");
  app.add_option("--gpu-metric", o->gpu_metric, "accelerator utilization metric");
  app.add_option("--cpu-metric", o->cpu_metric, "CPU utilization metric");
  app.add_option("--power-metric", o->power_metric, "power or energy metric");
  app.add_option("--power-quality", o->power_quality, "quality level of the power metric")->check(CLI::IsMember({"Q0", "Q1", "Q2", "Q3"}));
  app.add_option("--selector", o->selector, "label matchers added to every metric");
  app.add_option("--step", o->step, "query step");
  app.add_option("--timeout", o->timeout, "per-request timeout");
  app.add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("-o", o->output, "evidence JSON file");
  return [o](Io io) { return run_utilization(*o, io); };
}

}  // namespace aicq::cli

// aicq monitor [--interval DURATION] [--for DURATION] [-o FILE] [--listen ADDR:PORT] [--db FILE]: samples power
// and utilization into the store and serves them at /metrics in the Prometheus text format.
#include <filesystem>
#include <fmt/format.h>
#include <ostream>
#include <thread>

#include "aicq/cli/commands.hpp"
#include "aicq/cli/run_control.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/version.hpp"
#include "aicq/server/exposition.hpp"
#include "aicq/server/http.hpp"
#include "aicq/server/metrics.hpp"
#include "aicq/store/store.hpp"
#include "aicq/telemetry/telemetry.hpp"

namespace aicq::cli {

namespace {

struct MonitorOptions {
  std::string interval = "1s", for_duration, output, listen = "127.0.0.1:9464", db;
  std::vector<std::string> argv;
};

nlohmann::json optional_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json samplers_json(const std::vector<telemetry::SamplerStatus>& status) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : status) {
    nlohmann::json j = {{"id", s.id}, {"source", s.source}, {"kind", std::string(core::to_string(s.kind))}, {"failed", s.failed}, {"samples", s.samples}};
    if (s.quality) j["quality"] = std::string(core::to_string(*s.quality));
    if (!s.model.empty()) j["model"] = s.model;
    if (s.failed) {
      j["error"] = s.error;
      j["failed_at_s"] = s.failed_at_s;
    }
    out.push_back(std::move(j));
  }
  return out;
}

int run_monitor(const MonitorOptions& o, Io io) {
  // Everything the user gave is checked before sampling starts, so that a typo never costs a 10-minute window.
  const double interval_s = duration_option(o.interval, "--interval");
  if (interval_s < 0.1)
    throw core::InputError(core::Location{"--interval"}, "--interval", fmt::format("expected at least 100ms, found '{}'", o.interval));
  std::optional<double> for_s;
  if (!o.for_duration.empty()) {
    for_s = duration_option(o.for_duration, "--for");
    if (*for_s <= 0) throw core::InputError(core::Location{"--for"}, "--for", fmt::format("expected a positive duration, found '{}'", o.for_duration));
  }
  const server::ListenAddress at = server::parse_listen_address(o.listen);
  if (!o.output.empty()) {
    const auto parent = std::filesystem::absolute(o.output).parent_path();
    if (!std::filesystem::is_directory(parent))
      throw core::InputError(core::Location{o.output}, "-o", fmt::format("the folder {} does not exist", parent.string()));
  }

  telemetry::Config config;
  config.interval = std::chrono::milliseconds(static_cast<std::int64_t>(interval_s * 1000 + 0.5));
  config.db = o.db.empty() ? store::default_db_path() : o.db;
  config.run_command = "monitor";
  if (!o.db.empty()) store::Store::open(o.db);  // a --db that cannot be a store: exit 2 before anything starts
  telemetry::Recorder recorder(config);

  // The port is bound before sampling starts: a port in use fails at once (exit 1) with nothing recorded.
  server::HttpServer http;
  http.get("/metrics", [&recorder, interval_s] {
    server::HttpResponse r;
    r.content_type = std::string(server::kExpositionContentType);
    r.body = server::exposition_text(server::telemetry_families(recorder.latest(), recorder.status(), interval_s));
    return r;
  });
  http.get("/", [] {
    return server::HttpResponse{200, "text/plain; charset=utf-8", "aicq monitor: Prometheus metrics at /metrics\n"};
  });
  const int port = http.start(at);
  const server::ListenAddress bound{at.host, port};

  const StopSignals signals;
  const std::string started = utc_now();
  recorder.start();
  std::string sources;
  for (const auto& s : recorder.status()) sources += (sources.empty() ? "" : ", ") + s.id;
  io.out << fmt::format("aicq monitor: sampling every {} s ({}) into {}{}\n", core::shortest(interval_s), sources, config.db,
                        recorder.run_id() ? fmt::format(" (telemetry run {})", *recorder.run_id()) : "");
  io.out << fmt::format("serving http://{}/metrics\n", bound.text());
  io.out << (for_s ? fmt::format("for {} s; Ctrl-C stops earlier\n", core::shortest(*for_s)) : std::string("until Ctrl-C\n")) << std::flush;

  // SIGINT/SIGTERM set a flag (StopSignals); it is noticed within 50 ms. A second signal ends the process.
  while (!StopSignals::stop_requested() && (!for_s || recorder.now_s() < *for_s)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const bool interrupted = StopSignals::stop_requested();
  const double end_s = recorder.now_s();
  recorder.stop();
  http.stop();

  const telemetry::Recorder::Window w = recorder.window(0, end_s);
  io.out << fmt::format("{} after {} s: {} sampling instants", interrupted ? "interrupted" : "done", fmt::format("{:.1f}", end_s), w.samples);
  if (w.cpu_utilization) io.out << fmt::format(", CPU {:.1f}%", *w.cpu_utilization * 100);
  if (w.gpu_utilization) io.out << fmt::format(", accelerators {:.1f}%", *w.gpu_utilization * 100);
  if (w.mean_power_w) io.out << fmt::format(", power {} ({} {})", core::quantity_in(*w.mean_power_w, "W").to_string(4), w.source, w.quality);
  if (w.energy_j) io.out << fmt::format(", energy {}", core::quantity_in(*w.energy_j, "J").to_string(4));
  io.out << "\n";
  for (const auto& s : recorder.status())
    if (s.failed) io.out << fmt::format("  sampler {} failed after {:.1f} s: {}\n", s.id, s.failed_at_s, s.error);

  if (!o.output.empty()) {
    nlohmann::json doc;
    doc["schema"] = "aicq-monitor/1";
    doc["status"] = interrupted ? "interrupted" : "complete";
    doc["provenance"] = {{"tool", "aicq"},       {"version", core::version()}, {"git_revision", core::git_revision()},
                         {"git_dirty", core::git_dirty()}, {"host", host_name()},   {"argv", o.argv},
                         {"started", started},   {"ended", utc_now()}};
    doc["requested"] = {{"interval_s", interval_s}, {"for_s", optional_json(for_s)}, {"listen", at.text()}};
    doc["effective"] = {{"duration_s", end_s}, {"start_unix_s", recorder.start_unix_s()}, {"listen", bound.text()}};
    doc["store"] = {{"path", config.db}, {"run_id", recorder.run_id() ? nlohmann::json(*recorder.run_id()) : nlohmann::json()}};
    doc["summary"] = {{"samples", w.samples},
                      {"mean_power_w", optional_json(w.mean_power_w)},
                      {"energy_j", optional_json(w.energy_j)},
                      {"power_quality", w.quality},
                      {"power_source", w.source},
                      {"cpu_utilization", optional_json(w.cpu_utilization)},
                      {"gpu_utilization", optional_json(w.gpu_utilization)}};
    doc["samplers"] = samplers_json(recorder.status());
    doc["series"] = recorder.series();
    core::write_file_atomic(o.output, doc.dump(2) + "\n");
    io.out << fmt::format("written: {}\n", o.output);
  }
  for (const auto& e : recorder.store_errors()) io.err << "aicq: warning: the store did not take every sample: " << e << "\n";
  if (interrupted) return kInterrupted;
  return recorder.store_errors().empty() ? kOk : kWorkFailure;
}

}  // namespace

Action add_monitor(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<MonitorOptions>();
  app.add_option("--interval", o->interval, "sampling interval");
  app.add_option("--for", o->for_duration, "stop after this long");
  app.add_option("-o", o->output, "summary and raw series as JSON");
  app.add_option("--listen", o->listen, "serve /metrics at ADDR:PORT");
  app.add_option("--db", o->db, "store file");
  return [o](Io io) {
    o->argv = {"aicq", "monitor", "--interval", o->interval, "--listen", o->listen};
    if (!o->for_duration.empty()) o->argv.insert(o->argv.end(), {"--for", o->for_duration});
    if (!o->output.empty()) o->argv.insert(o->argv.end(), {"-o", o->output});
    if (!o->db.empty()) o->argv.insert(o->argv.end(), {"--db", o->db});
    return run_monitor(*o, io);
  };
}

}  // namespace aicq::cli

// aicq sensors [--format text|json] [--read DURATION] [--redfish URL] [--redfish-credentials FILE]
// [--redfish-chassis PATH] [--redfish-insecure] [--ipmi-command CMD] [--root DIR]: which power and utilization
// sources exist here, their Q level, why each absent one is absent, and which estimate stands in.
#include <fmt/format.h>
#include <ostream>
#include <thread>

#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"
#include "aicq/telemetry/telemetry.hpp"

namespace aicq::cli {

namespace {

struct SensorsOptions {
  std::string format = "text", read, redfish, redfish_credentials, redfish_chassis, root = "/";
  std::string ipmi_command = "ipmitool dcmi power reading";
  bool redfish_insecure = false;
};

std::string quality_text(const std::optional<core::PowerQuality>& q) { return q ? std::string(core::to_string(*q)) : "-"; }

std::string status_text(const telemetry::Availability& a) {
  if (!a.available) return "absent";
  return a.used_for_power ? "used for power" : "available";
}

nlohmann::json to_json(const telemetry::Availability& a) {
  nlohmann::json j{{"id", a.id},
                   {"name", a.name},
                   {"available", a.available},
                   {"used_for_power", a.used_for_power},
                   {"kind", std::string(core::to_string(a.kind))},
                   {"metrics", a.metrics}};
  j["quality"] = a.quality ? nlohmann::json(std::string(core::to_string(*a.quality))) : nlohmann::json();
  if (a.available) j["source"] = a.source;
  if (!a.why_not.empty()) j["why_not"] = a.why_not;
  if (!a.model.empty()) j["model"] = a.model;
  return j;
}

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

int run_sensors(const SensorsOptions& o, const GlobalOptions& g, Io io) {
  telemetry::Config config;
  config.root = o.root;
  config.data_dir = g.data_dir;
  config.ipmi_command = o.ipmi_command;
  config.redfish_url = o.redfish;
  config.redfish_credentials = o.redfish_credentials;
  config.redfish_chassis = o.redfish_chassis;
  config.redfish_verify_tls = !o.redfish_insecure;
  std::optional<double> read_s;
  if (!o.read.empty()) {
    try {
      read_s = core::parse_duration_s(o.read);
    } catch (const core::UnitError& e) {
      throw core::InputError(core::Location{"--read"}, "--read",
                             fmt::format("expected a duration such as 500ms, 1s or 10s, found '{}': {}", o.read, e.what()));
    }
    if (*read_s < 0.2 || *read_s > 3600)
      throw core::InputError(core::Location{"--read"}, "--read", fmt::format("expected a duration from 200ms to 1h, found '{}'", o.read));
  }

  std::vector<telemetry::Availability> list;
  std::optional<telemetry::Recorder::Window> window;
  std::vector<telemetry::SamplerStatus> status;
  if (read_s) {
    config.interval = std::chrono::milliseconds(100);
    auto samplers = telemetry::open_samplers(config, &list);
    telemetry::Recorder rec(config, std::move(samplers));
    rec.start();
    std::this_thread::sleep_for(std::chrono::duration<double>(*read_s));
    const double end = rec.now_s();
    rec.stop();
    window = rec.window(0, end);
    status = rec.status();
  } else {
    list = telemetry::discover(config);
  }

  const telemetry::Availability* power = nullptr;
  bool measured = false;
  for (const auto& a : list)
    if (a.used_for_power) {
      if (!power) power = &a;
      measured = measured || a.kind == core::EvidenceKind::measured;
    }

  if (o.format == "json") {
    nlohmann::json doc{{"schema", "aicq-sensors/1"}, {"sources", nlohmann::json::array()}};
    for (const auto& a : list) doc["sources"].push_back(to_json(a));
    nlohmann::json used = nlohmann::json::array();
    for (const auto& a : list)
      if (a.used_for_power) used.push_back(a.id);
    doc["power"] = {{"sources", used}, {"measured", measured}, {"quality", power ? quality_text(power->quality) : "-"}};
    if (window) {
      doc["reading"] = {{"duration_s", window->covered_s}, {"samples", window->samples},
                        {"mean_power_w", opt(window->mean_power_w)}, {"energy_j", opt(window->energy_j)},
                        {"quality", window->quality}, {"source", window->source},
                        {"cpu_utilization", opt(window->cpu_utilization)}, {"gpu_utilization", opt(window->gpu_utilization)}};
      nlohmann::json failed = nlohmann::json::array();
      for (const auto& s : status)
        if (s.failed) failed.push_back({{"id", s.id}, {"error", s.error}});
      doc["reading"]["failed"] = failed;
    }
    io.out << doc.dump(2) << "\n";
    return kOk;
  }

  io.out << "Power and utilization sources on this machine:\n\n";
  std::size_t w_id = 6, w_status = 6;
  for (const auto& a : list) {
    w_id = std::max(w_id, a.id.size());
    w_status = std::max(w_status, status_text(a).size());
  }
  io.out << fmt::format("  {:<{}}  {:<{}}  {:<7}  {}\n", "source", w_id, "status", w_status, "quality", "what");
  for (const auto& a : list) {
    const std::string what = a.available ? (a.id == "estimate" ? "estimated: " + a.model : a.source) : a.why_not;
    io.out << fmt::format("  {:<{}}  {:<{}}  {:<7}  {}\n", a.id, w_id, status_text(a), w_status,
                          a.available ? quality_text(a.quality) : "-", what);
  }
  io.out << "\n";
  if (measured) {
    std::string ids;
    for (const auto& a : list)
      if (a.used_for_power) ids += (ids.empty() ? "" : " + ") + a.id;
    io.out << fmt::format("Power: measured by {} ({}).\n", ids, quality_text(power->quality));
  } else if (power) {
    io.out << fmt::format("Power: no power sensor on this machine; power is estimated ({}, kind estimated): {}.\n",
                          quality_text(power->quality), power->model);
    io.out << "An IT load rate is not computed from estimated (Q0) power.\n";
  }
  if (window) {
    io.out << fmt::format("\nRead over {:.1f} s ({} samples):", window->covered_s, window->samples);
    if (window->cpu_utilization) io.out << fmt::format(" CPU {:.1f}%", *window->cpu_utilization * 100);
    if (window->gpu_utilization) io.out << fmt::format(", GPUs {:.1f}%", *window->gpu_utilization * 100);
    if (window->mean_power_w)
      io.out << fmt::format(", power {:.4g} W ({} {}), energy {:.4g} J", *window->mean_power_w, window->source, window->quality,
                            window->energy_j.value_or(0));
    io.out << "\n";
    for (const auto& s : status)
      if (s.failed) io.out << fmt::format("  {} failed during the reading: {}\n", s.id, s.error);
  }
  return kOk;
}

}  // namespace

Action add_sensors(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<SensorsOptions>();
  app.add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--read", o->read, "read the sources over this long");
  app.add_option("--redfish", o->redfish, "Redfish service URL");
  app.add_option("--redfish-credentials", o->redfish_credentials, "file with user:password");
  app.add_option("--redfish-chassis", o->redfish_chassis, "chassis resource path");
  app.add_flag("--redfish-insecure", o->redfish_insecure, "do not verify the BMC's TLS certificate");
  app.add_option("--ipmi-command", o->ipmi_command, "IPMI DCMI command");
  app.add_option("--root", o->root, "read /proc and /sys under this folder");
  return [o, &g](Io io) { return run_sensors(*o, g, io); };
}

}  // namespace aicq::cli

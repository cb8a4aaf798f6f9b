// Redfish (DMTF) chassis power and energy over HTTP(S), with cpp-httplib and OpenSSL.
//
// Resources read, best first (DMTF Redfish schema 2022+; the legacy Power resource is deprecated but still the
// only one on many BMCs):
//   power:  <chassis>/Sensors/TotalPower (Sensor, Reading in W), else EnvironmentMetrics.PowerWatts.DataSourceUri,
//           else <chassis>/Power: Σ PowerControl[].PowerConsumedWatts;
//   energy: <chassis>/Sensors/TotalEnergy (Sensor, ReadingType EnergykWh), else
//           EnvironmentMetrics.EnergykWh.DataSourceUri.
//
// This is the one translation unit of the telemetry layer that includes httplib.h. Debian's cpp-httplib is a
// compiled library built with OpenSSL (https:// URLs), zlib and brotli; the matching CPPHTTPLIB_*_SUPPORT
// definitions come from its pkg-config file (src/aicq/telemetry/CMakeLists.txt), since they change the classes'
// layout and every file that includes httplib.h must agree.
#include <httplib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <limits>

#include "aicq/core/diagnostics.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

using nlohmann::json;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<double> number_at(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

// j[key] as text, or "" (written out rather than json::value(), which GCC 12 warns about at -O3).
std::string string_at(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string odata_id(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_object()) return {};
  const json& link = j[key];
  if (link.contains("@odata.id") && link["@odata.id"].is_string()) return link["@odata.id"].get<std::string>();
  if (link.contains("DataSourceUri") && link["DataSourceUri"].is_string()) return link["DataSourceUri"].get<std::string>();
  return {};
}
}  // namespace

// --- credentials ----------------------------------------------------------------------------------------------

std::optional<RedfishCredentials> redfish_credentials(const std::string& file) {
  if (file.empty()) {
    const char* u = std::getenv("AICQ_REDFISH_USER");
    const char* p = std::getenv("AICQ_REDFISH_PASSWORD");
    if (u == nullptr || *u == '\0') return std::nullopt;
    return RedfishCredentials{u, p ? p : ""};
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    throw core::InputError(core::Location{file}, "--redfish-credentials", "cannot read the credentials file: it does not exist");
  if ((st.st_mode & 077) != 0)
    throw core::InputError(core::Location{file}, "--redfish-credentials",
                           fmt::format("the credentials file is readable by others (mode {:o}): run chmod 600 on it", st.st_mode & 0777));
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line))
    throw core::InputError(core::Location{file}, "--redfish-credentials", "cannot read the credentials file, or it is empty");
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  const std::size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    throw core::InputError(core::Location{file, 1, 1}, "--redfish-credentials", "expected 'user:password' on the first line");
  return RedfishCredentials{line.substr(0, colon), line.substr(colon + 1)};
}

// --- client ---------------------------------------------------------------------------------------------------

struct RedfishClient::Impl {
  std::unique_ptr<httplib::Client> http;
};

RedfishClient::RedfishClient(const Config& config) : impl_(std::make_unique<Impl>()), base_(config.redfish_url) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  if (base_.rfind("https://", 0) != 0 && base_.rfind("http://", 0) != 0)
    throw core::InputError(core::Location{config.redfish_url}, "--redfish",
                           fmt::format("expected a URL starting with https:// or http://, found '{}'", config.redfish_url));
  impl_->http = std::make_unique<httplib::Client>(base_);
  if (!impl_->http->is_valid())
    throw core::InputError(core::Location{config.redfish_url}, "--redfish", fmt::format("not a usable URL: '{}'", config.redfish_url));
  const auto ms = config.redfish_timeout.count();
  impl_->http->set_connection_timeout(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
  impl_->http->set_read_timeout(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
  impl_->http->enable_server_certificate_verification(config.redfish_verify_tls);
  impl_->http->set_keep_alive(true);
  if (const auto cred = redfish_credentials(config.redfish_credentials)) impl_->http->set_basic_auth(cred->user, cred->password);
}

RedfishClient::~RedfishClient() = default;

json RedfishClient::get(const std::string& path) {
  const auto res = impl_->http->Get(path, httplib::Headers{{"Accept", "application/json"}, {"OData-Version", "4.0"}});
  if (!res)
    throw core::WorkError(fmt::format("Redfish GET {}{}: {}", base_, path, httplib::to_string(res.error())));
  if (res->status == 401 || res->status == 403)
    throw core::WorkError(fmt::format(
        "Redfish GET {}{}: HTTP {} — wrong or missing credentials (set AICQ_REDFISH_USER and AICQ_REDFISH_PASSWORD, or "
        "--redfish-credentials FILE with user:password)",
        base_, path, res->status));
  if (res->status != 200) throw core::WorkError(fmt::format("Redfish GET {}{}: HTTP {}", base_, path, res->status));
  try {
    return json::parse(res->body);
  } catch (const json::parse_error& e) {
    throw core::WorkError(fmt::format("Redfish GET {}{}: not JSON: {}", base_, path, e.what()));
  }
}

RedfishPlan RedfishClient::plan(const std::string& chassis_hint) {
  RedfishPlan p;
  p.chassis = chassis_hint;
  if (p.chassis.empty()) {
    const json coll = get("/redfish/v1/Chassis");
    if (!coll.contains("Members") || !coll["Members"].is_array() || coll["Members"].empty() ||
        !coll["Members"][0].contains("@odata.id"))
      throw core::WorkError(fmt::format("Redfish {}/redfish/v1/Chassis lists no chassis", base_));
    p.chassis = coll["Members"][0]["@odata.id"].get<std::string>();
  }
  const json chassis = get(p.chassis);
  // A resource that is missing (404) is simply not offered by this BMC; other failures propagate.
  auto try_get = [&](const std::string& path) -> std::optional<json> {
    if (path.empty()) return std::nullopt;
    try {
      return get(path);
    } catch (const core::WorkError& e) {
      if (std::string(e.what()).find("HTTP 404") != std::string::npos) return std::nullopt;
      throw;
    }
  };
  const std::string sensors = odata_id(chassis, "Sensors");
  std::optional<json> env;
  if (const std::string env_uri = odata_id(chassis, "EnvironmentMetrics"); !env_uri.empty()) env = try_get(env_uri);

  if (!sensors.empty())
    if (auto s = try_get(sensors + "/TotalPower"); s && redfish_power_w(*s, false)) p.power_uri = sensors + "/TotalPower";
  if (p.power_uri.empty() && env)
    if (const std::string uri = odata_id(*env, "PowerWatts"); !uri.empty())
      if (auto s = try_get(uri); s && redfish_power_w(*s, false)) p.power_uri = uri;
  if (p.power_uri.empty())
    if (const std::string legacy = odata_id(chassis, "Power"); !legacy.empty())
      if (auto s = try_get(legacy); s && redfish_power_w(*s, true)) {
        p.power_uri = legacy;
        p.power_is_legacy = true;
      }

  if (!sensors.empty())
    if (auto s = try_get(sensors + "/TotalEnergy"); s && redfish_energy_j(*s)) p.energy_uri = sensors + "/TotalEnergy";
  if (p.energy_uri.empty() && env)
    if (const std::string uri = odata_id(*env, "EnergykWh"); !uri.empty())
      if (auto s = try_get(uri); s && redfish_energy_j(*s)) p.energy_uri = uri;

  if (p.power_uri.empty() && p.energy_uri.empty())
    throw core::WorkError(fmt::format("Redfish chassis {}{} offers no power reading (no Sensors/TotalPower, "
                                      "EnvironmentMetrics.PowerWatts or Power.PowerControl)",
                                      base_, p.chassis));
  return p;
}

std::optional<double> redfish_power_w(const json& r, bool legacy) {
  if (!legacy) return number_at(r, "Reading");
  if (!r.contains("PowerControl") || !r["PowerControl"].is_array()) return std::nullopt;
  std::optional<double> sum;
  for (const auto& pc : r["PowerControl"])
    if (auto w = number_at(pc, "PowerConsumedWatts")) sum = sum.value_or(0) + *w;
  return sum;
}

std::optional<double> redfish_energy_j(const json& s) {
  const auto reading = number_at(s, "Reading");
  if (!reading) return std::nullopt;
  const std::string type = string_at(s, "ReadingType");
  const std::string units = string_at(s, "ReadingUnits");
  if (type == "EnergykWh" || units == "kW.h") return *reading * 3.6e6;  // 1 kWh = 3.6 MJ
  if (type == "EnergyJoules" || units == "J") return *reading;
  if (type == "EnergyWh" || units == "W.h") return *reading * 3600;
  return std::nullopt;
}

// --- sampler --------------------------------------------------------------------------------------------------

RedfishSampler::RedfishSampler(const Config& config) : client_(std::make_unique<RedfishClient>(config)) {
  plan_ = client_->plan(config.redfish_chassis);
  const std::string dev = plan_.chassis.substr(plan_.chassis.rfind('/') + 1);
  const std::string device = "chassis-" + dev;
  if (!plan_.power_uri.empty()) channels_.push_back({metric::power_w, device, "W", false, PowerScope::node});
  if (!plan_.energy_uri.empty()) channels_.push_back({metric::energy_j, device, "J", true, PowerScope::node});
  source_ = fmt::format("Redfish {}{}: power {}{}{}", client_->base_url(), plan_.chassis,
                        plan_.power_uri.empty() ? "none" : plan_.power_uri, plan_.power_is_legacy ? " (legacy PowerControl)" : "",
                        plan_.energy_uri.empty() ? "" : ", energy " + plan_.energy_uri);
}

RedfishSampler::~RedfishSampler() = default;

std::optional<core::PowerQuality> RedfishSampler::quality() const {
  return plan_.energy_uri.empty() ? core::PowerQuality::q2 : core::PowerQuality::q3;
}

void RedfishSampler::sample(double /*t_s*/, std::span<double> out) {
  std::size_t i = 0;
  if (!plan_.power_uri.empty()) out[i++] = redfish_power_w(client_->get(plan_.power_uri), plan_.power_is_legacy).value_or(kNaN);
  if (!plan_.energy_uri.empty()) {
    out[i] = kNaN;
    if (const auto e = redfish_energy_j(client_->get(plan_.energy_uri))) {
      if (!first_energy_j_) first_energy_j_ = e;
      if (*e >= *first_energy_j_) out[i] = *e - *first_energy_j_;
    }
  }
}

}  // namespace aicq::telemetry

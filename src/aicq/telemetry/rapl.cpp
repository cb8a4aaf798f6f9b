// RAPL through the powercap sysfs tree: /sys/class/powercap/intel-rapl:N[:M]/{name,energy_uj,max_energy_range_uj}.
// AMD processors expose their RAPL MSRs under the same intel-rapl names (Linux 5.8+).
//
// Domains: package-N (the socket, including its core and uncore subzones), dram (memory; on servers a subzone
// of the package but not included in its energy), core/uncore (inside the package), psys (the platform, on
// clients). Summing package and dram domains counts each joule once; core, uncore and psys are reported
// beside them, never added (PowerScope::part).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <map>

#include "aicq/core/diagnostics.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

namespace fs = std::filesystem;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::optional<double> counter_delta_uj(std::uint64_t e0_uj, std::uint64_t e1_uj, std::optional<std::uint64_t> max_range_uj) {
  if (e1_uj >= e0_uj) return static_cast<double>(e1_uj - e0_uj);
  // The counter wrapped: it ran from e0 up to its range, restarted at 0 and reached e1. Without the range the
  // amount is unknown (and a reset looks the same): no value rather than a negative one.
  if (!max_range_uj || *max_range_uj < e0_uj) return std::nullopt;
  return static_cast<double>(*max_range_uj - e0_uj) + static_cast<double>(e1_uj);
}

std::vector<RaplZone> find_rapl_zones(const std::string& root, std::string* why_not) {
  const fs::path base = under_root(root, "sys/class/powercap");
  std::error_code ec;
  std::vector<RaplZone> zones;
  if (!fs::is_directory(base, ec)) {
    if (why_not) *why_not = fmt::format("no RAPL: no powercap tree at {} (VMs normally have none)", base.string());
    return zones;
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("intel-rapl:", 0) == 0) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  std::map<std::string, std::string> top_names;  // "intel-rapl:0" → "package-0"
  std::string unreadable;
  for (const auto& n : names) {
    const fs::path dir = base / n;
    RaplZone z;
    z.dir = dir.string();
    z.name = read_line(dir / "name");
    if (z.name.empty()) z.name = n;
    const bool sub = std::count(n.begin(), n.end(), ':') >= 2;
    if (sub) {
      const std::string parent = n.substr(0, n.rfind(':'));
      const auto it = top_names.find(parent);
      z.device = (it != top_names.end() ? it->second : parent) + "/" + z.name;
    } else {
      z.device = z.name;
      top_names[n] = z.name;
    }
    z.scope = (z.name.rfind("package", 0) == 0 && !sub) || z.name == "dram" ? PowerScope::component : PowerScope::part;
    KeptFile range((dir / "max_energy_range_uj").string());
    z.max_range_uj = range.read_u64();
    KeptFile energy((dir / "energy_uj").string());
    if (!energy.read_u64()) {
      if (unreadable.empty())
        unreadable = fmt::format("{}: {}", (dir / "energy_uj").string(), energy.error().empty() ? "not a number" : energy.error());
      continue;
    }
    zones.push_back(std::move(z));
  }
  if (zones.empty() && why_not) {
    if (names.empty())
      *why_not = fmt::format("no RAPL: {} has no intel-rapl zones (the intel_rapl_msr module is not loaded, or the CPU has none)",
                             base.string());
    else
      *why_not = fmt::format("no RAPL: energy counters not readable ({}); since Linux 5.10 energy_uj is readable by root only",
                             unreadable);
  }
  return zones;
}

RaplSampler::RaplSampler(const std::string& root) {
  std::string why;
  for (auto& z : find_rapl_zones(root, &why)) {
    Zone zone{z, KeptFile(z.dir + "/energy_uj"), std::nullopt, 0};
    zones_.push_back(std::move(zone));
  }
  if (zones_.empty()) throw core::WorkError(why);
  std::vector<std::string> parts;
  for (const auto& z : zones_) {
    channels_.push_back({metric::energy_j, z.info.device, "J", true, z.info.scope});
    channels_.push_back({metric::power_w, z.info.device, "W", false, z.info.scope});
    parts.push_back(fmt::format("{} ({})", z.info.dir, z.info.device));
  }
  source_ = fmt::format("{}", fmt::join(parts, ", "));
}

void RaplSampler::sample(double t_s, std::span<double> out) {
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    Zone& z = zones_[i];
    double& energy_out = out[2 * i];
    double& power_out = out[2 * i + 1];
    energy_out = power_out = kNaN;
    const auto now = z.energy.read_u64();
    if (!now) continue;  // a transient read error: no value this time, the next delta spans the gap
    if (!z.last_uj) {
      z.last_uj = now;
      z.last_t_s = t_s;
      energy_out = z.energy_j;  // 0 at the first reading
      continue;
    }
    const auto delta_uj = counter_delta_uj(*z.last_uj, *now, z.info.max_range_uj);
    const double dt = t_s - z.last_t_s;
    z.last_uj = now;
    z.last_t_s = t_s;
    if (!delta_uj) continue;  // dropped: backwards without a known range
    const double delta_j = *delta_uj * 1e-6;
    z.energy_j += delta_j;
    energy_out = z.energy_j;
    if (dt > 0) power_out = delta_j / dt;
  }
}

}  // namespace aicq::telemetry

#include "aicq/server/metrics.hpp"

#include <cmath>
#include <map>
#include <set>

#include "aicq/core/version.hpp"

namespace aicq::server {

namespace {

struct Mapping {
  const char* channel_metric;
  const char* family;
  const char* help;
  MetricType type;
  bool source_label;  // carry source="…" (values from several sources that must not be added up)
  bool scope_label;
};

// Channel metrics (telemetry::metric::*) → families. A metric not listed here is not exposed.
const std::vector<Mapping>& mappings() {
  static const std::vector<Mapping> m = {
      {telemetry::metric::power_w, "aicq_power_watts", "Power of one channel in watts; sources overlap (a node reading includes its components): add only scope=\"component\" series of one source", MetricType::gauge, true, true},
      {telemetry::metric::energy_j, "aicq_energy_joules_total", "Energy in joules since the sampler opened", MetricType::counter, true, true},
      {telemetry::metric::power_limit_w, "aicq_power_limit_watts", "Enforced power limit in watts", MetricType::gauge, true, false},
      {telemetry::metric::cpu_utilization, "aicq_cpu_utilization_ratio", "Busy share of all CPUs since the previous sample (0-1)", MetricType::gauge, false, false},
      {telemetry::metric::gpu_utilization, "aicq_accelerator_utilization_ratio", "Share of time a kernel ran on the accelerator (0-1)", MetricType::gauge, false, false},
      {telemetry::metric::gpu_memory_utilization, "aicq_accelerator_memory_utilization_ratio", "Share of time the accelerator memory controller was busy (0-1)", MetricType::gauge, false, false},
      {telemetry::metric::memory_used_bytes, "aicq_memory_used_bytes", "Memory in use in bytes (host: MemTotal - MemAvailable)", MetricType::gauge, false, false},
      {telemetry::metric::memory_total_bytes, "aicq_memory_total_bytes", "Memory installed in bytes", MetricType::gauge, false, false},
      {telemetry::metric::temperature_c, "aicq_temperature_celsius", "Temperature in degrees Celsius", MetricType::gauge, true, false},
      {telemetry::metric::sm_clock_hz, "aicq_accelerator_sm_clock_hertz", "Accelerator SM clock in hertz", MetricType::gauge, false, false},
      {telemetry::metric::mem_clock_hz, "aicq_accelerator_memory_clock_hertz", "Accelerator memory clock in hertz", MetricType::gauge, false, false},
  };
  return m;
}

const char* scope_name(telemetry::PowerScope s) {
  switch (s) {
    case telemetry::PowerScope::node: return "node";
    case telemetry::PowerScope::component: return "component";
    case telemetry::PowerScope::part: return "part";
    case telemetry::PowerScope::none: return "none";
  }
  return "none";
}

double quality_level(core::PowerQuality q) {
  switch (q) {
    case core::PowerQuality::q0: return 0;
    case core::PowerQuality::q1: return 1;
    case core::PowerQuality::q2: return 2;
    case core::PowerQuality::q3: return 3;
  }
  return 0;
}

}  // namespace

std::vector<MetricFamily> telemetry_families(const std::vector<telemetry::LatestValue>& latest,
                                             const std::vector<telemetry::SamplerStatus>& status, double interval_s) {
  std::vector<MetricFamily> out;
  std::map<std::string, std::size_t> index;  // family name → position in out
  std::set<std::string> failed;
  for (const auto& s : status)
    if (s.failed) failed.insert(s.id);
  for (const auto& m : mappings()) {
    index[m.family] = out.size();
    out.push_back({m.family, m.help, m.type, {}});
  }
  std::set<std::string> seen;  // family + labels, to keep the first of two identical series
  for (const auto& v : latest) {
    if (!std::isfinite(v.value) || failed.contains(v.sampler)) continue;
    const Mapping* m = nullptr;
    for (const auto& x : mappings())
      if (v.channel.metric == x.channel_metric) m = &x;
    if (!m) continue;
    MetricSample s;
    if (m->source_label) s.labels.emplace_back("source", v.sampler);
    const bool whole_cpu = v.channel.metric == telemetry::metric::cpu_utilization && v.channel.device == "cpu";
    if (!whole_cpu) s.labels.emplace_back("device", v.channel.device);
    if (m->scope_label) s.labels.emplace_back("scope", scope_name(v.channel.scope));
    s.value = v.value;
    std::string key = m->family;
    for (const auto& [k, x] : s.labels) key += "|" + k + "=" + x;
    if (!seen.insert(key).second) continue;
    out[index[m->family]].samples.push_back(std::move(s));
  }

  MetricFamily up{"aicq_sampler_up", "1 when the sampler is sampling, 0 when it failed (its series are then absent)", MetricType::gauge, {}};
  MetricFamily quality{"aicq_power_quality_level", "Power measurement quality level of the source: 0-3 for Q0 (estimate) to Q3 (integrated energy counters)", MetricType::gauge, {}};
  MetricFamily samples{"aicq_sampler_samples_total", "Samples taken by the sampler", MetricType::counter, {}};
  for (const auto& s : status) {
    up.samples.push_back({{{"source", s.id}}, s.failed ? 0.0 : 1.0});
    if (s.quality) quality.samples.push_back({{{"source", s.id}}, quality_level(*s.quality)});
    samples.samples.push_back({{{"source", s.id}}, static_cast<double>(s.samples)});
  }
  out.push_back(std::move(up));
  out.push_back(std::move(quality));
  out.push_back(std::move(samples));
  out.push_back({"aicq_sample_interval_seconds", "Sampling interval in seconds", MetricType::gauge, {{{}, interval_s}}});
  out.push_back({"aicq_build_info", "Version and git revision of the aicq that serves these metrics", MetricType::gauge,
                 {{{{"version", core::version()}, {"revision", core::git_revision()}}, 1.0}}});
  return out;
}

std::vector<std::string> exposed_metric_names() {
  std::vector<std::string> out;
  for (const auto& m : mappings()) out.emplace_back(m.family);
  for (const char* n : {"aicq_sampler_up", "aicq_power_quality_level", "aicq_sampler_samples_total", "aicq_sample_interval_seconds", "aicq_build_info"})
    out.emplace_back(n);
  return out;
}

}  // namespace aicq::server

// What `aicq monitor` serves at /metrics: the telemetry Recorder's newest values under Prometheus' naming
// conventions (base units in the name, counters ending in _total, ratios 0–1).
//
// Names (labels in braces):
//   aicq_power_watts{source,device,scope}        gauge    power of one channel (scope: node, component, part)
//   aicq_energy_joules_total{source,device,scope} counter energy since the sampler opened (resets when it restarts)
//   aicq_power_limit_watts{source,device}        gauge    enforced power limit
//   aicq_cpu_utilization_ratio                   gauge    busy share of all CPUs ({device} for anything but "cpu")
//   aicq_accelerator_utilization_ratio{device}   gauge    share of time a kernel ran (NVML)
//   aicq_accelerator_memory_utilization_ratio{device} gauge memory controller busy share (NVML)
//   aicq_memory_used_bytes{device}, aicq_memory_total_bytes{device}  gauge
//   aicq_temperature_celsius{source,device}      gauge
//   aicq_accelerator_sm_clock_hertz{device}, aicq_accelerator_memory_clock_hertz{device}  gauge
//   aicq_sampler_up{source}                      gauge    1 sampling, 0 failed (its series then disappear)
//   aicq_power_quality_level{source}             gauge    0–3 for Q0–Q3, sources with power only
//   aicq_sampler_samples_total{source}           counter  samples taken
//   aicq_sample_interval_seconds                 gauge    the sampling interval
//   aicq_build_info{version,revision}            gauge    1
// A value that was not available at the last sample (NaN) is left out rather than written as NaN. When two
// samplers give the same series (same name and labels), the first in sampler order is kept.
#pragma once

#include <string>
#include <vector>

#include "aicq/server/exposition.hpp"
#include "aicq/telemetry/telemetry.hpp"

namespace aicq::server {

/// The families for one scrape.
std::vector<MetricFamily> telemetry_families(const std::vector<telemetry::LatestValue>& latest,
                                             const std::vector<telemetry::SamplerStatus>& status, double interval_s);

/// Every family name telemetry_families can produce (the Grafana dashboard is checked against it).
std::vector<std::string> exposed_metric_names();

}  // namespace aicq::server

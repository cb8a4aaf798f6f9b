// `aicq utilization`: mean utilization, mean power and energy over a window, and the coverage of that window,
// from a Prometheus server (dcgm-exporter, node_exporter and aicq's own metric names) or from aicq's store;
// and the evidence records a declaration can reference (utilization.accelerator.*, utilization.cpu.cpu_busy,
// facility.it_power.mean).
//
// How a window is read from Prometheus (see prometheus_api.hpp for the tiling):
// - gauges (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_PROF_SM_ACTIVE, DCGM_FI_DEV_POWER_USAGE, aicq_*_ratio, aicq_power_watts):
//   sum_over_time(m[step]) and count_over_time(m[step]) per step and series; the mean is Σsum / Σcount, the exact
//   mean of every raw sample in the window whatever the step. A step with no sample is a gap.
// - counters (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION in mJ, node_rapl_*_joules_total, aicq_energy_joules_total):
//   the newest sample at each step and its own timestamp (m and timestamp(m)); between consecutive distinct
//   samples the increase (a decrease is a counter reset: the new value is the increase) over the time between
//   them. Mean rate = Σ increase / Σ time, energy = Σ increase: exact for whatever the counter integrated, with
//   no extrapolation at a series' start or end (rate() over each step would shrink every step in which a
//   series begins).
// - node_cpu_seconds_total: per node, the idle seconds summed over its CPUs (sum without (cpu, mode)), the CPU
//   count and the sample time; busy = 1 − Σ (increase / CPUs) / Σ time. A step where the CPU count changes
//   starts afresh.
// Overall figures: utilization over all series together (sample- or time-weighted); power is the sum of the
// series' means (every device drew its mean power while it was not observed), energy the sum over the series.
// Coverage = steps holding a sample of their own / steps in the window, over all series (device-time observed).
//
// Quality of power: component sensors (GPU board power, RAPL) Q1, node BMC readings (IPMI DCMI, Redfish) Q2,
// aicq's estimate Q0 — from the metric name, or for aicq_power_watts / aicq_energy_joules_total from the
// source="…" matcher that must pick one source (their sources overlap: a BMC reading includes the RAPL and GPU
// ones). --power-quality overrides it for a metric aicq does not know.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/evidence.hpp"
#include "aicq/server/prometheus_api.hpp"

namespace aicq::store {
class Store;
}

namespace aicq::server {

enum class Signal { accelerator, cpu, power };
std::string_view to_string(Signal s);

/// One label matcher of a PromQL selector: label, operator (= != =~ !~) and the value as written (quoted).
struct Matcher {
  std::string label, op, literal;
  std::string value;  // the literal without quotes and escapes
};

/// How one metric named on the command line is read.
struct MetricReading {
  Signal signal = Signal::accelerator;
  std::string option;  // the option that named it, for messages
  std::string name;
  std::vector<Matcher> matchers;  // from NAME{…}, then --selector, then what the reading adds (mode="idle")
  enum class Method { sample_mean, counter_delta } method = Method::sample_mean;
  bool idle_seconds = false;     // node_cpu_seconds_total: busy = 1 − idle seconds per CPU-second
  double scale = 1;              // raw value × scale = ratio (0–1) or W
  std::string reading;           // how the raw values are read, in words: "percent 0–100", "mJ counter → W"
  std::string evidence_metric;   // utilization.accelerator.gpu_util, utilization.cpu.cpu_busy, facility.it_power.mean
  std::optional<core::PowerQuality> quality;  // power only
  std::string note;              // e.g. "GPU board power only"

  /// name{matchers}
  [[nodiscard]] std::string selector() const;
  /// The PromQL expressions run for a step: {sum, count} for sample_mean; {value, timestamp} for counter_delta,
  /// and the CPU count third for node_cpu_seconds_total.
  [[nodiscard]] std::vector<std::string> expressions(std::int64_t step_ms) const;
};

/// Parses "a=\"x\",b!~\"y.*\"" (with or without braces). Throws core::InputError naming `option`.
std::vector<Matcher> parse_matchers(std::string_view text, std::string_view option);

/// Resolves NAME or NAME{matchers} given to `option` for a signal, with extra matchers from --selector.
/// Unknown names are read by the Prometheus naming conventions (_ratio, _percent, _watts, _joules_total) or
/// refused with the known names listed (core::InputError, exit 2). `power_quality` overrides the level.
MetricReading resolve_metric(Signal signal, std::string_view text, std::string_view selector, std::string_view option,
                             std::optional<core::PowerQuality> power_quality = std::nullopt);

/// Defaults: dcgm-exporter and node_exporter names.
inline constexpr std::string_view kDefaultGpuMetric = "DCGM_FI_DEV_GPU_UTIL";
inline constexpr std::string_view kDefaultCpuMetric = "node_cpu_seconds_total";
inline constexpr std::string_view kDefaultPowerMetric = "DCGM_FI_DEV_POWER_USAGE";

struct SeriesMean {
  std::string labels;           // {instance="…",gpu="0"}
  std::optional<double> mean;   // ratio or W; empty without data
  double coverage = 0;          // steps with data / steps
  std::int64_t steps_with_data = 0;
  std::int64_t samples = 0;     // raw samples (sample_mean) or distinct samples seen at the steps (counter_delta)
  std::optional<double> energy_j;  // power: over the covered steps
};

struct SignalSummary {
  MetricReading reading;
  std::vector<SeriesMean> series;
  std::optional<double> mean;      // overall (see above)
  std::optional<double> energy_j;  // power: sum over series
  double coverage = 0;
  std::int64_t samples = 0;
  std::string missing;             // why there is no value (no series matched, no sample in the window)
  std::vector<std::string> queries;  // a query_range URL per expression (first request), for references
};

struct UtilizationReport {
  std::string origin;        // "prometheus" or "store"
  std::string source;        // the Prometheus base URL or the store file
  std::string source_version;  // Prometheus' version when it said, else empty
  double since_s = 0;        // requested window length
  std::int64_t start_ms = 0, end_ms = 0;  // effective window (Unix ms)
  std::int64_t requested_step_ms = 0, step_ms = 0, steps = 0, requests_per_query = 0;
  std::int64_t http_requests = 0;
  std::vector<SignalSummary> signals;
  std::vector<std::string> warnings;  // Prometheus' warnings, store notes
};

/// Reads every metric over the plan's window. Throws core::WorkError when Prometheus cannot be reached or
/// answers with an error (nothing partial is returned).
UtilizationReport prometheus_utilization(const PrometheusClient& client, const std::vector<MetricReading>& metrics,
                                         const RangePlan& plan, double since_s);

/// Same summary from the store's telemetry samples over the window ending at end_unix_s (means per channel
/// from the samples aicq monitor and aicq run recorded). kind "measured" (or "estimated" for the Q0 model).
UtilizationReport store_utilization(const store::Store& db, double since_s, double end_unix_s);

/// Evidence records of a report: one per signal with a value (imported from Prometheus with source.tool
/// "prometheus" and the query as reference; measured from the store).
std::vector<core::Evidence> utilization_evidence(const UtilizationReport& report);

/// The JSON document written by -o / --format json: an evidence document (core::kEvidenceSchema) whose
/// "summary" member holds the report (per series means, coverage, queries).
nlohmann::json utilization_document(const UtilizationReport& report);

/// The terminal text.
std::string utilization_text(const UtilizationReport& report);

/// ISO 8601 UTC ("2026-11-29T14:05:00.250Z") of Unix milliseconds.
std::string iso_utc(std::int64_t unix_ms);

}  // namespace aicq::server

// Probes: the measurements `aicq run` makes on the machine it runs on (architecture: probe layer).
//
// Three layers, kept apart (style: raw samples, aggregates, verdicts): every repetition is kept
// (`Measurement::samples`), statistics are computed once (`Stats`), and a verdict is data
// (`Check`, `ProbeResult::status` with its reason). A probe that cannot run here is `skipped` with its reason
// — never a crash, never a made-up number.
//
// A probe knows nothing of hardware discovery: the peaks it compares against come in `Context::peak_flops`
// (by precision) so that the probe layer depends on core only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace aicq::probe {

/// Suites of `aicq run` (conventions: quick ≤ 1 min, standard ≤ 10 min on 2 cores, full).
enum class Suite { quick, standard, full };
std::optional<Suite> suite_from(std::string_view s);
std::string to_string(Suite s);

/// Order statistics and spread of the repetitions of one measurement.
struct Stats {
  std::size_t n = 0;
  double median = 0, min = 0, max = 0, mean = 0;
  double cv = 0;  // coefficient of variation: sample standard deviation ÷ mean (0 for n < 2)
};
/// Throws std::invalid_argument on an empty vector.
Stats statistics(const std::vector<double>& samples);

/// One headline number of a probe (e.g. DGEMM FP64 rate), with every repetition kept.
struct Measurement {
  std::string id;                // "dgemm", "triad", "seq_read", … unique within the probe
  std::string unit;              // unit of samples, SI base: "FLOP/s", "OP/s", "B/s", "IOPS", "s", "Hz"
  std::vector<double> samples;   // one value per timed repetition (warm-ups excluded)
  Stats stats;                   // of samples
  bool higher_is_better = true;  // false for latencies
  std::string precision;         // "fp64", "fp32", "bf16", "int8" for compute; "" otherwise
  std::optional<double> work;    // exact FLOP (or bytes, operations) per repetition
  std::string work_unit;         // "FLOP", "OP", "B"
  std::optional<double> peak;    // the relevant peak, in `unit`, when one is known
  std::string peak_source;       // where the peak came from ("measured: FMA kernel × cores × clock", …)
  nlohmann::json details = nlohmann::json::object();  // library, version, kernel, sizes, threads, …

  /// median ÷ peak, when a peak is known.
  std::optional<double> fraction_of_peak() const;
};

/// A validity gate (LoadGen style): what was checked, whether it passed, and the figures behind it.
struct Check {
  std::string id;      // "residual", "checksum", "agreement", …
  bool passed = false;
  std::string detail;  // e.g. "scaled residual 0.0032 < 16"
};

enum class Status { ok, skipped, invalid, failed };
std::string to_string(Status s);

/// Mean power and energy of a probe's timed window, when telemetry measured it (filled by `aicq run`).
struct PowerWindow {
  double mean_power_w = 0;
  double energy_j = 0;
  std::string quality;  // "Q0".."Q3"
  std::string source;   // sampler(s) it came from
};

struct ProbeResult {
  std::string id;
  Status status = Status::ok;
  std::string reason;  // why skipped / invalid / failed
  std::vector<Measurement> measurements;
  std::vector<Check> checks;
  double duration_s = 0;                                            // wall time of the whole probe
  nlohmann::json requested = nlohmann::json::object();               // settings asked for
  nlohmann::json effective = nlohmann::json::object();               // settings actually used
  std::optional<PowerWindow> power;                                  // telemetry beside the probe
  std::string started;                                               // ISO 8601 UTC
};

/// Progress of a running probe, for the terminal.
struct Progress {
  std::string probe;
  std::string step;          // "dgemm n=4096", …
  int repetition = 0;        // 0 during warm-up
  int repetitions = 0;
  double elapsed_s = 0;
  double estimate_s = 0;     // expected total for the probe, 0 when unknown
};

/// What a probe is given. Everything a probe may vary is here, explicitly (no globals).
struct Context {
  Suite suite = Suite::standard;
  int threads = 1;                            // worker threads to use (default: all cores)
  double budget_s = 60;                       // soft time budget for this probe
  std::string scratch_dir;                    // a folder the probe may write to (storage.io); removed after
  std::map<std::string, double> peak_flops;   // by precision ("fp64", "fp32", "bf16", "int8"), whole machine
  std::string peak_source;                    // how the peaks were obtained
  std::optional<double> llc_bytes;            // last-level cache size (STREAM arrays ≥ 4 × this)
  bool tiny = false;                          // tests: smallest sizes, 1 warm-up, 2 repetitions
  std::string aicq_exe;                       // the aicq binary, for probes that start a worker (resilience.recovery);
                                              // empty: this process's own executable (/proc/self/exe)
  std::optional<double> checkpoint_bytes;     // resilience.checkpoint's synthetic state (default by suite)
  std::function<void(const Progress&)> progress;  // may be empty
  const std::atomic<bool>* cancel = nullptr;      // set on SIGINT/SIGTERM: stop at the next repetition

  bool cancelled() const { return cancel && cancel->load(); }
  void report(const Progress& p) const {
    if (progress) progress(p);
  }
};

/// Thrown by a probe that sees `Context::cancelled()`; `aicq run` keeps what finished before.
struct Cancelled {};

/// A registered probe: what it measures, what it feeds, and how to run it (`aicq probes` lists these).
struct Probe {
  std::string id;            // "compute.gemm"
  std::string title;         // one line
  std::string measures;      // what, in which unit
  std::string precisions;    // "fp64, fp32, bf16, int8" or "—"
  std::string feeds;         // indicator or report section it feeds
  std::map<Suite, double> typical_s;  // typical duration on a 2-core machine, by suite
  std::function<ProbeResult(const Context&)> run;
};

/// All probes, in the order `aicq run` runs them.
const std::vector<Probe>& registry();
/// nullptr when unknown.
const Probe* find(std::string_view id);

/// Times `body` `warmups` + `reps` times with a monotonic clock and returns the durations in seconds of the
/// timed repetitions. Reports progress before each; throws Cancelled between repetitions when cancelled.
/// `body` must do the same work each time (buffers allocated and touched before, reused).
std::vector<double> time_repetitions(const Context& ctx, const std::string& probe, const std::string& step, int warmups,
                                     int reps, const std::function<void()>& body, double estimate_s = 0);

/// Converts a vector of durations into rates: work ÷ duration each.
std::vector<double> rates(double work, const std::vector<double>& durations_s);

/// The result as JSON (for result.json's raw section and `aicq probes --run`), and back.
nlohmann::json to_json(const ProbeResult& r);
ProbeResult probe_result_from_json(const nlohmann::json& j);

}  // namespace aicq::probe

// What aicq-gpu-probe measured, and its evidence document: the same JSON form `aicq validate --format json`
// prints (schema "aicq-evidence/1", records {"metric","value","unit","kind","source","text","note"}), so that a
// declaration's `evidence` list can reference the file and `aicq run` can merge it (compute.gpu).
//
// JSON is written by a small writer of our own (Json below): the probe only writes JSON, and it must build on a
// GPU machine that has the CUDA toolkit and CMake but no Debian libraries (no nlohmann-json).
//
// Metrics, for N devices that ran a measurement:
//   probe.compute.gpu.gemm_<prec>.achieved          FLOP/s, the median over repetitions of the devices' summed rate
//   probe.compute.gpu.gemm_<prec>.devices           N
//   probe.compute.gpu.gemm_<prec>.peak_per_device   FLOP/s, when every device's peak is known (catalog or --peak)
//   probe.compute.gpu.gemm_<prec>.invalid           1, when a device's result failed its reference check
//   probe.compute.gpu.copy_d2d.rate, .h2d.rate, .d2h.rate   B/s, summed the same way (reported, not scored)
// The `summary` member carries every repetition, per device, with the checks and settings (aicq's reader skips it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "probe_logic.hpp"

namespace aicq::gpu {

/// A JSON value for writing: null, bool, number, string, array, object (members keep their insertion order).
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  Json(bool b) : v_(b) {}                               // NOLINT: implicit on purpose, as in nlohmann::json
  Json(double d) : v_(d) {}                             // NOLINT
  Json(int i) : v_(static_cast<double>(i)) {}           // NOLINT
  Json(std::int64_t i) : v_(static_cast<double>(i)) {}  // NOLINT
  Json(std::uint64_t i) : v_(static_cast<double>(i)) {} // NOLINT
  Json(std::string s) : v_(std::move(s)) {}             // NOLINT
  Json(const char* s) : v_(std::string(s)) {}           // NOLINT
  static Json array() { Json j; j.v_ = Array{}; return j; }
  static Json object() { Json j; j.v_ = Object{}; return j; }

  /// Object member: set (replacing a member of the same name). Throws std::logic_error on a non-object.
  Json& set(const std::string& key, Json value);
  /// Array element. Throws std::logic_error on a non-array.
  Json& push(Json value);
  /// Serialised; `indent` < 0: one line. Numbers in the shortest form that reads back to the same double;
  /// NaN and infinities (which JSON cannot hold) as null.
  std::string dump(int indent = 2) const;

 private:
  void write(std::string& out, int indent, int depth) const;
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v_ = nullptr;
};

/// `s` as a JSON string literal (quotes, escapes, control characters as \u00XX).
std::string json_quote(const std::string& s);

/// A GPU as CUDA shows it (indices are CUDA's, after CUDA_VISIBLE_DEVICES).
struct DeviceInfo {
  int index = 0;
  std::string name, uuid, pci_bus_id;
  int cc_major = 0, cc_minor = 0, multiprocessors = 0;
  double memory_bytes = 0;
};

/// One measurement on one device.
struct DeviceRun {
  int device = 0;
  std::vector<double> seconds;          // each timed repetition (CUDA events), warm-ups excluded
  std::optional<ReferenceCheck> check;  // GEMMs: against the FP64 reference; copies: byte-exact comparison
  std::string not_run;                  // why it did not run on this device ("" = it ran)
  std::string kernel;                   // what ran (cuBLASLt heuristic's choice, copy engine, …)
};

/// One measurement on every device.
struct MeasurementRun {
  std::string id;                       // gemm_bf16, copy_d2d, h2d, d2h
  std::optional<Precision> precision;   // GEMMs only
  std::string unit;                     // "FLOP/s" or "B/s"
  double work = 0;                      // per repetition and device, in work_unit
  std::string work_unit;                // "FLOP" or "B"
  std::string method;                   // how it was measured, for source.method
  std::string library;                  // "cuBLASLt 13.0.2", "CUDA runtime 13.0"
  std::vector<DeviceRun> devices;
};

/// The run's context.
struct RunInfo {
  std::string tool_version;             // aicq's version (the probe is built from the same tree)
  std::string time;                     // ISO 8601 UTC, when the run started
  std::string hostname;
  std::string cuda_runtime, cuda_driver, cublaslt;
  std::string visible_devices;          // $CUDA_VISIBLE_DEVICES as set, or "(not set)"
  std::vector<DeviceInfo> devices;
  Options options;
};

/// The node's figure for one measurement: the devices it ran on, summed per repetition.
struct Aggregate {
  std::vector<int> devices;             // CUDA indices of the devices it ran on
  std::vector<double> samples;          // per repetition: Σ over devices of work ÷ seconds
  std::optional<Stats> stats;           // of samples; empty when it ran nowhere
  std::optional<double> peak_per_device;
  std::string peak_method, catalog_id, peak_reference, peak_missing;
  std::optional<double> fraction_of_peak;  // stats.median ÷ (peak_per_device × devices)
  bool valid = true;
  std::string invalid_reason;
};

/// Sums `m` over the devices it ran on and finds the peak to compare against: for GEMMs the peak of its
/// precision (peak_for, the mean over the devices when they differ; none when one device has none); for the
/// device copy the catalog memory bandwidth; none for host transfers. Invalid when a device's check failed.
Aggregate aggregate(const MeasurementRun& m, const RunInfo& run);

/// `value` with an SI prefix and 4 significant digits: "771.2 TFLOP/s", "4.301 TB/s".
std::string format_rate(double value, const std::string& unit);

/// The evidence document (see the top of this file).
Json evidence_document(const RunInfo& run, const std::vector<MeasurementRun>& measurements);

/// A table for people (standard error): one line per measurement and device, with the node's sum and the
/// fraction of the peak.
std::string text_table(const RunInfo& run, const std::vector<MeasurementRun>& measurements);

}  // namespace aicq::gpu

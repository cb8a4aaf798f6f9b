// Telemetry: power and utilization samplers, the sampling loop (Recorder) and the energy arithmetic.
//
// Shape (architecture: telemetry ──► samples ──► evidence):
//   Sampler   one source (procfs, RAPL, NVML, IPMI DCMI, Redfish, the Q0 estimate). It declares its channels
//             once (metric × device, unit, counter or gauge) and fills one value per channel at each sample().
//   discover  every known source with its availability, Q level and, when absent, why (`aicq sensors`).
//   Recorder  its own thread on the monotonic clock at a fixed interval; keeps the samples in memory (bounded),
//             summarises time windows (mean power, energy, utilization) and, when given a store, hands the
//             samples to a writer thread that appends them to SQLite (I/O off the sampling thread).
//
// Quality (conventions: power and energy evidence): RAPL and NVML are Q1 (component sensors); IPMI DCMI and
// Redfish power readings are Q2 (node level, several readings over the run); a Redfish energy counter read at
// both ends of the whole run is Q3; the estimate is Q0, kind `estimated`, with its model written out. An IT
// load rate is never computed from Q0 power: Window::quality says "Q0" and callers keep that label.
//
// Units: SI inside (W, J, B, Hz, s); utilizations are fractions 0–1; temperatures °C.
//
// Threading: a Sampler is used by one thread at a time. Recorder's const methods may be called from any thread
// while it runs (they take a short lock on the in-memory samples).
//
// For the Prometheus helper (`aicq monitor`, /metrics): Recorder::channels() names every time series
// (Channel::metric and ::device map onto Prometheus names and labels, e.g. aicq_power_watts{source="rapl",
// device="package-0"}); Recorder::latest() gives the newest value of each; Config::db makes the Recorder record
// a monitor session (store::Store::begin_telemetry_run … end_telemetry_run) and its samples;
// store::Store::telemetry_window() reads means and energy back for a time window (src/aicq/store/store.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aicq/core/evidence.hpp"

namespace aicq::telemetry {

// --- channels and samplers ---------------------------------------------------------------------------------

/// Metric names a channel may carry (Channel::metric). Strings rather than an enum so that the store and the
/// /metrics exposition can carry them as they are.
namespace metric {
inline constexpr const char* power_w = "power_w";                      // W, gauge
inline constexpr const char* energy_j = "energy_j";                    // J, counter: energy since the sampler opened
inline constexpr const char* cpu_utilization = "cpu_utilization";      // 0–1, busy share of all CPUs since last sample
inline constexpr const char* memory_used_bytes = "memory_used_bytes";  // B, MemTotal − MemAvailable (host) or GPU memory
inline constexpr const char* memory_total_bytes = "memory_total_bytes";
inline constexpr const char* gpu_utilization = "gpu_utilization";      // 0–1, NVML: share of time a kernel ran
inline constexpr const char* gpu_memory_utilization = "gpu_memory_utilization";  // 0–1, NVML memory-controller busy
inline constexpr const char* temperature_c = "temperature_c";          // °C
inline constexpr const char* sm_clock_hz = "sm_clock_hz";              // Hz
inline constexpr const char* mem_clock_hz = "mem_clock_hz";            // Hz
inline constexpr const char* power_limit_w = "power_limit_w";          // W, enforced power limit
}  // namespace metric

/// How a power channel counts towards the machine's power (Recorder::window picks one scope).
enum class PowerScope {
  none,       // not a power/energy channel
  node,       // the whole node (IPMI DCMI, Redfish chassis): not to be added to anything
  component,  // one component (a RAPL package or DRAM domain, a GPU): components add up
  part,       // part of a component already counted (RAPL core/uncore subzones, psys): reported, never added
};

/// One time series of a sampler.
struct Channel {
  std::string metric;  // one of metric::*
  std::string device;  // "cpu", "memory", "package-0", "package-0/dram", "gpu0", "node", "chassis-1U"
  std::string unit;    // "W", "J", "1", "B", "Cel", "Hz"
  bool counter = false;  // cumulative (energy_j); otherwise a gauge
  PowerScope scope = PowerScope::none;
};

/// One power or utilization source. Constructed open (files kept open, libraries loaded); sample() reads.
class Sampler {
 public:
  virtual ~Sampler() = default;
  Sampler() = default;
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  /// Stable id: "procfs", "rapl", "nvml", "ipmi", "redfish", "estimate".
  [[nodiscard]] virtual const std::string& id() const = 0;
  /// What exactly is read, for people and provenance ("/sys/class/powercap/intel-rapl:0 (package-0), …").
  [[nodiscard]] virtual const std::string& source() const = 0;
  /// Quality of its power and energy values; nullopt for a source without power (procfs).
  [[nodiscard]] virtual std::optional<core::PowerQuality> quality() const = 0;
  /// measured, or estimated (the Q0 model).
  [[nodiscard]] virtual core::EvidenceKind kind() const { return core::EvidenceKind::measured; }
  /// The model behind estimated values, written out (empty for measurements).
  [[nodiscard]] virtual std::string model() const { return {}; }
  /// Fixed for the sampler's life.
  [[nodiscard]] virtual const std::vector<Channel>& channels() const = 0;

  /// Reads every channel at monotonic time `t_s` (seconds, increasing between calls) into `out`
  /// (out.size() == channels().size()). A value not available this time is NaN (a counter read that would give
  /// a negative delta, the first sample of a rate, a field the device lacks). Throws core::WorkError when the
  /// source as a whole failed (a GPU gone, a BMC not answering): the Recorder marks it failed and goes on.
  virtual void sample(double t_s, std::span<double> out) = 0;
};

// --- configuration and discovery ---------------------------------------------------------------------------

/// Where the Q0 estimate gets its power figures when nothing is measured.
struct EstimateConfig {
  /// Declared rated power of the node or its CPUs (e.g. from the site declaration): P = rated × (idle share +
  /// (1 − idle share) × utilization). Wins over everything below.
  std::optional<double> rated_power_w;
  /// Idle share of the rated power used with rated_power_w or a catalog TDP; see estimate.cpp for its source.
  std::optional<double> idle_share;
  /// Host CPU facts when known (catalog): TDP of one socket and its hardware threads. In a VM the estimate is
  /// TDP × vCPUs / host threads; on bare metal TDP × sockets. Filled by discover() from the hardware catalog when
  /// the CPU model name matches an entry.
  std::optional<double> host_tdp_w;
  std::optional<int> host_threads;
  std::string host_cpu_name;
};

struct Config {
  std::chrono::milliseconds interval{1000};  // at least 100 ms (Recorder throws core::InputError below)
  std::string root = "/";                    // sysfs/procfs root ("/proc/stat" is read as root + "proc/stat")
  std::string data_dir;                      // --data-dir, for the hardware catalog (the estimate's CPU TDP)

  bool nvml = true;  // try NVML (hw::Nvml::load: $AICQ_NVML_LIBRARY or libnvidia-ml.so.1)

  /// IPMI DCMI: the command run at each sample (split on blanks, no shell); empty turns IPMI off. It is tried
  /// only when its program is found and `ipmi_device` exists (root-relative), unless ipmi_require_device is false
  /// (tests, or a command that reaches a remote BMC, e.g. "ipmitool -I lanplus -H … dcmi power reading").
  std::string ipmi_command = "ipmitool dcmi power reading";
  std::string ipmi_device = "dev/ipmi0";
  bool ipmi_require_device = true;

  /// Redfish: base URL of the BMC ("https://bmc.example" or "http://127.0.0.1:8000"); empty = not configured.
  std::string redfish_url;
  /// File with "user:password" (mode 600 checked); empty = AICQ_REDFISH_USER / AICQ_REDFISH_PASSWORD.
  std::string redfish_credentials;
  /// Chassis resource to read ("/redfish/v1/Chassis/1U"); empty = the first member of /redfish/v1/Chassis.
  std::string redfish_chassis;
  bool redfish_verify_tls = true;  // HTTPS certificate verification
  std::chrono::milliseconds redfish_timeout{2000};

  EstimateConfig estimate;

  /// Recorder: sampling instants kept in memory for window() and series(). Beyond this every second kept
  /// instant is dropped and the stride doubles (series() says "downsampled_every"); windows over old times then
  /// use the kept instants: energy from counters stays exact, trapezoids and means get coarser. The newest
  /// sample is always kept.
  std::size_t max_series_points = 4096;

  /// Recorder: when non-empty, a store file ("" = no store), opened by start() with store::Store::open (a file
  /// that cannot be a store: core::InputError, and it is left untouched). Samples are appended by a writer thread,
  /// one transaction per batch (normally one interval), to a telemetry run opened at start() and closed at
  /// stop(); while the store is locked or failing, rows wait in memory and are retried (store_errors()).
  std::string db;
  std::string run_command = "monitor";  // what the run is recorded as: "monitor", "run"
  /// Store retention, applied when a run starts: raw samples, then 1-minute aggregates (min/mean/max/last).
  std::chrono::seconds raw_retention{std::chrono::hours(24 * 7)};
  std::chrono::seconds aggregate_retention{std::chrono::hours(24 * 400)};

  /// Called (from the sampling or writer thread) when a source fails mid-run or the store cannot be written;
  /// the source is marked failed (Recorder::status) whether or not a logger is set.
  std::function<void(const std::string&)> log;
};

/// One known source, as `aicq sensors` shows it.
struct Availability {
  std::string id;       // "procfs", "rapl", "nvml", "ipmi", "redfish", "estimate"
  std::string name;     // "CPU and memory utilization", "RAPL (powercap)", …
  bool available = false;
  std::optional<core::PowerQuality> quality;  // of its power values when available; nullopt without power
  core::EvidenceKind kind = core::EvidenceKind::measured;
  std::string source;   // what it reads (paths, devices, URL) when available
  std::string why_not;  // when not available: why, and what would make it available
  std::vector<std::string> metrics;  // what it gives (metric::*)
  std::string model;    // the estimate's model, written out
  bool used_for_power = false;  // the power source Recorder::window would use here (best quality present)
};

/// Every known source in a fixed order (procfs, rapl, nvml, ipmi, redfish, estimate), trying each once.
/// Never throws for an absent source; throws core::InputError for a bad configuration the user gave (an
/// unreadable or too open credentials file, a malformed Redfish URL).
std::vector<Availability> discover(const Config& config);

/// The samplers that are available, opened (files kept open); `report` (optional) receives discover()'s list.
/// The estimate sampler is included only when no measured power source is available.
std::vector<std::unique_ptr<Sampler>> open_samplers(const Config& config, std::vector<Availability>* report = nullptr);

// --- the sampling loop ---------------------------------------------------------------------------------------

/// Newest value of one channel (for /metrics).
struct LatestValue {
  std::string sampler;  // Sampler::id()
  Channel channel;
  std::optional<core::PowerQuality> quality;
  double t_s = 0;        // monotonic seconds since start()
  double value = 0;      // NaN when the last sample had none
};

/// State of one sampler in the loop.
struct SamplerStatus {
  std::string id, source;
  std::optional<core::PowerQuality> quality;
  core::EvidenceKind kind = core::EvidenceKind::measured;
  std::string model;
  bool failed = false;
  std::string error;      // why it failed (the first error; it is not sampled again)
  double failed_at_s = 0;
  std::int64_t samples = 0;
};

class Recorder {
 public:
  /// Opens the samplers of `config` (open_samplers). Throws core::InputError for an interval under 100 ms.
  explicit Recorder(Config config);
  /// For tests and tools: the given samplers instead of discovery.
  Recorder(Config config, std::vector<std::unique_ptr<Sampler>> samplers);
  ~Recorder();  // stops
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Starts the sampling thread (first sample at once, at t = 0 s) and, with Config::db, the writer thread.
  /// Throws core::WorkError / core::InputError when the store cannot be opened.
  void start();
  /// Takes a last sample, joins the threads, flushes the store and closes the telemetry run. Idempotent.
  void stop();

  /// Monotonic seconds since start() (0 before), to mark windows.
  [[nodiscard]] double now_s() const;
  /// Wall-clock time (Unix seconds) of t = 0.
  [[nodiscard]] double start_unix_s() const;

  struct Window {
    std::optional<double> mean_power_w, energy_j;  // over the window; empty without a power source or samples
    std::string quality;                           // "Q0".."Q3"; empty without power
    std::string source;                            // sampler ids summed, e.g. "rapl+nvml", or "ipmi", "estimate"
    std::optional<double> cpu_utilization, gpu_utilization;  // mean over the window (GPUs averaged)
    int samples = 0;                               // sampling instants inside [t0, t1]
    double covered_s = 0;  // the part of [t0, t1] between the oldest and newest sample: power and energy cover it
  };
  /// Summary of [t0_s, t1_s] (monotonic seconds since start). Power: the best-quality scope present — a node
  /// meter (IPMI/Redfish) alone, else the sum of components (RAPL packages and DRAM, GPUs), else the estimate.
  /// Energy from counters where every summed channel has one (difference of the counter interpolated at t0 and
  /// t1), else the trapezoidal integral of power; mean power = energy / covered time. A counter is used only
  /// when it advanced at every sample inside the window (a coarse counter, e.g. a BMC's kWh, does not) and had
  /// no gap; the window then counts as Q3 for a node meter. Ask after a sample past t1 exists (after stop(), or
  /// one interval later): otherwise the window is cut at the newest sample (covered_s says how much).
  [[nodiscard]] Window window(double t0_s, double t1_s) const;

  /// The raw samples, for a result's raw/ folder:
  /// {"schema":"aicq-telemetry/1","interval_s","start_unix_s","samplers":[{id,source,quality,kind,model,failed,
  ///  error,channels:[{metric,device,unit,counter,scope}]}],"t_s":[…],"values":{"<sampler>/<metric>/<device>":[…]},
  ///  "downsampled_every": k} — NaN written as null; at most Config::max_series_points instants.
  [[nodiscard]] nlohmann::json series() const;

  [[nodiscard]] std::vector<LatestValue> latest() const;
  [[nodiscard]] std::vector<SamplerStatus> status() const;
  /// Telemetry run id in the store (Config::db), or nullopt.
  [[nodiscard]] std::optional<std::int64_t> run_id() const;
  /// Errors of the writer thread so far (a store that became unwritable); sampling goes on regardless.
  [[nodiscard]] std::vector<std::string> store_errors() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// --- arithmetic, exposed for tests and for the store ---------------------------------------------------------

/// Trapezoidal integral of (t_s[i], power_w[i]); NaN points are skipped (the segment spans the gap).
double trapezoid_j(std::span<const double> t_s, std::span<const double> power_w);

/// Energy between two readings of a counter in µJ that wraps at max_range_uj (RAPL energy_uj): e1 − e0 when
/// e1 ≥ e0, else (max_range_uj − e0) + e1; nullopt when it went backwards and the range is unknown.
std::optional<double> counter_delta_uj(std::uint64_t e0_uj, std::uint64_t e1_uj, std::optional<std::uint64_t> max_range_uj);

}  // namespace aicq::telemetry

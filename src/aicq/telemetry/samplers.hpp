// The concrete samplers and the parsers behind them. Public for tests and for discover(); other layers use
// telemetry.hpp (discover, open_samplers, Recorder).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/telemetry/telemetry.hpp"

namespace aicq::hw {
class Nvml;
}

namespace aicq::telemetry {

// --- file reading without allocation ------------------------------------------------------------------------

/// A file opened once and read from offset 0 with pread at each sample (sysfs and procfs regenerate their
/// text on every read at offset 0), so a sample costs one system call and no allocation.
class KeptFile {
 public:
  KeptFile() = default;
  explicit KeptFile(const std::string& path);
  KeptFile(KeptFile&& o) noexcept;
  KeptFile& operator=(KeptFile&& o) noexcept;
  KeptFile(const KeptFile&) = delete;
  KeptFile& operator=(const KeptFile&) = delete;
  ~KeptFile();

  [[nodiscard]] bool is_open() const { return fd_ >= 0; }
  [[nodiscard]] const std::string& path() const { return path_; }
  /// errno of the failed open or read ("" when none), as text.
  [[nodiscard]] std::string error() const;
  /// The first buf.size() bytes of the file; nullopt when the read failed.
  std::optional<std::string_view> read(std::span<char> buf);
  /// The file as an unsigned integer (leading/trailing blanks allowed); nullopt when unreadable or malformed.
  std::optional<std::uint64_t> read_u64();

 private:
  int fd_ = -1;
  int errno_ = 0;
  std::string path_;
};

/// Joins a root folder ("/" or a test tree) and an absolute-looking path ("proc/stat").
std::string under_root(const std::string& root, std::string_view rel);

// --- procfs ---------------------------------------------------------------------------------------------------

/// The aggregate "cpu" line of /proc/stat, in USER_HZ ticks.
struct CpuTimes {
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  /// user + nice + system + idle + iowait + irq + softirq + steal (guest time is already inside user and nice).
  [[nodiscard]] std::uint64_t total() const;
  /// total − idle − iowait.
  [[nodiscard]] std::uint64_t busy() const;
};
/// Parses the first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal …"); nullopt
/// when it is not there. Kernels older than 2.6.11 lack the last fields: they read as 0.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
/// Busy share of all CPUs between two snapshots: Δbusy / Δtotal; nullopt when no tick passed or the counters
/// went backwards.
std::optional<double> busy_fraction(const CpuTimes& a, const CpuTimes& b);

struct MemInfo {
  std::optional<double> total_bytes, available_bytes;  // MemTotal, MemAvailable (kB × 1024)
};
MemInfo parse_meminfo(std::string_view text);

/// CPU utilization and host memory from /proc/stat and /proc/meminfo under Config::root.
class ProcfsSampler final : public Sampler {
 public:
  /// Throws core::WorkError when /proc/stat cannot be read or parsed.
  explicit ProcfsSampler(const std::string& root);
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  std::optional<core::PowerQuality> quality() const override { return std::nullopt; }
  const std::vector<Channel>& channels() const override { return channels_; }
  void sample(double t_s, std::span<double> out) override;

 private:
  std::string id_ = "procfs", source_;
  std::vector<Channel> channels_;
  KeptFile stat_, meminfo_;
  std::optional<CpuTimes> last_;
  char buf_[4096];
};

// --- RAPL (powercap) ------------------------------------------------------------------------------------------

/// One powercap zone as found under <root>/sys/class/powercap.
struct RaplZone {
  std::string dir;     // ".../intel-rapl:0:0"
  std::string name;    // contents of name: "package-0", "dram", "core", "uncore", "psys"
  std::string device;  // "package-0" for a top zone, "package-0/dram" for a subzone
  std::optional<std::uint64_t> max_range_uj;  // max_energy_range_uj; nullopt when unreadable
  PowerScope scope = PowerScope::component;
};
/// Zones in name order; `why_not` says why there are none (no tree, no zones, energy_uj not readable).
std::vector<RaplZone> find_rapl_zones(const std::string& root, std::string* why_not);

class RaplSampler final : public Sampler {
 public:
  /// Throws core::WorkError when no zone can be read.
  explicit RaplSampler(const std::string& root);
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  std::optional<core::PowerQuality> quality() const override { return core::PowerQuality::q1; }
  const std::vector<Channel>& channels() const override { return channels_; }
  /// Per zone: energy_j (counter since the sampler opened, wrap-corrected) and power_w (ΔE/Δt since the previous
  /// sample). A counter that went backwards with max_energy_range_uj unknown gives NaN for both at that sample
  /// (the interval is dropped) and the next delta starts from the new reading.
  void sample(double t_s, std::span<double> out) override;

 private:
  struct Zone {
    RaplZone info;
    KeptFile energy;
    std::optional<std::uint64_t> last_uj;
    double last_t_s = 0;
    double energy_j = 0;
  };
  std::string id_ = "rapl", source_;
  std::vector<Channel> channels_;
  std::vector<Zone> zones_;
};

// --- NVML -----------------------------------------------------------------------------------------------------

/// One GPU through hw::Nvml (one sampler per GPU, so that a GPU that disappears fails alone).
class NvmlSampler final : public Sampler {
 public:
  NvmlSampler(std::shared_ptr<hw::Nvml> nvml, unsigned index);
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  std::optional<core::PowerQuality> quality() const override { return core::PowerQuality::q1; }
  const std::vector<Channel>& channels() const override { return channels_; }
  /// power_w, energy_j (counter since the sampler opened), gpu_utilization, gpu_memory_utilization,
  /// memory_used_bytes, temperature_c, sm_clock_hz, mem_clock_hz, power_limit_w. Throws core::WorkError (from
  /// hw::Nvml::read) when the GPU no longer answers.
  void sample(double t_s, std::span<double> out) override;

 private:
  std::shared_ptr<hw::Nvml> nvml_;
  unsigned index_;
  std::string id_ = "nvml", source_;
  std::vector<Channel> channels_;
  std::optional<double> first_energy_j_;
};

// --- IPMI DCMI ------------------------------------------------------------------------------------------------

/// `ipmitool dcmi power reading` or FreeIPMI `ipmi-dcmi --get-system-power-statistics`, parsed.
struct DcmiReading {
  std::optional<double> instantaneous_w, minimum_w, maximum_w, average_w;
  std::optional<double> sampling_period_s;
  std::string timestamp;  // as printed
  std::string state;      // "activated", "deactivated", "Active", "Not Active"
  /// The BMC is metering: state "activated" (ipmitool) or "Active" (FreeIPMI).
  [[nodiscard]] bool active() const;
};
/// Throws core::InputError naming `what` (the command or file) when no power reading is in the text.
DcmiReading parse_dcmi_power_reading(std::string_view text, const std::string& what);

/// Runs a command (argv split on blanks, no shell) with a timeout; returns its standard output. Throws
/// core::WorkError when it cannot start, times out, or exits non-zero (the message has its standard error).
std::string run_command(const std::string& command, std::chrono::milliseconds timeout);

class IpmiSampler final : public Sampler {
 public:
  /// Runs the command once; throws core::WorkError when it fails or the BMC is not metering.
  explicit IpmiSampler(std::string command);
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  std::optional<core::PowerQuality> quality() const override { return core::PowerQuality::q2; }
  const std::vector<Channel>& channels() const override { return channels_; }
  /// power_w (instantaneous reading) of the node; NaN while the state is not active.
  void sample(double t_s, std::span<double> out) override;

 private:
  std::string command_, id_ = "ipmi", source_;
  std::vector<Channel> channels_;
};

// --- Redfish --------------------------------------------------------------------------------------------------

struct RedfishCredentials {
  std::string user, password;
};
/// From `file` ("user:password", first line; must not be readable by group or others) or, when `file` is
/// empty, from AICQ_REDFISH_USER / AICQ_REDFISH_PASSWORD; nullopt when neither is set. Throws core::InputError
/// for an unreadable, malformed or too open file.
std::optional<RedfishCredentials> redfish_credentials(const std::string& file);

/// Where the chassis power and energy are read.
struct RedfishPlan {
  std::string chassis;        // "/redfish/v1/Chassis/1U"
  std::string power_uri;      // a Sensor (Reading, W) or the legacy Power resource
  bool power_is_legacy = false;  // PowerControl[].PowerConsumedWatts summed
  std::string energy_uri;     // a Sensor with ReadingType EnergykWh (Reading in kWh); empty without one
};

/// A Redfish service over HTTP(S) (cpp-httplib, OpenSSL). Methods throw core::WorkError naming the URL and the
/// HTTP status; 401/403 name the credentials.
class RedfishClient {
 public:
  RedfishClient(const Config& config);
  ~RedfishClient();
  RedfishClient(const RedfishClient&) = delete;
  RedfishClient& operator=(const RedfishClient&) = delete;
  nlohmann::json get(const std::string& path);
  /// Finds the chassis (Config::redfish_chassis or the first member) and its power and energy resources.
  RedfishPlan plan(const std::string& chassis);
  [[nodiscard]] const std::string& base_url() const { return base_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string base_;
};

/// power_w from a Sensor resource ({"Reading": W}) or a legacy Power resource (sum of
/// PowerControl[].PowerConsumedWatts); nullopt when absent or null.
std::optional<double> redfish_power_w(const nlohmann::json& resource, bool legacy);
/// energy in J from a Sensor with ReadingType EnergykWh (or EnergyJoules); nullopt when absent.
std::optional<double> redfish_energy_j(const nlohmann::json& sensor);

class RedfishSampler final : public Sampler {
 public:
  explicit RedfishSampler(const Config& config);
  ~RedfishSampler() override;
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  /// Q3 with an energy counter (read over the whole run), Q2 with power readings only.
  std::optional<core::PowerQuality> quality() const override;
  const std::vector<Channel>& channels() const override { return channels_; }
  void sample(double t_s, std::span<double> out) override;

 private:
  std::unique_ptr<RedfishClient> client_;
  RedfishPlan plan_;
  std::string id_ = "redfish", source_;
  std::vector<Channel> channels_;
  std::optional<double> first_energy_j_;
};

// --- the Q0 estimate ------------------------------------------------------------------------------------------

/// Cloud Carbon Footprint's per-vCPU coefficients for one microarchitecture (see estimate.cpp for the source).
struct CcfCoefficients {
  std::string architecture;  // "EPYC 4th Gen", or "average (architecture unknown)"
  double min_w = 0, max_w = 0;  // per vCPU (hardware thread)
};
/// The microarchitecture of a CPU from /proc/cpuinfo's vendor_id, cpu family and model; nullopt when unknown.
std::optional<CcfCoefficients> ccf_coefficients(std::string_view vendor, int family, int model, int stepping);
/// CCF's averages over all microarchitectures, for an unknown one.
CcfCoefficients ccf_average();

/// Facts of this machine's CPUs from /proc/cpuinfo.
struct CpuFacts {
  std::string vendor, model_name;
  int family = -1, model = -1, stepping = -1;
  int logical_cpus = 0;  // "processor" entries: vCPUs in a VM
  int sockets = 0;       // distinct "physical id"
  bool hypervisor = false;  // the "hypervisor" CPU flag: a VM
};
CpuFacts parse_cpuinfo(std::string_view text);

/// P(u) = idle_w + (max_w − idle_w) × u, with the model written out.
struct EstimateModel {
  double idle_w = 0, max_w = 0;
  std::string model;      // "2 vCPU × (0.739 W + u × (2.282 W − 0.739 W)) per vCPU; …"
  std::string reference;  // the public source of the figures
  [[nodiscard]] double power_w(double utilization) const { return idle_w + (max_w - idle_w) * utilization; }
};
/// The estimate for this machine: declared rated power, else catalog TDP (× vCPUs / host threads in a VM),
/// else CCF per-vCPU watts × vCPUs.
EstimateModel make_estimate(const EstimateConfig& config, const CpuFacts& cpu);

class EstimateSampler final : public Sampler {
 public:
  EstimateSampler(const std::string& root, EstimateModel model);
  const std::string& id() const override { return id_; }
  const std::string& source() const override { return source_; }
  std::optional<core::PowerQuality> quality() const override { return core::PowerQuality::q0; }
  core::EvidenceKind kind() const override { return core::EvidenceKind::estimated; }
  std::string model() const override { return model_.model; }
  const std::vector<Channel>& channels() const override { return channels_; }
  /// power_w = model(CPU busy share since the previous sample); the first sample uses the share since boot.
  void sample(double t_s, std::span<double> out) override;

 private:
  std::string id_ = "estimate", source_;
  EstimateModel model_;
  std::vector<Channel> channels_;
  KeptFile stat_;
  std::optional<CpuTimes> last_;
  char buf_[512];
};

}  // namespace aicq::telemetry

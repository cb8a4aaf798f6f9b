// NVIDIA GPUs through NVML, loaded at run time with dlopen (conventions: who owns what — the NVML loader).
//
// No driver or CUDA toolkit is needed at build time: the few NVML C functions aicq calls are declared in
// nvml.cpp with the ABI of nvml.h, and resolved with dlsym. Absent library or no devices = no GPUs, said
// plainly (`why_not`). Tests load a small shared library exporting the same C functions with scripted values
// (tests/fake_nvml), through the real dlopen path: set AICQ_NVML_LIBRARY to its path.
//
// Units at this boundary are SI: NVML's mW, mJ, MHz, bytes and percentages are converted here, once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aicq::hw {

/// Static facts of one GPU.
struct GpuInfo {
  unsigned index = 0;
  std::string name;        // "NVIDIA H100 80GB HBM3"
  std::string uuid;        // "GPU-…"
  std::string pci_bus_id;  // "00000000:17:00.0"
  std::optional<int> cc_major, cc_minor;      // CUDA compute capability
  std::optional<double> memory_total_bytes;
  std::optional<double> power_limit_w;         // enforced power limit
  std::optional<double> power_limit_default_w; // default (≈ TDP/TGP)
  std::optional<double> max_sm_clock_hz;
  std::optional<double> max_mem_clock_hz;
  std::optional<int> multiprocessors;          // not in NVML; filled by callers that know (CUDA), else empty
};

/// One reading of one GPU. A field the device does not support stays empty.
struct GpuReading {
  std::optional<double> power_w;              // nvmlDeviceGetPowerUsage (mW → W)
  std::optional<double> energy_j;             // nvmlDeviceGetTotalEnergyConsumption (mJ → J), counter since driver load
  std::optional<double> gpu_utilization;      // 0–1, nvmlDeviceGetUtilizationRates().gpu / 100
  std::optional<double> memory_utilization;   // 0–1, .memory / 100
  std::optional<double> memory_used_bytes;
  std::optional<double> temperature_c;
  std::optional<double> sm_clock_hz;
  std::optional<double> mem_clock_hz;
  std::optional<double> power_limit_w;
};

/// The GPUs a CUDA program would see, as NVML indices, under CUDA_VISIBLE_DEVICES (`visible`; nullopt = the
/// variable is unset = every device). CUDA's rules: a comma-separated list of device indices or UUIDs
/// ("GPU-8f2e…", a unique prefix is enough); the list ends at the first entry that names no device (later ones
/// are ignored, as CUDA does); an empty value hides every GPU; a device named twice counts once. MIG instances
/// ("MIG-…") are not resolved here: the entry stops the list and `note` says so. Indices are taken in NVML's
/// order (PCI bus order), which is CUDA's only with CUDA_DEVICE_ORDER=PCI_BUS_ID — `note` says so when the
/// list uses indices without it. `note` also names every entry that stopped the list.
std::vector<unsigned> select_visible(const std::vector<GpuInfo>& devices, const std::optional<std::string>& visible,
                                     const std::optional<std::string>& device_order, std::string* note);

/// A loaded and initialised NVML. Thread-safe for reads (NVML is).
class Nvml {
 public:
  /// Loads $AICQ_NVML_LIBRARY or libnvidia-ml.so.1 and calls nvmlInit_v2. Returns nullptr and sets `why_not`
  /// ("libnvidia-ml.so.1 not found: no NVIDIA driver on this machine", "nvmlInit_v2: NVML_ERROR_… (code)")
  /// when NVML cannot be used.
  static std::shared_ptr<Nvml> load(std::string* why_not);

  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  std::string library_path() const;
  std::string driver_version() const;
  std::string nvml_version() const;
  unsigned device_count() const;
  GpuInfo info(unsigned index) const;      // throws core::WorkError naming the call and the NVML code
  GpuReading read(unsigned index) const;   // unsupported fields empty; other errors throw core::WorkError
  /// The NVML indices of the devices this process's CUDA_VISIBLE_DEVICES leaves visible (select_visible);
  /// every device when it is unset. Only these are measured (telemetry, discovery, GPU probes).
  std::vector<unsigned> visible_devices(std::string* note = nullptr) const;

  struct Impl;

 private:
  explicit Nvml(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aicq::hw

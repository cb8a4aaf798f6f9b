// What this machine is: CPU identity and microarchitecture, topology (hwloc), ISA extensions (CPUID on x86,
// hardware capabilities on Arm — not only /proc/cpuinfo, whose flags line a hypervisor may trim), memory,
// hypervisor, GPUs through NVML (nvml.hpp).
//
// Contract: discover() never throws for a feature this machine lacks or hides; every unknown is an empty
// optional or an empty string with a note that says why (`microarch_note`, `clock_note`, `gpu_note`).
// It reads the machine only (no benchmark runs); it takes about 10 ms (hwloc, and the TSC rate timed against
// the steady clock).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/catalog/catalog.hpp"
#include "aicq/hw/nvml.hpp"

namespace aicq::hw {

/// One cache level as hwloc reports it: `count` instances of `size_bytes` each.
struct Cache {
  int level = 0;
  double size_bytes = 0;
  int count = 0;
  std::string type;  // "data", "instruction" or "unified"
};

struct CpuInfo {
  std::string vendor;      // "AMD", "Intel", "Arm", "HiSilicon", … (CPUID vendor string or MIDR implementer)
  std::string model_name;  // CPUID brand string; on Arm the vendor and microarchitecture name
  int family = 0, model = 0, stepping = 0;  // x86 CPUID display values; Arm: MIDR implementer, part, revision
  std::string microarch;       // catalog id ("amd-zen4"), "" when unknown
  std::string microarch_name;  // "Zen 4 (Genoa, …)", "" when unknown
  std::string microarch_note;  // why unknown, or where the family/model numbers come from (the catalog's source)
  std::string catalog_cpu;     // cpus.yaml id when the brand string names a catalogued SKU, else ""
  int sockets = 0, cores = 0, threads = 0, numa_nodes = 0;
  std::vector<std::string> isa;  // "avx2","fma","avx512f","avx512_bf16","avx512_vnni","amx_bf16",… (usable ones)
  std::vector<Cache> caches;
  std::optional<double> llc_bytes;  // last-level cache, total over its instances
  std::optional<double> tsc_hz;     // time-stamp counter rate (x86)
  std::string tsc_source;           // how tsc_hz was obtained
  std::optional<double> nominal_hz; // what the OS reports (cpufreq base frequency, else /proc/cpuinfo "cpu MHz")
  std::string nominal_source;
  std::optional<double> max_hz;        // cpufreq cpuinfo_max_freq, when there is cpufreq
  std::optional<double> base_clock_hz; // the catalogued SKU's base clock
  std::string clock_note;              // e.g. "no cpufreq: in a VM the reported MHz is the TSC rate, not the core clock"
  bool hypervisor = false;
  std::string hypervisor_vendor;  // "KVM", "Microsoft Hyper-V", … ("" when not virtualised or unknown)
  std::vector<unsigned> core_cpus;  // OS index of the first hardware thread of each core (for pinning)
  std::string topology_note;        // set when hwloc could not be used
};

struct Host {
  std::string hostname, os, kernel;
  std::string system_vendor, system_product;  // DMI (/sys/class/dmi/id), "" when unreadable
  CpuInfo cpu;
  double memory_bytes = 0;       // the kernel's total usable RAM (sysinfo(2) = /proc/meminfo MemTotal)
  double numa_memory_bytes = 0;  // hwloc's sum over NUMA nodes (0 when hwloc does not say)
  std::string memory_note;       // set when the two disagree by more than 1%
  std::vector<GpuInfo> gpus;
  std::string gpu_note;     // why there are no GPUs ("libnvidia-ml.so.1 not found: …"), else ""
  std::string nvml_driver;  // driver version when NVML loaded
};

/// Discovers this machine. `cat` resolves the microarchitecture and a catalogued CPU SKU.
Host discover(const catalog::HardwareCatalog& cat);

nlohmann::json to_json(const Host&);
nlohmann::json to_json(const GpuInfo&);

/// True when `isa` lists `name`.
bool has_isa(const CpuInfo& cpu, std::string_view name);

}  // namespace aicq::hw

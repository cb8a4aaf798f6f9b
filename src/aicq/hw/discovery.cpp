#include "aicq/hw/discovery.hpp"

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

#include "aicq/hw/cpu_identity.hpp"
#include "aicq/hw/topology.hpp"

namespace aicq::hw {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n\r\"");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\n\r\"");
  return s.substr(b, e - b + 1);
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

std::optional<double> read_khz(const std::string& path) {
  const std::string s = read_line(path);
  if (s.empty()) return std::nullopt;
  try {
    const double khz = std::stod(s);
    if (khz > 0) return khz * 1e3;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// The first value of a "key : value" line in /proc/cpuinfo.
std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(line.substr(0, colon)) == key) return trim(line.substr(colon + 1));
  }
  return {};
}

std::optional<double> meminfo_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double value = 0;
  while (in >> key >> value >> unit)
    if (key == "MemTotal:") return value * 1024.0;  // the kernel's "kB" are KiB
  return std::nullopt;
}

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) return trim(line.substr(12));
  return {};
}

std::string hex(int v) { return fmt::format("0x{:X}", v); }

void resolve_microarch(CpuInfo& cpu, const catalog::HardwareCatalog& cat, bool is_arm) {
  if (cpu.vendor.empty()) {
    cpu.microarch_note = "unknown: the CPU identity could not be read on this architecture";
    return;
  }
  const auto* u = cat.find_microarchitecture(cpu.vendor, cpu.family, cpu.model, is_arm ? -1 : cpu.stepping);
  if (!u) {
    cpu.microarch_note =
        is_arm ? fmt::format("unknown: no entry for {} MIDR implementer {} part {} in hardware/microarchitectures.yaml",
                             cpu.vendor, hex(cpu.family), hex(cpu.model))
               : fmt::format("unknown: no entry for {} family {} model {} stepping {} in hardware/microarchitectures.yaml",
                             cpu.vendor, hex(cpu.family), hex(cpu.model), cpu.stepping);
    return;
  }
  cpu.microarch = u->id;
  cpu.microarch_name = u->name;
  cpu.microarch_note = u->match_source;
}

}  // namespace

bool has_isa(const CpuInfo& cpu, std::string_view name) {
  return std::find(cpu.isa.begin(), cpu.isa.end(), name) != cpu.isa.end();
}

Host discover(const catalog::HardwareCatalog& cat) {
  Host h;
  {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) h.hostname = name;
    struct utsname u {};
    if (::uname(&u) == 0) h.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
    h.os = os_pretty_name();
    h.system_vendor = read_line("/sys/class/dmi/id/sys_vendor");
    h.system_product = read_line("/sys/class/dmi/id/product_name");
  }

  CpuInfo& cpu = h.cpu;
  const detail::CpuIdentity id = detail::read_cpu_identity();
#if defined(__aarch64__)
  const bool is_arm = true;
#else
  const bool is_arm = false;
#endif
  cpu.vendor = id.vendor;
  cpu.family = id.family;
  cpu.model = id.model;
  cpu.stepping = id.stepping;
  cpu.isa = id.isa;
  cpu.model_name = id.brand;
  cpu.tsc_hz = id.tsc_hz;
  cpu.tsc_source = id.tsc_source;
  cpu.hypervisor = id.hypervisor;
  cpu.hypervisor_vendor = id.hypervisor_vendor;
  if (!id.known) {
    cpu.vendor = cpuinfo_field("vendor_id");
    const std::string flags = " " + cpuinfo_field("flags") + " ";
    cpu.hypervisor = flags.find(" hypervisor ") != std::string::npos;
  }
  if (cpu.model_name.empty()) cpu.model_name = cpuinfo_field("model name");
  resolve_microarch(cpu, cat, is_arm);
  if (cpu.model_name.empty() && !cpu.microarch_name.empty()) cpu.model_name = cpu.vendor + " " + cpu.microarch_name;

  // A catalogued SKU by its brand string (cpus.yaml aliases are brand strings).
  if (const auto* m = cat.find_by_name(cpu.model_name); m && m->kind == "cpu") {
    cpu.catalog_cpu = m->id;
    if (m->base_clock) cpu.base_clock_hz = m->base_clock->si;
  }

  const detail::Topology topo = detail::read_topology();
  cpu.sockets = topo.sockets;
  cpu.cores = topo.cores;
  cpu.threads = topo.threads;
  cpu.numa_nodes = topo.numa_nodes;
  cpu.caches = topo.caches;
  cpu.core_cpus = topo.core_cpus;
  if (!topo.error.empty()) {
    // Without hwloc: every hardware thread counted as a core, which is what the OS schedules on.
    const unsigned n = std::thread::hardware_concurrency();
    cpu.topology_note = fmt::format("{}; cores and threads are the OS's CPU count ({}), sockets and caches unknown",
                                    topo.error, n);
    cpu.cores = cpu.threads = static_cast<int>(n);
    for (unsigned i = 0; i < n; ++i) cpu.core_cpus.push_back(i);
  }
  const Cache* llc = nullptr;
  for (const auto& c : cpu.caches)
    if (c.type != "instruction" && (!llc || c.level > llc->level)) llc = &c;
  if (llc) cpu.llc_bytes = llc->size_bytes * llc->count;

  // Clocks the OS reports. With cpufreq: the base frequency (intel_pstate) and the maximum; without it (common
  // in VMs) /proc/cpuinfo "cpu MHz" is the kernel's calibrated TSC rate, not the clock the cores run at.
  const unsigned cpu0 = cpu.core_cpus.empty() ? 0u : cpu.core_cpus.front();
  const std::string cpufreq = fmt::format("/sys/devices/system/cpu/cpu{}/cpufreq/", cpu0);
  cpu.max_hz = read_khz(cpufreq + "cpuinfo_max_freq");
  if (auto base = read_khz(cpufreq + "base_frequency")) {
    cpu.nominal_hz = base;
    cpu.nominal_source = "cpufreq base_frequency";
  } else {
    const std::string mhz = cpuinfo_field("cpu MHz");
    try {
      if (!mhz.empty() && std::stod(mhz) > 0) {
        cpu.nominal_hz = std::stod(mhz) * 1e6;
        cpu.nominal_source = "/proc/cpuinfo cpu MHz";
      }
    } catch (const std::exception&) {
    }
  }
  if (!cpu.max_hz && cpu.nominal_source == "/proc/cpuinfo cpu MHz") {
    const bool is_tsc = cpu.tsc_hz && cpu.nominal_hz && std::abs(*cpu.nominal_hz / *cpu.tsc_hz - 1.0) < 0.005;
    cpu.clock_note = fmt::format("no cpufreq{}: the reported {} MHz is {} - not the clock the cores run at, which "
                                 "only a measurement shows",
                                 cpu.hypervisor ? " (virtual machine)" : "",
                                 cpu.nominal_hz ? fmt::format("{:.0f}", *cpu.nominal_hz / 1e6) : std::string("?"),
                                 is_tsc ? "the TSC rate" : "the kernel's calibrated rate");
  }

  // The kernel's total usable RAM (sysinfo(2), the MemTotal of /proc/meminfo). hwloc's sum over NUMA nodes is
  // kept beside it: the two can disagree (on this project's VM the node's meminfo leaves out memory the
  // kernel added later), and the kernel's figure is the one programs can allocate from.
  struct sysinfo si {};
  if (::sysinfo(&si) == 0) h.memory_bytes = static_cast<double>(si.totalram) * si.mem_unit;
  if (h.memory_bytes <= 0) h.memory_bytes = meminfo_total_bytes().value_or(0);
  h.numa_memory_bytes = topo.memory_bytes;
  if (h.memory_bytes > 0 && topo.memory_bytes > 0 && std::abs(topo.memory_bytes / h.memory_bytes - 1) > 0.01)
    h.memory_note = fmt::format("the NUMA nodes account for {:.4g} GiB of the kernel's {:.4g} GiB", topo.memory_bytes / 1073741824.0,
                                h.memory_bytes / 1073741824.0);

  std::string why_not;
  if (auto nvml = Nvml::load(&why_not)) {
    h.nvml_driver = nvml->driver_version();
    try {
      const unsigned n = nvml->device_count();
      std::string note;
      for (const unsigned i : nvml->visible_devices(&note)) h.gpus.push_back(nvml->info(i));
      if (n == 0) h.gpu_note = fmt::format("NVML (driver {}) reports no GPU", h.nvml_driver);
      else if (h.gpus.size() < n || !note.empty())
        h.gpu_note = fmt::format("{} of {} GPUs visible under CUDA_VISIBLE_DEVICES{}", h.gpus.size(), n, note.empty() ? "" : ": " + note);
    } catch (const std::exception& e) {
      h.gpu_note = fmt::format("NVML loaded but the GPUs could not be listed: {}", e.what());
    }
  } else {
    h.gpu_note = why_not;
  }
  return h;
}

nlohmann::json to_json(const GpuInfo& g) {
  nlohmann::json j = {{"index", g.index}, {"name", g.name}, {"uuid", g.uuid}, {"pci_bus_id", g.pci_bus_id}};
  auto opt = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
    else j[key] = nullptr;
  };
  if (g.cc_major && g.cc_minor) j["compute_capability"] = fmt::format("{}.{}", *g.cc_major, *g.cc_minor);
  else j["compute_capability"] = nullptr;
  opt("memory_total_bytes", g.memory_total_bytes);
  opt("power_limit_w", g.power_limit_w);
  opt("power_limit_default_w", g.power_limit_default_w);
  opt("max_sm_clock_hz", g.max_sm_clock_hz);
  opt("max_mem_clock_hz", g.max_mem_clock_hz);
  opt("multiprocessors", g.multiprocessors);
  return j;
}

nlohmann::json to_json(const Host& h) {
  const CpuInfo& c = h.cpu;
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json caches = nlohmann::json::array();
  for (const auto& k : c.caches)
    caches.push_back({{"level", k.level}, {"type", k.type}, {"size_bytes", k.size_bytes}, {"count", k.count}});
  nlohmann::json cpu = {
      {"vendor", c.vendor},
      {"model_name", c.model_name},
      {"family", c.family},
      {"model", c.model},
      {"stepping", c.stepping},
      {"microarch", c.microarch.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.microarch)},
      {"microarch_name", c.microarch_name},
      {"microarch_note", c.microarch_note},
      {"catalog_cpu", c.catalog_cpu.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.catalog_cpu)},
      {"sockets", c.sockets},
      {"cores", c.cores},
      {"threads", c.threads},
      {"numa_nodes", c.numa_nodes},
      {"isa", c.isa},
      {"caches", caches},
      {"llc_bytes", opt(c.llc_bytes)},
      {"clock",
       {{"tsc_hz", opt(c.tsc_hz)},
        {"tsc_source", c.tsc_source},
        {"nominal_hz", opt(c.nominal_hz)},
        {"nominal_source", c.nominal_source},
        {"max_hz", opt(c.max_hz)},
        {"base_clock_hz", opt(c.base_clock_hz)},
        {"note", c.clock_note}}},
      {"hypervisor", c.hypervisor},
      {"hypervisor_vendor", c.hypervisor_vendor},
  };
  if (!c.topology_note.empty()) cpu["topology_note"] = c.topology_note;
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : h.gpus) gpus.push_back(to_json(g));
  return {{"hostname", h.hostname},
          {"os", h.os},
          {"kernel", h.kernel},
          {"system", {{"vendor", h.system_vendor}, {"product", h.system_product}}},
          {"cpu", cpu},
          {"memory_bytes", h.memory_bytes},
          {"numa_memory_bytes", h.numa_memory_bytes},
          {"memory_note", h.memory_note},
          {"gpus", gpus},
          {"gpu_note", h.gpu_note},
          {"nvml_driver", h.nvml_driver}};
}

}  // namespace aicq::hw

// The NVML loader: dlopen + dlsym of the few NVML C functions aicq uses, declared here with the ABI of
// nvml.h (NVIDIA Management Library API reference; the struct layouts and enum values below are those of
// nvml.h, which aicq does not need at build time).
#include "aicq/hw/nvml.hpp"

#include <dlfcn.h>
#include <link.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <set>

#include "aicq/core/diagnostics.hpp"

namespace aicq::hw {

namespace {

// --- nvml.h, by hand -----------------------------------------------------------------------------------
using nvmlReturn_t = int;  // an enum in nvml.h: int-sized in the C ABI
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;  // bytes
};
struct nvmlUtilization_t {
  unsigned int gpu, memory;  // percent over the last sample period
};
struct nvmlPciInfo_t {
  char busIdLegacy[16];  // NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];  // NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE
};
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
constexpr int NVML_TEMPERATURE_GPU = 0;  // nvmlTemperatureSensors_t
constexpr int NVML_CLOCK_SM = 1;         // nvmlClockType_t
constexpr int NVML_CLOCK_MEM = 2;
constexpr unsigned kNameBuffer = 96;     // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBuffer = 96;     // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned kVersionBuffer = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

const char* code_name(nvmlReturn_t rc) {
  switch (rc) {
    case 0: return "NVML_SUCCESS";
    case 1: return "NVML_ERROR_UNINITIALIZED";
    case 2: return "NVML_ERROR_INVALID_ARGUMENT";
    case 3: return "NVML_ERROR_NOT_SUPPORTED";
    case 4: return "NVML_ERROR_NO_PERMISSION";
    case 5: return "NVML_ERROR_ALREADY_INITIALIZED";
    case 6: return "NVML_ERROR_NOT_FOUND";
    case 7: return "NVML_ERROR_INSUFFICIENT_SIZE";
    case 8: return "NVML_ERROR_INSUFFICIENT_POWER";
    case 9: return "NVML_ERROR_DRIVER_NOT_LOADED";
    case 10: return "NVML_ERROR_TIMEOUT";
    case 11: return "NVML_ERROR_IRQ_ISSUE";
    case 12: return "NVML_ERROR_LIBRARY_NOT_FOUND";
    case 13: return "NVML_ERROR_FUNCTION_NOT_FOUND";
    case 14: return "NVML_ERROR_CORRUPTED_INFOROM";
    case 15: return "NVML_ERROR_GPU_IS_LOST";
    case 16: return "NVML_ERROR_RESET_REQUIRED";
    case 17: return "NVML_ERROR_OPERATING_SYSTEM";
    case 18: return "NVML_ERROR_LIB_RM_VERSION_MISMATCH";
    case 19: return "NVML_ERROR_IN_USE";
    case 20: return "NVML_ERROR_MEMORY";
    case 21: return "NVML_ERROR_NO_DATA";
    case 22: return "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED";
    case 999: return "NVML_ERROR_UNKNOWN";
    default: return "NVML error";
  }
}

template <class F>
F symbol(void* lib, const char* name) {
  // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
  return reinterpret_cast<F>(dlsym(lib, name));
}

}  // namespace

struct Nvml::Impl {
  void* lib = nullptr;
  std::string path;
  bool initialised = false;

  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*nvml_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*count)(unsigned*) = nullptr;
  nvmlReturn_t (*handle)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t*) = nullptr;
  nvmlReturn_t (*cc)(nvmlDevice_t, int*, int*) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*power_limit_default)(nvmlDevice_t, unsigned*) = nullptr;

  ~Impl() {
    if (initialised && shutdown) shutdown();
    if (lib) dlclose(lib);
  }

  [[nodiscard]] std::string describe(nvmlReturn_t rc) const {
    const char* text = error_string ? error_string(rc) : nullptr;
    return fmt::format("{} ({}, code {})", text ? text : "no error text", code_name(rc), rc);
  }

  /// True on success; false when the call is absent from this library or the device does not support it;
  /// throws core::WorkError naming the call, the GPU and the NVML code otherwise.
  bool ok(const char* call, nvmlReturn_t rc, unsigned index) const {
    if (rc == NVML_SUCCESS) return true;
    if (rc == NVML_ERROR_NOT_SUPPORTED) return false;
    throw core::WorkError(fmt::format("{}(GPU {}): {}", call, index, describe(rc)));
  }
  /// The same for a call about the system rather than one GPU.
  bool ok(const char* call, nvmlReturn_t rc) const {
    if (rc == NVML_SUCCESS) return true;
    if (rc == NVML_ERROR_NOT_SUPPORTED) return false;
    throw core::WorkError(fmt::format("{}: {}", call, describe(rc)));
  }

  nvmlDevice_t device(unsigned index) const {
    nvmlDevice_t d = nullptr;
    const nvmlReturn_t rc = handle(index, &d);
    if (rc != NVML_SUCCESS) throw core::WorkError(fmt::format("nvmlDeviceGetHandleByIndex_v2(GPU {}): {}", index, describe(rc)));
    return d;
  }

  // A unit-bearing reading: the value times `scale`, or empty when unsupported (or the call is absent).
  template <class T>
  std::optional<double> read(const char* call, nvmlReturn_t (*fn)(nvmlDevice_t, T*), nvmlDevice_t d, unsigned index,
                             double scale) const {
    if (!fn) return std::nullopt;
    T v{};
    if (!ok(call, fn(d, &v), index)) return std::nullopt;
    return static_cast<double>(v) * scale;
  }

  std::optional<double> read_clock(const char* call, nvmlReturn_t (*fn)(nvmlDevice_t, int, unsigned*), nvmlDevice_t d,
                                   unsigned index, int type) const {
    if (!fn) return std::nullopt;
    unsigned mhz = 0;
    if (!ok(call, fn(d, type, &mhz), index)) return std::nullopt;
    return mhz * 1e6;
  }
};

Nvml::Nvml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Nvml::~Nvml() = default;

std::shared_ptr<Nvml> Nvml::load(std::string* why_not) {
  auto say = [&](std::string s) {
    if (why_not) *why_not = std::move(s);
    return nullptr;
  };
  const char* env = std::getenv("AICQ_NVML_LIBRARY");
  const bool from_env = env && *env;
  const std::string wanted = from_env ? env : "libnvidia-ml.so.1";
  auto impl = std::make_unique<Impl>();
  impl->lib = dlopen(wanted.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!impl->lib) {
    const char* err = dlerror();
    if (from_env)
      return say(fmt::format("AICQ_NVML_LIBRARY={} cannot be loaded: {}", wanted, err ? err : "dlopen failed"));
    return say(fmt::format("{} not found: no NVIDIA driver on this machine ({})", wanted, err ? err : "dlopen failed"));
  }
  impl->path = wanted;
  struct link_map* map = nullptr;
  if (dlinfo(impl->lib, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name) impl->path = map->l_name;

  auto& f = *impl;
  f.init = symbol<decltype(f.init)>(f.lib, "nvmlInit_v2");
  f.shutdown = symbol<decltype(f.shutdown)>(f.lib, "nvmlShutdown");
  f.error_string = symbol<decltype(f.error_string)>(f.lib, "nvmlErrorString");
  f.driver_version = symbol<decltype(f.driver_version)>(f.lib, "nvmlSystemGetDriverVersion");
  f.nvml_version = symbol<decltype(f.nvml_version)>(f.lib, "nvmlSystemGetNVMLVersion");
  f.count = symbol<decltype(f.count)>(f.lib, "nvmlDeviceGetCount_v2");
  f.handle = symbol<decltype(f.handle)>(f.lib, "nvmlDeviceGetHandleByIndex_v2");
  f.name = symbol<decltype(f.name)>(f.lib, "nvmlDeviceGetName");
  f.uuid = symbol<decltype(f.uuid)>(f.lib, "nvmlDeviceGetUUID");
  f.pci = symbol<decltype(f.pci)>(f.lib, "nvmlDeviceGetPciInfo_v3");
  f.cc = symbol<decltype(f.cc)>(f.lib, "nvmlDeviceGetCudaComputeCapability");
  f.memory = symbol<decltype(f.memory)>(f.lib, "nvmlDeviceGetMemoryInfo");
  f.power = symbol<decltype(f.power)>(f.lib, "nvmlDeviceGetPowerUsage");
  f.energy = symbol<decltype(f.energy)>(f.lib, "nvmlDeviceGetTotalEnergyConsumption");
  f.utilization = symbol<decltype(f.utilization)>(f.lib, "nvmlDeviceGetUtilizationRates");
  f.temperature = symbol<decltype(f.temperature)>(f.lib, "nvmlDeviceGetTemperature");
  f.clock = symbol<decltype(f.clock)>(f.lib, "nvmlDeviceGetClockInfo");
  f.max_clock = symbol<decltype(f.max_clock)>(f.lib, "nvmlDeviceGetMaxClockInfo");
  f.power_limit = symbol<decltype(f.power_limit)>(f.lib, "nvmlDeviceGetEnforcedPowerLimit");
  f.power_limit_default = symbol<decltype(f.power_limit_default)>(f.lib, "nvmlDeviceGetPowerManagementDefaultLimit");
  for (const auto& [fn, name] : {std::pair<bool, const char*>{f.init != nullptr, "nvmlInit_v2"},
                                 {f.shutdown != nullptr, "nvmlShutdown"},
                                 {f.error_string != nullptr, "nvmlErrorString"},
                                 {f.count != nullptr, "nvmlDeviceGetCount_v2"},
                                 {f.handle != nullptr, "nvmlDeviceGetHandleByIndex_v2"}})
    if (!fn) return say(fmt::format("{} lacks {}: not a usable NVML (driver too old?)", f.path, name));
  const nvmlReturn_t rc = f.init();
  if (rc != NVML_SUCCESS) {
    std::string hint;
    if (rc == 9) hint = ": the NVIDIA kernel driver is not loaded";
    return say(fmt::format("nvmlInit_v2 ({}): {}{}", f.path, f.describe(rc), hint));
  }
  f.initialised = true;
  return std::shared_ptr<Nvml>(new Nvml(std::move(impl)));
}

std::string Nvml::library_path() const { return impl_->path; }

std::string Nvml::driver_version() const {
  char buf[kVersionBuffer] = {};
  if (!impl_->driver_version || !impl_->ok("nvmlSystemGetDriverVersion", impl_->driver_version(buf, sizeof buf)))
    return {};
  return std::string(buf, strnlen(buf, sizeof buf));
}

std::string Nvml::nvml_version() const {
  char buf[kVersionBuffer] = {};
  if (!impl_->nvml_version || !impl_->ok("nvmlSystemGetNVMLVersion", impl_->nvml_version(buf, sizeof buf)))
    return {};
  return std::string(buf, strnlen(buf, sizeof buf));
}

unsigned Nvml::device_count() const {
  unsigned n = 0;
  const nvmlReturn_t rc = impl_->count(&n);
  if (rc != NVML_SUCCESS) throw core::WorkError(fmt::format("nvmlDeviceGetCount_v2: {}", impl_->describe(rc)));
  return n;
}

GpuInfo Nvml::info(unsigned index) const {
  const Impl& f = *impl_;
  const nvmlDevice_t d = f.device(index);
  GpuInfo g;
  g.index = index;
  char buf[kNameBuffer > kUuidBuffer ? kNameBuffer : kUuidBuffer] = {};
  if (f.name && f.ok("nvmlDeviceGetName", f.name(d, buf, kNameBuffer), index)) g.name = std::string(buf, strnlen(buf, kNameBuffer));
  std::memset(buf, 0, sizeof buf);
  if (f.uuid && f.ok("nvmlDeviceGetUUID", f.uuid(d, buf, kUuidBuffer), index)) g.uuid = std::string(buf, strnlen(buf, kUuidBuffer));
  nvmlPciInfo_t pci{};
  if (f.pci && f.ok("nvmlDeviceGetPciInfo_v3", f.pci(d, &pci), index))
    g.pci_bus_id = std::string(pci.busId, strnlen(pci.busId, sizeof pci.busId));
  int major = 0, minor = 0;
  if (f.cc && f.ok("nvmlDeviceGetCudaComputeCapability", f.cc(d, &major, &minor), index)) {
    g.cc_major = major;
    g.cc_minor = minor;
  }
  nvmlMemory_t mem{};
  if (f.memory && f.ok("nvmlDeviceGetMemoryInfo", f.memory(d, &mem), index)) g.memory_total_bytes = static_cast<double>(mem.total);
  g.power_limit_w = f.read("nvmlDeviceGetEnforcedPowerLimit", f.power_limit, d, index, 1e-3);  // mW → W
  g.power_limit_default_w = f.read("nvmlDeviceGetPowerManagementDefaultLimit", f.power_limit_default, d, index, 1e-3);
  g.max_sm_clock_hz = f.read_clock("nvmlDeviceGetMaxClockInfo", f.max_clock, d, index, NVML_CLOCK_SM);  // MHz → Hz
  g.max_mem_clock_hz = f.read_clock("nvmlDeviceGetMaxClockInfo", f.max_clock, d, index, NVML_CLOCK_MEM);
  return g;
}

GpuReading Nvml::read(unsigned index) const {
  const Impl& f = *impl_;
  const nvmlDevice_t d = f.device(index);
  GpuReading r;
  r.power_w = f.read("nvmlDeviceGetPowerUsage", f.power, d, index, 1e-3);                      // mW → W
  r.energy_j = f.read("nvmlDeviceGetTotalEnergyConsumption", f.energy, d, index, 1e-3);        // mJ → J
  nvmlUtilization_t u{};
  if (f.utilization && f.ok("nvmlDeviceGetUtilizationRates", f.utilization(d, &u), index)) {
    r.gpu_utilization = u.gpu / 100.0;  // % → ratio
    r.memory_utilization = u.memory / 100.0;
  }
  nvmlMemory_t mem{};
  if (f.memory && f.ok("nvmlDeviceGetMemoryInfo", f.memory(d, &mem), index)) r.memory_used_bytes = static_cast<double>(mem.used);
  unsigned celsius = 0;
  if (f.temperature && f.ok("nvmlDeviceGetTemperature", f.temperature(d, NVML_TEMPERATURE_GPU, &celsius), index))
    r.temperature_c = celsius;
  r.sm_clock_hz = f.read_clock("nvmlDeviceGetClockInfo", f.clock, d, index, NVML_CLOCK_SM);
  r.mem_clock_hz = f.read_clock("nvmlDeviceGetClockInfo", f.clock, d, index, NVML_CLOCK_MEM);
  r.power_limit_w = f.read("nvmlDeviceGetEnforcedPowerLimit", f.power_limit, d, index, 1e-3);
  return r;
}

std::vector<unsigned> select_visible(const std::vector<GpuInfo>& devices, const std::optional<std::string>& visible,
                                     const std::optional<std::string>& device_order, std::string* note) {
  std::vector<unsigned> out;
  std::vector<std::string> notes;
  if (!visible) {
    for (const auto& d : devices) out.push_back(d.index);
    return out;
  }
  const auto trim = [](std::string t) {
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    return t;
  };
  std::set<unsigned> seen;
  bool by_index = false;
  std::size_t start = 0;
  const std::string& v = *visible;
  while (start <= v.size() && !v.empty()) {
    const auto comma = v.find(',', start);
    const std::string entry = trim(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? v.size() + 1 : comma + 1;
    std::optional<unsigned> found;
    if (!entry.empty() && std::all_of(entry.begin(), entry.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      by_index = true;
      if (entry.size() <= 9) {
        const auto i = static_cast<std::size_t>(std::stoul(entry));
        if (i < devices.size()) found = devices[i].index;
      }
    } else if (entry.rfind("MIG-", 0) == 0) {
      notes.push_back(fmt::format("'{}' is a MIG instance, which aicq does not resolve to its GPU; the list ends there", entry));
      break;
    } else if (!entry.empty()) {
      // A UUID or a unique prefix of one, with or without the "GPU-" prefix (CUDA accepts both).
      const std::string want = entry.rfind("GPU-", 0) == 0 ? entry : "GPU-" + entry;
      std::vector<unsigned> matches;
      for (const auto& d : devices)
        if (d.uuid.rfind(want, 0) == 0) matches.push_back(d.index);
      if (matches.size() == 1) found = matches.front();
      else if (matches.size() > 1) notes.push_back(fmt::format("'{}' matches {} GPUs", entry, matches.size()));
    }
    if (!found) {
      notes.push_back(fmt::format("CUDA_VISIBLE_DEVICES entry '{}' names no GPU here; it and the entries after it are ignored, as CUDA does", entry));
      break;
    }
    if (seen.insert(*found).second) out.push_back(*found);
  }
  if (v.empty()) notes.push_back("CUDA_VISIBLE_DEVICES is empty: no GPU is visible");
  if (by_index && device_order.value_or("") != "PCI_BUS_ID")
    notes.push_back("CUDA_VISIBLE_DEVICES uses indices: they are read in PCI bus order (NVML's), which is CUDA's order only with CUDA_DEVICE_ORDER=PCI_BUS_ID");
  if (note) *note = fmt::format("{}", fmt::join(notes, "; "));
  return out;
}

std::vector<unsigned> Nvml::visible_devices(std::string* note) const {
  std::vector<GpuInfo> all;
  const unsigned n = device_count();
  for (unsigned i = 0; i < n; ++i) all.push_back(info(i));
  const auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  return select_visible(all, env("CUDA_VISIBLE_DEVICES"), env("CUDA_DEVICE_ORDER"), note);
}

}  // namespace aicq::hw

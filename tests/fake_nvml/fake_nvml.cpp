// A stand-in for libnvidia-ml.so.1: the NVML C functions aicq calls, answered from a script named by
// $AICQ_FAKE_NVML_SCRIPT (format in README.md). It links nothing of aicq: it is the vendor library's double,
// loaded through aicq's real dlopen path.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

// --- the C ABI of nvml.h (the subset aicq uses) ------------------------------------------------------------
using nvmlReturn_t = int;
constexpr nvmlReturn_t kSuccess = 0, kUninitialized = 1, kInvalidArgument = 2, kNotSupported = 3,
                       kInsufficientSize = 7, kUnknown = 999;

struct Failure {
  int code = 0;
  unsigned long from_call = 1;
};

struct Device {
  std::map<std::string, std::string> values;        // key (without "gpuN.") → raw value
  std::map<std::string, unsigned long> calls;       // function → calls about this device
  std::map<std::string, Failure> fail;              // function → failure from the N-th call on
  std::map<std::string, unsigned long> reads;       // key → reads of it (the position in its sequence)
};

struct State {
  std::mutex mu;
  bool initialised = false;
  std::string driver = "550.54.15", nvml = "12.550.54.15";
  std::vector<Device> gpus;
  std::map<std::string, unsigned long> calls;
  std::map<std::string, Failure> fail;
};

State& state() {
  static State s;
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool parse_failure(const std::string& v, Failure& f) {
  const auto at = v.find('@');
  try {
    f.code = std::stoi(v.substr(0, at));
    f.from_call = at == std::string::npos ? 1ul : std::stoul(v.substr(at + 1));
  } catch (const std::exception&) {
    return false;
  }
  return f.from_call >= 1;
}

const std::set<std::string>& device_keys() {
  static const std::set<std::string> k = {
      "name",         "uuid",          "pci_bus_id",    "cc",           "memory_total",      "memory_used",
      "power_mw",     "energy_mj",     "util_gpu",      "util_memory",  "temperature_c",     "sm_clock_mhz",
      "mem_clock_mhz", "max_sm_clock_mhz", "max_mem_clock_mhz", "power_limit_mw", "power_limit_default_mw"};
  return k;
}

// Reads the script into a fresh state; returns the nvmlInit_v2 code.
nvmlReturn_t load_script(State& s) {
  s.gpus.clear();
  s.calls.clear();
  s.fail.clear();
  s.driver = "550.54.15";
  s.nvml = "12.550.54.15";
  const char* path = std::getenv("AICQ_FAKE_NVML_SCRIPT");
  if (!path || !*path) {
    std::fprintf(stderr, "fake_nvml: AICQ_FAKE_NVML_SCRIPT is not set\n");
    return kUnknown;
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fake_nvml: cannot read the script %s\n", path);
    return kUnknown;
  }
  nvmlReturn_t init = kSuccess;
  unsigned long count = 0;
  std::vector<std::pair<std::string, std::string>> entries;
  std::string line;
  int number = 0;
  bool bad = false;
  while (std::getline(in, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "fake_nvml: %s:%d: expected key = value\n", path, number);
      bad = true;
      continue;
    }
    entries.emplace_back(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
  }
  for (const auto& [key, value] : entries) {
    try {
      if (key == "init") init = std::stoi(value);
      else if (key == "count") count = std::stoul(value);
      else if (key == "driver_version") s.driver = value;
      else if (key == "nvml_version") s.nvml = value;
    } catch (const std::exception&) {
      std::fprintf(stderr, "fake_nvml: %s: %s = %s is not a number\n", path, key.c_str(), value.c_str());
      bad = true;
    }
  }
  s.gpus.resize(count);
  for (const auto& [key, value] : entries) {
    if (key == "init" || key == "count" || key == "driver_version" || key == "nvml_version") continue;
    if (key.rfind("fail.", 0) == 0) {
      Failure f;
      if (!parse_failure(value, f)) {
        std::fprintf(stderr, "fake_nvml: %s: %s = %s: expected CODE@N\n", path, key.c_str(), value.c_str());
        bad = true;
      }
      s.fail[key.substr(5)] = f;
      continue;
    }
    unsigned long gpu = 0;
    std::string rest;
    if (key.rfind("gpu", 0) == 0) {
      const auto dot = key.find('.');
      try {
        if (dot != std::string::npos) gpu = std::stoul(key.substr(3, dot - 3));
      } catch (const std::exception&) {
        gpu = count;
      }
      rest = dot == std::string::npos ? std::string() : key.substr(dot + 1);
    }
    if (rest.empty() || gpu >= count) {
      std::fprintf(stderr, "fake_nvml: %s: unknown key %s (or GPU index beyond count)\n", path, key.c_str());
      bad = true;
      continue;
    }
    Device& d = s.gpus[gpu];
    if (rest.rfind("fail.", 0) == 0) {
      Failure f;
      if (!parse_failure(value, f)) {
        std::fprintf(stderr, "fake_nvml: %s: %s = %s: expected CODE@N\n", path, key.c_str(), value.c_str());
        bad = true;
      }
      d.fail[rest.substr(5)] = f;
    } else if (device_keys().count(rest)) {
      d.values[rest] = value;
    } else {
      std::fprintf(stderr, "fake_nvml: %s: unknown key %s\n", path, key.c_str());
      bad = true;
    }
  }
  return bad ? kUnknown : init;
}

// Counts a call and applies a scripted failure: the global one by the global count, the device one by the
// device's count. Returns the call number for the device (or the global one for system calls).
nvmlReturn_t count_call(State& s, const char* fn, Device* d, unsigned long& k) {
  if (!s.initialised) return kUninitialized;
  const unsigned long global = ++s.calls[fn];
  k = global;
  if (auto it = s.fail.find(fn); it != s.fail.end() && global >= it->second.from_call) return it->second.code;
  if (d) {
    k = ++d->calls[fn];
    if (auto it = d->fail.find(fn); it != d->fail.end() && k >= it->second.from_call) return it->second.code;
  }
  return kSuccess;
}

// The k-th value of a comma-separated sequence (the last one repeats); false when the key is absent.
bool nth(const Device& d, const std::string& key, unsigned long k, unsigned long long& out) {
  auto it = d.values.find(key);
  if (it == d.values.end()) return false;
  std::vector<std::string> items;
  std::string cur;
  for (char c : it->second) {
    if (c == ',') {
      items.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  items.push_back(trim(cur));
  const std::string& v = items[std::min<std::size_t>(k - 1, items.size() - 1)];
  try {
    out = std::stoull(v);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

Device* device_of(State& s, void* handle) {
  for (auto& d : s.gpus)
    if (&d == handle) return &d;
  return nullptr;
}

nvmlReturn_t copy_string(const std::string& v, char* buf, unsigned length) {
  if (!buf) return kInvalidArgument;
  if (v.size() + 1 > length) return kInsufficientSize;
  std::memcpy(buf, v.c_str(), v.size() + 1);
  return kSuccess;
}

// One numeric reading: count the call, then the k-th scripted value (scaled by nothing: NVML's own units).
template <class T>
nvmlReturn_t reading(void* handle, const char* fn, const char* key, T* out) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, handle);
  if (!d || !out) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, fn, d, k); rc != kSuccess) return rc;
  unsigned long long v = 0;
  if (!nth(*d, key, ++d->reads[key], v)) return kNotSupported;
  *out = static_cast<T>(v);
  return kSuccess;
}

struct PciInfo {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};
struct Memory {
  unsigned long long total, free, used;
};
struct Utilization {
  unsigned int gpu, memory;
};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) nvmlReturn_t nvmlInit_v2(void) {
  State& s = state();
  std::lock_guard lock(s.mu);
  const nvmlReturn_t rc = load_script(s);
  s.initialised = rc == kSuccess;
  return rc;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlShutdown(void) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (!s.initialised) return kUninitialized;
  s.initialised = false;
  return kSuccess;
}

__attribute__((visibility("default"))) const char* nvmlErrorString(nvmlReturn_t rc) {
  switch (rc) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 5: return "Already Initialized";
    case 6: return "Not Found";
    case 7: return "Insufficient Size";
    case 8: return "Insufficient External Power";
    case 9: return "Driver Not Loaded";
    case 10: return "Timeout";
    case 11: return "Interrupt Request Issue";
    case 12: return "NVML Shared Library Not Found";
    case 13: return "Function Not Found";
    case 14: return "Corrupted infoROM";
    case 15: return "GPU is lost";
    case 16: return "GPU requires restart";
    case 17: return "Operating System Error";
    case 18: return "RM has detected an NVML/RM version mismatch";
    case 999: return "Unknown Error";
    default: return "Unknown Error";
  }
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned length) {
  State& s = state();
  std::lock_guard lock(s.mu);
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlSystemGetDriverVersion", nullptr, k); rc != kSuccess) return rc;
  return copy_string(s.driver, version, length);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned length) {
  State& s = state();
  std::lock_guard lock(s.mu);
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlSystemGetNVMLVersion", nullptr, k); rc != kSuccess) return rc;
  return copy_string(s.nvml, version, length);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetCount_v2(unsigned* count) {
  State& s = state();
  std::lock_guard lock(s.mu);
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetCount_v2", nullptr, k); rc != kSuccess) return rc;
  if (!count) return kInvalidArgument;
  *count = static_cast<unsigned>(s.gpus.size());
  return kSuccess;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = index < s.gpus.size() ? &s.gpus[index] : nullptr;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetHandleByIndex_v2", d, k); rc != kSuccess) return rc;
  if (!d || !device) return kInvalidArgument;
  *device = d;
  return kSuccess;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetName(void* device, char* name, unsigned length) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, device);
  if (!d) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetName", d, k); rc != kSuccess) return rc;
  auto it = d->values.find("name");
  return it == d->values.end() ? kNotSupported : copy_string(it->second, name, length);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetUUID(void* device, char* uuid, unsigned length) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, device);
  if (!d) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetUUID", d, k); rc != kSuccess) return rc;
  auto it = d->values.find("uuid");
  return it == d->values.end() ? kNotSupported : copy_string(it->second, uuid, length);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetPciInfo_v3(void* device, PciInfo* pci) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, device);
  if (!d || !pci) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetPciInfo_v3", d, k); rc != kSuccess) return rc;
  auto it = d->values.find("pci_bus_id");
  if (it == d->values.end()) return kNotSupported;
  std::memset(pci, 0, sizeof *pci);
  if (copy_string(it->second, pci->busId, sizeof pci->busId) != kSuccess) return kInsufficientSize;
  return kSuccess;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetCudaComputeCapability(void* device, int* major, int* minor) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, device);
  if (!d || !major || !minor) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetCudaComputeCapability", d, k); rc != kSuccess) return rc;
  auto it = d->values.find("cc");
  if (it == d->values.end()) return kNotSupported;
  return std::sscanf(it->second.c_str(), "%d.%d", major, minor) == 2 ? kSuccess : kUnknown;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetMemoryInfo(void* device, Memory* memory) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, device);
  if (!d || !memory) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetMemoryInfo", d, k); rc != kSuccess) return rc;
  unsigned long long total = 0, used = 0;
  const unsigned long n = ++d->reads["memory"];
  if (!nth(*d, "memory_total", n, total)) return kNotSupported;
  nth(*d, "memory_used", n, used);
  memory->total = total;
  memory->used = used;
  memory->free = total > used ? total - used : 0;
  return kSuccess;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetPowerUsage(void* device, unsigned* mw) {
  return reading(device, "nvmlDeviceGetPowerUsage", "power_mw", mw);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(void* device, unsigned long long* mj) {
  return reading(device, "nvmlDeviceGetTotalEnergyConsumption", "energy_mj", mj);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetUtilizationRates(void* device, Utilization* u) {
  State& s = state();
  std::lock_guard lock(s.mu);
  Device* d = device_of(s, device);
  if (!d || !u) return s.initialised ? kInvalidArgument : kUninitialized;
  unsigned long k = 0;
  if (const nvmlReturn_t rc = count_call(s, "nvmlDeviceGetUtilizationRates", d, k); rc != kSuccess) return rc;
  unsigned long long gpu = 0, mem = 0;
  const unsigned long n = ++d->reads["utilization"];
  if (!nth(*d, "util_gpu", n, gpu)) return kNotSupported;
  nth(*d, "util_memory", n, mem);
  u->gpu = static_cast<unsigned>(gpu);
  u->memory = static_cast<unsigned>(mem);
  return kSuccess;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetTemperature(void* device, int sensor, unsigned* celsius) {
  if (sensor != 0) return kInvalidArgument;  // NVML_TEMPERATURE_GPU is the only sensor
  return reading(device, "nvmlDeviceGetTemperature", "temperature_c", celsius);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetClockInfo(void* device, int type, unsigned* mhz) {
  if (type == 1) return reading(device, "nvmlDeviceGetClockInfo", "sm_clock_mhz", mhz);   // NVML_CLOCK_SM
  if (type == 2) return reading(device, "nvmlDeviceGetClockInfo", "mem_clock_mhz", mhz);  // NVML_CLOCK_MEM
  return kNotSupported;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetMaxClockInfo(void* device, int type, unsigned* mhz) {
  if (type == 1) return reading(device, "nvmlDeviceGetMaxClockInfo", "max_sm_clock_mhz", mhz);
  if (type == 2) return reading(device, "nvmlDeviceGetMaxClockInfo", "max_mem_clock_mhz", mhz);
  return kNotSupported;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(void* device, unsigned* mw) {
  return reading(device, "nvmlDeviceGetEnforcedPowerLimit", "power_limit_mw", mw);
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(void* device, unsigned* mw) {
  return reading(device, "nvmlDeviceGetPowerManagementDefaultLimit", "power_limit_default_mw", mw);
}

}  // extern "C"

#include "aicq/hw/cpu_identity.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define AICQ_X86 1
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#define AICQ_ARM64 1
#endif

namespace aicq::hw::detail {

int display_family(unsigned eax) {
  const unsigned base = (eax >> 8) & 0xFu;
  const unsigned ext = (eax >> 20) & 0xFFu;
  return static_cast<int>(base == 0xFu ? base + ext : base);
}

int display_model(unsigned eax) {
  const unsigned base_family = (eax >> 8) & 0xFu;
  const unsigned base = (eax >> 4) & 0xFu;
  const unsigned ext = (eax >> 16) & 0xFu;
  // Intel adds the extended model for families 6 and 15, AMD for family 15 (and above, through the family).
  return static_cast<int>(base_family == 6u || base_family == 0xFu ? (ext << 4) | base : base);
}

std::string hypervisor_name(const std::string& signature) {
  struct Known {
    const char* signature;
    const char* name;
  };
  static const Known known[] = {{"KVMKVMKVM", "KVM"},          {"Microsoft Hv", "Microsoft Hyper-V"},
                                {"VMwareVMware", "VMware"},     {"XenVMMXenVMM", "Xen"},
                                {"TCGTCGTCGTCG", "QEMU (TCG)"}, {" lrpepyh  vr", "Parallels"},
                                {"bhyve bhyve ", "bhyve"},      {"ACRNACRNACRN", "ACRN"},
                                {"QNXQVMBSQG", "QNX hypervisor"}, {"VBoxVBoxVBox", "VirtualBox"},
                                {"Jailhouse", "Jailhouse"},     {"SRESRESRESRE", "Lockheed Martin LMHS"}};
  std::string trimmed = signature;
  while (!trimmed.empty() && (trimmed.back() == '\0' || trimmed.back() == ' ')) trimmed.pop_back();
  for (const auto& k : known) {
    std::string ks = k.signature;
    while (!ks.empty() && ks.back() == ' ') ks.pop_back();
    if (trimmed == ks) return k.name;
  }
  return trimmed;
}

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\n\r");
  return s.substr(b, e - b + 1);
}

#if defined(AICQ_X86)

struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub = 0) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

std::string chars(unsigned x) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &x, 4);
  return s;
}

// XCR0: which register states the OS saves (AVX needs YMM, AVX-512 needs opmask and ZMM, AMX needs tiles).
std::uint64_t xcr0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

bool bit(unsigned reg, int n) { return ((reg >> n) & 1u) != 0; }

void read_x86(CpuIdentity& id) {
  const Regs v = cpuid(0);
  const unsigned max_leaf = v.a;
  id.vendor_string = chars(v.b) + chars(v.d) + chars(v.c);
  if (id.vendor_string == "GenuineIntel") id.vendor = "Intel";
  else if (id.vendor_string == "AuthenticAMD") id.vendor = "AMD";
  else if (id.vendor_string == "HygonGenuine") id.vendor = "Hygon";
  else if (id.vendor_string == "CentaurHauls" || id.vendor_string == "  Shanghai  ") id.vendor = "Zhaoxin";
  else id.vendor = id.vendor_string;

  const Regs l1 = cpuid(1);
  id.family = display_family(l1.a);
  id.model = display_model(l1.a);
  id.stepping = static_cast<int>(l1.a & 0xFu);
  id.hypervisor = bit(l1.c, 31);

  const bool osxsave = bit(l1.c, 27);
  const std::uint64_t x = osxsave ? xcr0() : 0;
  const bool os_avx = (x & 0x6u) == 0x6u;              // SSE and YMM state
  const bool os_avx512 = os_avx && (x & 0xE0u) == 0xE0u;  // opmask, ZMM_Hi256, Hi16_ZMM
  const bool os_amx = ((x >> 17) & 0x3u) == 0x3u;        // XTILECFG, XTILEDATA

  auto add = [&](bool present, const char* name) {
    if (present) id.isa.emplace_back(name);
  };
  add(bit(l1.d, 26), "sse2");
  add(bit(l1.c, 0), "sse3");
  add(bit(l1.c, 9), "ssse3");
  add(bit(l1.c, 19), "sse4_1");
  add(bit(l1.c, 20), "sse4_2");
  add(bit(l1.c, 28) && os_avx, "avx");
  add(bit(l1.c, 12) && os_avx, "fma");
  add(bit(l1.c, 29) && os_avx, "f16c");
  add(bit(l1.c, 25), "aes");
  Regs l7, l71;
  if (max_leaf >= 7) {
    l7 = cpuid(7, 0);
    if (l7.a >= 1) l71 = cpuid(7, 1);
  }
  add(bit(l7.b, 5) && os_avx, "avx2");
  add(bit(l7.b, 8), "bmi2");
  add(bit(l7.b, 16) && os_avx512, "avx512f");
  add(bit(l7.b, 17) && os_avx512, "avx512dq");
  add(bit(l7.b, 28) && os_avx512, "avx512cd");
  add(bit(l7.b, 30) && os_avx512, "avx512bw");
  add(bit(l7.b, 31) && os_avx512, "avx512vl");
  add(bit(l7.b, 21) && os_avx512, "avx512ifma");
  add(bit(l7.c, 1) && os_avx512, "avx512vbmi");
  add(bit(l7.c, 6) && os_avx512, "avx512_vbmi2");
  add(bit(l7.c, 11) && os_avx512, "avx512_vnni");
  add(bit(l7.c, 12) && os_avx512, "avx512_bitalg");
  add(bit(l7.c, 14) && os_avx512, "avx512_vpopcntdq");
  add(bit(l71.a, 5) && os_avx512, "avx512_bf16");
  add(bit(l7.d, 23) && os_avx512, "avx512_fp16");
  add(bit(l71.a, 4) && os_avx, "avx_vnni");
  add(bit(l7.d, 24) && os_amx, "amx_tile");
  add(bit(l7.d, 22) && os_amx, "amx_bf16");
  add(bit(l7.d, 25) && os_amx, "amx_int8");
  add(bit(l71.a, 21) && os_amx, "amx_fp16");
  add(bit(l7.c, 9) && os_avx, "vaes");
  add(bit(l7.c, 10) && os_avx, "vpclmulqdq");
  add(bit(l7.c, 8), "gfni");
  add(bit(l7.b, 29), "sha_ni");

  const unsigned max_ext = cpuid(0x80000000u).a;
  if (max_ext >= 0x80000001u) add(bit(cpuid(0x80000001u).c, 16) && os_avx, "fma4");
  if (max_ext >= 0x80000004u) {
    std::string brand;
    for (unsigned leaf = 0x80000002u; leaf <= 0x80000004u; ++leaf) {
      const Regs r = cpuid(leaf);
      brand += chars(r.a) + chars(r.b) + chars(r.c) + chars(r.d);
    }
    brand = brand.substr(0, brand.find('\0'));
    id.brand = trim(brand);
  }
  const bool invariant_tsc = max_ext >= 0x80000007u && bit(cpuid(0x80000007u).d, 8);

  unsigned max_hv = 0;
  if (id.hypervisor) {
    const Regs h = cpuid(0x40000000u);
    max_hv = h.a;
    id.hypervisor_vendor = hypervisor_name(chars(h.b) + chars(h.c) + chars(h.d));
  }

  // The TSC rate: CPUID leaf 0x15 (crystal × ratio) when the CPU states it; the hypervisor's timing leaf
  // 0x40000010 (VMware, KVM with that feature); else timed against the steady clock.
  if (max_leaf >= 0x15) {
    const Regs t = cpuid(0x15);
    if (t.a != 0 && t.b != 0 && t.c != 0) {
      id.tsc_hz = static_cast<double>(t.c) * t.b / t.a;
      id.tsc_source = "CPUID leaf 0x15 (crystal clock x TSC ratio)";
    }
  }
  if (!id.tsc_hz && max_hv >= 0x40000010u) {
    const Regs t = cpuid(0x40000010u);
    if (t.a != 0) {
      id.tsc_hz = static_cast<double>(t.a) * 1e3;
      id.tsc_source = "hypervisor timing leaf CPUID 0x40000010";
    }
  }
  if (!id.tsc_hz) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const std::uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::uint64_t c1 = __rdtsc();
    const auto t1 = clock::now();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    if (s > 0 && c1 > c0) {
      id.tsc_hz = static_cast<double>(c1 - c0) / s;
      id.tsc_source = invariant_tsc ? "RDTSC timed against the steady clock over 10 ms"
                                    : "RDTSC timed against the steady clock over 10 ms (TSC not declared invariant)";
    }
  }
  id.known = true;
}

#elif defined(AICQ_ARM64)

std::string arm_vendor(int implementer) {
  switch (implementer) {
    case 0x41: return "Arm";
    case 0x42: return "Broadcom";
    case 0x43: return "Cavium";
    case 0x46: return "Fujitsu";
    case 0x48: return "HiSilicon";
    case 0x4E: return "NVIDIA";
    case 0x50: return "Applied Micro";
    case 0x51: return "Qualcomm";
    case 0x61: return "Apple";
    case 0xC0: return "Ampere";
    default: return fmt::format("implementer 0x{:02x}", implementer);
  }
}

void read_arm64(CpuIdentity& id) {
  // MIDR_EL1: implementer [31:24], variant [23:20], architecture [19:16], part [15:4], revision [3:0].
  std::optional<unsigned long long> midr;
  {
    std::ifstream in("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
    std::string s;
    if (in >> s) {
      try {
        midr = std::stoull(s, nullptr, 16);
      } catch (const std::exception&) {
      }
    }
  }
  int implementer = -1, part = -1, revision = 0;
  if (midr) {
    implementer = static_cast<int>((*midr >> 24) & 0xFFu);
    part = static_cast<int>((*midr >> 4) & 0xFFFu);
    revision = static_cast<int>(*midr & 0xFu);
  } else {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = trim(line.substr(0, colon));
      const std::string value = trim(line.substr(colon + 1));
      try {
        if (key == "CPU implementer" && implementer < 0) implementer = std::stoi(value, nullptr, 0);
        if (key == "CPU part" && part < 0) part = std::stoi(value, nullptr, 0);
        if (key == "CPU revision") revision = std::stoi(value, nullptr, 0);
      } catch (const std::exception&) {
      }
      if (line.empty() && implementer >= 0) break;
    }
  }
  if (implementer < 0) return;
  id.family = implementer;
  id.model = part;
  id.stepping = revision;
  id.vendor = arm_vendor(implementer);
  id.vendor_string = fmt::format("MIDR implementer 0x{:02x}", implementer);
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  auto add = [&](bool present, const char* name) {
    if (present) id.isa.emplace_back(name);
  };
  add((hwcap & HWCAP_ASIMD) != 0, "asimd");
#ifdef HWCAP_ASIMDDP
  add((hwcap & HWCAP_ASIMDDP) != 0, "asimddp");
#endif
#ifdef HWCAP_SVE
  add((hwcap & HWCAP_SVE) != 0, "sve");
#endif
#ifdef HWCAP2_SVE2
  add((hwcap2 & HWCAP2_SVE2) != 0, "sve2");
#endif
#ifdef HWCAP2_BF16
  add((hwcap2 & HWCAP2_BF16) != 0, "bf16");
#endif
#ifdef HWCAP2_I8MM
  add((hwcap2 & HWCAP2_I8MM) != 0, "i8mm");
#endif
  (void)hwcap2;
  std::ifstream hv("/sys/hypervisor/type");
  std::string type;
  if (hv >> type) {
    id.hypervisor = true;
    id.hypervisor_vendor = type;
  }
  id.known = true;
}

#endif

}  // namespace

CpuIdentity read_cpu_identity() {
  CpuIdentity id;
#if defined(AICQ_X86)
  read_x86(id);
#elif defined(AICQ_ARM64)
  read_arm64(id);
#endif
  return id;
}

}  // namespace aicq::hw::detail

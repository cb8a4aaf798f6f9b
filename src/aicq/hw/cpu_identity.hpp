// The CPU's own account of itself: CPUID on x86 (vendor, family/model/stepping, brand string, the ISA
// extensions that are present AND enabled by the OS through XCR0, hypervisor leaf, TSC rate), MIDR_EL1 and
// the hardware-capability bits on Arm. Internal to the hw layer (discovery.cpp and the tests use it).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace aicq::hw::detail {

struct CpuIdentity {
  std::string vendor;         // "AMD", "Intel", "Hygon", "Arm", … ("" when unknown)
  std::string vendor_string;  // "AuthenticAMD", "GenuineIntel", or "MIDR implementer 0x41"
  std::string brand;          // CPUID brand string, trimmed; "" on Arm
  int family = 0, model = 0, stepping = 0;
  std::vector<std::string> isa;
  bool hypervisor = false;
  std::string hypervisor_vendor;
  std::optional<double> tsc_hz;
  std::string tsc_source;
  bool known = false;  // false on architectures this reader does not know (then only /proc/cpuinfo is used)
};

/// Reads the CPU identity of the calling thread's CPU (all CPUs of a machine are assumed alike).
CpuIdentity read_cpu_identity();

/// CPUID display family and model from leaf 1 EAX (the extended fields added as the vendors specify).
int display_family(unsigned eax);
int display_model(unsigned eax);

/// "KVM", "Microsoft Hyper-V", … for a CPUID leaf 0x40000000 signature; the raw signature when unknown.
std::string hypervisor_name(const std::string& signature);

}  // namespace aicq::hw::detail

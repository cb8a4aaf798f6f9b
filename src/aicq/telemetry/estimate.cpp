// The Q0 estimate: power from a model when nothing is measurable (methodology §1: kind `estimated`, method
// named; CodeCarbon labels its TDP fallback the same way). It covers the CPUs only and says so.
//
// Models, first that applies:
//   1. declared rated power R: P = R × (s + (1 − s) × u);
//   2. the host CPU's TDP from the hardware catalog: in a VM P = TDP × vCPUs / host threads × (s + (1 − s) × u)
//      (conventions: the vCPU share of the host CPU), on bare metal P = TDP × sockets × (s + (1 − s) × u);
//   3. Cloud Carbon Footprint's per-vCPU watts: P = vCPUs × (min + u × (max − min)).
// u is the CPU busy share from /proc/stat; the idle share s is CCF's min ÷ max for the microarchitecture (its
// SPECpower-based idle and full-load figures), unless configured.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <set>

#include "aicq/core/diagnostics.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Cloud Carbon Footprint, per-vCPU (hardware thread) minimum and maximum watts by microarchitecture, derived by
// CCF from SPECpower_ssj2008 results: repository cloud-carbon-footprint/ccf-coefficients, file
// output/coefficients-aws-use.csv (commit b0032d928c787cf76cecd7d1d611c5b46f366e29), columns "Min Watts" and
// "Max Watts", values as published. Methodology: https://www.cloudcarbonfootprint.org/docs/methodology
struct CcfRow {
  const char* architecture;
  double min_w, max_w;
};
constexpr CcfRow kCcf[] = {
    {"Broadwell", 0.7128342245989305, 3.685327540106952},
    {"Cascade Lake", 0.6902978319127387, 4.063193520161689},
    {"Coffee Lake", 1.138425925925926, 5.421759259259259},
    {"EPYC 1st Gen", 0.8467881944444444, 2.6041666666666665},
    {"EPYC 2nd Gen", 0.4742621527777777, 1.6929615162037035},
    {"EPYC 3rd Gen", 0.45562453497023814, 1.957333519345238},
    {"EPYC 4th Gen", 0.7391482469512195, 2.282155106707317},
    {"EPYC 5th Gen", 3.6824237779748152, 8.96143545344501},
    {"Emerald Rapids", 0.8140104166666666, 4.48203125},
    {"Granite Rapids", 0.5815883902616279, 2.5274707237711422},
    {"Haswell", 1.8573529411764707, 5.595383986928105},
    {"Ice Lake", 0.766796875, 3.7582031249999996},
    {"Ivy Bridge", 1.7074305555555556, 5.5569444444444445},
    {"Sandy Bridge", 2.212243200231481, 8.630870594765684},
    {"Sapphire Rapids", 1.0362861003136936, 4.160476336606656},
    {"Skylake", 0.6129888539040325, 4.104170352960531},
};
constexpr const char* kCcfReference =
    "Cloud Carbon Footprint per-vCPU min/max watts (cloud-carbon-footprint/ccf-coefficients "
    "output/coefficients-aws-use.csv, from SPECpower_ssj2008)";

std::optional<CcfCoefficients> row(const char* arch) {
  for (const auto& r : kCcf)
    if (std::string_view(r.architecture) == arch) return CcfCoefficients{r.architecture, r.min_w, r.max_w};
  return std::nullopt;
}

int to_int(std::string_view s) {
  int v = -1;
  const auto t = s.find_first_not_of(" \t");
  if (t == std::string_view::npos) return -1;
  s.remove_prefix(t);
  v = 0;
  bool any = false;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + (c - '0');
    any = true;
  }
  return any ? v : -1;
}

std::string fmt_w(double w) { return fmt::format("{:.4g} W", w); }
}  // namespace

std::optional<CcfCoefficients> ccf_coefficients(std::string_view vendor, int family, int model, int stepping) {
  // Family and model numbers: Intel's and AMD's programming references (the same numbers as the Linux kernel's
  // arch/x86/include/asm/intel-family.h and AMD family 17h/19h/1Ah model ranges).
  if (vendor == "GenuineIntel" && family == 6) {
    switch (model) {
      case 0x2a: case 0x2d: return row("Sandy Bridge");
      case 0x3a: case 0x3e: return row("Ivy Bridge");
      case 0x3c: case 0x3f: case 0x45: case 0x46: return row("Haswell");
      case 0x3d: case 0x47: case 0x4f: case 0x56: return row("Broadwell");
      case 0x4e: case 0x5e: return row("Skylake");
      case 0x55: return stepping >= 5 ? row("Cascade Lake") : row("Skylake");  // Cascade/Cooper Lake from stepping 5
      case 0x8e: case 0x9e: return row("Coffee Lake");
      case 0x6a: case 0x6c: case 0x7d: case 0x7e: return row("Ice Lake");
      case 0x8f: return row("Sapphire Rapids");
      case 0xcf: return row("Emerald Rapids");
      case 0xad: case 0xae: return row("Granite Rapids");
      default: return std::nullopt;
    }
  }
  if (vendor == "AuthenticAMD") {
    if (family == 0x17) return model >= 0x30 ? row("EPYC 2nd Gen") : row("EPYC 1st Gen");  // Zen/Zen+ vs Zen 2
    if (family == 0x19) {
      if ((model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0x7f) || (model >= 0xa0 && model <= 0xaf))
        return row("EPYC 4th Gen");  // Zen 4: Genoa, Phoenix/Raphael, Bergamo/Siena
      return row("EPYC 3rd Gen");    // Zen 3: Milan and the client parts
    }
    if (family == 0x1a) return row("EPYC 5th Gen");  // Zen 5: Turin
  }
  return std::nullopt;
}

CcfCoefficients ccf_average() {
  // CCF's averages over its microarchitectures, used by CCF for an unknown one:
  // packages/aws/src/domain/AwsFootprintEstimationConstants.ts, MIN_WATTS_AVG 0.74 and MAX_WATTS_AVG 3.5.
  return CcfCoefficients{"average over microarchitectures (CCF, architecture unknown)", 0.74, 3.5};
}

CpuFacts parse_cpuinfo(std::string_view text) {
  CpuFacts f;
  std::set<std::string> physical_ids;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (key == "processor") ++f.logical_cpus;
    else if (key == "vendor_id" && f.vendor.empty()) f.vendor = std::string(value);
    else if (key == "model name" && f.model_name.empty()) f.model_name = std::string(value);
    else if (key == "cpu family" && f.family < 0) f.family = to_int(value);
    else if (key == "model" && f.model < 0) f.model = to_int(value);
    else if (key == "stepping" && f.stepping < 0) f.stepping = to_int(value);
    else if (key == "physical id") physical_ids.insert(std::string(value));
    else if (key == "flags" && !f.hypervisor) {
      // " hypervisor " among the flags: the CPUID bit a hypervisor sets for its guests.
      const std::string padded = " " + std::string(value) + " ";
      f.hypervisor = padded.find(" hypervisor ") != std::string::npos;
    }
  }
  f.sockets = std::max<int>(1, static_cast<int>(physical_ids.size()));
  return f;
}

EstimateModel make_estimate(const EstimateConfig& c, const CpuFacts& cpu) {
  const auto arch = ccf_coefficients(cpu.vendor, cpu.family, cpu.model, cpu.stepping);
  const CcfCoefficients ccf = arch.value_or(ccf_average());
  const double s = c.idle_share.value_or(ccf.min_w / ccf.max_w);
  const std::string share_text =
      c.idle_share ? fmt::format("idle share {:.3g} (configured)", s)
                   : fmt::format("idle share {:.3g} = CCF min/max watts for {}", s, ccf.architecture);
  const int vcpus = std::max(1, cpu.logical_cpus);
  EstimateModel m;
  if (c.rated_power_w) {
    m.idle_w = *c.rated_power_w * s;
    m.max_w = *c.rated_power_w;
    m.model = fmt::format("P = declared rated power {} × ({:.3g} + {:.3g} × u), u = CPU busy share (/proc/stat); {}",
                          fmt_w(*c.rated_power_w), s, 1 - s, share_text);
    m.reference = c.idle_share ? "declared" : kCcfReference;
    return m;
  }
  if (c.host_tdp_w && (!cpu.hypervisor || (c.host_threads && *c.host_threads > 0))) {
    const double scale = cpu.hypervisor ? static_cast<double>(vcpus) / *c.host_threads : static_cast<double>(cpu.sockets);
    const double full = *c.host_tdp_w * scale;
    m.idle_w = full * s;
    m.max_w = full;
    m.model = cpu.hypervisor
                  ? fmt::format("P = TDP {} of the host CPU {} × {} vCPUs / {} host threads × ({:.3g} + {:.3g} × u), u = CPU busy "
                                "share (/proc/stat); {}; CPU only",
                                fmt_w(*c.host_tdp_w), c.host_cpu_name, vcpus, *c.host_threads, s, 1 - s, share_text)
                  : fmt::format("P = TDP {} of {} × {} socket{} × ({:.3g} + {:.3g} × u), u = CPU busy share (/proc/stat); {}; CPU only",
                                fmt_w(*c.host_tdp_w), c.host_cpu_name, cpu.sockets, cpu.sockets == 1 ? "" : "s", s, 1 - s,
                                share_text);
    m.reference = fmt::format("hardware catalog TDP of {}; {}", c.host_cpu_name, kCcfReference);
    return m;
  }
  m.idle_w = vcpus * ccf.min_w;
  m.max_w = vcpus * ccf.max_w;
  m.model = fmt::format(
      "P = {} {} × ({} + u × ({} − {})), u = CPU busy share (/proc/stat); per-vCPU watts of Cloud Carbon Footprint for {} "
      "(CPU '{}'{}); CPU only",
      vcpus, cpu.hypervisor ? "vCPUs" : "hardware threads", fmt_w(ccf.min_w), fmt_w(ccf.max_w), fmt_w(ccf.min_w), ccf.architecture,
      cpu.model_name.empty() ? "unknown" : cpu.model_name,
      cpu.family >= 0 ? fmt::format(", family {} model {}", cpu.family, cpu.model) : "");
  m.reference = kCcfReference;
  return m;
}

EstimateSampler::EstimateSampler(const std::string& root, EstimateModel model)
    : model_(std::move(model)), stat_(under_root(root, "proc/stat")) {
  source_ = "model: " + model_.model;
  channels_ = {{metric::power_w, "node", "W", false, PowerScope::node}};
  if (const auto t = stat_.read(buf_)) last_ = parse_proc_stat(*t);
}

void EstimateSampler::sample(double /*t_s*/, std::span<double> out) {
  out[0] = kNaN;
  const auto t = stat_.read(std::span<char>(buf_, 256));
  if (!t) throw core::WorkError(fmt::format("pread {}: {}", stat_.path(), stat_.error()));
  const auto now = parse_proc_stat(*t);
  if (!now) return;
  std::optional<double> u;
  if (last_) u = busy_fraction(*last_, *now);
  if (!u && now->total() > 0) u = static_cast<double>(now->busy()) / static_cast<double>(now->total());  // since boot
  last_ = now;
  if (u) out[0] = model_.power_w(*u);
}

}  // namespace aicq::telemetry

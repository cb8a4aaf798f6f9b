// aicq hw [--format text|json] [--no-measure]: what this machine is, and its peak FLOP/s per precision with
// where each number came from.
#include <fmt/format.h>

#include <ostream>

#include "aicq/catalog/catalog.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/data/embedded.hpp"
#include "aicq/hw/discovery.hpp"
#include "aicq/hw/peak.hpp"

namespace aicq::cli {

namespace {

struct HwOptions {
  std::string format = "text";
  bool no_measure = false;
};

std::string binary_bytes(double b) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024 && i < 4) {
    b /= 1024;
    ++i;
  }
  return fmt::format("{:.4g} {}", b, units[i]);
}

std::string ghz(double hz) { return fmt::format("{:.4g} GHz", hz / 1e9); }

std::string rate(double v, const std::string& precision) {
  static constexpr std::pair<double, const char*> prefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  const char* unit = precision == "int8" ? "OP/s" : "FLOP/s";
  for (const auto& [f, p] : prefixes)
    if (v >= f) return fmt::format("{:.4g} {}{}", v / f, p, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

void print_text(const hw::Host& h, const hw::Peaks& p, std::ostream& out) {
  const hw::CpuInfo& c = h.cpu;
  out << fmt::format("host        {} ({}{}{})\n", h.hostname, h.os, h.os.empty() ? "" : ", ", h.kernel);
  if (!h.system_vendor.empty() || !h.system_product.empty())
    out << fmt::format("system      {} {}\n", h.system_vendor, h.system_product);
  out << fmt::format("CPU         {}\n", c.model_name.empty() ? "(no model name)" : c.model_name);
  out << fmt::format("  identity  {} family 0x{:X} model 0x{:X} stepping {}\n", c.vendor.empty() ? "unknown vendor" : c.vendor,
                     c.family, c.model, c.stepping);
  if (!c.microarch.empty())
    out << fmt::format("  microarch {} ({})\n", c.microarch_name, c.microarch);
  else
    out << fmt::format("  microarch {}\n", c.microarch_note);
  if (!c.catalog_cpu.empty()) out << fmt::format("  catalog   {} (data/hardware/cpus.yaml)\n", c.catalog_cpu);
  out << fmt::format("  topology  {} socket(s), {} core(s), {} thread(s), {} NUMA node(s)\n", c.sockets, c.cores, c.threads,
                     c.numa_nodes);
  if (!c.topology_note.empty()) out << fmt::format("            {}\n", c.topology_note);
  out << fmt::format("  ISA       {}\n", c.isa.empty() ? "(not read on this architecture)" : join(c.isa, " "));
  std::vector<std::string> caches;
  for (const auto& k : c.caches)
    caches.push_back(fmt::format("L{}{} {} x {}", k.level, k.type == "data" ? "d" : k.type == "instruction" ? "i" : "",
                                 binary_bytes(k.size_bytes), k.count));
  out << fmt::format("  caches    {}{}\n", caches.empty() ? "unknown" : join(caches, ", "),
                     c.llc_bytes ? fmt::format(" (last level {} in all)", binary_bytes(*c.llc_bytes)) : "");
  std::vector<std::string> clocks;
  if (c.tsc_hz) clocks.push_back(fmt::format("TSC {} ({})", ghz(*c.tsc_hz), c.tsc_source));
  if (c.nominal_hz) clocks.push_back(fmt::format("nominal {} ({})", ghz(*c.nominal_hz), c.nominal_source));
  if (c.max_hz) clocks.push_back(fmt::format("max {} (cpufreq)", ghz(*c.max_hz)));
  if (c.base_clock_hz) clocks.push_back(fmt::format("base {} (catalog)", ghz(*c.base_clock_hz)));
  if (p.clock) clocks.push_back(fmt::format("measured {}", ghz(p.clock->hz)));
  out << fmt::format("  clock     {}\n", clocks.empty() ? "unknown" : join(clocks, "\n            "));
  if (!c.clock_note.empty()) out << fmt::format("            note: {}\n", c.clock_note);
  out << fmt::format("  hypervisor {}\n", c.hypervisor ? (c.hypervisor_vendor.empty() ? "yes (vendor unknown)" : c.hypervisor_vendor)
                                                         : "none (bare metal)");
  out << fmt::format("memory      {}{}\n", h.memory_bytes > 0 ? binary_bytes(h.memory_bytes) : "unknown",
                     h.memory_note.empty() ? "" : " (" + h.memory_note + ")");
  if (h.gpus.empty()) {
    out << fmt::format("GPUs        no NVIDIA GPU: {}\n", h.gpu_note);
  } else {
    out << fmt::format("GPUs        {} (NVML, driver {})\n", h.gpus.size(), h.nvml_driver);
    for (const auto& g : h.gpus)
      out << fmt::format("  gpu {}     {}, {}{}, {}\n", g.index, g.name,
                         g.memory_total_bytes ? binary_bytes(*g.memory_total_bytes) : "memory unknown",
                         g.cc_major ? fmt::format(", compute capability {}.{}", *g.cc_major, g.cc_minor.value_or(0)) : "",
                         g.power_limit_w ? fmt::format("power limit {:.0f} W", *g.power_limit_w) : "power limit unknown");
  }

  out << "\npeaks (CPU, whole machine)\n";
  if (p.peaks.empty()) out << "  none\n";
  else out << fmt::format("  {:<6} {:>14}  {:<10} {:>10} {:>8}  {}\n", "prec", "peak", "kind", "clock", "FLOP/cyc", "kernel check");
  for (const auto& k : p.peaks)
    out << fmt::format("  {:<6} {:>14}  {:<10} {:>10} {:>8.4g}  {}\n", k.precision, rate(k.flops, k.precision), k.kind,
                       ghz(k.clock_hz), k.flop_per_cycle_per_core, k.rate_check);
  for (const auto& [prec, why] : p.missing) out << fmt::format("  {:<6} {:>14}  {}\n", prec, "missing", why);
  if (!p.peaks.empty()) out << fmt::format("  clock: {} ({}: {})\n", ghz(p.clock_hz), p.clock_kind, p.clock_source);
  for (const auto& f : p.fma)
    out << fmt::format("  kernel {:<5} {} on {} thread(s) = {:.3g} per cycle per core ({})\n", f.precision, rate(f.flops, f.precision),
                       f.threads, f.flop_per_cycle_per_core, f.isa);
  for (const auto& k : p.peaks) {
    out << fmt::format("  {}: {}\n", k.precision, k.method);
    out << fmt::format("        source: {}\n", k.source);
  }
  if (!p.gpu_peaks.empty()) {
    out << "\npeaks (GPUs, per device, declared by the catalog)\n";
    for (const auto& k : p.gpu_peaks)
      out << fmt::format("  {:<6} {:<6} {:>14}  {}\n", k.device, k.precision, rate(k.flops, k.precision), k.method);
  }
  if (!p.note.empty()) out << fmt::format("note: {}\n", p.note);
}

}  // namespace

Action add_hw(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<HwOptions>();
  app.add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--no-measure", o->no_measure, "do not run the clock and FMA microbenchmarks");
  return [o, &g](Io io) {
    const catalog::HardwareCatalog cat = catalog::HardwareCatalog::load(data::DataSource(g.data_dir));
    const hw::Host host = hw::discover(cat);
    hw::PeakOptions po;
    po.measure = !o->no_measure;
    const hw::Peaks peaks = hw::discover_peaks(host, cat, po);
    if (o->format == "json") {
      const nlohmann::json j = {{"schema", "aicq-hw/1"}, {"host", hw::to_json(host)}, {"peaks", hw::to_json(peaks)}};
      io.out << j.dump(2) << "\n";
    } else {
      print_text(host, peaks, io.out);
    }
    return kOk;
  };
}

}  // namespace aicq::cli

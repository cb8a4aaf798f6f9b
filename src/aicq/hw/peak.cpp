#include "aicq/hw/peak.hpp"

#include <sched.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <thread>

#include "aicq/core/diagnostics.hpp"
#include "aicq/hw/kernels.hpp"
#include "aicq/hw/topology.hpp"

namespace aicq::hw {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Plausible core clocks: anything outside means the measurement went wrong (a descheduled thread, an
// emulator), and the peak falls back to a reported clock.
constexpr double kMinPlausibleHz = 0.2e9, kMaxPlausibleHz = 10e9;

// How far a kernel's FLOP/cycle may sit from the reference before it is called a disagreement. Real
// disagreements are factors of two (one FMA unit or two, a 256- or 512-bit datapath); a clock measured a few
// percent low under load must not replace a right catalog figure, hence the wide upper band.
constexpr double kExceedRatio = 1.25, kBelowRatio = 0.85;

std::string ghz(double hz) { return fmt::format("{:.3g} GHz", hz / 1e9); }
std::string num(double v) { return fmt::format("{:.4g}", v); }

bool pin_to(unsigned cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

std::vector<unsigned> core_cpus() {
  std::vector<unsigned> cpus = detail::read_topology().core_cpus;
  if (cpus.empty())
    for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i) cpus.push_back(i);
  return cpus;
}

// The FLOP/cycle the peak of one precision starts from, and where it comes from.
struct Reference {
  double flop_per_cycle = 0;
  std::string what;    // "amd-zen4: VFMADD231PD zmm …" / "ISA estimate: …"
  std::string source;  // the public reference
  bool estimate = false;
};

std::optional<Reference> reference(const CpuInfo& cpu, const catalog::Microarchitecture* u,
                                   const catalog::HardwareModel* sku, const std::string& precision, std::string& why) {
  if (u) {
    if (const auto* r = u->rate(precision, cpu.isa)) {
      return Reference{r->flop_per_cycle, fmt::format("{} ({}): {}", u->id, u->name, r->instruction),
                       fmt::format("data/hardware/microarchitectures.yaml {}: {}", u->id, r->source), false};
    }
    why = fmt::format("the catalog has no {} rate for {} with this CPU's ISA", precision, u->name);
    return std::nullopt;
  }
  if (sku) {
    auto it = sku->flop_per_cycle_per_core.find(precision);
    if (it != sku->flop_per_cycle_per_core.end())
      return Reference{it->second, fmt::format("{} ({}): catalogued FLOP/cycle per core", sku->id, sku->name),
                       fmt::format("data/hardware/cpus.yaml {}: {}", sku->id, sku->source_of("peak")), false};
  }
  std::string how;
  const double fpc = isa_flop_per_cycle(cpu.isa, precision, &how);
  if (fpc > 0)
    return Reference{fpc, fmt::format("ISA estimate: {} (microarchitecture unknown: one unit assumed)", how),
                     "estimated from the ISA extensions CPUID reports; the number of FMA units is not known", true};
  why = how;
  return std::nullopt;
}

}  // namespace

double isa_flop_per_cycle(const std::vector<std::string>& isa, const std::string& precision, std::string* how) {
  auto has = [&](const char* n) { return std::find(isa.begin(), isa.end(), n) != isa.end(); };
  auto say = [&](std::string s, double v) {
    if (how) *how = std::move(s);
    return v;
  };
  const bool avx512 = has("avx512f"), fma = has("fma"), neon = has("asimd");
  if (precision == "fp64" || precision == "fp32") {
    const double scale = precision == "fp32" ? 2 : 1;
    if (avx512) return say(fmt::format("1 x 512-bit FMA unit x {} lanes x 2", 8 * scale), 16 * scale);
    if (fma) return say(fmt::format("1 x 256-bit FMA unit x {} lanes x 2", 4 * scale), 8 * scale);
    if (neon) return say(fmt::format("1 x 128-bit FMLA pipe x {} lanes x 2", 2 * scale), 4 * scale);
    return say("no fused multiply-add instructions (FMA, AVX-512F, Arm ASIMD) in this CPU's ISA", 0);
  }
  if (precision == "bf16") {
    if (has("avx512_bf16")) return say("1 x 512-bit VDPBF16PS unit x 16 FP32 lanes x 4", 64);
    return say("no BF16 arithmetic (AVX512_BF16) known for this CPU", 0);
  }
  if (precision == "int8") {
    if (has("avx512_vnni")) return say("1 x 512-bit VPDPBUSD unit x 16 INT32 lanes x 8", 128);
    if (has("avx_vnni")) return say("1 x 256-bit VPDPBUSD (AVX-VNNI) unit x 8 INT32 lanes x 8", 64);
    return say("no INT8 dot-product instructions (AVX512_VNNI, AVX-VNNI) on this CPU", 0);
  }
  return say(fmt::format("no ISA-based estimate for {}", precision), 0);
}

std::string rate_check(double reference, double measured) {
  if (reference <= 0 || measured <= 0) return "not measured";
  const double ratio = measured / reference;
  if (ratio > kExceedRatio) return "exceeded";
  if (ratio >= kBelowRatio) return "confirmed";
  return "below";
}

ClockMeasurement measure_clock(double duration_s) {
  if (!detail::clock_kernel_available())
    throw core::WorkError("measure_clock: no dependent-add kernel for this architecture (x86-64 and AArch64 only)");
  auto timed = [](std::uint64_t iterations) {
    const auto t0 = Clock::now();
    const std::uint64_t adds = detail::dependent_adds(iterations);
    const double s = seconds_since(t0);
    if (adds != iterations * detail::kAddsPerIteration)
      throw core::WorkError("measure_clock: the dependent-add chain returned a wrong sum");
    return s;
  };
  // Calibrate to about 1 ms, then size the samples.
  std::uint64_t iterations = 10000;
  double t = timed(iterations);
  while (t < 1e-3 && iterations < (1ull << 40)) {
    iterations *= 4;
    t = timed(iterations);
  }
  // Many short samples rather than a few long ones: on a shared machine a short sample has a better chance
  // of running without being descheduled, and the best sample is the one that counts.
  constexpr double kSampleS = 2e-3;
  const int kSamples = std::clamp(static_cast<int>(duration_s / kSampleS), 7, 250);
  const double sample_s = std::max(duration_s / kSamples, kSampleS);
  const auto n = static_cast<std::uint64_t>(std::max(1.0, static_cast<double>(iterations) * sample_s / t));
  ClockMeasurement m;
  for (int i = 0; i < kSamples; ++i) {
    const double s = timed(n);
    if (s > 0) m.samples_hz.push_back(static_cast<double>(n * detail::kAddsPerIteration) / s);
  }
  if (m.samples_hz.empty()) throw core::WorkError("measure_clock: the steady clock did not advance");
  m.hz = *std::max_element(m.samples_hz.begin(), m.samples_hz.end());
  m.method = fmt::format(
      "dependent-add chain: {} dependent 64-bit register adds (1 cycle latency each) per sample on one thread, "
      "timed with steady_clock; best of {} samples of about {:.0f} ms",
      n * detail::kAddsPerIteration, kSamples, sample_s * 1e3);
  return m;
}

FmaMeasurement measure_fma(const std::string& precision, int threads, double clock_hz, double duration_s) {
  std::string why;
  const detail::FmaKernel* k = detail::fma_kernel(precision, &why);
  if (!k) throw core::WorkError(fmt::format("measure_fma {}: {}", precision, why));
  const std::vector<unsigned> cpus = core_cpus();
  if (threads <= 0) threads = static_cast<int>(cpus.size());

  // Calibrate on the calling thread to about 2 ms per run.
  std::uint64_t iterations = 1000;
  double t = 0;
  for (;;) {
    const auto t0 = Clock::now();
    const double sum = k->run(iterations);
    t = seconds_since(t0);
    if (!std::isfinite(sum)) throw core::WorkError(fmt::format("measure_fma {}: the kernel's checksum is not finite", precision));
    if (t >= 2e-3 || iterations >= (1ull << 40)) break;
    iterations *= 4;
  }
  constexpr int kRuns = 5;
  const double run_s = std::max(duration_s / kRuns, 4e-3);
  const auto n = static_cast<std::uint64_t>(std::max(1.0, static_cast<double>(iterations) * run_s / t));

  const auto count = static_cast<std::size_t>(threads);
  std::vector<Clock::time_point> start(count * kRuns), end(count * kRuns);
  std::vector<double> sums(count, 0.0);
  std::atomic<int> pinned{0};
  std::barrier sync(threads);
  std::vector<std::thread> pool;
  pool.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    pool.emplace_back([&, i] {
      if (pin_to(cpus[i % cpus.size()])) pinned.fetch_add(1);
      for (std::size_t r = 0; r < kRuns; ++r) {
        sync.arrive_and_wait();
        start[r * count + i] = Clock::now();
        sums[i] += k->run(n);
        end[r * count + i] = Clock::now();
      }
    });
  }
  for (auto& th : pool) th.join();

  FmaMeasurement m;
  m.precision = precision;
  m.isa = k->isa;
  m.threads = threads;
  for (std::size_t r = 0; r < kRuns; ++r) {
    const auto first = std::min_element(start.begin() + static_cast<std::ptrdiff_t>(r * count),
                                        start.begin() + static_cast<std::ptrdiff_t>((r + 1) * count));
    const auto last = std::max_element(end.begin() + static_cast<std::ptrdiff_t>(r * count),
                                       end.begin() + static_cast<std::ptrdiff_t>((r + 1) * count));
    const double wall = std::chrono::duration<double>(*last - *first).count();
    if (wall > 0) m.samples_flops.push_back(static_cast<double>(threads) * static_cast<double>(n) * k->flop_per_iteration / wall);
  }
  if (m.samples_flops.empty()) throw core::WorkError("measure_fma: the steady clock did not advance");
  m.flops = *std::max_element(m.samples_flops.begin(), m.samples_flops.end());
  m.flop_per_cycle_per_core = clock_hz > 0 ? m.flops / (threads * clock_hz) : 0;
  m.method = fmt::format(
      "{} ({}): {} iterations x {} FLOP per thread and run, {} thread(s) {}, started together; best of {} runs of "
      "about {:.0f} ms (FLOP/s = threads x FLOP per thread / wall time of the slowest)",
      k->instruction, k->isa, n, num(k->flop_per_iteration), threads,
      pinned.load() == threads ? "pinned one per core" : "not all pinned (sched_setaffinity refused)", kRuns, run_s * 1e3);
  return m;
}

Peaks discover_peaks(const Host& host, const catalog::HardwareCatalog& cat, const PeakOptions& options) {
  Peaks p;
  const CpuInfo& cpu = host.cpu;
  const int cores = std::max(cpu.cores, 1);
  const double clock_s = options.tiny ? 0.03 : 0.25;
  const double fma_s = options.tiny ? 0.03 : 0.35;
  const double dot_s = options.tiny ? 0.02 : 0.2;
  std::vector<std::string> notes;

  // 1. The clock.
  if (options.measure) {
    try {
      ClockMeasurement m = measure_clock(clock_s);
      if (m.hz >= kMinPlausibleHz && m.hz <= kMaxPlausibleHz) {
        p.clock_hz = m.hz;
        p.clock_kind = "measured";
        p.clock_source = m.method;
      } else {
        notes.push_back(fmt::format("the measured clock {} is implausible and was not used", ghz(m.hz)));
      }
      p.clock = std::move(m);
    } catch (const core::WorkError& e) {
      notes.push_back(fmt::format("clock not measured: {}", e.what()));
    }
  }
  if (p.clock_kind.empty() && cpu.base_clock_hz) {
    p.clock_hz = *cpu.base_clock_hz;
    p.clock_kind = "declared";
    p.clock_source = fmt::format("base clock of {} in data/hardware/cpus.yaml", cpu.catalog_cpu);
  }
  if (p.clock_kind.empty() && cpu.nominal_hz) {
    p.clock_hz = *cpu.nominal_hz;
    p.clock_kind = "estimated";
    p.clock_source = fmt::format("{}{}", cpu.nominal_source, cpu.clock_note.empty() ? "" : " (" + cpu.clock_note + ")");
  }

  // 2. The kernels on every core, as a cross-check of the FLOP/cycle: FMA for fp64 and fp32 (always, where
  // the ISA has FMA); the BF16 and INT8 dot products where the CPU has them (else nothing to measure).
  if (options.measure) {
    const int threads = options.threads > 0 ? options.threads : cores;
    for (const std::string prec : {"fp64", "fp32", "bf16", "int8"}) {
      const bool optional = prec == "bf16" || prec == "int8";
      if (optional && !detail::fma_kernel(prec)) continue;
      try {
        p.fma.push_back(measure_fma(prec, threads, p.clock_kind == "measured" ? p.clock_hz : 0.0,
                                    optional ? dot_s : fma_s));
      } catch (const core::WorkError& e) {
        notes.push_back(e.what());
      }
    }
  }

  // 3. Peaks per precision.
  const catalog::Microarchitecture* u = nullptr;
  for (const auto& x : cat.microarchitectures())
    if (x.id == cpu.microarch) u = &x;
  const catalog::HardwareModel* sku = cpu.catalog_cpu.empty() ? nullptr : cat.find(cpu.catalog_cpu);
  std::vector<std::string> precisions = {"fp64", "fp32", "bf16", "int8"};
  if (u && u->rate("fp16", cpu.isa)) precisions.insert(precisions.begin() + 3, "fp16");
  for (const auto& prec : precisions) {
    if (p.clock_kind.empty()) {
      p.missing[prec] = "no clock: not measured and none reported by the OS or the catalog";
      continue;
    }
    std::string why;
    const auto ref = reference(cpu, u, sku, prec, why);
    if (!ref) {
      p.missing[prec] = why;
      continue;
    }
    Peak pk;
    pk.precision = prec;
    pk.cores = cores;
    pk.clock_hz = p.clock_hz;
    pk.clock_kind = p.clock_kind;
    pk.flop_per_cycle_per_core = ref->flop_per_cycle;
    pk.kind = ref->estimate ? "estimated" : p.clock_kind;
    pk.source = ref->source;
    const char* op = prec == "int8" ? "OP" : "FLOP";  // integer operations are not floating-point ones
    std::string rate_text = fmt::format("{} {}/cycle/core ({})", num(ref->flop_per_cycle), op, ref->what);
    pk.rate_check = "not measured";
    const auto fm = std::find_if(p.fma.begin(), p.fma.end(), [&](const auto& f) { return f.precision == prec; });
    if (fm != p.fma.end() && p.clock_kind == "measured" && fm->flop_per_cycle_per_core > 0) {
      const double ratio = fm->flop_per_cycle_per_core / ref->flop_per_cycle;
      const std::string kernel = fmt::format("kernel {} {}/cycle/core on {} thread(s), {:.0f}% of it",
                                             num(fm->flop_per_cycle_per_core), op, fm->threads, ratio * 100);
      pk.rate_check = rate_check(ref->flop_per_cycle, fm->flop_per_cycle_per_core);
      if (pk.rate_check == "exceeded") {
        // The kernel beat the reference: the reference does not describe this CPU (a masked CPUID, a wrong
        // catalog entry, or an ISA estimate with too few units). What was measured is the better figure.
        pk.flop_per_cycle_per_core = fm->flop_per_cycle_per_core;
        pk.kind = "measured";
        rate_text = fmt::format("{} {}/cycle/core measured by the kernel, which exceeded the reference {} ({})",
                                num(fm->flop_per_cycle_per_core), op, num(ref->flop_per_cycle), ref->what);
        pk.source = fmt::format("measured: {}; reference was: {}", fm->method, ref->source);
      } else if (pk.rate_check == "confirmed") {
        rate_text += "; " + kernel + ": confirmed";
      } else {
        rate_text += "; " + kernel +
                     ": below (fewer units than catalogued, a lower vector clock, or other load on the machine)";
      }
    } else if (p.clock_kind == "measured") {
      rate_text += "; the clock is measured, this rate is the catalog's and was not measured";
    }
    pk.method = fmt::format("{} cores x {} ({}) x {}", cores, ghz(p.clock_hz), p.clock_kind, rate_text);
    pk.flops = cores * p.clock_hz * pk.flop_per_cycle_per_core;
    p.peaks.push_back(std::move(pk));
  }

  // 4. GPUs: the catalog's declared peaks, per device.
  for (const auto& g : host.gpus) {
    const auto* m = cat.find_by_name(g.name);
    if (!m || m->kind != "accelerator") {
      notes.push_back(fmt::format("GPU {} ({}) is not in the accelerator catalog: no peak", g.index, g.name));
      continue;
    }
    for (const auto& [prec, q] : m->peak) {
      Peak pk;
      pk.precision = prec;
      pk.flops = q.si;
      pk.kind = "declared";
      pk.method = fmt::format("catalog peak of {} (dense, one device)", m->id);
      pk.source = fmt::format("data/hardware/accelerators.yaml {}: {}", m->id, m->source_of("peak"));
      pk.device = fmt::format("gpu {}", g.index);
      pk.rate_check = "not measured";
      p.gpu_peaks.push_back(std::move(pk));
    }
  }

  if (!options.measure) notes.insert(notes.begin(), "not measured (--no-measure)");
  for (const auto& n : notes) p.note += (p.note.empty() ? "" : "; ") + n;
  return p;
}

nlohmann::json to_json(const Peak& k) {
  return {{"precision", k.precision},
          {"flops", k.flops},
          {"kind", k.kind},
          {"method", k.method},
          {"source", k.source},
          {"cores", k.cores},
          {"clock_hz", k.clock_hz},
          {"clock_kind", k.clock_kind},
          {"flop_per_cycle_per_core", k.flop_per_cycle_per_core},
          {"rate_check", k.rate_check},
          {"device", k.device}};
}

nlohmann::json to_json(const Peaks& p) {
  nlohmann::json peaks = nlohmann::json::array(), gpu = nlohmann::json::array(), fma = nlohmann::json::array();
  for (const auto& k : p.peaks) peaks.push_back(to_json(k));
  for (const auto& k : p.gpu_peaks) gpu.push_back(to_json(k));
  for (const auto& f : p.fma)
    fma.push_back({{"precision", f.precision},
                   {"isa", f.isa},
                   {"flops", f.flops},
                   {"threads", f.threads},
                   {"flop_per_cycle_per_core", f.flop_per_cycle_per_core},
                   {"samples_flops", f.samples_flops},
                   {"method", f.method}});
  nlohmann::json clock = nullptr;
  if (p.clock) clock = {{"hz", p.clock->hz}, {"samples_hz", p.clock->samples_hz}, {"method", p.clock->method}};
  return {{"peaks", peaks},
          {"missing", p.missing},
          {"clock_hz", p.clock_hz},
          {"clock_kind", p.clock_kind},
          {"clock_source", p.clock_source},
          {"clock_measurement", clock},
          {"fma", fma},
          {"gpu_peaks", gpu},
          {"note", p.note}};
}

}  // namespace aicq::hw

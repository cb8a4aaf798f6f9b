// Peak FLOP/s of this machine's CPU, per precision, with where each number came from.
//
//   peak = cores × clock × FLOP per cycle per core
//
// The clock is measured (a chain of dependent integer adds, one cycle each) because in a VM the OS often
// shows only the TSC rate; the FLOP/cycle comes from the catalog's microarchitecture for the ISA in use
// (data/hardware/microarchitectures.yaml), cross-checked by an FMA kernel run on every core. Without a
// catalogued microarchitecture the FLOP/cycle is estimated from the ISA (vector width, one FMA unit assumed)
// and the peak is marked `estimated`. With measuring off, the clock is the catalogued SKU's base clock
// (`declared`) or the OS's nominal clock (`estimated`). Every peak carries its kind, method and source text;
// a precision without a figure is listed in `missing` with the reason — never invented.
//
// The measurements run busy loops on every core for about a second in all (PeakOptions::tiny: ~0.1 s).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aicq/catalog/catalog.hpp"
#include "aicq/hw/discovery.hpp"

namespace aicq::hw {

/// The core clock measured on one thread: the best (highest) of several short samples, since an interruption
/// can only make a sample slower.
struct ClockMeasurement {
  double hz = 0;
  std::vector<double> samples_hz;
  std::string method;
};

/// Measures the core clock on the calling thread for about `duration_s` seconds in all.
/// Throws core::WorkError where no clock kernel exists (architectures other than x86-64 and AArch64).
ClockMeasurement measure_clock(double duration_s);

/// The achieved rate of a register-only multiply-accumulate kernel on `threads` threads (pinned one per core),
/// the best of several short runs: FMA for fp64/fp32 (AVX-512F, else AVX2+FMA; NEON on Arm), VDPBF16PS for
/// bf16 (AVX512_BF16), VPDPBUSD for int8 (AVX512_VNNI; OP/s). `flop_per_cycle_per_core` = flops ÷ (threads ×
/// clock_hz): with the catalog's figure it cross-checks both. Throws core::WorkError when this CPU has no
/// kernel for the precision.
struct FmaMeasurement {
  std::string precision, isa;
  double flops = 0;  // FLOP/s over all threads
  int threads = 0;
  double flop_per_cycle_per_core = 0;
  std::string method;
  std::vector<double> samples_flops;
};
FmaMeasurement measure_fma(const std::string& precision /*fp64|fp32|bf16|int8*/, int threads, double clock_hz,
                           double duration_s);

struct Peak {
  std::string precision;
  double flops = 0;  // whole machine (all cores), FLOP/s (OP/s for int8)
  std::string kind;  // measured | declared | estimated (core::EvidenceKind names)
  std::string method, source;
  int cores = 0;
  double clock_hz = 0, flop_per_cycle_per_core = 0;
  std::string clock_kind;  // measured | declared | estimated: how the clock in this peak was obtained
  std::string rate_check;  // "confirmed", "below" or "exceeded" by the kernel of that precision; "not measured"
  std::string device = "cpu";  // "cpu", or "gpu N" for catalogued GPU peaks
};

struct PeakOptions {
  bool measure = true;
  bool tiny = false;  // very short measurements (tests)
  int threads = 0;    // FMA kernel threads; 0 = one per core
};

struct Peaks {
  std::vector<Peak> peaks;  // CPU, one per precision that has a figure
  std::optional<ClockMeasurement> clock;
  std::vector<FmaMeasurement> fma;
  std::map<std::string, std::string> missing;  // CPU precision → why there is no peak
  std::vector<Peak> gpu_peaks;                  // declared from the accelerator catalog, per GPU
  double clock_hz = 0;      // the clock the CPU peaks use (0 when none)
  std::string clock_kind;   // measured | declared | estimated
  std::string clock_source;
  std::string note;
};

/// Peaks of `host` (from discover()). Never throws for a missing measurement: it falls back and says so.
Peaks discover_peaks(const Host& host, const catalog::HardwareCatalog& cat, const PeakOptions& options);

/// FLOP/cycle per core estimated from the ISA alone (one FMA unit of the widest vector), 0 when the ISA has
/// no instruction for the precision; `how` says which instruction the figure assumes.
double isa_flop_per_cycle(const std::vector<std::string>& isa, const std::string& precision, std::string* how = nullptr);

/// How a kernel's measured FLOP/cycle compares with the reference figure: "exceeded" (above 1.25 × — the
/// reference does not describe this CPU, and the measured figure replaces it), "confirmed" (0.85–1.25 ×),
/// "below" (under 0.85 ×: fewer units, a lower vector clock, or load), "not measured" (either is 0).
std::string rate_check(double reference_flop_per_cycle, double measured_flop_per_cycle);

nlohmann::json to_json(const Peaks&);
nlohmann::json to_json(const Peak&);

}  // namespace aicq::hw

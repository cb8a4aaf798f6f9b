// Host-side logic of aicq-gpu-probe: everything that is arithmetic, bookkeeping or text rather than GPU work —
// precisions and what they need, FLOP and byte counts, statistics, the reference check's verdict, the sampled
// positions it checks, the catalog peaks, and the command line.
//
// Plain C++ with no CUDA header, so that the main build compiles and unit-tests it on machines without the
// CUDA toolkit (tests/gpu); main.cu is the only file that talks to the GPU. The sources are C++20; the headers
// stay C++17, the dialect main.cu is compiled in (CMake 3.25 knows no C++20 flags for nvcc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aicq::gpu {

// ---- precisions ------------------------------------------------------------------------------------------

/// GEMM precisions the probe measures, named as aicq's catalog names them (methodology §6: "fp32" would be
/// plain FP32; TF32 is its own precision).
enum class Precision { fp64, tf32, bf16, fp16, fp8 };
std::string_view to_string(Precision p);
std::optional<Precision> precision_from(std::string_view s);
/// All of them, in the order the probe runs them.
const std::vector<Precision>& all_precisions();

/// Why cuBLASLt cannot run `p` on a device of compute capability major.minor, or nullopt when it can.
/// FP64, FP16: every device CUDA 12/13 supports; TF32, BF16: sm_80 (Ampere) and later; FP8 (E4M3): sm_89 (Ada)
/// and later.
std::optional<std::string> unsupported_reason(Precision p, int cc_major, int cc_minor);

/// Bytes of one element of A and B, and of C/D (FP8 writes BF16: an FP8 output would need a scale to be useful).
std::size_t input_element_bytes(Precision p);
std::size_t output_element_bytes(Precision p);

/// Relative RMS error the reference check accepts for `p` (see check_against_reference). Chosen from the
/// rounding of each precision with a margin of about ten; a wrong product (zeros, transposed, stale) gives ≥ 1.
double reference_tolerance(Precision p, bool fp8_fast_accum);

// ---- work counts -----------------------------------------------------------------------------------------

/// FLOP of C = A·B with A m×k and B k×n: one multiply and one add per term, 2·m·n·k (β = 0: no C term).
double gemm_flop(std::int64_t m, std::int64_t n, std::int64_t k);
/// Device memory a GEMM needs: A and B at the input precision, D at the output precision.
double gemm_bytes(Precision p, std::int64_t m, std::int64_t n, std::int64_t k);
/// Bytes a device-to-device copy of `bytes` moves through device memory: each byte is read once and written once.
double device_copy_bytes(std::size_t bytes);
/// Bytes a host↔device transfer of `bytes` moves over the link: each byte crosses once.
double host_transfer_bytes(std::size_t bytes);

// ---- statistics ------------------------------------------------------------------------------------------

/// Order statistics and spread, computed as aicq's probe framework does (median of an even count: mean of the
/// middle two; cv: sample standard deviation ÷ mean, 0 for n < 2).
struct Stats {
  std::size_t n = 0;
  double median = 0, min = 0, max = 0, mean = 0, cv = 0;
};
/// Throws std::invalid_argument on an empty vector.
Stats statistics(const std::vector<double>& samples);

/// work ÷ seconds for each duration. Throws std::invalid_argument on a duration that is not > 0.
std::vector<double> rates(double work, const std::vector<double>& seconds);

/// The node's rate per repetition: the devices' rates at repetition i, summed. The devices ran their
/// repetitions together (one thread per device, started at the same barrier), so repetition i of each overlaps.
/// Throws std::invalid_argument when the devices have different repetition counts or there are none.
std::vector<double> sum_per_repetition(const std::vector<std::vector<double>>& per_device);

/// achieved ÷ (peak_per_device × devices), when a peak is known and positive.
std::optional<double> fraction_of_peak(double achieved, std::optional<double> peak_per_device, std::size_t devices);

// ---- the reference check ---------------------------------------------------------------------------------

/// Entries (row, column) of an m×n result to compare against the reference: the two corners, then
/// pseudo-random ones from `seed` (splitmix64), `count` in all (fewer when m·n is smaller). Deterministic.
std::vector<std::pair<std::int64_t, std::int64_t>> sample_positions(std::int64_t m, std::int64_t n, std::size_t count,
                                                                    std::uint64_t seed);

struct ReferenceCheck {
  bool passed = false;
  std::size_t samples = 0;
  double rel_rms_error = 0;  // sqrt(Σ(got − ref)² / Σ ref²)
  double max_abs_error = 0;
  double tolerance = 0;
  std::string detail;        // one line for people
};

/// Compares the entries the GPU computed (`got`) with the same entries computed in FP64 from the same inputs
/// (`ref`): passes when every value is finite, the reference is not all zero, and the relative RMS error is at
/// most `tolerance`. Throws std::invalid_argument when the sizes differ or are zero.
ReferenceCheck check_against_reference(const std::vector<double>& got, const std::vector<double>& ref, double tolerance);

// ---- the catalog -----------------------------------------------------------------------------------------

/// One accelerator of data/hardware/accelerators.yaml, as CMake read it at configure time (the table is
/// generated into the build folder, never copied by hand). Peaks are dense, per device, in FLOP/s.
struct CatalogEntry {
  std::string id, name;
  std::vector<std::string> aliases;
  std::map<std::string, double> peak_flops;  // by precision: fp64, fp32, tf32, bf16, fp16, fp8
  std::optional<double> memory_bandwidth;    // B/s
};
/// The generated table (generated catalog source); empty when the YAML was not found at configure time.
const std::vector<CatalogEntry>& catalog();
/// The entry whose id, name or one alias equals `device_name`, ignoring case (as aicq's catalog::find_by_name).
const CatalogEntry* find_catalog_entry(std::string_view device_name);
const CatalogEntry* find_catalog_id(std::string_view id);

// ---- the command line ------------------------------------------------------------------------------------

/// A bad command line (exit 2); the message names the option.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::int64_t m = 8192, n = 8192, k = 8192;    // GEMM sizes (8192³: large enough to saturate an H100/H200)
  std::vector<Precision> precisions = all_precisions();
  int warmups = 5;
  int reps = 20;
  std::size_t copy_bytes = std::size_t{1} << 30;  // device-to-device copy; 0 = not measured
  std::size_t host_bytes = std::size_t{512} << 20;  // pinned host↔device transfers; 0 = not measured
  std::size_t check_samples = 256;
  std::uint64_t seed = 1;
  bool fp8_fast_accum = false;
  std::map<std::string, double> peaks;  // --peak PREC=FLOP/s, per device; overrides the catalog
  std::string peak_source;              // --peak-source: where the --peak figures come from
  std::string catalog_id;               // --catalog ID: this entry instead of matching the device name
  std::string output;                   // -o FILE; empty = standard output
  bool help = false, version = false;
};

/// Parses the arguments after the program name. Throws UsageError naming the option.
Options parse_options(const std::vector<std::string>& args);
/// The --help text.
std::string usage();

/// "1073741824", "1GiB", "512MiB", "64KiB", "2GB" → bytes. nullopt when malformed.
std::optional<std::size_t> parse_bytes(std::string_view s);
/// "989.5e12", "989.5T", "989.5TFLOPS", "989.5 TFLOP/s" → FLOP/s. nullopt when malformed or not > 0.
std::optional<double> parse_rate(std::string_view s);

/// The peak per device to compare `p` against on a device named `device_name`: --peak first, then the catalog
/// entry (--catalog, else the one matching the name). `flops` empty when none is known, with `missing` saying why.
struct PeakChoice {
  std::optional<double> flops;
  std::string method;     // "hardware catalog (…)" or "given on the command line (--peak)"
  std::string catalog_id;
  std::string reference;  // --peak-source
  std::string missing;
};
PeakChoice peak_for(Precision p, std::string_view device_name, const Options& o);
/// The catalog memory bandwidth of the device (B/s), for the device copy's fraction.
std::optional<double> memory_bandwidth_for(std::string_view device_name, const Options& o);

}  // namespace aicq::gpu

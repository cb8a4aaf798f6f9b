#include "probe_logic.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

namespace aicq::gpu {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A leading decimal number (strtod syntax, no sign) and the rest of the text.
std::optional<std::pair<double, std::string_view>> leading_number(std::string_view s) {
  s = trim(s);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr == s.data()) return std::nullopt;
  return std::make_pair(v, trim(s.substr(static_cast<std::size_t>(ptr - s.data()))));
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string format_g(double v) {
  std::ostringstream s;
  s.precision(3);
  s << v;
  return s.str();
}

}  // namespace

// ---- precisions ------------------------------------------------------------------------------------------

std::string_view to_string(Precision p) {
  switch (p) {
    case Precision::fp64: return "fp64";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
    case Precision::fp8: return "fp8";
  }
  return "fp64";
}

std::optional<Precision> precision_from(std::string_view s) {
  for (Precision p : all_precisions())
    if (to_string(p) == s) return p;
  return std::nullopt;
}

const std::vector<Precision>& all_precisions() {
  static const std::vector<Precision> all = {Precision::fp64, Precision::tf32, Precision::bf16, Precision::fp16,
                                             Precision::fp8};
  return all;
}

std::optional<std::string> unsupported_reason(Precision p, int cc_major, int cc_minor) {
  const int cc = cc_major * 10 + cc_minor;
  switch (p) {
    case Precision::fp64:
    case Precision::fp16: return std::nullopt;
    case Precision::tf32:
    case Precision::bf16:
      if (cc < 80)
        return std::string(to_string(p)) + " tensor-core GEMM needs compute capability 8.0 (Ampere) or later; this device is " +
               std::to_string(cc_major) + "." + std::to_string(cc_minor);
      return std::nullopt;
    case Precision::fp8:
      if (cc < 89)
        return "fp8 (E4M3) GEMM in cuBLASLt needs compute capability 8.9 (Ada) or later; this device is " +
               std::to_string(cc_major) + "." + std::to_string(cc_minor);
      return std::nullopt;
  }
  return std::nullopt;
}

std::size_t input_element_bytes(Precision p) {
  switch (p) {
    case Precision::fp64: return 8;
    case Precision::tf32: return 4;
    case Precision::bf16:
    case Precision::fp16: return 2;
    case Precision::fp8: return 1;
  }
  return 8;
}

std::size_t output_element_bytes(Precision p) {
  switch (p) {
    case Precision::fp64: return 8;
    case Precision::tf32: return 4;
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8: return 2;
  }
  return 8;
}

double reference_tolerance(Precision p, bool fp8_fast_accum) {
  // Expected relative RMS errors with inputs uniform in [-1, 1) and k in the thousands: FP64 ~1e-16; TF32 rounds
  // each input to 10 mantissa bits (u = 2^-11, ~4e-4); BF16 output rounding (u = 2^-9, ~1e-3); FP16 output
  // (u = 2^-11, ~3e-4); FP8 inputs are exact, its BF16 output ~1e-3 — and with Hopper's fast accumulation
  // (no periodic promotion to FP32) the accumulator's ~14 bits add up to a few 1e-2 (DeepSeek-V3 report §3.3).
  switch (p) {
    case Precision::fp64: return 1e-12;
    case Precision::tf32: return 5e-3;
    case Precision::bf16: return 1e-2;
    case Precision::fp16: return 5e-3;
    case Precision::fp8: return fp8_fast_accum ? 1e-1 : 2e-2;
  }
  return 1e-12;
}

// ---- work counts -----------------------------------------------------------------------------------------

double gemm_flop(std::int64_t m, std::int64_t n, std::int64_t k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

double gemm_bytes(Precision p, std::int64_t m, std::int64_t n, std::int64_t k) {
  const double in = static_cast<double>(input_element_bytes(p)), out = static_cast<double>(output_element_bytes(p));
  return in * (static_cast<double>(m) * static_cast<double>(k) + static_cast<double>(k) * static_cast<double>(n)) +
         out * static_cast<double>(m) * static_cast<double>(n);
}

double device_copy_bytes(std::size_t bytes) { return 2.0 * static_cast<double>(bytes); }

double host_transfer_bytes(std::size_t bytes) { return static_cast<double>(bytes); }

// ---- statistics ------------------------------------------------------------------------------------------

Stats statistics(const std::vector<double>& samples) {
  if (samples.empty()) throw std::invalid_argument("statistics of no samples");
  std::vector<double> v = samples;
  std::sort(v.begin(), v.end());
  Stats s;
  s.n = v.size();
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  if (v.size() >= 2 && s.mean != 0) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.cv = std::sqrt(ss / static_cast<double>(v.size() - 1)) / std::fabs(s.mean);
  }
  return s;
}

std::vector<double> rates(double work, const std::vector<double>& seconds) {
  std::vector<double> out;
  out.reserve(seconds.size());
  for (double s : seconds) {
    if (!(s > 0)) throw std::invalid_argument("a timed repetition took no time (" + format_g(s) + " s)");
    out.push_back(work / s);
  }
  return out;
}

std::vector<double> sum_per_repetition(const std::vector<std::vector<double>>& per_device) {
  if (per_device.empty()) throw std::invalid_argument("no devices to sum over");
  std::vector<double> out(per_device.front().size(), 0.0);
  for (const auto& d : per_device) {
    if (d.size() != out.size())
      throw std::invalid_argument("devices ran different repetition counts (" + std::to_string(d.size()) + " and " +
                                  std::to_string(out.size()) + ")");
    for (std::size_t i = 0; i < d.size(); ++i) out[i] += d[i];
  }
  return out;
}

std::optional<double> fraction_of_peak(double achieved, std::optional<double> peak_per_device, std::size_t devices) {
  if (!peak_per_device || !(*peak_per_device > 0) || devices == 0) return std::nullopt;
  return achieved / (*peak_per_device * static_cast<double>(devices));
}

// ---- the reference check ---------------------------------------------------------------------------------

std::vector<std::pair<std::int64_t, std::int64_t>> sample_positions(std::int64_t m, std::int64_t n, std::size_t count,
                                                                    std::uint64_t seed) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (m <= 0 || n <= 0 || count == 0) return out;
  const auto cells = static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(n);
  count = static_cast<std::size_t>(std::min<std::uint64_t>(count, cells));
  out.emplace_back(0, 0);
  if (count >= 2 && cells >= 2) out.emplace_back(m - 1, n - 1);
  std::uint64_t state = seed;
  while (out.size() < count) {
    const auto r = static_cast<std::int64_t>(splitmix64(state) % static_cast<std::uint64_t>(m));
    const auto c = static_cast<std::int64_t>(splitmix64(state) % static_cast<std::uint64_t>(n));
    out.emplace_back(r, c);
  }
  return out;
}

ReferenceCheck check_against_reference(const std::vector<double>& got, const std::vector<double>& ref, double tolerance) {
  if (got.size() != ref.size() || got.empty())
    throw std::invalid_argument("reference check: " + std::to_string(got.size()) + " computed entries against " +
                                std::to_string(ref.size()) + " reference entries");
  ReferenceCheck c;
  c.samples = got.size();
  c.tolerance = tolerance;
  double err2 = 0, ref2 = 0;
  bool finite = true;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i]) || !std::isfinite(ref[i])) {
      finite = false;
      continue;
    }
    const double d = got[i] - ref[i];
    err2 += d * d;
    ref2 += ref[i] * ref[i];
    c.max_abs_error = std::max(c.max_abs_error, std::fabs(d));
  }
  const std::string what = std::to_string(c.samples) + " sampled entries against an FP64 reference: ";
  if (!finite) {
    c.rel_rms_error = std::numeric_limits<double>::infinity();
    c.detail = what + "some are not finite";
    return c;
  }
  if (!(ref2 > 0)) {
    c.rel_rms_error = std::numeric_limits<double>::infinity();
    c.detail = what + "the reference is all zero (the inputs were not filled)";
    return c;
  }
  c.rel_rms_error = std::sqrt(err2 / ref2);
  c.passed = c.rel_rms_error <= tolerance;
  c.detail = what + "relative RMS error " + format_g(c.rel_rms_error) + (c.passed ? " ≤ " : " > ") + format_g(tolerance) +
             " (max abs error " + format_g(c.max_abs_error) + ")";
  return c;
}

// ---- the catalog -----------------------------------------------------------------------------------------

const CatalogEntry* find_catalog_entry(std::string_view device_name) {
  const std::string want = lower(trim(device_name));
  if (want.empty()) return nullptr;
  for (const auto& e : catalog()) {
    if (lower(e.id) == want || lower(e.name) == want) return &e;
    for (const auto& a : e.aliases)
      if (lower(a) == want) return &e;
  }
  return nullptr;
}

const CatalogEntry* find_catalog_id(std::string_view id) {
  for (const auto& e : catalog())
    if (e.id == id) return &e;
  return nullptr;
}

// ---- the command line ------------------------------------------------------------------------------------

std::optional<std::size_t> parse_bytes(std::string_view s) {
  const auto num = leading_number(s);
  if (!num || num->first < 0) return std::nullopt;
  static const std::pair<std::string_view, double> units[] = {
      {"", 1},          {"b", 1},       {"kib", 1024.0},   {"mib", 1048576.0}, {"gib", 1073741824.0},
      {"kb", 1e3},      {"mb", 1e6},    {"gb", 1e9},       {"k", 1024.0},      {"m", 1048576.0},
      {"g", 1073741824.0}};
  const std::string unit = lower(num->second);
  for (const auto& [u, f] : units) {
    if (unit != u) continue;
    const double b = num->first * f;
    if (b > 1e15 || b != std::floor(b)) return std::nullopt;
    return static_cast<std::size_t>(b);
  }
  return std::nullopt;
}

std::optional<double> parse_rate(std::string_view s) {
  const auto num = leading_number(s);
  if (!num || !(num->first > 0)) return std::nullopt;
  std::string unit = lower(num->second);
  // "TFLOPS", "TFLOP/s", "T": the prefix decides, "flops"/"flop/s" is optional.
  for (std::string_view tail : {"flop/s", "flops"})
    if (unit.size() >= tail.size() && unit.compare(unit.size() - tail.size(), tail.size(), tail) == 0) {
      unit.resize(unit.size() - tail.size());
      break;
    }
  static const std::pair<std::string_view, double> prefixes[] = {{"", 1}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9},
                                                                   {"t", 1e12}, {"p", 1e15}, {"e", 1e18}};
  for (const auto& [p, f] : prefixes)
    if (unit == p) return num->first * f;
  return std::nullopt;
}

std::string usage() {
  return R"(aicq-gpu-probe: GEMM (cuBLASLt) and memory bandwidth on every visible NVIDIA GPU, as aicq evidence JSON

usage: aicq-gpu-probe [options]

Runs on every device CUDA shows (set CUDA_VISIBLE_DEVICES to choose), one host thread per device, all devices
together phase by phase: GEMM at each precision the device supports, a device-to-device copy, pinned host-to-device
and device-to-host transfers. Timed with CUDA events after warm-ups, on random inputs; every GEMM is checked against
an FP64 reference on sampled entries. Writes an evidence document (aicq-evidence/1) that a declaration's `evidence`
list can reference; prints a table on standard error.

options:
  --size N              GEMM m = n = k = N (default 8192)
  --mnk M,N,K           GEMM sizes separately
  --precisions LIST     comma-separated of fp64,tf32,bf16,fp16,fp8, "all" (default) or "none"
  --warmups N           untimed runs before timing (default 5)
  --reps N              timed repetitions (default 20)
  --copy-bytes SIZE     device-to-device copy size, e.g. 1GiB (default); 0 = not measured
  --host-bytes SIZE     pinned host<->device transfer size, e.g. 512MiB (default); 0 = not measured
  --check-samples N     result entries checked against the FP64 reference (default 256)
  --seed N              seed of the random inputs (default 1)
  --fp8-fast-accum      FP8 with cuBLASLt's fast accumulation (no promotion to FP32; looser check)
  --peak PREC=RATE      peak per device to compare against, e.g. bf16=989.5T (repeatable; overrides the catalog)
  --peak-source TEXT    where the --peak figures come from (recorded in the evidence)
  --catalog ID          compare against this entry of data/hardware/accelerators.yaml instead of the one
                        matching the device name
  -o, --output FILE     write the evidence JSON here (atomically) instead of standard output
  --version             print the version
  -h, --help            this text

exit: 0 measured; 1 failure while working (no CUDA device or driver, a CUDA error); 2 bad option;
      3 measured, but a result failed its reference check (the evidence marks it invalid)
)";
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  auto value = [&](std::size_t& i, const std::string& name) -> std::string {
    if (i + 1 >= args.size()) throw UsageError(name + ": expected a value");
    return args[++i];
  };
  auto integer = [&](const std::string& name, const std::string& v, std::int64_t lo, std::int64_t hi) {
    std::int64_t x = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || ptr != v.data() + v.size() || x < lo || x > hi)
      throw UsageError(name + ": expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       ", found '" + v + "'");
    return x;
  };
  auto size = [&](const std::string& name, const std::string& v) {
    const auto b = parse_bytes(v);
    if (!b) throw UsageError(name + ": expected a size such as 1GiB, 512MiB or 1073741824, found '" + v + "'");
    return *b;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else if (a == "--size") {
      o.m = o.n = o.k = integer(a, value(i, a), 1, 1 << 20);
    } else if (a == "--mnk") {
      const std::string v = value(i, a);
      std::vector<std::int64_t> xs;
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t comma = std::min(v.find(',', start), v.size());
        xs.push_back(integer(a, v.substr(start, comma - start), 1, 1 << 20));
        start = comma + 1;
      }
      if (xs.size() != 3) throw UsageError("--mnk: expected M,N,K, found '" + v + "'");
      o.m = xs[0];
      o.n = xs[1];
      o.k = xs[2];
    } else if (a == "--precisions") {
      const std::string v = value(i, a);
      o.precisions.clear();
      if (v == "all") {
        o.precisions = all_precisions();
      } else if (v != "none") {
        std::size_t start = 0;
        while (start <= v.size()) {
          const std::size_t comma = std::min(v.find(',', start), v.size());
          const std::string name = v.substr(start, comma - start);
          const auto p = precision_from(name);
          if (!p) throw UsageError("--precisions: expected fp64, tf32, bf16, fp16, fp8, all or none, found '" + name + "'");
          if (std::find(o.precisions.begin(), o.precisions.end(), *p) == o.precisions.end()) o.precisions.push_back(*p);
          start = comma + 1;
        }
      }
    } else if (a == "--warmups") {
      o.warmups = static_cast<int>(integer(a, value(i, a), 0, 1000));
    } else if (a == "--reps") {
      o.reps = static_cast<int>(integer(a, value(i, a), 1, 100000));
    } else if (a == "--copy-bytes") {
      o.copy_bytes = size(a, value(i, a));
    } else if (a == "--host-bytes") {
      o.host_bytes = size(a, value(i, a));
    } else if (a == "--check-samples") {
      o.check_samples = static_cast<std::size_t>(integer(a, value(i, a), 1, 65536));
    } else if (a == "--seed") {
      o.seed = static_cast<std::uint64_t>(integer(a, value(i, a), 0, std::numeric_limits<std::int64_t>::max()));
    } else if (a == "--fp8-fast-accum") {
      o.fp8_fast_accum = true;
    } else if (a == "--peak") {
      const std::string v = value(i, a);
      const auto eq = v.find('=');
      const auto p = eq == std::string::npos ? std::nullopt : precision_from(v.substr(0, eq));
      const auto r = eq == std::string::npos ? std::nullopt : parse_rate(v.substr(eq + 1));
      if (!p || !r) throw UsageError("--peak: expected PRECISION=RATE such as bf16=989.5T, found '" + v + "'");
      o.peaks[std::string(to_string(*p))] = *r;
    } else if (a == "--peak-source") {
      o.peak_source = value(i, a);
    } else if (a == "--catalog") {
      o.catalog_id = value(i, a);
      if (!find_catalog_id(o.catalog_id)) {
        std::string known;
        for (const auto& e : catalog()) known += (known.empty() ? "" : ", ") + e.id;
        throw UsageError("--catalog: no entry '" + o.catalog_id + "' in the catalog built in (" +
                         (known.empty() ? std::string("none: the YAML was not found at configure time") : known) + ")");
      }
    } else if (a == "-o" || a == "--output") {
      o.output = value(i, a);
    } else {
      throw UsageError("unknown option '" + a + "' (see --help)");
    }
  }
  return o;
}

PeakChoice peak_for(Precision p, std::string_view device_name, const Options& o) {
  PeakChoice c;
  const std::string prec(to_string(p));
  if (const auto it = o.peaks.find(prec); it != o.peaks.end()) {
    c.flops = it->second;
    c.method = "given on the command line (--peak)";
    c.catalog_id = o.catalog_id;
    c.reference = o.peak_source;
    return c;
  }
  const CatalogEntry* e = o.catalog_id.empty() ? find_catalog_entry(device_name) : find_catalog_id(o.catalog_id);
  if (!e) {
    c.missing = "no entry of the hardware catalog matches '" + std::string(device_name) + "' (use --catalog or --peak)";
    return c;
  }
  c.catalog_id = e->id;
  const auto it = e->peak_flops.find(prec);
  if (it == e->peak_flops.end()) {
    c.missing = "the catalog entry " + e->id + " lists no " + prec + " peak";
    return c;
  }
  c.flops = it->second;
  c.method = "hardware catalog (data/hardware/accelerators.yaml, read when aicq-gpu-probe was built)";
  c.reference = o.peak_source;
  return c;
}

std::optional<double> memory_bandwidth_for(std::string_view device_name, const Options& o) {
  const CatalogEntry* e = o.catalog_id.empty() ? find_catalog_entry(device_name) : find_catalog_id(o.catalog_id);
  return e ? e->memory_bandwidth : std::nullopt;
}

}  // namespace aicq::gpu

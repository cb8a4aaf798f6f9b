// memory.stream — STREAM copy/scale/add/triad with OpenMP (see stream.hpp for the counting and the rule).
#include "aicq/probe/stream.hpp"

#include <sys/mman.h>

#include <omp.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"

namespace aicq::probe {
namespace stream {

std::string to_string(Kernel k) {
  switch (k) {
    case Kernel::copy: return "copy";
    case Kernel::scale: return "scale";
    case Kernel::add: return "add";
    case Kernel::triad: return "triad";
  }
  return "triad";
}

double bytes(Kernel k, std::size_t n) {
  const double arrays = (k == Kernel::copy || k == Kernel::scale) ? 2.0 : 3.0;
  return arrays * static_cast<double>(sizeof(double)) * static_cast<double>(n);
}

std::size_t rule_elements(double llc_bytes) {
  constexpr std::size_t kMinimum = 1'000'000;  // STREAM's floor, whatever the cache
  if (!(llc_bytes > 0)) return kMinimum;
  const auto by_cache = static_cast<std::size_t>(std::ceil(4.0 * llc_bytes / static_cast<double>(sizeof(double))));
  return std::max(by_cache, kMinimum);
}

namespace {

std::string read_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

// sysfs sizes read "32768K", "1M", or a bare number of bytes.
std::optional<double> parse_cache_size(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v <= 0) return std::nullopt;
  double mult = 1;
  if (*end == 'K') mult = 1024;
  else if (*end == 'M') mult = 1024.0 * 1024;
  else if (*end == 'G') mult = 1024.0 * 1024 * 1024;
  return v * mult;
}

}  // namespace

std::optional<double> llc_bytes_from_sysfs(const std::string& cpu_root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(cpu_root, ec)) return std::nullopt;
  struct Cache {
    int level;
    std::string shared;
    double size;
  };
  std::vector<Cache> caches;
  for (const auto& cpu : fs::directory_iterator(cpu_root, ec)) {
    const std::string name = cpu.path().filename().string();
    if (name.size() < 4 || name.rfind("cpu", 0) != 0 || name.find_first_not_of("0123456789", 3) != std::string::npos) continue;
    if (fs::exists(cpu.path() / "online", ec) && read_line(cpu.path() / "online") == "0") continue;
    for (const auto& idx : fs::directory_iterator(cpu.path() / "cache", ec)) {
      if (idx.path().filename().string().rfind("index", 0) != 0) continue;
      if (read_line(idx.path() / "type") == "Instruction") continue;
      const auto size = parse_cache_size(read_line(idx.path() / "size"));
      const std::string level = read_line(idx.path() / "level");
      if (!size || level.empty()) continue;
      // A cache private to one CPU lists only that CPU; fall back to the CPU's name so it counts once.
      std::string shared = read_line(idx.path() / "shared_cpu_list");
      if (shared.empty()) shared = name;
      caches.push_back({std::atoi(level.c_str()), shared, *size});
    }
  }
  if (caches.empty()) return std::nullopt;
  int top = 0;
  for (const auto& c : caches) top = std::max(top, c.level);
  std::set<std::string> seen;
  double sum = 0;
  for (const auto& c : caches)
    if (c.level == top && seen.insert(c.shared).second) sum += c.size;
  return sum;
}

Arrays::Arrays(std::size_t n, int threads) : n_(n), threads_(std::max(threads, 1)) {
  if (n == 0) throw core::WorkError("memory.stream: arrays of 0 elements");
  // 2 MiB-aligned arrays advised for transparent huge pages, as compute::Buffer does for GEMM: with 4 KiB pages
  // the triad ran 1.07–1.92× slower on this VM type in alternating runs (TLB misses; bench/, docs/performance.md).
  // aligned_alloc does not touch the pages: the parallel loop below is each page's first touch.
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const std::size_t bytes_each = (n * sizeof(double) + kHuge - 1) / kHuge * kHuge;
  a_ = static_cast<double*>(std::aligned_alloc(kHuge, bytes_each));
  b_ = static_cast<double*>(std::aligned_alloc(kHuge, bytes_each));
  c_ = static_cast<double*>(std::aligned_alloc(kHuge, bytes_each));
  for (double* p : {a_, b_, c_})
    if (p && ::madvise(p, bytes_each, MADV_HUGEPAGE) == 0) huge_pages_ = true;
  if (!a_ || !b_ || !c_) {
    std::free(a_);
    std::free(b_);
    std::free(c_);
    throw core::WorkError(fmt::format("memory.stream: aligned_alloc of 3 × {} B failed", bytes_each));
  }
  double* const a = a_;
  double* const b = b_;
  double* const c = c_;
  const std::size_t len = n_;
  int team = 0;
#pragma omp parallel num_threads(threads_)
  {
#pragma omp single
    team = omp_get_num_threads();
#pragma omp for schedule(static)
    for (std::size_t j = 0; j < len; ++j) {
      a[j] = 1.0;
      b[j] = 2.0;
      c[j] = 0.0;
    }
  }
  team_ = team;
  // STREAM doubles a once before the timed loop (its timer-granularity test); kept so the recurrence matches.
#pragma omp parallel for num_threads(threads_) schedule(static)
  for (std::size_t j = 0; j < len; ++j) a[j] = 2.0 * a[j];
}

Arrays::~Arrays() {
  std::free(a_);
  std::free(b_);
  std::free(c_);
}

void Arrays::run(Kernel k) {
  double* __restrict const a = a_;
  double* __restrict const b = b_;
  double* __restrict const c = c_;
  const std::size_t len = n_;
  const double q = kScalar;
  switch (k) {
    case Kernel::copy:
#pragma omp parallel for num_threads(threads_) schedule(static)
      for (std::size_t j = 0; j < len; ++j) c[j] = a[j];
      ec_ = ea_;
      break;
    case Kernel::scale:
#pragma omp parallel for num_threads(threads_) schedule(static)
      for (std::size_t j = 0; j < len; ++j) b[j] = q * c[j];
      eb_ = q * ec_;
      break;
    case Kernel::add:
#pragma omp parallel for num_threads(threads_) schedule(static)
      for (std::size_t j = 0; j < len; ++j) c[j] = a[j] + b[j];
      ec_ = ea_ + eb_;
      break;
    case Kernel::triad:
#pragma omp parallel for num_threads(threads_) schedule(static)
      for (std::size_t j = 0; j < len; ++j) a[j] = b[j] + q * c[j];
      ea_ = eb_ + q * ec_;
      break;
  }
}

Check Arrays::validate() const {
  constexpr double kEpsilon = 1e-13;  // STREAM's bound for 8-byte reals
  const double* const a = a_;
  const double* const b = b_;
  const double* const c = c_;
  const std::size_t len = n_;
  const double ea = ea_, eb = eb_, ec = ec_;
  double sa = 0, sb = 0, sc = 0;
#pragma omp parallel for num_threads(threads_) schedule(static) reduction(+ : sa, sb, sc)
  for (std::size_t j = 0; j < len; ++j) {
    sa += std::abs(a[j] - ea);
    sb += std::abs(b[j] - eb);
    sc += std::abs(c[j] - ec);
  }
  const double nd = static_cast<double>(len);
  // Relative to the expected value, as STREAM does; absolute where the expected value is 0.
  auto rel = [&](double sum, double expected) {
    const double avg = sum / nd;
    return expected != 0 ? std::abs(avg / expected) : avg;
  };
  auto count_bad = [&](const double* x, double expected) {
    std::size_t bad = 0;
    for (std::size_t j = 0; j < len; ++j) {
      const double err = expected != 0 ? std::abs(x[j] / expected - 1.0) : std::abs(x[j]);
      if (!(err <= kEpsilon)) ++bad;
    }
    return bad;
  };
  Check ch;
  ch.id = "validation";
  std::vector<std::string> failed;
  const struct {
    const char* name;
    const double* x;
    double sum, expected;
  } arrays[] = {{"a", a, sa, ea}, {"b", b, sb, eb}, {"c", c, sc, ec}};
  for (const auto& arr : arrays) {
    const double r = rel(arr.sum, arr.expected);
    if (!(r <= kEpsilon))
      failed.push_back(fmt::format("{}: mean relative error {:.3g} > {:g}, {} of {} elements differ from {:g}", arr.name, r,
                                   kEpsilon, count_bad(arr.x, arr.expected), len, arr.expected));
  }
  ch.passed = failed.empty();
  if (ch.passed) {
    ch.detail = fmt::format("all {} elements of a, b, c equal the expected {:g}, {:g}, {:g} (mean relative error ≤ {:g})", len,
                            ea, eb, ec, kEpsilon);
  } else {
    ch.detail = "STREAM validation failed: ";
    for (std::size_t i = 0; i < failed.size(); ++i) ch.detail += (i ? "; " : "") + failed[i];
  }
  return ch;
}

}  // namespace stream

namespace {

constexpr const char* kId = "memory.stream";

ProbeResult run_stream(const Context& ctx) {
  using namespace stream;
  const auto start = std::chrono::steady_clock::now();
  ProbeResult r;
  r.id = kId;
  r.started = util::iso_now();
  r.requested = {{"threads", ctx.threads}, {"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny}, {"budget_s", ctx.budget_s}};
  if (ctx.llc_bytes) r.requested["llc_bytes"] = *ctx.llc_bytes;

  // Size: STREAM's rule over the last-level cache, from the context or else from sysfs.
  std::optional<double> llc = ctx.llc_bytes;
  std::string llc_source = "context (hardware discovery)";
  if (!llc) {
    llc = llc_bytes_from_sysfs();
    llc_source = llc ? "sysfs /sys/devices/system/cpu/cpu*/cache" : "unknown";
  }
  std::size_t n = 0;
  std::string rule_met = "yes";
  std::string rule_note;
  if (ctx.tiny) {
    n = std::size_t{1} << 16;  // 512 KiB per array: tests only, fits in cache
    rule_met = "no";
    rule_note = "tiny sizes for tests: arrays fit in cache, figures are not memory bandwidth";
  } else if (llc) {
    n = rule_elements(*llc);
  } else {
    // Unknown cache: 32 Mi elements (256 MiB per array) meets the rule for last-level caches up to 64 MiB.
    n = std::size_t{32} << 20;
    rule_met = "unknown";
    rule_note = "last-level cache size unknown: arrays sized for caches up to 64 MiB";
  }
  // Never take more than 60% of the available memory (other work shares the machine).
  if (const auto avail = util::mem_available_bytes(); avail && !ctx.tiny) {
    const double limit = 0.6 * *avail;
    if (3.0 * 8.0 * static_cast<double>(n) > limit) {
      n = static_cast<std::size_t>(limit / 24.0);
      rule_met = "no";
      rule_note = fmt::format("arrays shrunk to fit 60% of the {:.0f} MiB of available memory", *avail / 1048576.0);
    }
  }
  const int threads = std::max(ctx.threads, 1);

  const auto init_start = std::chrono::steady_clock::now();
  Arrays arr(n, threads);
  const double init_s = util::since(init_start);

  // Calibrate on one triad pass (it also warms the code path) and fit the repetitions in the budget.
  const int warmups = 1;
  int reps = 2;
  {
    const auto t0 = std::chrono::steady_clock::now();
    arr.run(Kernel::triad);
    const double triad_s = util::since(t0);
    // One round of the four kernels moves (2 + 2 + 3 + 3) ÷ 3 triads' worth of bytes.
    const double round_s = triad_s * 10.0 / 3.0;
    const int max_reps = ctx.tiny ? 2 : ctx.suite == Suite::quick ? 10 : ctx.suite == Suite::standard ? 30 : 100;
    const double remaining = ctx.budget_s - util::since(start) - warmups * round_s;
    reps = ctx.tiny ? 2 : util::reps_within(remaining, round_s, 3, max_reps);
  }

  for (const Kernel k : {Kernel::copy, Kernel::scale, Kernel::add, Kernel::triad}) {
    const double work = bytes(k, n);
    const auto durations =
        time_repetitions(ctx, kId, fmt::format("{} n={}", to_string(k), n), warmups, reps, [&] { arr.run(k); });
    Measurement m;
    m.id = to_string(k);
    m.unit = "B/s";
    m.samples = rates(work, durations);
    m.stats = statistics(m.samples);
    m.work = work;
    m.work_unit = "B";
    const bool two = k == Kernel::copy || k == Kernel::scale;
    m.details = {{"array_elements", n},
                 {"array_bytes", 8.0 * static_cast<double>(n)},
                 {"bytes_counted", two ? "STREAM: 2 arrays × 8 B × N" : "STREAM: 3 arrays × 8 B × N"},
                 {"kernel", k == Kernel::copy    ? "c = a"
                            : k == Kernel::scale ? "b = q·c"
                            : k == Kernel::add   ? "c = a + b"
                                                 : "a = b + q·c"},
                 {"threads", arr.threads()},
                 {"best_B_per_s", m.stats.max}};
    r.measurements.push_back(std::move(m));
  }

  r.checks.push_back(arr.validate());
  if (!r.checks.back().passed) {
    r.status = Status::invalid;
    r.reason = r.checks.back().detail;
  }
  r.effective = {{"threads", arr.threads()},
                 {"huge_pages_advised", arr.huge_pages_advised()},
                 {"array_elements", n},
                 {"array_bytes", 8.0 * static_cast<double>(n)},
                 {"total_bytes", 24.0 * static_cast<double>(n)},
                 {"llc_source", llc_source},
                 {"rule", "each array ≥ 4 × last-level cache and ≥ 1e6 elements"},
                 {"rule_met", rule_met},
                 {"warmups", warmups},
                 {"repetitions", reps},
                 {"schedule", "static"},
                 {"initialisation", "parallel first touch, same schedule"},
                 {"init_s", init_s},
                 {"scalar", kScalar}};
  if (llc) r.effective["llc_bytes"] = *llc;
  if (!rule_note.empty()) r.effective["rule_note"] = rule_note;
  r.duration_s = util::since(start);
  return r;
}

}  // namespace

Probe stream_probe() {
  Probe p;
  p.id = kId;
  p.title = "STREAM memory bandwidth (copy, scale, add, triad; OpenMP)";
  p.measures = "sustainable memory bandwidth per kernel, B/s (STREAM byte counting)";
  p.precisions = "—";
  p.feeds = "report: memory bandwidth; gap diagnosis";
  p.typical_s = {{Suite::quick, 4}, {Suite::standard, 8}, {Suite::full, 25}};
  p.run = run_stream;
  return p;
}

}  // namespace aicq::probe

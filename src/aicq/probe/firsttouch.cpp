// memory.first_touch — page-fault cost (see firsttouch.hpp).
#include "aicq/probe/firsttouch.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/probe_util.hpp"

namespace aicq::probe {
namespace firsttouch {

namespace {

std::size_t page_size() {
  const long p = ::sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<std::size_t>(p) : 4096;
}

// One write per page through a volatile pointer: the compiler may not drop or merge them.
void touch(unsigned char* p, std::size_t bytes, std::size_t step, unsigned char value) {
  volatile unsigned char* v = p;
  for (std::size_t i = 0; i < bytes; i += step) v[i] = value;
}

}  // namespace

std::string thp_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) return "";
  const auto a = line.find('['), b = line.find(']');
  return a != std::string::npos && b != std::string::npos && b > a ? line.substr(a + 1, b - a - 1) : "";
}

PageTimes touch_pages(std::size_t bytes, bool huge) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const std::size_t ps = page_size();
  bytes = (bytes + ps - 1) / ps * ps;
  const std::size_t map_bytes = huge ? bytes + kHuge : bytes;
  void* m = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw core::WorkError(fmt::format("memory.first_touch: mmap({} B): {} (errno {})", map_bytes, std::strerror(errno), errno));
  auto* base = static_cast<unsigned char*>(m);
  unsigned char* p = base;
  if (huge) {
    const auto addr = reinterpret_cast<std::uintptr_t>(base);
    p = base + ((kHuge - addr % kHuge) % kHuge);
  }
  // Advice only steers THP; a kernel without THP refuses it harmlessly, and the figure is then base pages.
  ::madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  PageTimes t;
  t.pages = bytes / ps;
  t.page_bytes = ps;
  const auto t0 = std::chrono::steady_clock::now();
  touch(p, bytes, ps, 1);
  const auto t1 = std::chrono::steady_clock::now();
  touch(p, bytes, ps, 2);
  const auto t2 = std::chrono::steady_clock::now();
  ::munmap(base, map_bytes);
  t.first_s = std::chrono::duration<double>(t1 - t0).count();
  t.retouch_s = std::chrono::duration<double>(t2 - t1).count();
  return t;
}

}  // namespace firsttouch

namespace {

constexpr const char* kId = "memory.first_touch";
// Above glibc's largest dynamic mmap threshold (32 MiB on 64-bit): with default settings every malloc of this
// size is a fresh mmap, every free a munmap.
constexpr std::size_t kChurnBytes = std::size_t{64} << 20;

std::string env_or(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Measurement per_page(std::string id, const std::vector<double>& samples, nlohmann::json details) {
  Measurement m;
  m.id = std::move(id);
  m.unit = "s";
  m.higher_is_better = false;
  m.samples = samples;
  m.stats = statistics(samples);
  m.details = std::move(details);
  return m;
}

ProbeResult run_first_touch(const Context& ctx) {
  using namespace firsttouch;
  const auto start = std::chrono::steady_clock::now();
  ProbeResult r;
  r.id = kId;
  r.started = util::iso_now();
  r.requested = {{"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny}, {"budget_s", ctx.budget_s}};
  const std::size_t bytes = ctx.tiny ? (std::size_t{4} << 20) : ctx.suite == Suite::full ? (std::size_t{256} << 20) : (std::size_t{64} << 20);
  const int max_reps = ctx.tiny ? 2 : ctx.suite == Suite::quick ? 3 : ctx.suite == Suite::standard ? 5 : 10;
  const std::string thp = thp_mode();
  const bool try_thp = !thp.empty() && thp != "never";

  try {
    // Fresh pages against re-touched pages; the warm-up pass calibrates the repetitions to the budget.
    std::vector<double> first, again, huge;
    const PageTimes w = touch_pages(bytes);
    std::size_t pages = w.pages, page_bytes = w.page_bytes;
    const int reps = ctx.tiny ? 2 : util::reps_within(0.4 * ctx.budget_s, w.first_s + w.retouch_s, 2, max_reps);
    time_repetitions(ctx, kId, fmt::format("first touch {} MiB", bytes >> 20), 0, reps, [&] {
      const PageTimes t = touch_pages(bytes);
      pages = t.pages;
      page_bytes = t.page_bytes;
      first.push_back(t.first_per_page_s());
      again.push_back(t.retouch_per_page_s());
    });
    if (try_thp)
      time_repetitions(ctx, kId, fmt::format("first touch {} MiB, MADV_HUGEPAGE", bytes >> 20), 1, reps,
                       [&] { huge.push_back(touch_pages(bytes, true).first_per_page_s()); });

    // Allocate, fill, free: what allocation-heavy code pays per round with this allocator setting. memset is
    // called through a volatile pointer: a fill just before free is otherwise a dead store the compiler drops.
    static void* (*volatile fill)(void*, int, std::size_t) = std::memset;
    const int rounds = ctx.tiny ? 1 : 2;
    auto churn = [&] {
      for (int i = 0; i < rounds; ++i) {
        auto* p = static_cast<unsigned char*>(std::malloc(kChurnBytes));
        if (!p) throw core::WorkError(fmt::format("memory.first_touch: malloc({} B) failed", kChurnBytes));
        fill(p, i + 1, kChurnBytes);
        std::free(p);
      }
    };
    // Calibration: the faults dominate a round where they are costly; a fill at ~5 GB/s bounds it otherwise.
    const double churn_once =
        (w.first_per_page_s() * static_cast<double>(kChurnBytes / std::max<std::size_t>(page_bytes, 1)) +
         static_cast<double>(kChurnBytes) / 5e9) * rounds;
    const int churn_reps = ctx.tiny ? 2 : util::reps_within(0.4 * ctx.budget_s, churn_once, 2, max_reps);
    const auto cd = time_repetitions(ctx, kId, fmt::format("malloc/fill/free {} MiB × {}", kChurnBytes >> 20, rounds), 1,
                                     churn_reps, churn);

    const nlohmann::json base = {{"page_bytes", page_bytes}, {"pages", pages}, {"mapping_bytes", bytes}};
    Measurement m1 = per_page("first_touch", first, base);
    m1.details["what"] = "seconds per page: first write into fresh anonymous memory (fault, allocate, zero), MADV_NOHUGEPAGE";
    m1.details["bare_metal_s"] = "about 1e-7 to 3e-7 per 4 KiB page";
    Measurement m2 = per_page("retouch", again, base);
    m2.details["what"] = "seconds per page: the same writes again, pages present";
    r.measurements.push_back(std::move(m1));
    r.measurements.push_back(std::move(m2));
    if (!huge.empty()) {
      Measurement m3 = per_page("first_touch_thp", huge, base);
      m3.details["what"] = "seconds per base page when the mapping is advised MADV_HUGEPAGE (one fault per 2 MiB)";
      r.measurements.push_back(std::move(m3));
    }
    Measurement mc;
    mc.id = "alloc_fill_free";
    mc.unit = "B/s";
    mc.work = static_cast<double>(kChurnBytes) * rounds;
    mc.work_unit = "B";
    mc.samples = rates(*mc.work, cd);
    mc.stats = statistics(mc.samples);
    mc.details = {{"what", "bytes allocated with malloc, filled (memset) and freed, per second"},
                  {"buffer_bytes", kChurnBytes},
                  {"rounds", rounds},
                  {"allocator_env",
                   {{"MALLOC_MMAP_MAX_", env_or("MALLOC_MMAP_MAX_")},
                    {"MALLOC_TRIM_THRESHOLD_", env_or("MALLOC_TRIM_THRESHOLD_")},
                    {"GLIBC_TUNABLES", env_or("GLIBC_TUNABLES")}}}};
    r.measurements.push_back(std::move(mc));
    r.effective = {{"mapping_bytes", bytes},      {"page_bytes", page_bytes},        {"repetitions", reps},
                   {"churn_repetitions", churn_reps}, {"churn_buffer_bytes", kChurnBytes}, {"thp_mode", thp.empty() ? "unknown" : thp},
                   {"thp_measured", !huge.empty()}};
  } catch (const core::WorkError& e) {
    r.status = Status::failed;
    r.reason = e.what();
    r.measurements.clear();
  }
  r.duration_s = util::since(start);
  return r;
}

}  // namespace

Probe first_touch_probe() {
  Probe p;
  p.id = kId;
  p.title = "Page-fault cost: first touch of fresh pages vs re-touch; malloc/fill/free rounds";
  p.measures = "seconds per first-touched page (4 KiB, and with THP), B/s of allocate-fill-free rounds";
  p.precisions = "—";
  p.feeds = "gap diagnosis (costly page faults)";
  p.typical_s = {{Suite::quick, 3}, {Suite::standard, 5}, {Suite::full, 15}};
  p.run = run_first_touch;
  return p;
}

}  // namespace aicq::probe

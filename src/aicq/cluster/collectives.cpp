// The plain parts of the collective probes (see collectives.hpp): plans, nccl-tests' formulas, the allocator.
#include "aicq/cluster/collectives.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace aicq::cluster {

CollectivePlan plan_for(probe::Suite suite, bool tiny) {
  CollectivePlan p;
  if (tiny) {
    p.sizes_bytes = {8, 8 * 1024, 1024 * 1024};
    p.warmups = 1;
    p.min_reps = p.max_reps = 3;
    p.target_s = 0;
    return p;
  }
  const double last = suite == probe::Suite::quick ? 32.0 * 1024 * 1024 : 128.0 * 1024 * 1024;
  for (double s = 8; s <= last; s *= 4) p.sizes_bytes.push_back(s);
  switch (suite) {
    case probe::Suite::quick: p.warmups = 2, p.min_reps = 5, p.max_reps = 100, p.target_s = 0.1; break;
    case probe::Suite::standard: p.warmups = 5, p.min_reps = 10, p.max_reps = 200, p.target_s = 0.5; break;
    case probe::Suite::full: p.warmups = 5, p.min_reps = 20, p.max_reps = 1000, p.target_s = 2; break;
  }
  return p;
}

double allreduce_bus_factor(int ranks) { return ranks < 2 ? 0 : 2.0 * (ranks - 1) / ranks; }
double allgather_bus_factor(int ranks) { return ranks < 2 ? 0 : static_cast<double>(ranks - 1) / ranks; }

double allgather_bytes(double size_bytes, int ranks) {
  const double n = std::max(1, ranks);
  const double per_rank = std::max(1.0, std::floor(size_bytes / (8 * n)));
  return per_rank * n * 8;
}

std::string size_label(double bytes) {
  static const std::pair<double, const char*> units[] = {{1024.0 * 1024 * 1024, "GiB"}, {1024.0 * 1024, "MiB"}, {1024.0, "KiB"}};
  for (const auto& [f, u] : units)
    if (bytes >= f && std::fmod(bytes, f) == 0) return fmt::format("{} {}", bytes / f, u);
  return fmt::format("{} B", bytes);
}

std::string busbw_id(double bytes) {
  std::string s = size_label(bytes);
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return "busbw_" + s;
}

namespace {

std::optional<double> number(const std::string& s) {
  try {
    std::size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// One GLIBC_TUNABLES entry ("glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=…"), or "" when absent.
std::string tunable(const std::string& tunables, const std::string& name) {
  std::size_t start = 0;
  while (start <= tunables.size()) {
    const auto colon = tunables.find(':', start);
    const std::string item = tunables.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (item.rfind(name + "=", 0) == 0) return item.substr(name.size() + 1);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

}  // namespace

AllocatorSettings allocator_settings(const std::map<std::string, std::string>& env) {
  AllocatorSettings a;
  for (const char* k : {"MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                        "MALLOC_ARENA_MAX", "GLIBC_TUNABLES"}) {
    const auto it = env.find(k);
    if (it != env.end()) a.env[k] = it->second;
  }
  const auto get = [&](const char* k) { return a.env.contains(k) ? a.env.at(k) : std::string(); };
  const std::string tun = get("GLIBC_TUNABLES");
  std::string mmap_max = get("MALLOC_MMAP_MAX_"), trim = get("MALLOC_TRIM_THRESHOLD_");
  // Tunables win over the MALLOC_* variables in glibc ≥ 2.26 when both are given.
  if (!tunable(tun, "glibc.malloc.mmap_max").empty()) mmap_max = tunable(tun, "glibc.malloc.mmap_max");
  if (!tunable(tun, "glibc.malloc.trim_threshold").empty()) trim = tunable(tun, "glibc.malloc.trim_threshold");
  const auto mm = number(mmap_max), tt = number(trim);
  const bool hugetlb = tunable(tun, "glibc.malloc.hugetlb") == "1";
  a.keeps_buffers = (mm && *mm == 0 && tt && *tt >= 1024.0 * 1024 * 1024) || hugetlb;
  if (a.env.empty()) {
    a.summary = "unset (glibc defaults)";
  } else {
    std::vector<std::string> kv;
    for (const auto& [k, v] : a.env) kv.push_back(k + "=" + v);
    a.summary = fmt::format("{}", fmt::join(kv, " "));
  }
  return a;
}

std::optional<probe::Finding> allocator_finding(const std::vector<AllocatorSettings>& ranks,
                                                const std::optional<AllocatorRerun>& rerun, const std::string& why_not) {
  std::size_t unset = 0;
  for (const auto& a : ranks) unset += a.keeps_buffers ? 0 : 1;
  if (unset == 0 || ranks.empty()) return std::nullopt;
  probe::Finding f;
  f.id = "mpi.allocator_unmaps_buffers";
  f.what = fmt::format(
      "{} of {} ranks ran with glibc's default allocator settings: the temporary buffer a large allreduce takes is "
      "mapped and unmapped on every call, and every call pays first-touch page faults again",
      unset, ranks.size());
  f.fix = "export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 to every rank (mpirun -x …, or the job "
          "script; see contrib/slurm/aicq.sbatch), or GLIBC_TUNABLES=glibc.malloc.hugetlb=1";
  f.details["ranks_unset"] = unset;
  f.details["ranks"] = ranks.size();
  if (rerun && rerun->busbw_before_bps > 0 && rerun->busbw_after_bps > 0) {
    f.evidence = fmt::format("allreduce {}: busbw {:.3g} GB/s as run, {:.3g} GB/s with the buffers kept", size_label(rerun->bytes),
                             rerun->busbw_before_bps / 1e9, rerun->busbw_after_bps / 1e9);
    f.cost_fraction = std::max(0.0, 1 - rerun->busbw_before_bps / rerun->busbw_after_bps);
    f.cost_method = fmt::format(
        "measured: the largest allreduce ({}, {} repetitions) again on every rank with mallopt(M_MMAP_MAX, 0) and "
        "mallopt(M_TRIM_THRESHOLD, INT_MAX), the in-process form of the two variables; cost = 1 − before ÷ after",
        size_label(rerun->bytes), rerun->repetitions);
    f.details["rerun"] = {{"bytes", rerun->bytes},
                          {"busbw_before_Bps", rerun->busbw_before_bps},
                          {"busbw_after_Bps", rerun->busbw_after_bps},
                          {"repetitions", rerun->repetitions}};
  } else {
    f.evidence = "the allocator variables are unset on those ranks";
    f.cost_method = "not measured: " + (why_not.empty() ? std::string("no allreduce was measured to rerun") : why_not);
  }
  return f;
}

probe::Measurement size_measurement(const std::string& op, double bytes, double elements, int ranks,
                                    const std::vector<double>& max_times_s, int warmups, long long wrong_elements) {
  probe::Measurement m;
  m.id = busbw_id(bytes);
  m.unit = "B/s";
  const double factor = op == "allreduce" ? allreduce_bus_factor(ranks) : allgather_bus_factor(ranks);
  std::vector<double> algbw;
  for (const double t : max_times_s) {
    algbw.push_back(t > 0 ? bytes / t : 0);
    m.samples.push_back(t > 0 ? bytes / t * factor : 0);
  }
  m.stats = probe::statistics(m.samples);
  const auto times = probe::statistics(max_times_s);
  m.work = bytes;
  m.work_unit = "B";
  m.details = {{"op", op},
               {"bytes", bytes},
               {"elements", elements},
               {"type", "float64"},
               {"ranks", ranks},
               {"time_s", times.median},
               {"time_min_s", times.min},
               {"algbw_Bps", probe::statistics(algbw).median},
               {"busbw_Bps", m.stats.median},
               {"bus_factor", factor},
               {"bus_factor_formula", op == "allreduce" ? "2(n−1)/n" : "(n−1)/n"},
               {"repetitions", max_times_s.size()},
               {"warmups", warmups},
               {"wrong_elements", wrong_elements},
               {"times_s", max_times_s}};
  return m;
}

}  // namespace aicq::cluster

// The collective probes on MPI (see collectives.hpp and collectives_mpi.hpp).
#include "aicq/cluster/collectives_mpi.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "aicq/core/clock.hpp"
#include "aicq/hw/nvml.hpp"

namespace aicq::cluster::detail {

namespace {

int comm_rank(MPI_Comm c) {
  int r = 0;
  check(MPI_Comm_rank(c, &r), "MPI_Comm_rank");
  return r;
}
int comm_size(MPI_Comm c) {
  int s = 0;
  check(MPI_Comm_size(c, &s), "MPI_Comm_size");
  return s;
}

// MemAvailable of this node, bytes (0 when unknown).
double mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double kb = 0;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

// The largest size every rank can afford: `buffers` message-sized buffers per rank, all ranks of a node at once,
// within half of the node's available memory. The same answer on every rank (MPI_MIN).
double affordable_bytes(MPI_Comm comm, double buffers, int ranks_on_node) {
  const double avail = mem_available_bytes();
  double mine = avail > 0 ? 0.5 * avail / (buffers * std::max(1, ranks_on_node)) : 1e18;
  double all = 0;
  check(MPI_Allreduce(&mine, &all, 1, MPI_DOUBLE, MPI_MIN, comm), "MPI_Allreduce");
  return all;
}

struct SizeRun {
  std::vector<double> max_times_s;  // rank 0 only
  long long wrong = 0;              // rank 0 only: over all ranks
  int warmups = 0;
};

// Times `once` the plan's way: warm-ups, a repetition count all ranks agree on, a barrier before each timed call,
// the slowest rank's time per repetition at rank 0, then `wrong` (this rank's wrong elements) summed at rank 0.
SizeRun time_size(MPI_Comm comm, const CollectivePlan& plan, const std::function<void()>& once,
                  const std::function<long long()>& wrong, int fixed_reps = 0) {
  SizeRun out;
  double warm_max = 0;
  const int warmups = std::max(1, plan.warmups);
  for (int w = 0; w < warmups; ++w) {
    check(MPI_Barrier(comm), "MPI_Barrier");
    const double t0 = MPI_Wtime();
    once();
    warm_max = std::max(warm_max, MPI_Wtime() - t0);
  }
  out.warmups = warmups;
  int reps = plan.min_reps;
  if (fixed_reps > 0) {
    reps = fixed_reps;
  } else if (plan.target_s > 0 && plan.max_reps > plan.min_reps) {
    double slowest = 0;
    check(MPI_Allreduce(&warm_max, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
    const double want = slowest > 0 ? std::ceil(plan.target_s / slowest) : plan.max_reps;
    reps = static_cast<int>(std::clamp(want, static_cast<double>(plan.min_reps), static_cast<double>(plan.max_reps)));
  }
  std::vector<double> times(static_cast<std::size_t>(reps));
  for (auto& t : times) {
    check(MPI_Barrier(comm), "MPI_Barrier");
    const double t0 = MPI_Wtime();
    once();
    t = MPI_Wtime() - t0;
  }
  const bool root = comm_rank(comm) == 0;
  out.max_times_s.assign(root ? times.size() : 0, 0.0);
  check(MPI_Reduce(times.data(), root ? out.max_times_s.data() : nullptr, reps, MPI_DOUBLE, MPI_MAX, 0, comm), "MPI_Reduce");
  long long mine = wrong();
  check(MPI_Reduce(&mine, &out.wrong, 1, MPI_LONG_LONG, MPI_SUM, 0, comm), "MPI_Reduce");
  return out;
}

std::string table_header(const std::string& op, int n) {
  return fmt::format("    {} float64{} on {} ranks\n    {:>12} {:>12} {:>11} {:>10} {:>10} {:>7} {:>5}", op,
                     op == "allreduce" ? " sum" : "", n, "size (B)", "count", "time (us)", "algbw GB/s", "busbw GB/s",
                     "#wrong", "reps");
}

std::string table_row(const probe::Measurement& m) {
  const auto& d = m.details;
  return fmt::format("    {:>12.0f} {:>12.0f} {:>11.2f} {:>10.3f} {:>10.3f} {:>7} {:>5}", d["bytes"].get<double>(),
                     d["elements"].get<double>(), 1e6 * d["time_s"].get<double>(), d["algbw_Bps"].get<double>() / 1e9,
                     d["busbw_Bps"].get<double>() / 1e9, d["wrong_elements"].get<long long>(), d["repetitions"].get<std::size_t>());
}

// The sweep shared by both operations. `make(bytes)` prepares the buffers and returns {bytes counted, elements,
// call once, wrong elements after the last call}.
struct Prepared {
  double bytes = 0, elements = 0;
  std::function<void()> once;
  std::function<long long()> wrong;
};

probe::ProbeResult sweep(MPI_Comm comm, const std::string& op, const CollectivePlan& plan, const CollectiveHooks& hooks,
                         double buffers_per_rank, const std::function<Prepared(double)>& make) {
  probe::ProbeResult r;
  r.id = "mpi." + op;
  r.started = core::utc_iso8601();
  const double t_start = MPI_Wtime();
  const int n = comm_size(comm);
  const bool root = comm_rank(comm) == 0;
  const double affordable = affordable_bytes(comm, buffers_per_rank, hooks.ranks_on_node);
  std::vector<double> sizes, left_out;
  double last_bytes = -1;
  for (const double s : plan.sizes_bytes) {
    // Sizes that come to the same message here (allgather's smallest on many ranks) are measured once.
    const double b = op == "allgather" ? allgather_bytes(s, n) : std::max(8.0, 8 * std::floor(s / 8));
    if (b == last_bytes) continue;
    last_bytes = b;
    (s <= affordable ? sizes : left_out).push_back(s);
  }
  r.requested = {{"sizes_bytes", plan.sizes_bytes}, {"warmups", plan.warmups}, {"min_repetitions", plan.min_reps},
                 {"max_repetitions", plan.max_reps}, {"target_s", plan.target_s}};
  r.effective = {{"sizes_bytes", sizes}, {"ranks", n}, {"type", "float64"}, {"library", "MPI"}};
  if (!left_out.empty())
    r.effective["left_out"] = fmt::format("{} size(s) from {} up: {} message-sized buffers per rank do not fit in half "
                                          "of the node's available memory",
                                          left_out.size(), size_label(left_out.front()), buffers_per_rank);
  if (root && hooks.line) hooks.line(table_header(op, n));
  long long wrong_total = 0;
  for (const double s : sizes) {
    if (hooks.step) hooks.step(fmt::format("{} {}", r.id, size_label(s)));
    Prepared p = make(s);
    const SizeRun run = time_size(comm, plan, p.once, p.wrong, plan.target_s > 0 ? 0 : plan.min_reps);
    if (!root) continue;
    wrong_total += run.wrong;
    auto m = size_measurement(op, p.bytes, p.elements, n, run.max_times_s, run.warmups, run.wrong);
    if (s == sizes.front()) {
      probe::Measurement lat;
      lat.id = "latency";
      lat.unit = "s";
      lat.higher_is_better = false;
      lat.samples = run.max_times_s;
      lat.stats = probe::statistics(lat.samples);
      lat.details = {{"op", op}, {"bytes", p.bytes}, {"ranks", n},
                     {"what", "the slowest rank's time of one call at the smallest size"}};
      r.measurements.push_back(std::move(lat));
    }
    if (hooks.line) hooks.line(table_row(m));
    r.measurements.push_back(std::move(m));
  }
  r.duration_s = MPI_Wtime() - t_start;
  if (!root) return r;
  const std::string what = op == "allreduce"
                               ? "every element of every rank's sum equals Σ_r (r+1)·(1 + k mod 7) = n(n+1)/2·(1 + k mod 7)"
                               : "every gathered element equals its rank's known value r·2^25 + k + 1";
  r.checks.push_back({"result", wrong_total == 0,
                      fmt::format("{}; wrong elements over all sizes and ranks: {}", what, wrong_total)});
  if (sizes.empty()) {
    r.status = probe::Status::skipped;
    r.reason = "no message size fits in memory here";
  } else if (wrong_total != 0) {
    r.status = probe::Status::invalid;
    r.reason = fmt::format("{} wrong elements in the results", wrong_total);
  }
  return r;
}

}  // namespace

probe::ProbeResult run_allreduce(MPI_Comm comm, const CollectivePlan& plan, const CollectiveHooks& hooks) {
  const int n = comm_size(comm), rank = comm_rank(comm);
  std::vector<double> send, recv;
  // send + receive + OpenMPI's temporary buffer: three message-sized buffers per rank.
  return sweep(comm, "allreduce", plan, hooks, 3, [&](double bytes) {
    const auto count = static_cast<std::size_t>(std::max(1.0, std::floor(bytes / 8)));
    send.assign(count, 0.0);
    recv.assign(count, -1.0);  // touched before timing: first-touch costs stay out of the timed calls
    for (std::size_t k = 0; k < count; ++k) send[k] = static_cast<double>(rank + 1) * static_cast<double>(1 + k % 7);
    Prepared p;
    p.bytes = static_cast<double>(count) * 8;
    p.elements = static_cast<double>(count);
    p.once = [&, count] {
      check(MPI_Allreduce(send.data(), recv.data(), static_cast<int>(count), MPI_DOUBLE, MPI_SUM, comm), "MPI_Allreduce");
    };
    p.wrong = [&, count] {
      // Small integers: the sum is exact in float64 whatever order the reduction took.
      const double ranks_sum = static_cast<double>(n) * (n + 1) / 2;
      long long w = 0;
      for (std::size_t k = 0; k < count; ++k) w += recv[k] != ranks_sum * static_cast<double>(1 + k % 7) ? 1 : 0;
      return w;
    };
    return p;
  });
}

probe::ProbeResult run_allgather(MPI_Comm comm, const CollectivePlan& plan, const CollectiveHooks& hooks) {
  const int n = comm_size(comm), rank = comm_rank(comm);
  std::vector<double> send, recv;
  // receive (the gathered total) + send (one block): about 1 + 1/n message-sized buffers.
  return sweep(comm, "allgather", plan, hooks, 1.0 + 1.0 / n, [&](double bytes) {
    const double total = allgather_bytes(bytes, n);
    const auto per_rank = static_cast<std::size_t>(total / 8 / n);
    send.assign(per_rank, 0.0);
    recv.assign(per_rank * static_cast<std::size_t>(n), -1.0);
    constexpr double block = 33554432.0;  // 2^25: every (rank, k) pair a distinct, exact float64
    for (std::size_t k = 0; k < per_rank; ++k) send[k] = rank * block + static_cast<double>(k) + 1;
    Prepared p;
    p.bytes = total;
    p.elements = static_cast<double>(per_rank) * n;
    p.once = [&, per_rank] {
      check(MPI_Allgather(send.data(), static_cast<int>(per_rank), MPI_DOUBLE, recv.data(), static_cast<int>(per_rank),
                          MPI_DOUBLE, comm),
            "MPI_Allgather");
    };
    p.wrong = [&, per_rank] {
      long long w = 0;
      for (int j = 0; j < n; ++j)
        for (std::size_t k = 0; k < per_rank; ++k)
          w += recv[static_cast<std::size_t>(j) * per_rank + k] != j * block + static_cast<double>(k) + 1 ? 1 : 0;
      return w;
    };
    return p;
  });
}

std::optional<double> rerun_allreduce_keeping_buffers(MPI_Comm comm, double bytes, int warmups, int repetitions,
                                                      const CollectiveHooks& hooks, std::string* why_not) {
  // The in-process form of MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=…: no mmap for large blocks, no trimming of
  // the heap's top (mallopt takes an int: INT_MAX ≈ 2 GiB instead of the recipe's 16 GiB — both far above the sizes).
  const bool ok = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
  int all_ok = ok ? 1 : 0, every = 0;
  check(MPI_Allreduce(&all_ok, &every, 1, MPI_INT, MPI_LAND, comm), "MPI_Allreduce");
  if (!every) {
    if (why_not)
      *why_not = "mallopt() refused the settings on some rank: those ranks do not run glibc's allocator (a sanitizer's, or "
                 "one preloaded), so its settings are not what limits them";
    return std::nullopt;
  }
  CollectivePlan plan;
  plan.sizes_bytes = {bytes};
  plan.warmups = std::max(1, warmups);
  plan.min_reps = plan.max_reps = std::max(1, repetitions);
  plan.target_s = 0;
  CollectiveHooks quiet = hooks;
  quiet.line = nullptr;
  if (hooks.step) hooks.step(fmt::format("mpi.allreduce {} again, buffers kept", size_label(bytes)));
  const auto r = run_allreduce(comm, plan, quiet);
  if (comm_rank(comm) != 0) return std::nullopt;
  for (const auto& m : r.measurements)
    if (m.id == busbw_id(bytes) && r.status == probe::Status::ok) return m.stats.median;
  if (why_not) *why_not = fmt::format("the rerun of {} did not give a valid figure ({})", size_label(bytes), r.reason);
  return std::nullopt;
}

probe::ProbeResult nccl_allreduce_status() {
  probe::ProbeResult r;
  r.id = "nccl.allreduce";
  r.status = probe::Status::skipped;
  void* nccl = ::dlopen("libnccl.so.2", RTLD_LAZY | RTLD_LOCAL);
  std::string why_not;
  const auto nvml = hw::Nvml::load(&why_not);
  const unsigned gpus = nvml ? nvml->device_count() : 0;
  if (!nccl) {
    r.reason = "libnccl.so.2 not found: NCCL is not installed here";
    if (gpus == 0) r.reason += fmt::format(", and no NVIDIA GPU is visible ({})", why_not.empty() ? "NVML found no device" : why_not);
  } else if (gpus == 0) {
    r.reason = fmt::format("NCCL is installed but no NVIDIA GPU is visible ({})", why_not.empty() ? "NVML found no device" : why_not);
  } else {
    r.reason = fmt::format("NCCL and {} GPU(s) are present, but this build drives no NCCL communicator itself: run "
                           "nccl-tests' all_reduce_perf under the same launcher and bring its table in with "
                           "`aicq import nccl-tests FILE`",
                           gpus);
  }
  if (nccl) ::dlclose(nccl);
  return r;
}

}  // namespace aicq::cluster::detail

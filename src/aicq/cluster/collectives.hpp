// Collective probes across all ranks: MPI allreduce (sum, float64) and allgather over message sizes, measured the
// way nccl-tests and the OSU/IMB benchmarks do, and reported with nccl-tests' figures:
//   time   the slowest rank's time of one repetition (each repetition starts after a barrier; IMB's t_max)
//   algbw  = bytes ÷ time                      (bytes: the message; for allgather the gathered total)
//   busbw  = algbw × 2(n−1)/n for allreduce,  algbw × (n−1)/n for allgather   (n ranks; nccl-tests
//            doc/PERFORMANCE.md: what each rank's link carries with the best algorithm, comparable across n)
// Latency is the time at the smallest size. Every result is checked: each rank's contribution is known, so the
// sum (allreduce) and the gathered blocks (allgather) are compared element by element on every rank.
//
// The allocator matters here (recipes: OpenMPI's allreduce takes a message-sized temporary buffer per call;
// glibc maps and unmaps it each time when MALLOC_MMAP_MAX_/MALLOC_TRIM_THRESHOLD_ are unset, and on a VM
// with costly page faults this cuts busbw ~10×): the settings every rank ran with are reported, and when they
// are unset the largest allreduce is measured again with the same settings made through mallopt() on every
// rank — the cost of the unset allocator, measured, for the gap diagnosis.
//
// This header has no MPI types: the planning, the formulas and the diagnosis are plain functions (tested
// without a launcher); collectives_mpi.hpp runs them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aicq/probe/diagnosis.hpp"
#include "aicq/probe/probe.hpp"

namespace aicq::cluster {

/// Sizes and repetitions of one sweep.
struct CollectivePlan {
  std::vector<double> sizes_bytes;  // message sizes, ascending
  int warmups = 2;                  // untimed calls before the timed ones, per size
  int min_reps = 5, max_reps = 200; // timed repetitions per size: target_s ÷ (slowest warm-up), within these
  double target_s = 0.2;            // timed time aimed at per size
};

/// quick: 8 B … 32 MiB ×4 (12 sizes); standard and full: 8 B … 128 MiB ×4 (13 sizes; full aims at longer
/// timing); tiny (tests): 8 B, 8 KiB, 1 MiB with 1 warm-up and 3 repetitions.
CollectivePlan plan_for(probe::Suite suite, bool tiny);

/// nccl-tests' bus-bandwidth factors for n ranks: 2(n−1)/n and (n−1)/n (0 for n < 2).
double allreduce_bus_factor(int ranks);
double allgather_bus_factor(int ranks);

/// Bytes of one allgather of `size_bytes` on `ranks` ranks, as nccl-tests counts it: each rank sends
/// ⌊size ÷ (8·n)⌋ float64 values (at least 1), the gathered total is that × n × 8 bytes.
double allgather_bytes(double size_bytes, int ranks);

/// "8 B", "32 KiB", "128 MiB" (binary prefixes; sizes are powers of two here).
std::string size_label(double bytes);
/// The measurement id of one size: "busbw_8B", "busbw_32KiB".
std::string busbw_id(double bytes);

/// The glibc allocator settings a rank ran with (its environment): MALLOC_MMAP_MAX_, MALLOC_TRIM_THRESHOLD_,
/// MALLOC_MMAP_THRESHOLD_, MALLOC_TOP_PAD_, MALLOC_ARENA_MAX and GLIBC_TUNABLES as set (absent = unset).
struct AllocatorSettings {
  std::map<std::string, std::string> env;
  /// Large temporary buffers stay mapped between calls: MALLOC_MMAP_MAX_=0 together with a
  /// MALLOC_TRIM_THRESHOLD_ of at least 1 GiB, or the same through GLIBC_TUNABLES (glibc.malloc.mmap_max=0 and
  /// glibc.malloc.trim_threshold), or glibc.malloc.hugetlb=1 (recipes: equivalent here).
  bool keeps_buffers = false;
  std::string summary;  // "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184" or "unset (glibc defaults)"
};
AllocatorSettings allocator_settings(const std::map<std::string, std::string>& env);

/// The same figures measured again with mallopt(M_MMAP_MAX, 0) and mallopt(M_TRIM_THRESHOLD, INT_MAX) on every rank.
struct AllocatorRerun {
  double bytes = 0;
  double busbw_before_bps = 0, busbw_after_bps = 0;  // medians
  int repetitions = 0;
};

/// Finding "mpi.allocator_unmaps_buffers" when the ranks ran with the allocator unset (any rank), with the
/// measured cost 1 − before ÷ after of the rerun when there is one (else `why_not` says why it was not measured);
/// nullopt when every rank kept its buffers.
std::optional<probe::Finding> allocator_finding(const std::vector<AllocatorSettings>& ranks,
                                                const std::optional<AllocatorRerun>& rerun, const std::string& why_not = "");

/// Builds the measurement of one size from the slowest rank's time of each repetition (nccl-tests' figures in
/// details: bytes, elements, time_s, algbw_Bps, busbw_Bps medians, bus_factor, wrong_elements, repetitions).
probe::Measurement size_measurement(const std::string& op, double bytes, double elements, int ranks,
                                    const std::vector<double>& max_times_s, int warmups, long long wrong_elements);

}  // namespace aicq::cluster

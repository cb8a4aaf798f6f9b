// memory.stream — the four STREAM kernels (McCalpin) with OpenMP, and the pieces tests reach directly.
//
// Byte counting is STREAM's: copy and scale move 2 arrays × 8 B × N, add and triad 3 × 8 B × N. The extra
// read of a written line that a write-allocate cache does is not counted (STREAM's convention), so the
// figure is what a program sees, not the bus traffic.
//
// Array sizing follows STREAM's rule: each array at least 4 × the sum of the last-level caches in use and at
// least 1 000 000 elements, so that no kernel runs from cache. Tests (`Context::tiny`) use small arrays and
// say so in the effective settings ("rule_met": false).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::stream {

enum class Kernel { copy, scale, add, triad };
std::string to_string(Kernel k);

/// STREAM's scalar (the `q` of scale and triad).
inline constexpr double kScalar = 3.0;

/// Bytes STREAM counts for one pass of `k` over `n` elements of 8 B: copy/scale 16 n, add/triad 24 n.
double bytes(Kernel k, std::size_t n);

/// Smallest array length that meets STREAM's rule for a last-level cache of `llc_bytes` (sum over the caches
/// the run uses): max(⌈4 × llc_bytes ÷ 8⌉, 1 000 000).
std::size_t rule_elements(double llc_bytes);

/// Sum of the distinct last-level caches of the online CPUs, read from a sysfs tree laid out like
/// /sys/devices/system/cpu (cpuN/cache/indexM/{level,type,size,shared_cpu_list}). Instruction caches are
/// ignored; caches shared by several CPUs are counted once. nullopt when nothing could be read.
std::optional<double> llc_bytes_from_sysfs(const std::string& cpu_root = "/sys/devices/system/cpu");

/// The three arrays a, b, c (64-byte aligned, never zero-filled by the allocator) initialised in parallel
/// with the kernels' static schedule, so that each thread first-touches the pages it later streams through
/// (NUMA placement). Every kernel pass is also replayed on one scalar per array, so that `validate` knows
/// what every element must hold (STREAM's checkSTREAMresults).
class Arrays {
 public:
  /// Allocates and initialises a = 2, b = 2, c = 0 (STREAM's a = 1 then a = 2a). Throws core::WorkError
  /// when the memory cannot be allocated.
  Arrays(std::size_t n, int threads);
  Arrays(const Arrays&) = delete;
  Arrays& operator=(const Arrays&) = delete;
  ~Arrays();

  /// One pass of `k` over all elements with `threads` OpenMP threads (static schedule).
  void run(Kernel k);
  /// STREAM's check: the mean absolute error of each array against its expected value, relative to it,
  /// must stay below 1e-13; the detail names the arrays that failed and how many elements differ.
  Check validate() const;

  std::size_t size() const { return n_; }
  /// The OpenMP team size actually obtained (may be below the request when the runtime limits it).
  int threads() const { return team_; }
  /// Whether the kernel accepted MADV_HUGEPAGE for the arrays (transparent huge pages "madvise" or "always").
  bool huge_pages_advised() const { return huge_pages_; }
  double* a() { return a_; }
  double* b() { return b_; }
  double* c() { return c_; }
  double expected_a() const { return ea_; }
  double expected_b() const { return eb_; }
  double expected_c() const { return ec_; }

 private:
  std::size_t n_;
  int threads_;
  int team_ = 0;
  bool huge_pages_ = false;
  double* a_ = nullptr;
  double* b_ = nullptr;
  double* c_ = nullptr;
  double ea_ = 2, eb_ = 2, ec_ = 0;
};

}  // namespace aicq::probe::stream

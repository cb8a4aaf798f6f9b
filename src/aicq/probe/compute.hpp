// Pieces shared by the compute probes (compute.gemm, compute.linpack, compat.runtimes): buffers that are
// allocated and touched before timing, thread settings of the math libraries, the repetition plan from a
// time budget, deterministic inputs, and the validity check of a matrix product.
//
// The product check is a template in this header so that a test can run it on a product it corrupted itself.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::compute {

/// A zero-filled memory block, aligned to 2 MiB and advised for transparent huge pages, every page touched
/// when constructed: first-touch page faults cost 12–60 µs per 4 KiB page on the VMs this runs on, and must
/// not land inside a timed repetition. Throws std::bad_alloc when the memory is not there.
class Buffer {
 public:
  explicit Buffer(std::size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;

  template <class T>
  T* as() {
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* as() const {
    return static_cast<const T*>(data_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Sets the worker threads of OpenBLAS (its own pthreads) and of OpenMP (oneDNN's runtime here) for the
/// lifetime of the guard and restores the previous settings after.
class ThreadGuard {
 public:
  explicit ThreadGuard(int threads);
  ~ThreadGuard();
  ThreadGuard(const ThreadGuard&) = delete;
  ThreadGuard& operator=(const ThreadGuard&) = delete;

 private:
  int openblas_before_;
  int omp_before_;
};

/// OpenBLAS as loaded in this process: version (parsed from openblas_get_config()), the whole config string,
/// the kernel family it chose (openblas_get_corename()), its threads, and the environment variables that
/// change what it does (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS; null when unset) — the
/// gap diagnosis reads these.
nlohmann::json openblas_info();
/// The value of an environment variable, or null when unset.
nlohmann::json env_or_null(const char* name);

/// How many untimed and timed repetitions a suite asks for (tiny: 1 warm-up, 2 repetitions).
struct RepetitionPlan {
  int warmups = 1;
  int min_reps = 3;
  int max_reps = 10;
};
RepetitionPlan plan_for(const Context& ctx);
/// Timed repetitions that fit `share_s` seconds when one takes `one_s`, clamped to the plan.
int repetitions_within(const RepetitionPlan& plan, double share_s, double one_s);

/// Runs `body` once as a warm-up: reports progress (repetition 0), throws Cancelled first when cancelled,
/// and returns the duration in seconds (the first estimate of one repetition; never in the samples).
double warm_up(const Context& ctx, const std::string& probe, const std::string& step, const std::function<void()>& body);

/// Deterministic inputs: uniform in [-0.5, 0.5) from std::mt19937_64 with an explicit seed, mapped with the
/// top 53 bits so that the values are the same with every standard library.
class Uniform {
 public:
  explicit Uniform(std::uint64_t seed) : gen_(seed) {}
  double next() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53 - 0.5; }
  std::uint64_t bits() { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

/// bfloat16 as stored (upper half of an IEEE binary32), rounded to nearest even from float.
struct Bf16 {
  std::uint16_t bits = 0;
};
static_assert(sizeof(Bf16) == 2);
inline Bf16 to_bf16(float f) {
  const auto u = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);
  return Bf16{static_cast<std::uint16_t>((u + rounding) >> 16)};
}
inline double value(Bf16 v) { return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(v.bits) << 16)); }
inline double value(double v) { return v; }
inline double value(float v) { return static_cast<double>(v); }
inline double value(std::uint8_t v) { return static_cast<double>(v); }
inline double value(std::int8_t v) { return static_cast<double>(v); }
inline double value(std::int32_t v) { return static_cast<double>(v); }

/// Unit roundoff of the accumulation of each precision (2^-53 fp64, 2^-24 for fp32 and for bf16 inputs with
/// f32 accumulation, 0 for int8 with s32 accumulation: exact).
inline constexpr double kUnitFp64 = 0x1.0p-53;
inline constexpr double kUnitFp32 = 0x1.0p-24;

/// FLOP (or OP) of C = A·B with A m×k and B k×n: one multiply and one add per term, 2·m·n·k.
inline double gemm_work(std::size_t m, std::size_t n, std::size_t k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

/// Outcome of check_product: passed when every checked figure is within its error bound.
struct ProductCheck {
  bool passed = false;
  double worst = 0;  // largest |error| ÷ bound over all figures checked (∞ when an exact check differs)
  std::string detail;
};

/// Checks a computed C = A·B (row-major: A m×k, B k×n, C m×n) against references computed in double:
///  - the n column sums of C against (1ᵀA)·B and the m row sums against A·(B·1) (algorithm-based fault
///    tolerance, Huang & Abraham 1984): any single wrong entry changes one row sum and one column sum;
///  - 16 entries spread over C (corners included) against naive dot products.
/// Bound of each figure: 2·(k + m + n + 2)·u · Σ|terms| (Higham's γ for the summation lengths involved,
/// doubled); u = 0 (int8) asks for exact equality. O(m·k + k·n + m·n) work: cheap beside the product.
template <class TA, class TB, class TC>
ProductCheck check_product(const TA* a, const TB* b, const TC* c, std::size_t m, std::size_t n, std::size_t k,
                           double unit_roundoff) {
  const double gamma = 2.0 * static_cast<double>(k + m + n + 2) * unit_roundoff;
  double worst = 0;
  std::size_t figures = 0;
  std::string first_bad;
  auto judge = [&](double computed, double reference, double magnitude, const std::string& what) {
    ++figures;
    const double err = std::abs(computed - reference);
    const double bound = gamma * magnitude;
    double ratio;
    if (!(err <= bound))  // NaN compares false: caught here
      ratio = bound > 0 && std::isfinite(err) ? err / bound : std::numeric_limits<double>::infinity();
    else
      ratio = bound > 0 ? err / bound : 0;
    if (!(ratio <= 1) && first_bad.empty())
      first_bad = what + ": computed " + std::to_string(computed) + ", reference " + std::to_string(reference);
    if (!(ratio <= worst)) worst = ratio;
  };
  // Column sums: Σ_i c_ij against Σ_l (Σ_i a_il) b_lj.
  std::vector<double> col_a(k, 0.0), col_a_abs(k, 0.0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t l = 0; l < k; ++l) {
      const double v = value(a[i * k + l]);
      col_a[l] += v;
      col_a_abs[l] += std::abs(v);
    }
  std::vector<double> ref(n, 0.0), mag(n, 0.0), got(n, 0.0);
  for (std::size_t l = 0; l < k; ++l)
    for (std::size_t j = 0; j < n; ++j) {
      const double v = value(b[l * n + j]);
      ref[j] += col_a[l] * v;
      mag[j] += col_a_abs[l] * std::abs(v);
    }
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) got[j] += value(c[i * n + j]);
  for (std::size_t j = 0; j < n; ++j) judge(got[j], ref[j], mag[j], "column sum " + std::to_string(j));
  // Row sums: Σ_j c_ij against Σ_l a_il (Σ_j b_lj).
  std::vector<double> row_b(k, 0.0), row_b_abs(k, 0.0);
  for (std::size_t l = 0; l < k; ++l)
    for (std::size_t j = 0; j < n; ++j) {
      const double v = value(b[l * n + j]);
      row_b[l] += v;
      row_b_abs[l] += std::abs(v);
    }
  for (std::size_t i = 0; i < m; ++i) {
    double r = 0, mg = 0, g = 0;
    for (std::size_t l = 0; l < k; ++l) {
      const double v = value(a[i * k + l]);
      r += v * row_b[l];
      mg += std::abs(v) * row_b_abs[l];
    }
    for (std::size_t j = 0; j < n; ++j) g += value(c[i * n + j]);
    judge(g, r, mg, "row sum " + std::to_string(i));
  }
  // Entries spread over C, corners first.
  for (std::size_t s = 0; s < 16; ++s) {
    const std::size_t i = s == 0 ? 0 : s == 1 ? m - 1 : (s * 7919u) % m;
    const std::size_t j = s == 0 ? 0 : s == 1 ? n - 1 : (s * 104729u) % n;
    double r = 0, mg = 0;
    for (std::size_t l = 0; l < k; ++l) {
      const double p = value(a[i * k + l]) * value(b[l * n + j]);
      r += p;
      mg += std::abs(p);
    }
    judge(value(c[i * n + j]), r, mg, "C[" + std::to_string(i) + "," + std::to_string(j) + "]");
  }
  ProductCheck out;
  out.passed = first_bad.empty();
  out.worst = worst;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", worst);
  out.detail = std::to_string(figures) + " figures (" + std::to_string(n) + " column sums, " + std::to_string(m) +
               " row sums, 16 entries) against a double reference; worst error/bound " + buf +
               (unit_roundoff == 0 ? " (exact integer check)" : "");
  if (!out.passed) out.detail += "; first outside its bound: " + first_bad;
  return out;
}

}  // namespace aicq::probe::compute

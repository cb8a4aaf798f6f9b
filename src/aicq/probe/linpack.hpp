// compute.linpack's arithmetic, exposed for tests: HPL's operation count and its validity gate.
#pragma once

#include <cstddef>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::linpack {

/// HPL's operation count for solving one n×n system by LU factorisation and two triangular solves:
/// 2/3·n³ + 3/2·n² FLOP (as HPL reports it, whatever the library actually executes).
double flop(std::size_t n);

/// The figures of HPL's residual test. `scaled` = ‖Ax−b‖∞ / (ε·(‖A‖∞·‖x‖∞ + ‖b‖∞)·n) with ε = 2⁻⁵³ (the unit
/// roundoff HPL takes from HPL_dlamch); a correct solve in double gives O(1) or less, HPL's threshold is 16.
struct Residual {
  double scaled = 0;
  double norm_r = 0;  // ‖Ax−b‖∞
  double norm_a = 0;  // ‖A‖∞ (largest row sum of |a_ij|)
  double norm_x = 0;  // ‖x‖∞
  double norm_b = 0;  // ‖b‖∞
};

/// HPL's threshold on the scaled residual.
inline constexpr double kThreshold = 16.0;

/// Computes the residual figures of a solution x of A·x = b; A is n×n column-major with leading dimension
/// lda ≥ n (the original matrix, not its factors). A NaN anywhere gives a NaN scaled residual.
Residual residual(std::size_t n, const double* a, std::size_t lda, const double* x, const double* b);

/// Check "residual": passed when scaled < 16 (false for NaN); the detail states the figures.
Check residual_check(const Residual& r);

}  // namespace aicq::probe::linpack

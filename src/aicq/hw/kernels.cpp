#include "aicq/hw/kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#define AICQ_KERNELS_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define AICQ_KERNELS_ARM64 1
#endif

namespace aicq::hw::detail {

// --- the clock: a chain of dependent adds ------------------------------------------------------------------
#define AICQ_R4(s) s s s s
#define AICQ_R16(s) AICQ_R4(AICQ_R4(s))
#define AICQ_R64(s) AICQ_R4(AICQ_R16(s))

bool clock_kernel_available() {
#if defined(AICQ_KERNELS_X86) || defined(AICQ_KERNELS_ARM64)
  return true;
#else
  return false;
#endif
}

std::uint64_t dependent_adds(std::uint64_t iterations) {
  std::uint64_t x = 0;
  // A register operand (not an immediate), so that no core can fold the chain at rename.
  const std::uint64_t one = 1;
  for (std::uint64_t i = 0; i < iterations; ++i) {
#if defined(AICQ_KERNELS_X86)
    __asm__ volatile(AICQ_R64("add %1, %0\n\t") : "+r"(x) : "r"(one));
#elif defined(AICQ_KERNELS_ARM64)
    __asm__ volatile(AICQ_R64("add %0, %0, %1\n\t") : "+r"(x) : "r"(one));
#else
    x += static_cast<std::uint64_t>(kAddsPerIteration) * one;
#endif
  }
  return x;
}

// --- FMA kernels -----------------------------------------------------------------------------------------
// a ← a × m + c with m just below 1 and c small converges to c / (1 − m) = 1: no overflow, no subnormals.
// 16 accumulators cover latency 4 × 2 pipes (Zen 4/5, Skylake-SP, Sapphire Rapids) twice over; 24 on Arm
// cover latency 4 × 4 pipes (Neoverse V1/V2). The empty asm keeps every accumulator live in a register.

#if defined(AICQ_KERNELS_X86)

#define AICQ_ACC16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define AICQ_ACC12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f"))) double fma_avx512_f64(std::uint64_t iterations) {
#define D(i) __m512d a##i = _mm512_set1_pd(1.0);
  AICQ_ACC16(D)
#undef D
  const __m512d m = _mm512_set1_pd(0.999999), c = _mm512_set1_pd(1e-6);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = _mm512_fmadd_pd(a##i, m, c);
    AICQ_ACC16(F)
#undef F
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
    __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13), "+v"(a14), "+v"(a15));
  }
  __m512d s = _mm512_setzero_pd();
#define S(i) s = _mm512_add_pd(s, a##i);
  AICQ_ACC16(S)
#undef S
  // A plain store and sum: GCC 12's _mm512_reduce_add_pd trips -Wuninitialized inside its own header.
  alignas(64) double out[8];
  _mm512_store_pd(out, s);
  double sum = 0;
  for (double v : out) sum += v;
  return sum;
}

__attribute__((target("avx512f"))) double fma_avx512_f32(std::uint64_t iterations) {
#define D(i) __m512 a##i = _mm512_set1_ps(1.0f);
  AICQ_ACC16(D)
#undef D
  const __m512 m = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-4f);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = _mm512_fmadd_ps(a##i, m, c);
    AICQ_ACC16(F)
#undef F
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
    __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13), "+v"(a14), "+v"(a15));
  }
  __m512 s = _mm512_setzero_ps();
#define S(i) s = _mm512_add_ps(s, a##i);
  AICQ_ACC16(S)
#undef S
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  double sum = 0;
  for (float v : out) sum += static_cast<double>(v);
  return sum;
}

// AVX2: 16 ymm registers, so 12 accumulators + 2 constants.
__attribute__((target("avx2,fma"))) double fma_avx2_f64(std::uint64_t iterations) {
#define D(i) __m256d a##i = _mm256_set1_pd(1.0);
  AICQ_ACC12(D)
#undef D
  const __m256d m = _mm256_set1_pd(0.999999), c = _mm256_set1_pd(1e-6);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = _mm256_fmadd_pd(a##i, m, c);
    AICQ_ACC12(F)
#undef F
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
    __asm__ volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
  }
  __m256d s = _mm256_setzero_pd();
#define S(i) s = _mm256_add_pd(s, a##i);
  AICQ_ACC12(S)
#undef S
  alignas(32) double out[4];
  _mm256_store_pd(out, s);
  return out[0] + out[1] + out[2] + out[3];
}

__attribute__((target("avx2,fma"))) double fma_avx2_f32(std::uint64_t iterations) {
#define D(i) __m256 a##i = _mm256_set1_ps(1.0f);
  AICQ_ACC12(D)
#undef D
  const __m256 m = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-4f);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = _mm256_fmadd_ps(a##i, m, c);
    AICQ_ACC12(F)
#undef F
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
    __asm__ volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
  }
  __m256 s = _mm256_setzero_ps();
#define S(i) s = _mm256_add_ps(s, a##i);
  AICQ_ACC12(S)
#undef S
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  double sum = 0;
  for (float v : out) sum += static_cast<double>(v);
  return sum;
}

// BF16 dot products (VDPBF16PS: per FP32 lane 2 BF16 products + 2 additions = 4 FLOP) and INT8 dot products
// (VPDPBUSD: per INT32 lane 4 u8 × s8 products + their sum = 8 OP). The accumulators only grow by small steps
// (BF16 ≈ 0.001 squared; INT8 1 × 1, where INT32 wrap-around is harmless): no overflow to infinity.
__attribute__((target("avx512f,avx512bf16"))) double dot_avx512_bf16(std::uint64_t iterations) {
#define D(i) __m512 a##i = _mm512_setzero_ps();
  AICQ_ACC16(D)
#undef D
  // 0x3A83 is the BF16 pattern of about 0.001 in every 16-bit element.
  const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi16(0x3A83));
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = _mm512_dpbf16_ps(a##i, x, x);
    AICQ_ACC16(F)
#undef F
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
    __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13), "+v"(a14), "+v"(a15));
  }
  __m512 s = _mm512_setzero_ps();
#define S(i) s = _mm512_add_ps(s, a##i);
  AICQ_ACC16(S)
#undef S
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  double sum = 0;
  for (float v : out) sum += static_cast<double>(v);
  return sum;
}

__attribute__((target("avx512f,avx512vnni"))) double dot_avx512_int8(std::uint64_t iterations) {
#define D(i) __m512i a##i = _mm512_setzero_si512();
  AICQ_ACC16(D)
#undef D
  const __m512i x = _mm512_set1_epi8(1);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = _mm512_dpbusd_epi32(a##i, x, x);
    AICQ_ACC16(F)
#undef F
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
    __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13), "+v"(a14), "+v"(a15));
  }
  __m512i s = _mm512_setzero_si512();
#define S(i) s = _mm512_add_epi32(s, a##i);
  AICQ_ACC16(S)
#undef S
  alignas(64) std::int32_t out[16];
  _mm512_store_si512(out, s);
  double sum = 0;
  for (std::int32_t v : out) sum += static_cast<double>(v);
  return sum;
}

const FmaKernel* fma_kernel(const std::string& precision, std::string* why_not) {
  static const FmaKernel avx512_bf16{"bf16", "avx512_bf16", "VDPBF16PS zmm, 16 independent accumulators",
                                     16 * 16 * 4.0, &dot_avx512_bf16};
  static const FmaKernel avx512_int8{"int8", "avx512_vnni", "VPDPBUSD zmm, 16 independent accumulators",
                                     16 * 16 * 8.0, &dot_avx512_int8};
  static const FmaKernel avx512_f64{"fp64", "avx512f", "VFMADD231PD zmm, 16 independent accumulators", 16 * 8 * 2.0,
                                    &fma_avx512_f64};
  static const FmaKernel avx512_f32{"fp32", "avx512f", "VFMADD231PS zmm, 16 independent accumulators", 16 * 16 * 2.0,
                                    &fma_avx512_f32};
  static const FmaKernel avx2_f64{"fp64", "avx2+fma", "VFMADD231PD ymm, 12 independent accumulators", 12 * 4 * 2.0,
                                  &fma_avx2_f64};
  static const FmaKernel avx2_f32{"fp32", "avx2+fma", "VFMADD231PS ymm, 12 independent accumulators", 12 * 8 * 2.0,
                                  &fma_avx2_f32};
  __builtin_cpu_init();
  // __builtin_cpu_supports reads CPUID and checks that the OS saves the wider registers (XCR0).
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (precision == "fp64") {
    if (avx512) return &avx512_f64;
    if (avx2) return &avx2_f64;
  } else if (precision == "fp32") {
    if (avx512) return &avx512_f32;
    if (avx2) return &avx2_f32;
  } else if (precision == "bf16") {
    if (__builtin_cpu_supports("avx512bf16")) return &avx512_bf16;
    if (why_not) *why_not = "no AVX512_BF16 on this CPU (the only BF16 kernel)";
    return nullptr;
  } else if (precision == "int8") {
    if (__builtin_cpu_supports("avx512vnni")) return &avx512_int8;
    if (why_not) *why_not = "no AVX512_VNNI on this CPU (the only INT8 kernel)";
    return nullptr;
  } else {
    if (why_not) *why_not = "kernels exist for fp64, fp32, bf16 and int8 only";
    return nullptr;
  }
  if (why_not) *why_not = "this CPU has neither AVX-512F nor AVX2+FMA";
  return nullptr;
}

#elif defined(AICQ_KERNELS_ARM64)

#define AICQ_ACC24(X)                                                                                    \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) \
  X(19) X(20) X(21) X(22) X(23)

double fma_neon_f64(std::uint64_t iterations) {
#define D(i) float64x2_t a##i = vdupq_n_f64(1.0);
  AICQ_ACC24(D)
#undef D
  const float64x2_t m = vdupq_n_f64(0.999999), c = vdupq_n_f64(1e-6);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = vfmaq_f64(c, a##i, m);
    AICQ_ACC24(F)
#undef F
#define K(i) __asm__ volatile("" : "+w"(a##i));
    AICQ_ACC24(K)
#undef K
  }
  float64x2_t s = vdupq_n_f64(0.0);
#define S(i) s = vaddq_f64(s, a##i);
  AICQ_ACC24(S)
#undef S
  return vaddvq_f64(s);
}

double fma_neon_f32(std::uint64_t iterations) {
#define D(i) float32x4_t a##i = vdupq_n_f32(1.0f);
  AICQ_ACC24(D)
#undef D
  const float32x4_t m = vdupq_n_f32(0.9999f), c = vdupq_n_f32(1e-4f);
  for (std::uint64_t k = 0; k < iterations; ++k) {
#define F(i) a##i = vfmaq_f32(c, a##i, m);
    AICQ_ACC24(F)
#undef F
#define K(i) __asm__ volatile("" : "+w"(a##i));
    AICQ_ACC24(K)
#undef K
  }
  float32x4_t s = vdupq_n_f32(0.0f);
#define S(i) s = vaddq_f32(s, a##i);
  AICQ_ACC24(S)
#undef S
  return static_cast<double>(vaddvq_f32(s));
}

const FmaKernel* fma_kernel(const std::string& precision, std::string* why_not) {
  static const FmaKernel neon_f64{"fp64", "asimd", "FMLA v.2d, 24 independent accumulators", 24 * 2 * 2.0, &fma_neon_f64};
  static const FmaKernel neon_f32{"fp32", "asimd", "FMLA v.4s, 24 independent accumulators", 24 * 4 * 2.0, &fma_neon_f32};
  if (precision == "fp64") return &neon_f64;
  if (precision == "fp32") return &neon_f32;
  if (why_not) *why_not = "on Arm only fp64 and fp32 kernels exist";
  return nullptr;
}

#else

const FmaKernel* fma_kernel(const std::string&, std::string* why_not) {
  if (why_not) *why_not = "no FMA kernel for this architecture (x86-64 and AArch64 only)";
  return nullptr;
}

#endif

}  // namespace aicq::hw::detail

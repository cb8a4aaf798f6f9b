// Register-only microbenchmark kernels of the peak discovery (peak.hpp): a chain of dependent integer adds
// (one cycle of latency each on every x86 and Arm core, so adds per second = core clock) and FMA kernels
// with enough independent accumulators to cover FMA latency × pipes. Each ISA variant is compiled with its
// own target attribute and chosen at run time from CPUID (__builtin_cpu_supports), so one binary runs on any
// x86-64. Internal to the hw layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aicq::hw::detail {

/// Dependent adds per iteration of dependent_adds().
inline constexpr int kAddsPerIteration = 64;

/// True where dependent_adds() is implemented (x86-64, AArch64).
bool clock_kernel_available();

/// `iterations` × kAddsPerIteration dependent register adds; returns their sum (= the count of adds), so that
/// the work is observable and checkable.
std::uint64_t dependent_adds(std::uint64_t iterations);

/// A multiply-accumulate kernel: FMA for fp64/fp32, VDPBF16PS for bf16, VPDPBUSD for int8 (OP, not FLOP).
struct FmaKernel {
  std::string precision;    // fp64 | fp32 | bf16 | int8
  std::string isa;          // "avx512f", "avx2+fma", "avx512_bf16", "avx512_vnni", "asimd"
  std::string instruction;  // "VFMADD231PD zmm x 16 independent accumulators"
  double flop_per_iteration = 0;
  double (*run)(std::uint64_t iterations) = nullptr;  // returns a checksum (finite, about 1 per accumulator)
};

/// The widest kernel this CPU can run for `precision`; nullptr (with `why_not`) when there is none.
const FmaKernel* fma_kernel(const std::string& precision, std::string* why_not = nullptr);

}  // namespace aicq::hw::detail

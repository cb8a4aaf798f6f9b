// compat.runtimes: which compute runtimes work on this machine (sus.compatibility's local test matrix).
//
// Every runtime that can compute runs the same small matrix product (64×64, fixed seed) in each precision
// it offers, compared with a naive double reference, normwise: max|C − R| ÷ max|R| within 1e-12 (fp64),
// 1e-5 (fp32), 1e-2 (bf16, whose inputs are rounded to 8 bits of mantissa). Runtimes that are not linked into
// aicq are loaded with dlopen(RTLD_LOCAL), so that their symbols never clash with OpenBLAS's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::compat {

/// pass: every precision tried agrees; partial: it loads but some precision or function fails (or cannot be
/// exercised); fail: present but wrong or broken; absent: not installed (listed, not scored).
enum class Result { pass, partial, fail, absent };
std::string to_string(Result r);
/// The sample value of a row: pass 1, partial 0.5, fail 0 (absent rows have none).
double score(Result r);

/// One case of a row: a precision (or a function) and how it went.
struct Case {
  std::string what;       // "fp64", "fp32", "bf16", "omp parallel", "MPI_Get_library_version", …
  bool passed = false;
  double rel_error = 0;   // normwise relative error against the reference (0 when not a product)
  std::string detail;
};

struct Row {
  std::string runtime;  // "openmp", "openblas", "blis", "onednn", "libtorch", "cuda", "opencl", "mpi"
  std::string layer;    // an id of data/catalogs/compatibility_layers.yaml
  Result result = Result::absent;
  std::string version;
  std::string reason;   // why not pass (or what was found, for absent)
  std::vector<Case> cases;
};

/// Where the runtimes that are loaded at run time are looked for, in order (dlopen names or paths). Tests
/// point an entry at a path that does not exist to see the runtime reported absent.
struct Libraries {
  std::vector<std::string> blis{"libblis.so.4", "libblis.so"};
  std::vector<std::string> libtorch{"libtorch_cpu.so", "libtorch.so"};
  std::vector<std::string> cuda_driver{"libcuda.so.1", "libcuda.so"};
  std::vector<std::string> cuda_blas{"libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11"};
  std::vector<std::string> cuda_runtime{"libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"};
  std::vector<std::string> opencl{"libOpenCL.so.1", "libOpenCL.so"};
  std::vector<std::string> mpi{"libmpi.so.40", "libmpi.so"};
};

/// The same product through libtorch's C++ API (torch::mm at fp64, fp32 and bf16), when this aicq is built with
/// libtorch (torch_compat.cpp); nullopt without it (torch_absent.cpp), and compat then only checks that the
/// library loads. `a` and `b` are n×n row-major.
struct TorchProduct {
  std::string version;                  // "libtorch 1.13.1"
  std::vector<double> fp64, fp32, bf16;  // n×n results, as double; empty when that precision threw
  std::vector<std::string> errors;       // "bf16: …" for a precision that threw
};
std::optional<TorchProduct> torch_product(const std::vector<double>& a, const std::vector<double>& b, int n);

/// Tries every runtime; never throws for a runtime that is missing or broken (that is its row).
/// Throws Cancelled when ctx is cancelled between runtimes.
std::vector<Row> check_runtimes(const Context& ctx, const Libraries& libs = {});

/// The probe's result for given rows: one Measurement per present runtime (id = runtime, unit "1",
/// samples {score}, details {runtime, layer, result, version, reason, cases}); absent runtimes only in
/// effective["absent"][runtime] = {layer, reason}.
ProbeResult to_result(const std::vector<Row>& rows);

/// check_runtimes + to_result, timed.
ProbeResult run(const Context& ctx, const Libraries& libs = {});

}  // namespace aicq::probe::compat

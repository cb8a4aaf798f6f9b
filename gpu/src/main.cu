// aicq-gpu-probe: GEMM through cuBLASLt at FP64, TF32, BF16, FP16 and FP8, device-to-device copy and pinned
// host↔device transfers, on every GPU CUDA shows (CUDA_VISIBLE_DEVICES decides which), written as aicq evidence.
//
// This is the only file that talks to the GPU; counting, statistics, checks, the command line and the JSON are
// in host/ (plain C++, unit-tested without CUDA in tests/gpu). Every CUDA and cuBLASLt call is checked where it
// is made, and the message names the call and the status.
//
// How it measures (docs/measurement.md, "GPU probes"):
//   - one host thread per device; all devices start each measurement together (a barrier), so a node's figure
//     is what its devices do at the same time, per repetition;
//   - inputs are random (a counter-based generator on the device; never zeros), output buffers too, so a
//     GEMM or copy that writes nothing cannot pass its check;
//   - warm-ups, then each repetition timed with its own pair of CUDA events on the device's stream;
//   - every GEMM result is checked against an FP64 reference on sampled entries, computed on the device from the
//     same inputs; every copy is compared byte for byte.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "evidence_json.hpp"
#include "probe_logic.hpp"

#ifndef AICQ_GPU_PROBE_VERSION
#define AICQ_GPU_PROBE_VERSION "unknown"
#endif

namespace aicq::gpu {
namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t{64} << 20;  // cuBLASLt workspace (Hopper kernels want ≥ 32 MiB)
constexpr unsigned kThreads = 256;

// ---- errors ----------------------------------------------------------------------------------------------

struct GpuError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess)
    throw GpuError(std::string(call) + ": " + cudaGetErrorName(e) + " (" + std::to_string(static_cast<int>(e)) +
                   "): " + cudaGetErrorString(e));
}

void check(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw GpuError(std::string(call) + ": " + cublasLtGetStatusName(s) + " (" + std::to_string(static_cast<int>(s)) +
                   "): " + cublasLtGetStatusString(s));
}

// ---- a barrier (the file is CUDA C++17: CMake 3.25 knows no C++20 flags for nvcc, so no std::barrier) ---------

class Barrier {
 public:
  explicit Barrier(std::size_t count) : count_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(m_);
    const std::size_t gen = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t count_, arrived_ = 0, generation_ = 0;
};

// ---- resources (RAII) ------------------------------------------------------------------------------------

template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) : n_(n) {
    void* p = nullptr;
    check(cudaMalloc(&p, n * sizeof(T)), "cudaMalloc");
    p_ = static_cast<T*>(p);
  }
  ~DeviceArray() { cudaFree(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

class PinnedBuffer {
 public:
  explicit PinnedBuffer(std::size_t bytes) : bytes_(bytes) { check(cudaMallocHost(&p_, bytes), "cudaMallocHost"); }
  ~PinnedBuffer() { cudaFreeHost(p_); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  std::uint64_t* words() const { return static_cast<std::uint64_t*>(p_); }
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

class Event {
 public:
  Event() { check(cudaEventCreate(&e_), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(e_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : e_(o.e_) { o.e_ = nullptr; }
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// A cuBLASLt object with its destroy function.
template <class H, cublasStatus_t (*Destroy)(H)>
class LtObject {
 public:
  LtObject() = default;
  ~LtObject() {
    if (h_) Destroy(h_);
  }
  LtObject(const LtObject&) = delete;
  LtObject& operator=(const LtObject&) = delete;
  H* out() { return &h_; }
  H get() const { return h_; }

 private:
  H h_ = nullptr;
};
using LtHandle = LtObject<cublasLtHandle_t, cublasLtDestroy>;
using LtDesc = LtObject<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = LtObject<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPreference = LtObject<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

// What one device thread holds for the whole run.
struct DeviceContext {
  explicit DeviceContext(int device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    check(cublasLtCreate(lt.out()), "cublasLtCreate");
    workspace = std::make_unique<DeviceArray<unsigned char>>(kWorkspaceBytes);
  }
  ~DeviceContext() {
    workspace.reset();
    if (stream) cudaStreamDestroy(stream);
  }
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  cudaStream_t stream = nullptr;
  LtHandle lt;
  std::unique_ptr<DeviceArray<unsigned char>> workspace;
};

// ---- kernels ---------------------------------------------------------------------------------------------

__host__ __device__ inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The word at index i of the random stream `seed` (host and device agree, for the transfer checks).
__host__ __device__ inline std::uint64_t random_word(std::uint64_t seed, std::uint64_t i) { return mix64(seed ^ mix64(i)); }

template <class T>
__device__ inline T from_unit(double u);
template <>
__device__ inline double from_unit<double>(double u) { return u; }
template <>
__device__ inline float from_unit<float>(double u) { return static_cast<float>(u); }
template <>
__device__ inline __nv_bfloat16 from_unit<__nv_bfloat16>(double u) { return __float2bfloat16(static_cast<float>(u)); }
template <>
__device__ inline __half from_unit<__half>(double u) { return __float2half(static_cast<float>(u)); }
template <>
__device__ inline __nv_fp8_e4m3 from_unit<__nv_fp8_e4m3>(double u) { return __nv_fp8_e4m3(static_cast<float>(u)); }

__device__ inline double to_double(double x) { return x; }
__device__ inline double to_double(float x) { return x; }
__device__ inline double to_double(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ inline double to_double(__half x) { return __half2float(x); }
__device__ inline double to_double(__nv_fp8_e4m3 x) { return static_cast<float>(x); }

// Uniform in [-1, 1), rounded to T.
template <class T>
__global__ void fill_uniform(T* p, std::size_t n, std::uint64_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const double u = static_cast<double>(random_word(seed, i) >> 11) * 0x1.0p-53;
    p[i] = from_unit<T>(2 * u - 1);
  }
}

__global__ void fill_words(std::uint64_t* p, std::size_t n, std::uint64_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    p[i] = random_word(seed, i);
}

// Words of `a` that differ from `b` (b == nullptr: from the random stream `seed`).
__global__ void count_mismatches(const std::uint64_t* a, const std::uint64_t* b, std::size_t n, std::uint64_t seed,
                                 unsigned long long* bad) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  unsigned long long local = 0;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    local += a[i] != (b ? b[i] : random_word(seed, i)) ? 1ull : 0ull;
  if (local) atomicAdd(bad, local);
}

// One block per sampled entry (i, j) of D = op(A)·B with A stored k×m (so op(A) = Aᵀ) and B k×n, column-major:
// D[i, j] = Σ_l A[l + i·k] · B[l + j·k], summed in FP64 from the same stored inputs.
template <class TIn, class TOut>
__global__ void reference_entries(const TIn* a, const TIn* b, const TOut* d, std::int64_t m, std::int64_t k,
                                  const std::int64_t* rows, const std::int64_t* cols, double* ref, double* got) {
  __shared__ double partial[kThreads];
  const std::int64_t i = rows[blockIdx.x], j = cols[blockIdx.x];
  const TIn* ai = a + i * k;
  const TIn* bj = b + j * k;
  double s = 0;
  for (std::int64_t l = threadIdx.x; l < k; l += blockDim.x) s += to_double(ai[l]) * to_double(bj[l]);
  partial[threadIdx.x] = s;
  __syncthreads();
  for (unsigned w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) partial[threadIdx.x] += partial[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    ref[blockIdx.x] = partial[0];
    got[blockIdx.x] = to_double(d[i + j * m]);
  }
}

unsigned grid_for(std::size_t n) {
  const std::size_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::min<std::size_t>(blocks, 65535u * 8u));
}

template <class T>
void fill(const DeviceArray<T>& a, std::uint64_t seed, cudaStream_t s) {
  fill_uniform<T><<<grid_for(a.size()), kThreads, 0, s>>>(a.get(), a.size(), seed);
  check(cudaGetLastError(), "fill_uniform<<<>>>");
}

// ---- timing ----------------------------------------------------------------------------------------------

// Runs `body` warm-up times, then `reps` times each between its own pair of events; returns seconds per rep.
template <class F>
std::vector<double> time_on_stream(cudaStream_t s, int warmups, int reps, F&& body) {
  for (int i = 0; i < warmups; ++i) body();
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize (warm-up)");
  std::vector<Event> start, stop;
  start.reserve(static_cast<std::size_t>(reps));
  stop.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    start.emplace_back();
    stop.emplace_back();
  }
  for (int i = 0; i < reps; ++i) {
    const auto u = static_cast<std::size_t>(i);
    check(cudaEventRecord(start[u].get(), s), "cudaEventRecord");
    body();
    check(cudaEventRecord(stop[u].get(), s), "cudaEventRecord");
  }
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize (timed repetitions)");
  std::vector<double> seconds;
  for (int i = 0; i < reps; ++i) {
    float ms = 0;
    const auto u = static_cast<std::size_t>(i);
    check(cudaEventElapsedTime(&ms, start[u].get(), stop[u].get()), "cudaEventElapsedTime");
    seconds.push_back(static_cast<double>(ms) / 1e3);
  }
  return seconds;
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / 1073741824.0);
  return buf;
}

// Free device memory, and whether `need` bytes fit with a margin.
std::optional<std::string> too_big(double need) {
  std::size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  if (need <= 0.9 * static_cast<double>(free_b)) return std::nullopt;
  return "needs " + gib(need) + " of device memory, " + gib(static_cast<double>(free_b)) + " free (use a smaller size)";
}

// ---- GEMM ------------------------------------------------------------------------------------------------

struct GemmTypes {
  cudaDataType_t in, out;
  cublasComputeType_t compute;
  cudaDataType_t scale;
  const char* text;
};

GemmTypes gemm_types(Precision p) {
  switch (p) {
    case Precision::fp64: return {CUDA_R_64F, CUDA_R_64F, CUBLAS_COMPUTE_64F, CUDA_R_64F, "A, B, D FP64; FP64 compute"};
    case Precision::tf32:
      return {CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, CUDA_R_32F,
              "A, B, D FP32; compute CUBLAS_COMPUTE_32F_FAST_TF32 (inputs rounded to TF32, FP32 accumulation)"};
    case Precision::bf16: return {CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, CUDA_R_32F, "A, B, D BF16; FP32 accumulation"};
    case Precision::fp16: return {CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, CUDA_R_32F, "A, B, D FP16; FP32 accumulation"};
    case Precision::fp8:
      return {CUDA_R_8F_E4M3, CUDA_R_16BF, CUBLAS_COMPUTE_32F, CUDA_R_32F, "A, B FP8 E4M3 (scales 1), D BF16; FP32 accumulation"};
  }
  throw std::logic_error("unknown precision");
}

template <class TIn, class TOut>
DeviceRun run_gemm_typed(Precision p, int device, DeviceContext& ctx, const Options& o, std::uint64_t seed) {
  DeviceRun r;
  r.device = device;
  if (auto big = too_big(gemm_bytes(p, o.m, o.n, o.k))) {
    r.not_run = *big;
    return r;
  }
  const auto m = static_cast<std::uint64_t>(o.m), n = static_cast<std::uint64_t>(o.n), k = static_cast<std::uint64_t>(o.k);
  DeviceArray<TIn> a(k * m), b(k * n);
  DeviceArray<TOut> d(m * n);
  fill(a, mix64(seed ^ 1), ctx.stream);
  fill(b, mix64(seed ^ 2), ctx.stream);
  fill(d, mix64(seed ^ 3), ctx.stream);  // a product that writes nothing leaves random values: the check fails

  const GemmTypes t = gemm_types(p);
  LtDesc desc;
  check(cublasLtMatmulDescCreate(desc.out(), t.compute, t.scale), "cublasLtMatmulDescCreate");
  // TN: A is stored k×m and transposed, B k×n as is — the layout FP8 requires on Hopper, kept for every
  // precision so that all of them run the same shape.
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  check(cublasLtMatmulDescSetAttribute(desc.get(), CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof transa),
        "cublasLtMatmulDescSetAttribute(TRANSA)");
  check(cublasLtMatmulDescSetAttribute(desc.get(), CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof transb),
        "cublasLtMatmulDescSetAttribute(TRANSB)");
  if (p == Precision::fp8) {
    const std::int8_t fast = o.fp8_fast_accum ? 1 : 0;
    check(cublasLtMatmulDescSetAttribute(desc.get(), CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof fast),
          "cublasLtMatmulDescSetAttribute(FAST_ACCUM)");
  }
  LtLayout la, lb, ld;
  check(cublasLtMatrixLayoutCreate(la.out(), t.in, k, m, static_cast<std::int64_t>(k)), "cublasLtMatrixLayoutCreate(A)");
  check(cublasLtMatrixLayoutCreate(lb.out(), t.in, k, n, static_cast<std::int64_t>(k)), "cublasLtMatrixLayoutCreate(B)");
  check(cublasLtMatrixLayoutCreate(ld.out(), t.out, m, n, static_cast<std::int64_t>(m)), "cublasLtMatrixLayoutCreate(D)");
  LtPreference pref;
  check(cublasLtMatmulPreferenceCreate(pref.out()), "cublasLtMatmulPreferenceCreate");
  const std::size_t ws = kWorkspaceBytes;
  check(cublasLtMatmulPreferenceSetAttribute(pref.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws),
        "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
  cublasLtMatmulHeuristicResult_t heur{};
  int found = 0;
  check(cublasLtMatmulAlgoGetHeuristic(ctx.lt.get(), desc.get(), la.get(), lb.get(), ld.get(), ld.get(), pref.get(), 1, &heur,
                                       &found),
        "cublasLtMatmulAlgoGetHeuristic");
  if (found == 0) {
    r.not_run = std::string("cuBLASLt offers no algorithm for ") + std::string(to_string(p)) + " (" + t.text + ")";
    return r;
  }
  const double alpha64 = 1, beta64 = 0;
  const float alpha32 = 1, beta32 = 0;
  const void* alpha = t.scale == CUDA_R_64F ? static_cast<const void*>(&alpha64) : static_cast<const void*>(&alpha32);
  const void* beta = t.scale == CUDA_R_64F ? static_cast<const void*>(&beta64) : static_cast<const void*>(&beta32);
  auto launch = [&] {
    check(cublasLtMatmul(ctx.lt.get(), desc.get(), alpha, a.get(), la.get(), b.get(), lb.get(), beta, d.get(), ld.get(), d.get(),
                         ld.get(), &heur.algo, ctx.workspace->get(), ws, ctx.stream),
          "cublasLtMatmul");
  };
  r.seconds = time_on_stream(ctx.stream, o.warmups, o.reps, launch);
  r.kernel = "cuBLASLt heuristic's first algorithm (workspace " + std::to_string(heur.workspaceSize) + " B, waves " +
             std::to_string(heur.wavesCount) + ")";

  // The reference check on the last repetition's result (β = 0: every repetition writes the same product).
  const auto pos = sample_positions(o.m, o.n, o.check_samples, mix64(seed ^ 4));
  std::vector<std::int64_t> rows, cols;
  for (const auto& [i, j] : pos) {
    rows.push_back(i);
    cols.push_back(j);
  }
  DeviceArray<std::int64_t> drows(rows.size()), dcols(cols.size());
  DeviceArray<double> dref(rows.size()), dgot(rows.size());
  check(cudaMemcpyAsync(drows.get(), rows.data(), rows.size() * sizeof(std::int64_t), cudaMemcpyHostToDevice, ctx.stream),
        "cudaMemcpyAsync(rows)");
  check(cudaMemcpyAsync(dcols.get(), cols.data(), cols.size() * sizeof(std::int64_t), cudaMemcpyHostToDevice, ctx.stream),
        "cudaMemcpyAsync(cols)");
  reference_entries<TIn, TOut><<<static_cast<unsigned>(rows.size()), kThreads, 0, ctx.stream>>>(
      a.get(), b.get(), d.get(), o.m, o.k, drows.get(), dcols.get(), dref.get(), dgot.get());
  check(cudaGetLastError(), "reference_entries<<<>>>");
  std::vector<double> ref(rows.size()), got(rows.size());
  check(cudaMemcpyAsync(ref.data(), dref.get(), ref.size() * sizeof(double), cudaMemcpyDeviceToHost, ctx.stream),
        "cudaMemcpyAsync(reference)");
  check(cudaMemcpyAsync(got.data(), dgot.get(), got.size() * sizeof(double), cudaMemcpyDeviceToHost, ctx.stream),
        "cudaMemcpyAsync(result)");
  check(cudaStreamSynchronize(ctx.stream), "cudaStreamSynchronize (reference check)");
  r.check = check_against_reference(got, ref, reference_tolerance(p, o.fp8_fast_accum));
  return r;
}

DeviceRun run_gemm(Precision p, int device, const DeviceInfo& info, DeviceContext& ctx, const Options& o, std::uint64_t seed) {
  if (auto why = unsupported_reason(p, info.cc_major, info.cc_minor)) {
    DeviceRun r;
    r.device = device;
    r.not_run = *why;
    return r;
  }
  switch (p) {
    case Precision::fp64: return run_gemm_typed<double, double>(p, device, ctx, o, seed);
    case Precision::tf32: return run_gemm_typed<float, float>(p, device, ctx, o, seed);
    case Precision::bf16: return run_gemm_typed<__nv_bfloat16, __nv_bfloat16>(p, device, ctx, o, seed);
    case Precision::fp16: return run_gemm_typed<__half, __half>(p, device, ctx, o, seed);
    case Precision::fp8: return run_gemm_typed<__nv_fp8_e4m3, __nv_bfloat16>(p, device, ctx, o, seed);
  }
  throw std::logic_error("unknown precision");
}

// ---- bandwidth -------------------------------------------------------------------------------------------

ReferenceCheck byte_check(unsigned long long bad, std::size_t words, const std::string& what) {
  ReferenceCheck c;
  c.samples = words;
  c.passed = bad == 0;
  c.rel_rms_error = static_cast<double>(bad) / static_cast<double>(words);
  c.detail = c.passed ? "all " + std::to_string(words * 8) + " bytes " + what
                      : std::to_string(bad) + " of " + std::to_string(words) + " 8-byte words differ: " + what + " failed";
  return c;
}

unsigned long long mismatches(const std::uint64_t* a, const std::uint64_t* b, std::size_t n, std::uint64_t seed, cudaStream_t s) {
  DeviceArray<unsigned long long> bad(1);
  check(cudaMemsetAsync(bad.get(), 0, sizeof(unsigned long long), s), "cudaMemsetAsync");
  count_mismatches<<<grid_for(n), kThreads, 0, s>>>(a, b, n, seed, bad.get());
  check(cudaGetLastError(), "count_mismatches<<<>>>");
  unsigned long long host = 0;
  check(cudaMemcpyAsync(&host, bad.get(), sizeof host, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync(mismatches)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize (copy check)");
  return host;
}

DeviceRun run_device_copy(int device, DeviceContext& ctx, const Options& o, std::uint64_t seed) {
  DeviceRun r;
  r.device = device;
  const std::size_t words = o.copy_bytes / 8, bytes = words * 8;
  if (auto big = too_big(2.0 * static_cast<double>(bytes))) {
    r.not_run = *big;
    return r;
  }
  DeviceArray<std::uint64_t> src(words), dst(words);
  fill_words<<<grid_for(words), kThreads, 0, ctx.stream>>>(src.get(), words, seed);
  fill_words<<<grid_for(words), kThreads, 0, ctx.stream>>>(dst.get(), words, ~seed);
  check(cudaGetLastError(), "fill_words<<<>>>");
  r.seconds = time_on_stream(ctx.stream, o.warmups, o.reps, [&] {
    check(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, ctx.stream), "cudaMemcpyAsync(device to device)");
  });
  r.kernel = "cudaMemcpyAsync device to device";
  r.check = byte_check(mismatches(dst.get(), src.get(), words, 0, ctx.stream), words, "of the copy equal the source");
  return r;
}

DeviceRun run_host_transfer(bool to_device, int device, DeviceContext& ctx, const Options& o, std::uint64_t seed) {
  DeviceRun r;
  r.device = device;
  const std::size_t words = o.host_bytes / 8, bytes = words * 8;
  if (auto big = too_big(static_cast<double>(bytes))) {
    r.not_run = *big;
    return r;
  }
  PinnedBuffer host(bytes);
  DeviceArray<std::uint64_t> dev(words);
  std::uint64_t* h = host.words();
  if (to_device) {
    for (std::size_t i = 0; i < words; ++i) h[i] = random_word(seed, i);
    fill_words<<<grid_for(words), kThreads, 0, ctx.stream>>>(dev.get(), words, ~seed);
  } else {
    for (std::size_t i = 0; i < words; ++i) h[i] = random_word(~seed, i);
    fill_words<<<grid_for(words), kThreads, 0, ctx.stream>>>(dev.get(), words, seed);
  }
  check(cudaGetLastError(), "fill_words<<<>>>");
  r.seconds = time_on_stream(ctx.stream, o.warmups, o.reps, [&] {
    if (to_device)
      check(cudaMemcpyAsync(dev.get(), host.get(), bytes, cudaMemcpyHostToDevice, ctx.stream), "cudaMemcpyAsync(host to device)");
    else
      check(cudaMemcpyAsync(host.get(), dev.get(), bytes, cudaMemcpyDeviceToHost, ctx.stream), "cudaMemcpyAsync(device to host)");
  });
  r.kernel = to_device ? "cudaMemcpyAsync pinned host to device" : "cudaMemcpyAsync device to pinned host";
  if (to_device) {
    r.check = byte_check(mismatches(dev.get(), nullptr, words, seed, ctx.stream), words, "on the device equal what the host sent");
  } else {
    unsigned long long bad = 0;
    for (std::size_t i = 0; i < words; ++i) bad += h[i] != random_word(seed, i) ? 1u : 0u;
    r.check = byte_check(bad, words, "on the host equal what the device sent");
  }
  return r;
}

// ---- the run ---------------------------------------------------------------------------------------------

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string uuid_text(const cudaUUID_t& u) {
  std::string s = "GPU-";
  char buf[4];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<unsigned char>(u.bytes[i])));
    s += buf;
  }
  return s;
}

RunInfo describe(const Options& o) {
  int count = 0;
  check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES");
  if (count <= 0) throw GpuError(std::string("no CUDA device visible (CUDA_VISIBLE_DEVICES ") + (cvd ? cvd : "not set") + ")");
  RunInfo run;
  run.tool_version = AICQ_GPU_PROBE_VERSION;
  run.time = utc_now();
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) run.hostname = host;
  int v = 0;
  check(cudaRuntimeGetVersion(&v), "cudaRuntimeGetVersion");
  run.cuda_runtime = version_text(v);
  check(cudaDriverGetVersion(&v), "cudaDriverGetVersion");
  run.cuda_driver = version_text(v);
  const std::size_t lt = cublasLtGetVersion();
  run.cublaslt = std::to_string(lt / 10000) + "." + std::to_string((lt / 100) % 100) + "." + std::to_string(lt % 100);
  run.visible_devices = cvd ? cvd : "(not set)";
  run.options = o;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, d), "cudaGetDeviceProperties");
    DeviceInfo info;
    info.index = d;
    info.name = p.name;
    info.uuid = uuid_text(p.uuid);
    char bus[32] = {};
    check(cudaDeviceGetPCIBusId(bus, sizeof bus, d), "cudaDeviceGetPCIBusId");
    info.pci_bus_id = bus;
    info.cc_major = p.major;
    info.cc_minor = p.minor;
    info.multiprocessors = p.multiProcessorCount;
    info.memory_bytes = static_cast<double>(p.totalGlobalMem);
    run.devices.push_back(info);
  }
  return run;
}

struct Phase {
  std::string id;
  std::optional<Precision> precision;  // GEMM
};

std::vector<MeasurementRun> plan(const RunInfo& run, std::vector<Phase>& phases) {
  const Options& o = run.options;
  std::vector<MeasurementRun> out;
  char sizes[96];
  std::snprintf(sizes, sizeof sizes, "m=%lld n=%lld k=%lld", static_cast<long long>(o.m), static_cast<long long>(o.n),
                static_cast<long long>(o.k));
  for (Precision p : o.precisions) {
    MeasurementRun m;
    m.id = "gemm_" + std::string(to_string(p));
    m.precision = p;
    m.unit = "FLOP/s";
    m.work = gemm_flop(o.m, o.n, o.k);
    m.work_unit = "FLOP";
    m.library = "cuBLASLt " + run.cublaslt;
    m.method = std::string("cuBLASLt matmul D = Aᵀ·B (TN), ") + sizes + ", " + gemm_types(p).text +
               (p == Precision::fp8 ? (o.fp8_fast_accum ? ", fast accumulation" : ", no fast accumulation") : "") +
               ", β = 0; random inputs in [-1, 1); 2·m·n·k FLOP per repetition; checked against an FP64 reference on " +
               std::to_string(o.check_samples) + " sampled entries";
    out.push_back(m);
    phases.push_back({m.id, p});
  }
  const std::string rt = "CUDA runtime " + run.cuda_runtime;
  if (o.copy_bytes >= 8) {
    MeasurementRun m{"copy_d2d", std::nullopt, "B/s", device_copy_bytes(o.copy_bytes / 8 * 8), "B",
                     "cudaMemcpyAsync device to device of " + gib(static_cast<double>(o.copy_bytes / 8 * 8)) +
                         " of random data; bytes read + written (2 × size) per repetition; compared byte for byte",
                     rt, {}};
    out.push_back(m);
    phases.push_back({m.id, std::nullopt});
  }
  if (o.host_bytes >= 8) {
    for (const char* id : {"h2d", "d2h"}) {
      const bool h2d = std::string(id) == "h2d";
      MeasurementRun m{id, std::nullopt, "B/s", host_transfer_bytes(o.host_bytes / 8 * 8), "B",
                       std::string("cudaMemcpyAsync ") + (h2d ? "pinned host to device" : "device to pinned host") + " of " +
                           gib(static_cast<double>(o.host_bytes / 8 * 8)) +
                           " of random data (cudaMallocHost by the thread driving the GPU, not NUMA-placed); compared byte for byte",
                       rt, {}};
      out.push_back(m);
      phases.push_back({m.id, std::nullopt});
    }
  }
  for (auto& m : out) m.devices.resize(run.devices.size());
  return out;
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw GpuError("cannot write " + tmp + ": " + std::strerror(errno));
    f << text;
    f.flush();
    if (!f) throw GpuError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw GpuError("cannot rename " + tmp + " to " + path + ": " + why);
  }
}

int run_probe(const Options& o) {
  const RunInfo run = describe(o);
  std::cerr << "aicq-gpu-probe " << run.tool_version << ": " << run.devices.size() << " GPU(s), CUDA runtime "
            << run.cuda_runtime << ", driver API " << run.cuda_driver << ", cuBLASLt " << run.cublaslt
            << ", CUDA_VISIBLE_DEVICES " << run.visible_devices << "\n";
  for (const auto& d : run.devices)
    std::cerr << "  GPU " << d.index << ": " << d.name << " (sm_" << d.cc_major << d.cc_minor << ", " << d.multiprocessors
              << " SMs, " << gib(d.memory_bytes) << ", " << d.pci_bus_id << ")\n";

  std::vector<Phase> phases;
  std::vector<MeasurementRun> runs = plan(run, phases);
  Barrier sync(run.devices.size());
  std::mutex print;
  auto worker = [&](std::size_t slot) {
    const DeviceInfo& info = run.devices[slot];
    std::string fatal;
    std::unique_ptr<DeviceContext> ctx;
    try {
      ctx = std::make_unique<DeviceContext>(info.index);
    } catch (const std::exception& e) {
      fatal = e.what();
    }
    for (std::size_t ph = 0; ph < phases.size(); ++ph) {
      sync.arrive_and_wait();  // every device starts each measurement together
      DeviceRun r;
      r.device = info.index;
      const std::uint64_t seed = mix64(o.seed * 0x100000001B3ull + ph * 0x1000 + slot);
      if (!fatal.empty()) {
        r.not_run = "failed: " + fatal;
      } else {
        try {
          const Phase& p = phases[ph];
          if (p.precision) r = run_gemm(*p.precision, info.index, info, *ctx, o, seed);
          else if (p.id == "copy_d2d") r = run_device_copy(info.index, *ctx, o, seed);
          else r = run_host_transfer(p.id == "h2d", info.index, *ctx, o, seed);
        } catch (const std::exception& e) {
          r = DeviceRun{};
          r.device = info.index;
          r.not_run = std::string("failed: ") + e.what();
        }
      }
      {
        std::lock_guard<std::mutex> lock(print);
        std::cerr << "  GPU " << info.index << " " << runs[ph].id << ": ";
        if (!r.not_run.empty()) std::cerr << "not run: " << r.not_run << "\n";
        else
          std::cerr << format_rate(statistics(rates(runs[ph].work, r.seconds)).median, runs[ph].unit) << " (median of "
                    << r.seconds.size() << ")" << (r.check ? "; " + r.check->detail : std::string()) << "\n";
      }
      runs[ph].devices[slot] = std::move(r);
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < run.devices.size(); ++s) threads.emplace_back(worker, s);
  for (auto& t : threads) t.join();

  const std::string doc = evidence_document(run, runs).dump(2) + "\n";
  if (o.output.empty()) std::cout << doc << std::flush;
  else write_atomically(o.output, doc);
  std::cerr << "\n" << text_table(run, runs);
  if (!o.output.empty()) std::cerr << "evidence written to " << o.output << "\n";

  bool any = false, invalid = false;
  for (const auto& m : runs) {
    const Aggregate a = aggregate(m, run);
    any = any || a.stats.has_value();
    invalid = invalid || !a.valid;
  }
  if (!any && !runs.empty()) {
    std::cerr << "aicq-gpu-probe: no measurement ran on any device (see the reasons above)\n";
    return 1;
  }
  return invalid ? 3 : 0;
}

}  // namespace
}  // namespace aicq::gpu

int main(int argc, char** argv) {
  using namespace aicq::gpu;
  try {
    const Options o = parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (o.help) {
      std::cout << usage();
      return 0;
    }
    if (o.version) {
      std::cout << "aicq-gpu-probe " << AICQ_GPU_PROBE_VERSION << "\n";
      return 0;
    }
    return run_probe(o);
  } catch (const UsageError& e) {
    std::cerr << "aicq-gpu-probe: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "aicq-gpu-probe: " << e.what() << "\n";
    return 1;
  }
}

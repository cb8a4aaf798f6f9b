// aicq_bench_peers — the peers of aicq's compute and memory probes, called directly, with the sizes, inputs,
// thread counts and buffer handling of the probes (src/aicq/probe/gemm.cpp, linpack.cpp, stream.cpp):
//
//   dgemm_fp64   OpenBLAS cblas_dgemm, BLIS bli_dgemm            (probe: OpenBLAS cblas_dgemm, n = 4096)
//   matmul_fp32  oneDNN matmul f32, OpenBLAS cblas_sgemm, BLIS bli_sgemm   (probe: oneDNN matmul f32, n = 4096)
//   linpack_fp64 OpenBLAS dgetrf_ + dgetrs_                       (probe: the same routines, n = 12000, HPL count)
//   triad        a plain OpenMP STREAM triad a = b + q·c          (probe: its own OpenMP triad, 2^24 elements)
//
// BLIS is loaded with dlopen(RTLD_LOCAL) and called through dlsym: linked beside OpenBLAS, the two libraries'
// BLAS symbols (dgemm_, cblas_dgemm, …) would interpose on each other and one of them would silently run the
// other's code. Every product is checked against a double reference (aicq's check_product) and every solve
// against HPL's scaled residual, so that a fast wrong answer cannot pass as a rate.
//
// Prints one JSON document (schema aicq-bench-peers/1) on stdout; progress goes to stderr. Built only with
// -DAICQ_ENABLE_BENCH=ON; not part of the test suite. Exit 2 on a bad option, 1 when nothing could be measured.
#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <oneapi/dnnl/dnnl.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "aicq/probe/compute.hpp"  // header-only parts: Uniform (the probes' inputs), check_product, gemm_work

extern "C" {
void dgetrf_(const blasint* m, const blasint* n, double* a, const blasint* lda, blasint* ipiv, blasint* info);
void dgetrs_(const char* trans, const blasint* n, const blasint* nrhs, const double* a, const blasint* lda,
             const blasint* ipiv, double* b, const blasint* ldb, blasint* info, std::size_t trans_len);
}

namespace {

using aicq::probe::compute::check_product;
using aicq::probe::compute::gemm_work;
using aicq::probe::compute::kUnitFp32;
using aicq::probe::compute::kUnitFp64;
using aicq::probe::compute::Uniform;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Options {
  std::size_t gemm_n = 4096;            // compute.gemm, suite standard
  std::size_t linpack_n = 12000;        // compute.linpack, suite standard
  std::size_t stream_elements = 0;      // 0: STREAM's rule over the last-level cache, as memory.stream
  int reps = 5;                         // timed repetitions per peer (compute.gemm standard: 5–10)
  int linpack_reps = 3;                 // compute.linpack standard
  int stream_reps = 10;                 // STREAM's NTIMES
  int threads = 0;                      // 0: every online CPU, as the probes
  std::string blis = "libblis.so.4";
  bool triad_thp = false;               // memory.stream does not advise huge pages; --triad-thp does
  std::set<std::string> only;           // empty: all
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "aicq_bench_peers: " << message << "\n"
            << "usage: aicq_bench_peers [--gemm-n N] [--linpack-n N] [--stream-elements N] [--reps R]\n"
            << "                        [--linpack-reps R] [--stream-reps R] [--threads T] [--blis LIB]\n"
            << "                        [--triad-thp]\n"
            << "                        [--only dgemm,sgemm,linpack,triad]\n";
  std::exit(2);
}

std::size_t parse_count(const std::string& flag, const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v == 0) usage_error(flag + ": expected a positive integer, got '" + text + "'");
  return static_cast<std::size_t>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--gemm-n") o.gemm_n = parse_count(a, value());
    else if (a == "--linpack-n") o.linpack_n = parse_count(a, value());
    else if (a == "--stream-elements") o.stream_elements = parse_count(a, value());
    else if (a == "--reps") o.reps = static_cast<int>(parse_count(a, value()));
    else if (a == "--linpack-reps") o.linpack_reps = static_cast<int>(parse_count(a, value()));
    else if (a == "--stream-reps") o.stream_reps = static_cast<int>(parse_count(a, value()));
    else if (a == "--threads") o.threads = static_cast<int>(parse_count(a, value()));
    else if (a == "--blis") o.blis = value();
    else if (a == "--triad-thp") o.triad_thp = true;
    else if (a == "--only") {
      std::stringstream s(value());
      for (std::string w; std::getline(s, w, ',');) {
        if (w != "dgemm" && w != "sgemm" && w != "linpack" && w != "triad") usage_error("--only: unknown group '" + w + "'");
        o.only.insert(w);
      }
    } else usage_error("unknown option '" + a + "'");
  }
  if (o.threads == 0) o.threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  return o;
}

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// As aicq's compute::Buffer: 2 MiB aligned, advised for transparent huge pages, every page touched before any
// timing — the peers get the same page treatment as the probes, so a ratio compares the libraries.
class Buffer {
 public:
  explicit Buffer(std::size_t bytes) {
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kHuge - 1) / kHuge * kHuge;
    data_ = std::aligned_alloc(kHuge, rounded);
    if (!data_) throw std::bad_alloc();
    (void)::madvise(data_, rounded, MADV_HUGEPAGE);
    std::memset(data_, 0, rounded);
  }
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  template <class T>
  T* as() {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
};

json stats(const std::vector<double>& rates) {
  std::vector<double> s = rates;
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  const double median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  double mean = 0;
  for (const double v : s) mean += v;
  mean /= static_cast<double>(n);
  double var = 0;
  for (const double v : s) var += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(var / static_cast<double>(n - 1)) : 0.0;
  return {{"median", median}, {"mean", mean}, {"min", s.front()}, {"max", s.back()}, {"cv", mean > 0 ? sd / mean : 0.0},
          {"n", n}};
}

// One warm-up call (untimed), then `reps` timed calls; the rates of those calls.
template <class F>
std::vector<double> time_calls(double work, int reps, F&& body) {
  body();
  std::vector<double> rates;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    body();
    rates.push_back(work / since(t0));
  }
  return rates;
}

json result(const std::string& id, const std::string& figure, const std::string& unit, const std::vector<double>& rates,
            json details) {
  json r{{"id", id}, {"figure", figure}, {"unit", unit}, {"samples", rates}, {"stats", stats(rates)}};
  r["details"] = std::move(details);
  return r;
}

json env_or_null(const char* name) {
  const char* v = std::getenv(name);
  return v ? json(v) : json(nullptr);
}

json openblas_details() {
  return {{"library", "OpenBLAS"}, {"config", openblas_get_config()}, {"kernel", openblas_get_corename()},
          {"threads", openblas_get_num_threads()}};
}

template <class T>
void fill_uniform(T* p, std::size_t count, Uniform& u) {
  for (std::size_t i = 0; i < count; ++i) p[i] = static_cast<T>(u.next());
}

template <class T>
json check_json(const T* a, const T* b, const T* c, std::size_t n, double unit) {
  const auto ch = check_product(a, b, c, n, n, n, unit);
  return {{"passed", ch.passed}, {"detail", ch.detail}};
}

// ---- BLIS through dlopen ------------------------------------------------------------------------------------

// BLIS 0.9 typed API (blis.h: bli_l3_tapi.h): trans_t is an int enum (BLIS_NO_TRANSPOSE = 0), dim_t and inc_t
// are gint_t — 64-bit in Debian's build (BLIS_INT_TYPE_SIZE 64, checked at run time below).
template <class T>
using BliGemm = void (*)(int, int, std::int64_t, std::int64_t, std::int64_t, const T*, const T*, std::int64_t,
                         std::int64_t, const T*, std::int64_t, std::int64_t, const T*, T*, std::int64_t, std::int64_t);

struct Blis {
  void* handle = nullptr;
  BliGemm<double> dgemm = nullptr;
  BliGemm<float> sgemm = nullptr;
  std::string version, arch, error;
  ~Blis() {
    if (handle) dlclose(handle);
  }
};

void load_blis(Blis& b, const std::string& lib, int threads) {
  b.handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!b.handle) {
    b.error = std::string("dlopen(") + lib + "): " + dlerror();
    return;
  }
  auto sym = [&](const char* name) {
    void* p = dlsym(b.handle, name);
    if (!p && b.error.empty()) b.error = std::string("dlsym(") + name + ") in " + lib + ": not found";
    return p;
  };
  auto* int_size = reinterpret_cast<std::int64_t (*)()>(sym("bli_info_get_int_type_size"));
  auto* version = reinterpret_cast<const char* (*)()>(sym("bli_info_get_version_str"));
  auto* arch_id = reinterpret_cast<int (*)()>(sym("bli_arch_query_id"));
  auto* arch_string = reinterpret_cast<const char* (*)(int)>(sym("bli_arch_string"));
  auto* set_threads = reinterpret_cast<void (*)(std::int64_t)>(sym("bli_thread_set_num_threads"));
  b.dgemm = reinterpret_cast<BliGemm<double>>(sym("bli_dgemm"));
  b.sgemm = reinterpret_cast<BliGemm<float>>(sym("bli_sgemm"));
  if (!b.error.empty()) return;
  // The low 32 bits hold the answer whichever width gint_t has; the typed calls above assume 64.
  if ((int_size() & 0xffffffff) != 64) {
    b.error = "BLIS built with " + std::to_string(int_size() & 0xffffffff) + "-bit dim_t; this program assumes 64";
    return;
  }
  b.version = version();
  b.arch = arch_string(arch_id());
  set_threads(threads);
}

// ---- the measurements ----------------------------------------------------------------------------------------

json run_dgemm_openblas(const Options& o) {
  const std::size_t n = o.gemm_n, nn = n * n;
  Buffer a(nn * 8), b(nn * 8), c(nn * 8);
  Uniform u(0x5eed0001);  // compute.gemm's seed and order: the same matrices
  fill_uniform(a.as<double>(), nn, u);
  fill_uniform(b.as<double>(), nn, u);
  const auto ni = static_cast<blasint>(n);
  const auto rates = time_calls(gemm_work(n, n, n), o.reps, [&] {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0, a.as<double>(), ni, b.as<double>(), ni, 0.0,
                c.as<double>(), ni);
  });
  json d = openblas_details();
  d["routine"] = "cblas_dgemm (row-major, no transpose)";
  d["n"] = n;
  d["spot_check"] = check_json(a.as<double>(), b.as<double>(), c.as<double>(), n, kUnitFp64);
  return result("openblas.dgemm", "dgemm_fp64", "FLOP/s", rates, d);
}

json run_sgemm_openblas(const Options& o) {
  const std::size_t n = o.gemm_n, nn = n * n;
  Buffer a(nn * 4), b(nn * 4), c(nn * 4);
  Uniform u(0x5eed0002);
  fill_uniform(a.as<float>(), nn, u);
  fill_uniform(b.as<float>(), nn, u);
  const auto ni = static_cast<blasint>(n);
  const auto rates = time_calls(gemm_work(n, n, n), o.reps, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a.as<float>(), ni, b.as<float>(), ni, 0.0f,
                c.as<float>(), ni);
  });
  json d = openblas_details();
  d["routine"] = "cblas_sgemm (row-major, no transpose)";
  d["n"] = n;
  d["spot_check"] = check_json(a.as<float>(), b.as<float>(), c.as<float>(), n, kUnitFp32);
  return result("openblas.sgemm", "matmul_fp32", "FLOP/s", rates, d);
}

template <class T>
json run_gemm_blis(const Options& o, const Blis& blis, BliGemm<T> gemm, const char* id, const char* figure,
                   std::uint64_t seed, double unit) {
  const std::size_t n = o.gemm_n, nn = n * n;
  Buffer a(nn * sizeof(T)), b(nn * sizeof(T)), c(nn * sizeof(T));
  Uniform u(seed);
  fill_uniform(a.as<T>(), nn, u);
  fill_uniform(b.as<T>(), nn, u);
  const auto ni = static_cast<std::int64_t>(n);
  const T one = 1, zero = 0;
  // Row-major operands as BLIS takes them natively: row stride n, column stride 1.
  const auto rates = time_calls(gemm_work(n, n, n), o.reps, [&] {
    gemm(0, 0, ni, ni, ni, &one, a.as<T>(), ni, 1, b.as<T>(), ni, 1, &zero, c.as<T>(), ni, 1);
  });
  json d{{"library", "BLIS"},
         {"version", blis.version},
         {"arch", blis.arch},
         {"routine", std::string(sizeof(T) == 8 ? "bli_dgemm" : "bli_sgemm") + " (row strides, no transpose)"},
         {"loaded", "dlopen RTLD_LOCAL"},
         {"threads", o.threads},
         {"n", n}};
  d["spot_check"] = check_json(a.as<T>(), b.as<T>(), c.as<T>(), n, unit);
  return result(id, figure, "FLOP/s", rates, d);
}

json run_matmul_onednn(const Options& o) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  const std::size_t n = o.gemm_n, nn = n * n;
  const auto nd = static_cast<dnnl::memory::dim>(n);
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const dnnl::memory::desc md({nd, nd}, dt::f32, tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(md, md, md), engine);
  Buffer a(nn * 4), b(nn * 4), c(nn * 4);
  Uniform u(0x5eed0002);  // compute.gemm's FP32 seed
  fill_uniform(a.as<float>(), nn, u);
  fill_uniform(b.as<float>(), nn, u);
  dnnl::memory am(md, engine, a.as<float>()), bm(md, engine, b.as<float>()), cm(md, engine, c.as<float>());
  const dnnl::matmul prim(pd);
  const std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}};
  const auto rates = time_calls(gemm_work(n, n, n), o.reps, [&] {
    prim.execute(stream, args);
    stream.wait();
  });
  const dnnl_version_t* v = dnnl_version();
  json d{{"library", "oneDNN"},
         {"version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)},
         {"kernel", pd.impl_info_str()},
         {"primitive", "matmul f32 (plain row-major weights, packed inside each call)"},
         {"threads", omp_get_max_threads()},
         {"n", n}};
  d["spot_check"] = check_json(a.as<float>(), b.as<float>(), c.as<float>(), n, kUnitFp32);
  return result("onednn.matmul_f32", "matmul_fp32", "FLOP/s", rates, d);
}

// HPL's operation count and scaled residual, as compute.linpack (and HPL) use them.
double hpl_flop(std::size_t n) {
  const double d = static_cast<double>(n);
  return 2.0 / 3.0 * d * d * d + 3.0 / 2.0 * d * d;
}

double scaled_residual(std::size_t n, const double* a, const double* x, const double* b) {
  std::vector<double> r(b, b + n);
  const auto ni = static_cast<blasint>(n);
  cblas_dgemv(CblasColMajor, CblasNoTrans, ni, ni, 1.0, a, ni, x, 1, -1.0, r.data(), 1);
  std::vector<double> rows(n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i) rows[i] += std::abs(a[j * n + i]);
  auto norm = [](const double* v, std::size_t len) {
    double m = 0;
    for (std::size_t i = 0; i < len; ++i) m = std::max(m, std::abs(v[i]));
    return m;
  };
  return norm(r.data(), n) / (0x1.0p-53 * (norm(rows.data(), n) * norm(x, n) + norm(b, n)) * static_cast<double>(n));
}

json run_linpack_openblas(const Options& o) {
  const std::size_t n = o.linpack_n, nn = n * n;
  Buffer a0(nn * 8), a(nn * 8), b0(n * 8), x(n * 8);
  std::vector<blasint> ipiv(n);
  Uniform u(0x4c494e50);  // compute.linpack's seed and order
  fill_uniform(a0.as<double>(), nn, u);
  fill_uniform(b0.as<double>(), n, u);
  const auto ni = static_cast<blasint>(n);
  const blasint one = 1;
  std::vector<double> rates, residuals;
  blasint info = 0;
  // The warm-up is a full solve of the same order (the probe's is of order n/4): untimed.
  for (int r = 0; r <= o.linpack_reps; ++r) {
    std::memcpy(a.as<double>(), a0.as<double>(), nn * 8);
    std::memcpy(x.as<double>(), b0.as<double>(), n * 8);
    const auto t0 = Clock::now();
    dgetrf_(&ni, &ni, a.as<double>(), &ni, ipiv.data(), &info);
    if (info == 0) dgetrs_("N", &ni, &one, a.as<double>(), &ni, ipiv.data(), x.as<double>(), &ni, &info, 1);
    const double s = since(t0);
    if (info != 0) throw std::runtime_error("dgetrf_/dgetrs_ info " + std::to_string(info));
    if (r > 0) {
      rates.push_back(hpl_flop(n) / s);
      residuals.push_back(scaled_residual(n, a0.as<double>(), x.as<double>(), b0.as<double>()));
    }
  }
  double worst = 0;
  for (const double r : residuals) worst = std::max(worst, r);
  json d = openblas_details();
  d["routines"] = "dgetrf_ + dgetrs_ (LAPACK from OpenBLAS), column-major";
  d["n"] = n;
  d["flop_formula"] = "2/3*n^3 + 3/2*n^2 (HPL)";
  d["warm_up"] = "one untimed solve of the same order";
  d["residual_check"] = {{"passed", worst < 16.0}, {"worst_scaled_residual", worst}};
  return result("openblas.dgetrf", "linpack_fp64", "FLOP/s", rates, d);
}

std::size_t llc_bytes() {
  // sysconf reports the L3 of one CPU's view; enough for STREAM's rule on one socket, as here.
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return l3 > 0 ? static_cast<std::size_t>(l3) : 0;
}

json run_triad(const Options& o) {
  // STREAM's rule: each array at least 4 × the last-level cache and at least 10^6 elements.
  std::size_t n = o.stream_elements;
  std::string rule = "given with --stream-elements";
  if (n == 0) {
    n = std::max<std::size_t>(1'000'000, 4 * llc_bytes() / 8);
    rule = "4 x last-level cache (" + std::to_string(llc_bytes()) + " B, sysconf) / 8 B, at least 1e6";
  }
  const int t = o.threads;
  // As memory.stream: 64-byte aligned, 4 KiB pages; --triad-thp aligns to 2 MiB and advises huge pages.
  const std::size_t align = o.triad_thp ? std::size_t{2} << 20 : 64;
  const std::size_t bytes = (n * 8 + align - 1) / align * align;
  double* a = static_cast<double*>(std::aligned_alloc(align, bytes));
  double* b = static_cast<double*>(std::aligned_alloc(align, bytes));
  double* c = static_cast<double*>(std::aligned_alloc(align, bytes));
  if (!a || !b || !c) {
    std::free(a);
    std::free(b);
    std::free(c);
    throw std::bad_alloc();
  }
  if (o.triad_thp)
    for (double* p : {a, b, c}) (void)::madvise(p, bytes, MADV_HUGEPAGE);
  // STREAM's initialisation: parallel first touch with the loop's own schedule.
#pragma omp parallel for num_threads(t) schedule(static)
  for (std::size_t j = 0; j < n; ++j) {
    a[j] = 1.0;
    b[j] = 2.0;
    c[j] = 0.0;
  }
  const double q = 3.0;
  std::vector<double> rates;
  // STREAM's NTIMES passes; the first is not counted (STREAM: "excluding the first iteration").
  for (int r = 0; r <= o.stream_reps; ++r) {
    const auto t0 = Clock::now();
#pragma omp parallel for num_threads(t) schedule(static)
    for (std::size_t j = 0; j < n; ++j) a[j] = b[j] + q * c[j];
    const double s = since(t0);
    if (r > 0) rates.push_back(24.0 * static_cast<double>(n) / s);
  }
  bool ok = true;
  for (std::size_t j = 0; j < n; j += 4099) ok = ok && a[j] == 2.0;  // b + 3·0, exactly
  std::free(a);
  std::free(b);
  std::free(c);
  json d{{"kernel", "a = b + q*c, #pragma omp parallel for schedule(static)"},
         {"bytes_counted", "STREAM: 3 arrays x 8 B x N"},
         {"array_elements", n},
         {"rule", rule},
         {"threads", t},
         {"initialisation", "parallel first touch, same schedule"},
         {"pages", o.triad_thp ? "2 MiB aligned, MADV_HUGEPAGE" : "64 B aligned, no advice (as memory.stream)"},
         {"validation", {{"passed", ok}, {"detail", "every 4099th element of a equals 2 exactly"}}}};
  return result("openmp.triad", "triad", "B/s", rates, d);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  auto want = [&](const char* g) { return o.only.empty() || o.only.count(g) > 0; };
  openblas_set_num_threads(o.threads);
  omp_set_num_threads(o.threads);
  Blis blis;
  if (want("dgemm") || want("sgemm")) load_blis(blis, o.blis, o.threads);

  json out{{"schema", "aicq-bench-peers/1"}};
  out["environment"] = {{"threads", o.threads},
                        {"OPENBLAS_CORETYPE", env_or_null("OPENBLAS_CORETYPE")},
                        {"OPENBLAS_NUM_THREADS", env_or_null("OPENBLAS_NUM_THREADS")},
                        {"OMP_NUM_THREADS", env_or_null("OMP_NUM_THREADS")},
                        {"BLIS_NUM_THREADS", env_or_null("BLIS_NUM_THREADS")},
                        {"ONEDNN_MAX_CPU_ISA", env_or_null("ONEDNN_MAX_CPU_ISA")},
                        {"openblas", openblas_details()}};
  out["results"] = json::array();
  out["not_measured"] = json::object();
  // OpenBLAS's pthreads and OpenMP's workers spin for a while after a call; a pause between libraries keeps
  // one library's spinning threads out of the next one's timing.
  auto settle = [] { std::this_thread::sleep_for(std::chrono::seconds(1)); };
  auto run = [&](const std::string& id, const std::function<json()>& f) {
    std::cerr << "peers: " << id << " …" << std::endl;
    try {
      out["results"].push_back(f());
    } catch (const std::exception& e) {
      out["not_measured"][id] = e.what();
    }
    settle();
  };
  if (want("dgemm")) {
    run("openblas.dgemm", [&] { return run_dgemm_openblas(o); });
    if (blis.error.empty()) run("blis.dgemm", [&] { return run_gemm_blis<double>(o, blis, blis.dgemm, "blis.dgemm", "dgemm_fp64", 0x5eed0001, kUnitFp64); });
    else out["not_measured"]["blis.dgemm"] = blis.error;
  }
  if (want("sgemm")) {
    run("onednn.matmul_f32", [&] { return run_matmul_onednn(o); });
    run("openblas.sgemm", [&] { return run_sgemm_openblas(o); });
    if (blis.error.empty()) run("blis.sgemm", [&] { return run_gemm_blis<float>(o, blis, blis.sgemm, "blis.sgemm", "matmul_fp32", 0x5eed0002, kUnitFp32); });
    else out["not_measured"]["blis.sgemm"] = blis.error;
  }
  if (want("linpack")) run("openblas.dgetrf", [&] { return run_linpack_openblas(o); });
  if (want("triad")) run("openmp.triad", [&] { return run_triad(o); });
  std::cout << out.dump(2) << std::endl;
  return out["results"].empty() ? 1 : 0;
}

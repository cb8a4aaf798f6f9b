// compat.runtimes — see compat.hpp for the contract.
//
// Layers (ids of data/catalogs/compatibility_layers.yaml), and why:
//   OpenMP, MPI          → "os": parallel runtimes that ship with the operating system's toolchain and
//                          distribution (libgomp, Open MPI), below any math library;
//   OpenBLAS, BLIS,
//   oneDNN               → "chips": the processor's math libraries — the kernels that make the chip compute;
//   CUDA, OpenCL         → "drivers_firmware": the accelerator's driver and its compute API;
//   libtorch             → "ai_frameworks": PyTorch's C++ library.
#include "aicq/probe/compat.hpp"

#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>

#include "aicq/probe/compute.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

namespace compat {

std::string to_string(Result r) {
  switch (r) {
    case Result::pass: return "pass";
    case Result::partial: return "partial";
    case Result::fail: return "fail";
    case Result::absent: return "absent";
  }
  return "fail";
}

double score(Result r) {
  switch (r) {
    case Result::pass: return 1.0;
    case Result::partial: return 0.5;
    case Result::fail:
    case Result::absent: return 0.0;
  }
  return 0.0;
}

namespace {

constexpr const char* kId = "compat.runtimes";
constexpr int kN = 64;
constexpr std::size_t kNN = static_cast<std::size_t>(kN) * kN;
constexpr double kTolFp64 = 1e-12, kTolFp32 = 1e-5, kTolBf16 = 1e-2;

// The shared product: A and B uniform in [-0.5, 0.5) (fixed seed), row-major, and the naive double reference.
struct Product {
  std::vector<double> a, b, ref;
  Product() : a(kNN), b(kNN), ref(kNN, 0.0) {
    compute::Uniform u(0xC0117A7);
    for (auto& v : a) v = u.next();
    for (auto& v : b) v = u.next();
    for (std::size_t i = 0; i < kN; ++i)
      for (std::size_t l = 0; l < kN; ++l)
        for (std::size_t j = 0; j < kN; ++j) ref[i * kN + j] += a[i * kN + l] * b[l * kN + j];
  }
  template <class T>
  std::vector<T> as(const std::vector<double>& v) const {
    std::vector<T> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<T>(v[i]);
    return out;
  }
};

// max|got − ref| ÷ max|ref|; NaN when got has a NaN.
template <class T>
double rel_error(const std::vector<T>& got, const std::vector<double>& ref) {
  double err = 0, mag = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double e = std::abs(static_cast<double>(got[i]) - ref[i]);
    if (std::isnan(e)) return e;
    err = std::max(err, e);
    mag = std::max(mag, std::abs(ref[i]));
  }
  return mag > 0 ? err / mag : err;
}

template <class T>
Case product_case(std::string what, const std::vector<T>& got, const std::vector<double>& ref, double tol) {
  Case c;
  c.what = std::move(what);
  c.rel_error = rel_error(got, ref);
  c.passed = c.rel_error <= tol;
  char buf[128];
  std::snprintf(buf, sizeof buf, "64x64 product, relative error %.3g %s %.0e", c.rel_error, c.passed ? "<=" : ">", tol);
  c.detail = buf;
  return c;
}

Case failed_case(std::string what, std::string detail) {
  Case c;
  c.what = std::move(what);
  c.detail = std::move(detail);
  return c;
}

// The row's result from its cases: all passed → pass, none → fail, else partial. `reason` lists the failures.
void conclude(Row& row) {
  std::size_t passed = 0;
  std::string bad;
  for (const auto& c : row.cases) {
    if (c.passed)
      ++passed;
    else
      bad += (bad.empty() ? "" : "; ") + c.what + ": " + c.detail;
  }
  if (row.cases.empty()) {
    row.result = Result::fail;
    return;
  }
  row.result = passed == row.cases.size() ? Result::pass : passed == 0 ? Result::fail : Result::partial;
  if (!bad.empty()) row.reason = row.reason.empty() ? bad : row.reason + "; " + bad;
}

// A library opened with dlopen(RTLD_NOW | RTLD_LOCAL), never closed: runtimes start threads and register exit
// handlers, and unloading them under those is undefined; the process keeps them until it ends.
struct Library {
  void* handle = nullptr;
  std::string name;    // the entry that loaded
  std::string tried;   // "name: dlerror; …" for the entries that did not
  explicit operator bool() const { return handle != nullptr; }

  template <class F>
  F symbol(const char* sym) const {
    void* p = ::dlsym(handle, sym);
    F f = nullptr;
    static_assert(sizeof f == sizeof p);
    std::memcpy(&f, &p, sizeof f);  // object pointer → function pointer (POSIX guarantees this works)
    return f;
  }
};

Library open_first(const std::vector<std::string>& names) {
  Library lib;
  for (const auto& n : names) {
    if (void* h = ::dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      lib.handle = h;
      lib.name = n;
      return lib;
    }
    const char* e = ::dlerror();
    lib.tried += (lib.tried.empty() ? "" : "; ") + std::string(e ? e : n + ": not loadable");
  }
  return lib;
}

Row absent(std::string runtime, std::string layer, std::string reason) {
  Row r;
  r.runtime = std::move(runtime);
  r.layer = std::move(layer);
  r.result = Result::absent;
  r.reason = std::move(reason);
  return r;
}

// --- OpenMP (linked): a parallel-for product with a team of the requested size -------------------------------

std::string openmp_version() {
  // _OPENMP is the date of the specification the compiler implements.
  switch (_OPENMP) {
    case 201107: return "3.1";
    case 201307: return "4.0";
    case 201511: return "4.5";
    case 201811: return "5.0";
    case 202011: return "5.1";
    case 202111: return "5.2";
    default: return std::to_string(_OPENMP);
  }
}

Row check_openmp(const Context& ctx, const Product& p) {
  Row row{"openmp", "os", Result::fail, "OpenMP " + openmp_version() + " (libgomp)", "", {}};
  const int want = std::max(ctx.threads, 1);
  std::vector<double> c(kNN, 0.0);
  int team = 0;
#pragma omp parallel num_threads(want)
  {
#pragma omp single
    team = omp_get_num_threads();
#pragma omp for
    for (int i = 0; i < kN; ++i)
      for (int l = 0; l < kN; ++l) {
        const double x = p.a[static_cast<std::size_t>(i * kN + l)];
        for (int j = 0; j < kN; ++j) c[static_cast<std::size_t>(i * kN + j)] += x * p.b[static_cast<std::size_t>(l * kN + j)];
      }
  }
  row.cases.push_back(product_case("fp64 (omp parallel for)", c, p.ref, kTolFp64));
  Case t;
  t.what = "team size";
  t.passed = team == want;
  t.detail = std::to_string(team) + " of " + std::to_string(want) + " requested threads";
  row.cases.push_back(t);
  conclude(row);
  return row;
}

// --- OpenBLAS (linked) -----------------------------------------------------------------------------------

Row check_openblas(const Product& p) {
  const auto info = compute::openblas_info();
  Row row{"openblas", "chips", Result::fail,
          "OpenBLAS " + info["version"].get<std::string>() + " (" + info["kernel"].get<std::string>() + ")", "", {}};
  {
    std::vector<double> c(kNN);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0, p.a.data(), kN, p.b.data(), kN, 0.0, c.data(), kN);
    row.cases.push_back(product_case("fp64 (cblas_dgemm)", c, p.ref, kTolFp64));
  }
  {
    const auto a = p.as<float>(p.a), b = p.as<float>(p.b);
    std::vector<float> c(kNN);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data(), kN, b.data(), kN, 0.0f, c.data(), kN);
    row.cases.push_back(product_case("fp32 (cblas_sgemm)", c, p.ref, kTolFp32));
  }
  conclude(row);
  return row;
}

// --- BLIS (dlopen: its BLAS symbols would clash with OpenBLAS's if linked) -----------------------------------

// Fortran BLAS gemm with BLIS's integer type. Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: the same buffers
// with A and B swapped.
template <class Int, class T>
std::vector<T> fortran_gemm(void (*gemm)(const char*, const char*, const Int*, const Int*, const Int*, const T*, const T*,
                                         const Int*, const T*, const Int*, const T*, T*, const Int*),
                            const std::vector<T>& a, const std::vector<T>& b) {
  const Int n = kN;
  const T one = 1, zero = 0;
  std::vector<T> c(kNN);
  gemm("N", "N", &n, &n, &n, &one, b.data(), &n, a.data(), &n, &zero, c.data(), &n);
  return c;
}

template <class Int>
void blis_products(const Library& lib, const Product& p, Row& row) {
  using dgemm_t = void (*)(const char*, const char*, const Int*, const Int*, const Int*, const double*, const double*,
                           const Int*, const double*, const Int*, const double*, double*, const Int*);
  using sgemm_t = void (*)(const char*, const char*, const Int*, const Int*, const Int*, const float*, const float*,
                           const Int*, const float*, const Int*, const float*, float*, const Int*);
  if (const auto dgemm = lib.symbol<dgemm_t>("dgemm_"))
    row.cases.push_back(product_case("fp64 (dgemm_)", fortran_gemm<Int, double>(dgemm, p.a, p.b), p.ref, kTolFp64));
  else
    row.cases.push_back(failed_case("fp64 (dgemm_)", "symbol dgemm_ not found"));
  if (const auto sgemm = lib.symbol<sgemm_t>("sgemm_"))
    row.cases.push_back(product_case("fp32 (sgemm_)", fortran_gemm<Int, float>(sgemm, p.as<float>(p.a), p.as<float>(p.b)),
                                     p.ref, kTolFp32));
  else
    row.cases.push_back(failed_case("fp32 (sgemm_)", "symbol sgemm_ not found"));
}

Row check_blis(const Libraries& libs, const Product& p) {
  // BLIS 0.9 (Debian 12) aborts the whole process ("Accessed uninitialized context in gks") on the first call
  // whenever BLIS_ARCH_TYPE is set — names, numeric ids, even the id it picks itself, even empty. With the
  // variable set it is not loaded: that BLIS cannot run here as configured.
  if (const char* forced = std::getenv("BLIS_ARCH_TYPE"))
    return Row{"blis", "chips", Result::fail, "",
               std::string("not loaded: BLIS_ARCH_TYPE=\"") + forced +
                   "\" is set, and BLIS 0.9 aborts the process on its first call when it is; unset it to use BLIS",
               {}};
  const Library lib = open_first(libs.blis);
  if (!lib) return absent("blis", "chips", "not found (" + lib.tried + ")");
  Row row{"blis", "chips", Result::fail, "", "", {}};
  using str_t = const char* (*)();
  using arch_id_t = int (*)();
  using arch_str_t = const char* (*)(int);
  using int_size_t = std::int64_t (*)();  // gint_t
  if (const auto v = lib.symbol<str_t>("bli_info_get_version_str")) row.version = std::string("BLIS ") + v();
  const auto arch_id = lib.symbol<arch_id_t>("bli_arch_query_id");
  const auto arch_str = lib.symbol<arch_str_t>("bli_arch_string");
  if (arch_id && arch_str) row.version += std::string(" (") + arch_str(arch_id()) + ")";
  // BLIS can be configured with 32- or 64-bit BLAS integers; ask it which.
  const auto int_size = lib.symbol<int_size_t>("bli_info_get_blas_int_type_size");
  if (int_size && int_size() == 64)
    blis_products<std::int64_t>(lib, p, row);
  else
    blis_products<std::int32_t>(lib, p, row);
  conclude(row);
  return row;
}

// --- oneDNN (linked) -------------------------------------------------------------------------------------

template <class TA, class TC>
std::vector<TC> onednn_matmul(const std::vector<TA>& a, const std::vector<TA>& b, dnnl::memory::data_type in,
                              dnnl::memory::data_type out, std::string& impl) {
  using tag = dnnl::memory::format_tag;
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const dnnl::memory::desc a_md({kN, kN}, in, tag::ab), b_md({kN, kN}, in, tag::ab), c_md({kN, kN}, out, tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), engine);
  impl = pd.impl_info_str();
  std::vector<TA> a_copy = a, b_copy = b;
  std::vector<TC> c(kNN);
  dnnl::memory am(a_md, engine, a_copy.data()), bm(b_md, engine, b_copy.data()), cm(c_md, engine, c.data());
  dnnl::matmul(pd).execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  stream.wait();
  return c;
}

Row check_onednn(const Product& p) {
  const dnnl_version_t* v = dnnl_version();
  Row row{"onednn", "chips", Result::fail,
          "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch), "", {}};
  using dt = dnnl::memory::data_type;
  std::string impl;
  try {
    const auto c = onednn_matmul<float, float>(p.as<float>(p.a), p.as<float>(p.b), dt::f32, dt::f32, impl);
    row.cases.push_back(product_case("fp32 (matmul, " + impl + ")", c, p.ref, kTolFp32));
  } catch (const dnnl::error& e) {
    row.cases.push_back(failed_case("fp32 (matmul)", std::string(e.what()) + " (status " + std::to_string(static_cast<int>(e.status)) + ")"));
  }
  std::vector<compute::Bf16> a16(kNN), b16(kNN);
  for (std::size_t i = 0; i < kNN; ++i) {
    a16[i] = compute::to_bf16(static_cast<float>(p.a[i]));
    b16[i] = compute::to_bf16(static_cast<float>(p.b[i]));
  }
  try {
    const auto c = onednn_matmul<compute::Bf16, float>(a16, b16, dt::bf16, dt::f32, impl);
    row.cases.push_back(product_case("bf16 (matmul, " + impl + ")", c, p.ref, kTolBf16));
  } catch (const dnnl::error& e) {
    // A CPU without BF16 support is the chip's limit, not a broken library: noted, not a failed case.
    if (e.status == dnnl_unimplemented)
      row.reason = "bf16 matmul not offered for this CPU (dnnl_unimplemented)";
    else
      row.cases.push_back(failed_case("bf16 (matmul)", std::string(e.what()) + " (status " + std::to_string(static_cast<int>(e.status)) + ")"));
  }
  conclude(row);
  return row;
}

// --- libtorch (dlopen) -------------------------------------------------------------------------------------

Row check_libtorch(const Libraries& libs, const Product& p) {
  // Built with libtorch: the product through its C++ API, in each precision it offers on this CPU.
  if (auto t = torch_product(p.a, p.b, kN)) {
    Row row{"libtorch", "ai_frameworks", Result::fail, t->version, "", {}};
    if (!t->fp64.empty()) row.cases.push_back(product_case("fp64 (torch::mm)", t->fp64, p.ref, kTolFp64));
    if (!t->fp32.empty()) row.cases.push_back(product_case("fp32 (torch::mm)", t->fp32, p.ref, kTolFp32));
    if (!t->bf16.empty()) row.cases.push_back(product_case("bf16 (torch::mm)", t->bf16, p.ref, kTolBf16));
    for (const auto& e : t->errors) row.cases.push_back(failed_case(e.substr(0, e.find(':')), e));
    conclude(row);
    return row;
  }
  const Library lib = open_first(libs.libtorch);
  if (!lib) return absent("libtorch", "ai_frameworks", "not found (" + lib.tried + ")");
  // Without libtorch at build time (AICQ_ENABLE_TORCH=OFF) there is no way to compute through it (it has no C
  // API): loading is checked; computing is not, and the row says so rather than claiming a pass.
  Row row{"libtorch", "ai_frameworks", Result::partial, "", "", {}};
  Case loads;
  loads.what = "load";
  loads.passed = true;
  loads.detail = "dlopen " + lib.name + " succeeded";
  row.cases.push_back(loads);
  row.reason = "loads, but no product was run: libtorch offers only a C++ API, and this aicq was built without it";
  return row;
}

// --- CUDA (dlopen: driver, runtime, cuBLAS) ----------------------------------------------------------------

Row check_cuda(const Libraries& libs, const Product& p) {
  const Library driver = open_first(libs.cuda_driver);
  if (!driver) {
    // Without the driver nothing can run on a device; a toolkit installed for building (cudart, cuBLAS) is
    // not a runtime that works here, so it does not make the row "fail".
    const Library rt = open_first(libs.cuda_runtime);
    return absent("cuda", "drivers_firmware",
                  "no CUDA driver (" + driver.tried + ")" +
                      (rt ? "; the toolkit's " + rt.name + " is installed, but needs the driver" : ""));
  }
  Row row{"cuda", "drivers_firmware", Result::fail, "", "", {}};
  using init_t = int (*)(unsigned);
  using int_out_t = int (*)(int*);
  using dev_get_t = int (*)(int*, int);
  using dev_name_t = int (*)(char*, int, int);
  using err_name_t = int (*)(int, const char**);
  const auto cu_init = driver.symbol<init_t>("cuInit");
  const auto cu_version = driver.symbol<int_out_t>("cuDriverGetVersion");
  const auto cu_count = driver.symbol<int_out_t>("cuDeviceGetCount");
  const auto cu_get = driver.symbol<dev_get_t>("cuDeviceGet");
  const auto cu_name = driver.symbol<dev_name_t>("cuDeviceGetName");
  const auto cu_err = driver.symbol<err_name_t>("cuGetErrorName");
  auto call = [&](const char* what, int rc) {
    if (rc == 0) return true;
    const char* name = nullptr;
    if (cu_err) cu_err(rc, &name);
    row.reason = std::string(what) + " returned " + std::to_string(rc) + (name ? std::string(" (") + name + ")" : "");
    return false;
  };
  if (!cu_init || !cu_count) {
    row.reason = driver.name + " lacks cuInit/cuDeviceGetCount";
    return row;
  }
  int version = 0;
  if (cu_version && cu_version(&version) == 0)
    row.version = "CUDA driver API " + std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
  if (!call("cuInit(0)", cu_init(0))) return row;
  int count = 0;
  if (!call("cuDeviceGetCount", cu_count(&count))) return row;
  if (count == 0) {
    row.reason = "the driver initialises but reports no device";
    return row;
  }
  std::string device = std::to_string(count) + " device(s)";
  int dev = 0;
  char name[256] = {};
  if (cu_get && cu_name && cu_get(&dev, 0) == 0 && cu_name(name, sizeof name, dev) == 0) device += ", first: " + std::string(name);
  Case init;
  init.what = "cuInit";
  init.passed = true;
  init.detail = device;
  row.cases.push_back(init);

  const Library blas = open_first(libs.cuda_blas);
  const Library rt = open_first(libs.cuda_runtime);
  if (!blas || !rt) {
    row.cases.push_back(failed_case("product", "no cuBLAS/CUDA runtime to run it with (" + blas.tried + rt.tried + ")"));
    conclude(row);
    return row;
  }
  using malloc_t = int (*)(void**, std::size_t);
  using memcpy_t = int (*)(void*, const void*, std::size_t, int);
  using free_t = int (*)(void*);
  using create_t = int (*)(void**);
  using destroy_t = int (*)(void*);
  using dgemm_t = int (*)(void*, int, int, int, int, int, const double*, const double*, int, const double*, int,
                          const double*, double*, int);
  using sgemm_t = int (*)(void*, int, int, int, int, int, const float*, const float*, int, const float*, int,
                          const float*, float*, int);
  const auto cuda_malloc = rt.symbol<malloc_t>("cudaMalloc");
  const auto cuda_memcpy = rt.symbol<memcpy_t>("cudaMemcpy");
  const auto cuda_free = rt.symbol<free_t>("cudaFree");
  const auto create = blas.symbol<create_t>("cublasCreate_v2");
  const auto destroy = blas.symbol<destroy_t>("cublasDestroy_v2");
  const auto dgemm = blas.symbol<dgemm_t>("cublasDgemm_v2");
  const auto sgemm = blas.symbol<sgemm_t>("cublasSgemm_v2");
  if (!cuda_malloc || !cuda_memcpy || !cuda_free || !create || !destroy || !dgemm || !sgemm) {
    row.cases.push_back(failed_case("product", "cuBLAS or the CUDA runtime lacks a needed symbol"));
    conclude(row);
    return row;
  }
  void* handle = nullptr;
  if (const int rc = create(&handle); rc != 0) {
    row.cases.push_back(failed_case("product", "cublasCreate_v2 returned " + std::to_string(rc)));
    conclude(row);
    return row;
  }
  constexpr int kHostToDevice = 1, kDeviceToHost = 2, kNoTranspose = 0;
  // Row-major C = A·B through column-major cuBLAS: Cᵀ = Bᵀ·Aᵀ, B passed first.
  auto product = [&]<class T>(const std::vector<T>& a, const std::vector<T>& b, auto gemm, const char* what,
                              double tol) {
    const std::size_t bytes = kNN * sizeof(T);
    void *da = nullptr, *db = nullptr, *dc = nullptr;
    std::vector<T> c(kNN);
    int rc = cuda_malloc(&da, bytes);
    if (rc == 0) rc = cuda_malloc(&db, bytes);
    if (rc == 0) rc = cuda_malloc(&dc, bytes);
    if (rc == 0) rc = cuda_memcpy(da, a.data(), bytes, kHostToDevice);
    if (rc == 0) rc = cuda_memcpy(db, b.data(), bytes, kHostToDevice);
    const T one = 1, zero = 0;
    int blas_rc = 0;
    if (rc == 0)
      blas_rc = gemm(handle, kNoTranspose, kNoTranspose, kN, kN, kN, &one, static_cast<const T*>(db), kN,
                     static_cast<const T*>(da), kN, &zero, static_cast<T*>(dc), kN);
    if (rc == 0 && blas_rc == 0) rc = cuda_memcpy(c.data(), dc, bytes, kDeviceToHost);
    for (void* d : {da, db, dc})
      if (d) cuda_free(d);
    if (rc != 0) return failed_case(what, "CUDA runtime call returned " + std::to_string(rc));
    if (blas_rc != 0) return failed_case(what, "cuBLAS gemm returned " + std::to_string(blas_rc));
    return product_case(what, c, p.ref, tol);
  };
  row.cases.push_back(product(p.a, p.b, dgemm, "fp64 (cublasDgemm)", kTolFp64));
  row.cases.push_back(product(p.as<float>(p.a), p.as<float>(p.b), sgemm, "fp32 (cublasSgemm)", kTolFp32));
  destroy(handle);
  conclude(row);
  return row;
}

// --- OpenCL (dlopen the ICD loader) ------------------------------------------------------------------------

constexpr const char* kClSource = R"(
__kernel void mm(__global const REAL* a, __global const REAL* b, __global REAL* c, int n) {
  const int i = get_global_id(0), j = get_global_id(1);
  REAL s = 0;
  for (int l = 0; l < n; ++l) s += a[i * n + l] * b[l * n + j];
  c[i * n + j] = s;
}
)";

Row check_opencl(const Libraries& libs, const Product& p) {
  const Library lib = open_first(libs.opencl);
  if (!lib) return absent("opencl", "drivers_firmware", "not found (" + lib.tried + ")");
  using cl_int = std::int32_t;
  using cl_uint = std::uint32_t;
  using get_platforms_t = cl_int (*)(cl_uint, void**, cl_uint*);
  using platform_info_t = cl_int (*)(void*, cl_uint, std::size_t, void*, std::size_t*);
  using get_devices_t = cl_int (*)(void*, std::uint64_t, cl_uint, void**, cl_uint*);
  using device_info_t = cl_int (*)(void*, cl_uint, std::size_t, void*, std::size_t*);
  using create_context_t = void* (*)(const std::intptr_t*, cl_uint, void* const*, void*, void*, cl_int*);
  using create_queue_t = void* (*)(void*, void*, std::uint64_t, cl_int*);
  using create_program_t = void* (*)(void*, cl_uint, const char**, const std::size_t*, cl_int*);
  using build_t = cl_int (*)(void*, cl_uint, void* const*, const char*, void*, void*);
  using build_info_t = cl_int (*)(void*, void*, cl_uint, std::size_t, void*, std::size_t*);
  using create_kernel_t = void* (*)(void*, const char*, cl_int*);
  using create_buffer_t = void* (*)(void*, std::uint64_t, std::size_t, void*, cl_int*);
  using set_arg_t = cl_int (*)(void*, cl_uint, std::size_t, const void*);
  using enqueue_t = cl_int (*)(void*, void*, cl_uint, const std::size_t*, const std::size_t*, const std::size_t*, cl_uint,
                               const void*, void*);
  using read_t = cl_int (*)(void*, void*, cl_uint, std::size_t, std::size_t, void*, cl_uint, const void*, void*);
  using release_t = cl_int (*)(void*);
  constexpr cl_uint kPlatformVersion = 0x0901, kPlatformName = 0x0902, kDeviceName = 0x102B, kDeviceDoubleFp = 0x1032,
                    kBuildLog = 0x1183;
  constexpr std::uint64_t kDeviceAll = 0xFFFFFFFF, kMemReadOnly = 1 << 2, kMemWriteOnly = 1 << 1, kMemCopyHostPtr = 1 << 5;

  const auto get_platforms = lib.symbol<get_platforms_t>("clGetPlatformIDs");
  if (!get_platforms) return Row{"opencl", "drivers_firmware", Result::fail, "", lib.name + " lacks clGetPlatformIDs", {}};
  cl_uint count = 0;
  const cl_int prc = get_platforms(0, nullptr, &count);
  // -1001 is CL_PLATFORM_NOT_FOUND_KHR: the ICD loader is installed, but no OpenCL implementation is.
  if (prc == -1001 || (prc == 0 && count == 0))
    return absent("opencl", "drivers_firmware", "ICD loader " + lib.name + " present, no OpenCL platform installed");
  if (prc != 0)
    return Row{"opencl", "drivers_firmware", Result::fail, "", "clGetPlatformIDs returned " + std::to_string(prc), {}};

  Row row{"opencl", "drivers_firmware", Result::fail, "", "", {}};
  std::vector<void*> platforms(count);
  get_platforms(count, platforms.data(), nullptr);
  const auto platform_info = lib.symbol<platform_info_t>("clGetPlatformInfo");
  const auto get_devices = lib.symbol<get_devices_t>("clGetDeviceIDs");
  const auto device_info = lib.symbol<device_info_t>("clGetDeviceInfo");
  const auto create_context = lib.symbol<create_context_t>("clCreateContext");
  const auto create_queue = lib.symbol<create_queue_t>("clCreateCommandQueue");
  const auto create_program = lib.symbol<create_program_t>("clCreateProgramWithSource");
  const auto build = lib.symbol<build_t>("clBuildProgram");
  const auto build_info = lib.symbol<build_info_t>("clGetProgramBuildInfo");
  const auto create_kernel = lib.symbol<create_kernel_t>("clCreateKernel");
  const auto create_buffer = lib.symbol<create_buffer_t>("clCreateBuffer");
  const auto set_arg = lib.symbol<set_arg_t>("clSetKernelArg");
  const auto enqueue = lib.symbol<enqueue_t>("clEnqueueNDRangeKernel");
  const auto read = lib.symbol<read_t>("clEnqueueReadBuffer");
  const auto release_mem = lib.symbol<release_t>("clReleaseMemObject");
  const auto release_kernel = lib.symbol<release_t>("clReleaseKernel");
  const auto release_program = lib.symbol<release_t>("clReleaseProgram");
  const auto release_queue = lib.symbol<release_t>("clReleaseCommandQueue");
  const auto release_context = lib.symbol<release_t>("clReleaseContext");
  if (!platform_info || !get_devices || !device_info || !create_context || !create_queue || !create_program || !build ||
      !build_info || !create_kernel || !create_buffer || !set_arg || !enqueue || !read || !release_mem ||
      !release_kernel || !release_program || !release_queue || !release_context) {
    row.reason = lib.name + " lacks an OpenCL 1.2 entry point";
    return row;
  }
  auto text = [](auto info, void* obj, cl_uint param) {
    char buf[512] = {};
    info(obj, param, sizeof buf - 1, buf, nullptr);
    return std::string(buf);
  };
  // The first platform that has a device.
  void* platform = nullptr;
  void* device = nullptr;
  for (void* pl : platforms) {
    cl_uint n = 0;
    if (get_devices(pl, kDeviceAll, 1, &device, &n) == 0 && n > 0) {
      platform = pl;
      break;
    }
  }
  if (!platform) {
    row.reason = std::to_string(count) + " platform(s), none with a device";
    return row;
  }
  row.version = text(platform_info, platform, kPlatformVersion) + " (" + text(platform_info, platform, kPlatformName) +
                ", " + text(device_info, device, kDeviceName) + ")";
  cl_int rc = 0;
  void* context = create_context(nullptr, 1, &device, nullptr, nullptr, &rc);
  if (!context) {
    row.reason = "clCreateContext returned " + std::to_string(rc);
    return row;
  }
  void* queue = create_queue(context, device, 0, &rc);
  auto product = [&]<class T>(const std::vector<T>& a, const std::vector<T>& b, const char* real, const char* what,
                              double tol) -> Case {
    if (!queue) return failed_case(what, "clCreateCommandQueue returned " + std::to_string(rc));
    std::string src = std::string(std::strcmp(real, "double") == 0 ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "") +
                      "#define REAL " + real + "\n" + kClSource;
    const char* s = src.c_str();
    cl_int e = 0;
    void* program = create_program(context, 1, &s, nullptr, &e);
    if (!program) return failed_case(what, "clCreateProgramWithSource returned " + std::to_string(e));
    Case out;
    if ((e = build(program, 1, &device, "", nullptr, nullptr)) != 0) {
      char log[1024] = {};
      build_info(program, device, kBuildLog, sizeof log - 1, log, nullptr);
      out = failed_case(what, "clBuildProgram returned " + std::to_string(e) + ": " + log);
    } else if (void* kernel = create_kernel(program, "mm", &e); !kernel) {
      out = failed_case(what, "clCreateKernel returned " + std::to_string(e));
    } else {
      const std::size_t bytes = kNN * sizeof(T);
      std::vector<T> a_copy = a, b_copy = b, c(kNN);
      void* ma = create_buffer(context, kMemReadOnly | kMemCopyHostPtr, bytes, a_copy.data(), &e);
      void* mb = create_buffer(context, kMemReadOnly | kMemCopyHostPtr, bytes, b_copy.data(), &e);
      void* mc = create_buffer(context, kMemWriteOnly, bytes, nullptr, &e);
      const cl_int n = kN;
      const std::size_t global[2] = {kN, kN};
      if (!ma || !mb || !mc) {
        out = failed_case(what, "clCreateBuffer returned " + std::to_string(e));
      } else if ((e = set_arg(kernel, 0, sizeof(void*), &ma)) != 0 || (e = set_arg(kernel, 1, sizeof(void*), &mb)) != 0 ||
                 (e = set_arg(kernel, 2, sizeof(void*), &mc)) != 0 || (e = set_arg(kernel, 3, sizeof n, &n)) != 0) {
        out = failed_case(what, "clSetKernelArg returned " + std::to_string(e));
      } else if ((e = enqueue(queue, kernel, 2, nullptr, global, nullptr, 0, nullptr, nullptr)) != 0) {
        out = failed_case(what, "clEnqueueNDRangeKernel returned " + std::to_string(e));
      } else if ((e = read(queue, mc, 1, 0, bytes, c.data(), 0, nullptr, nullptr)) != 0) {
        out = failed_case(what, "clEnqueueReadBuffer returned " + std::to_string(e));
      } else {
        out = product_case(what, c, p.ref, tol);
      }
      for (void* m : {ma, mb, mc})
        if (m) release_mem(m);
      release_kernel(kernel);
    }
    release_program(program);
    return out;
  };
  std::uint64_t double_config = 0;  // cl_device_fp_config: 0 when the device has no fp64
  device_info(device, kDeviceDoubleFp, sizeof double_config, &double_config, nullptr);
  const bool fp64 = double_config != 0;
  row.cases.push_back(product(p.as<float>(p.a), p.as<float>(p.b), "float", "fp32 (kernel)", kTolFp32));
  if (fp64)
    row.cases.push_back(product(p.a, p.b, "double", "fp64 (kernel)", kTolFp64));
  else
    row.reason = "the device offers no fp64 (cl_khr_fp64)";
  if (queue) release_queue(queue);
  release_context(context);
  conclude(row);
  return row;
}

// --- MPI (dlopen: load and version only; MPI_Init would start a runtime this probe has no business with) ----

Row check_mpi(const Libraries& libs) {
  const Library lib = open_first(libs.mpi);
  if (!lib) return absent("mpi", "os", "not found (" + lib.tried + ")");
  Row row{"mpi", "os", Result::fail, "", "", {}};
  using version_t = int (*)(char*, int*);
  using initialized_t = int (*)(int*);
  const auto version = lib.symbol<version_t>("MPI_Get_library_version");
  const auto initialized = lib.symbol<initialized_t>("MPI_Initialized");
  if (version) {
    std::vector<char> buf(8192, '\0');  // ≥ MPI_MAX_LIBRARY_VERSION_STRING of any implementation
    int len = 0;
    const int rc = version(buf.data(), &len);
    std::string v(buf.data());
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ' || v.back() == '\0')) v.pop_back();
    Case c;
    c.what = "MPI_Get_library_version";
    c.passed = rc == 0 && !v.empty();
    c.detail = rc == 0 ? "reported" : "returned " + std::to_string(rc);
    row.cases.push_back(c);
    if (c.passed) row.version = v;
  } else {
    row.cases.push_back(failed_case("MPI_Get_library_version", "symbol not found in " + lib.name));
  }
  if (initialized) {
    int flag = -1;
    const int rc = initialized(&flag);
    Case c;
    c.what = "MPI_Initialized";
    c.passed = rc == 0 && (flag == 0 || flag == 1);
    c.detail = rc == 0 ? (flag ? "initialised" : "not initialised (aicq does not call MPI_Init)") : "returned " + std::to_string(rc);
    row.cases.push_back(c);
  } else {
    row.cases.push_back(failed_case("MPI_Initialized", "symbol not found in " + lib.name));
  }
  conclude(row);
  return row;
}

}  // namespace

std::vector<Row> check_runtimes(const Context& ctx, const Libraries& libs) {
  const compute::ThreadGuard threads(ctx.threads);
  const Product p;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Row> rows;
  const std::vector<std::pair<const char*, std::function<Row()>>> steps = {
      {"openmp", [&] { return check_openmp(ctx, p); }},
      {"openblas", [&] { return check_openblas(p); }},
      {"blis", [&] { return check_blis(libs, p); }},
      {"onednn", [&] { return check_onednn(p); }},
      {"libtorch", [&] { return check_libtorch(libs, p); }},
      {"cuda", [&] { return check_cuda(libs, p); }},
      {"opencl", [&] { return check_opencl(libs, p); }},
      {"mpi", [&] { return check_mpi(libs); }},
  };
  int i = 0;
  for (const auto& [name, step] : steps) {
    if (ctx.cancelled()) throw Cancelled{};
    ctx.report({kId, name, ++i, static_cast<int>(steps.size()),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0});
    rows.push_back(step());
  }
  return rows;
}

ProbeResult to_result(const std::vector<Row>& rows) {
  ProbeResult r;
  r.id = kId;
  nlohmann::json absent_rows = nlohmann::json::object();
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& row : rows) {
    if (row.result == Result::absent) {
      absent_rows[row.runtime] = {{"layer", row.layer}, {"reason", row.reason}};
      continue;
    }
    Measurement m;
    m.id = row.runtime;
    m.unit = "1";
    m.samples = {score(row.result)};
    m.stats = statistics(m.samples);
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& c : row.cases)
      cases.push_back({{"what", c.what}, {"passed", c.passed}, {"rel_error", c.rel_error}, {"detail", c.detail}});
    m.details = {{"runtime", row.runtime}, {"layer", row.layer},   {"result", to_string(row.result)},
                 {"version", row.version}, {"reason", row.reason}, {"cases", cases}};
    if (std::find(layers.begin(), layers.end(), row.layer) == layers.end()) layers.push_back(row.layer);
    r.measurements.push_back(std::move(m));
  }
  r.requested = {{"runtimes", {"openmp", "openblas", "blis", "onednn", "libtorch", "cuda", "opencl", "mpi"}},
                 {"product", "64x64, fixed seed, naive double reference"},
                 {"tolerances", {{"fp64", kTolFp64}, {"fp32", kTolFp32}, {"bf16", kTolBf16}}}};
  r.effective = {{"tested", r.measurements.size()}, {"layers_tested", layers}, {"absent", absent_rows}};
  return r;
}

ProbeResult run(const Context& ctx, const Libraries& libs) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string started = util::iso_now();
  ProbeResult r = to_result(check_runtimes(ctx, libs));
  r.started = started;
  r.requested["threads"] = ctx.threads;
  r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace compat

Probe compat_probe() {
  Probe p;
  p.id = "compat.runtimes";
  p.title = "Compute runtimes present here and whether each computes a small product correctly";
  p.measures = "per runtime: pass 1 / partial 0.5 / fail 0 (absent: listed, not scored)";
  p.precisions = "fp64, fp32, bf16";
  p.feeds = "sus.compatibility (pass rate, layer coverage)";
  p.typical_s = {{Suite::quick, 2}, {Suite::standard, 2}, {Suite::full, 2}};
  p.run = [](const Context& ctx) { return compat::run(ctx); };
  return p;
}

}  // namespace aicq::probe

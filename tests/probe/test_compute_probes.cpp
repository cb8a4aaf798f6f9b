// The compute probes (compute.gemm, compute.linpack, compat.runtimes) on the real libraries (OpenBLAS, oneDNN,
// BLIS), at their tiny sizes: physics bounds and exact work counts, the validity gates on good and corrupted
// results, runtimes present and absent, cancellation, and the JSON record.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "aicq/probe/compat.hpp"
#include "aicq/probe/compute.hpp"
#include "aicq/probe/linpack.hpp"
#include "aicq/probe/probes.hpp"

namespace aicq::probe {
namespace {

// Upper bounds on what any x86 core can do per cycle, at a clock no shipping x86 part reaches (6 GHz):
//   fp64 64 FLOP/cycle: two 512-bit FMA pipes do 2 × 8 lanes × 2 FLOP = 32; doubled for margin;
//   fp32 128: twice fp64 (16 lanes);
//   bf16 1024: AMX TDPBF16PS, 16×16×32 multiply-adds (16 384 FLOP) every 16 cycles;
//   int8 2048 OP: AMX TDPBSSD, twice the bf16 rate.
// × the cores of this machine. A rate above 1.05 × this bound means a wrong work count or a wrong clock.
Context tiny_context() {
  Context ctx;
  ctx.tiny = true;
  ctx.suite = Suite::quick;
  ctx.threads = 2;
  ctx.budget_s = 5;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double hz = 6e9;
  ctx.peak_flops = {{"fp64", cores * hz * 64}, {"fp32", cores * hz * 128}, {"bf16", cores * hz * 1024}, {"int8", cores * hz * 2048}};
  ctx.peak_source = "test upper bound: cores × 6 GHz × per-cycle maximum of any x86 core";
  return ctx;
}

const Measurement* find_measurement(const ProbeResult& r, const std::string& id) {
  for (const auto& m : r.measurements)
    if (m.id == id) return &m;
  return nullptr;
}

void expect_physical(const Context& ctx, const Measurement& m) {
  ASSERT_FALSE(m.samples.empty()) << m.id;
  EXPECT_EQ(m.stats.n, m.samples.size());
  const double peak = ctx.peak_flops.at(m.precision);
  ASSERT_TRUE(m.peak.has_value()) << m.id;
  EXPECT_DOUBLE_EQ(*m.peak, peak);
  EXPECT_EQ(m.peak_source, ctx.peak_source);
  for (double s : m.samples) {
    EXPECT_GT(s, 0) << m.id;
    EXPECT_LE(s, 1.05 * peak) << m.id << " faster than physics allows";
  }
}

TEST(ComputeGemm, TinyRunIsPhysicalWithExactWorkAndChecks) {
  const Context ctx = tiny_context();
  const ProbeResult r = find("compute.gemm")->run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  // n = 128: 2·128³ = 2 · 2 097 152 = 4 194 304 FLOP (OP for INT8) per product.
  for (const char* id : {"dgemm_fp64", "matmul_fp32", "matmul_bf16", "matmul_int8"}) {
    const Measurement* m = find_measurement(r, id);
    // BF16 and INT8 may be absent on a CPU without them, with the reason in effective.not_measured.
    if (!m) {
      ASSERT_TRUE(r.effective.contains("not_measured") && r.effective["not_measured"].contains(id)) << id;
      continue;
    }
    ASSERT_TRUE(m->work.has_value());
    EXPECT_DOUBLE_EQ(*m->work, 4194304.0) << id;
    EXPECT_EQ(m->samples.size(), 2u) << id;  // tiny: 2 timed repetitions
    expect_physical(ctx, *m);
    EXPECT_FALSE(m->details.value("kernel", "").empty()) << id;
    EXPECT_FALSE(m->details.value("version", "").empty()) << id;
    EXPECT_TRUE(m->details["spot_check"]["passed"].get<bool>()) << m->details["spot_check"].dump();
  }
  const Measurement* d = find_measurement(r, "dgemm_fp64");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->unit, "FLOP/s");
  EXPECT_EQ(d->details["library"], "OpenBLAS");
  for (const char* env : {"OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"})
    EXPECT_TRUE(d->details.contains(env)) << env;  // null when unset, recorded either way
  if (const Measurement* i8 = find_measurement(r, "matmul_int8")) {
    EXPECT_EQ(i8->unit, "OP/s");
    EXPECT_EQ(i8->precision, "int8");
  }
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].id, "spot_check");
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].detail;
  EXPECT_EQ(r.requested["n"], 128);
  EXPECT_EQ(r.effective["threads"], 2);
  EXPECT_EQ(r.effective["openblas_threads"], 2);
}

TEST(ComputeGemm, ProductCheckCatchesCorruption) {
  // A naive 48×40 · 40×56 product in double passes; one entry off by 1e-9 does not.
  const std::size_t m = 48, n = 56, k = 40;
  compute::Uniform u(7);
  std::vector<double> a(m * k), b(k * n), c(m * n, 0.0);
  for (auto& v : a) v = u.next();
  for (auto& v : b) v = u.next();
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t l = 0; l < k; ++l)
      for (std::size_t j = 0; j < n; ++j) c[i * n + j] += a[i * k + l] * b[l * n + j];
  const auto good = compute::check_product(a.data(), b.data(), c.data(), m, n, k, compute::kUnitFp64);
  EXPECT_TRUE(good.passed) << good.detail;
  EXPECT_LE(good.worst, 1.0);
  // Bound of a row sum here: 2·(40+48+56+2)·2⁻⁵³ · Σ|terms| ≈ 3.2e-14 · (≤ 56·40·0.25 = 560) ≤ 1.8e-11 ≪ 1e-9.
  auto bad = c;
  bad[17 * n + 33] += 1e-9;  // an entry no sample hits: the row and column sums must catch it
  const auto caught = compute::check_product(a.data(), b.data(), bad.data(), m, n, k, compute::kUnitFp64);
  EXPECT_FALSE(caught.passed);
  EXPECT_GT(caught.worst, 1.0);
  EXPECT_NE(caught.detail.find("outside its bound"), std::string::npos) << caught.detail;
  bad = c;
  bad[0] = std::nan("");
  EXPECT_FALSE(compute::check_product(a.data(), b.data(), bad.data(), m, n, k, compute::kUnitFp64).passed);

  // INT8 is checked exactly: an s32 result off by one fails.
  std::vector<std::uint8_t> a8(m * k);
  std::vector<std::int8_t> b8(k * n);
  std::vector<std::int32_t> c32(m * n, 0);
  for (auto& v : a8) v = static_cast<std::uint8_t>(u.bits() % 128);
  for (auto& v : b8) v = static_cast<std::int8_t>(static_cast<int>(u.bits() % 256) - 128);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t l = 0; l < k; ++l)
      for (std::size_t j = 0; j < n; ++j) c32[i * n + j] += a8[i * k + l] * b8[l * n + j];
  EXPECT_TRUE(compute::check_product(a8.data(), b8.data(), c32.data(), m, n, k, 0.0).passed);
  c32[5 * n + 50] += 1;
  EXPECT_FALSE(compute::check_product(a8.data(), b8.data(), c32.data(), m, n, k, 0.0).passed);
}

TEST(ComputeGemm, Bf16RoundsToNearestEven) {
  // 1 + 2⁻⁸ lies halfway between bf16 neighbours 1 and 1 + 2⁻⁷: ties go to the even mantissa, 1.
  EXPECT_EQ(compute::value(compute::to_bf16(1.0f + 0x1.0p-8f)), 1.0);
  // 1 + 3·2⁻⁸ lies halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: ties go to the even one, 1 + 2⁻⁶.
  EXPECT_EQ(compute::value(compute::to_bf16(1.0f + 3 * 0x1.0p-8f)), 1.0 + 0x1.0p-6);
  EXPECT_EQ(compute::value(compute::to_bf16(-0.375f)), -0.375);  // exact in 8 bits
}

TEST(ComputeLinpack, FlopCountIsHpls) {
  // n = 200: 2/3·200³ + 3/2·200² = 2/3·8 000 000 + 1.5·40 000 = 5 333 333.33… + 60 000 = 5 393 333.33…
  EXPECT_NEAR(linpack::flop(200), 5393333.333333333, 1e-6);
  // n = 1000: 2/3·10⁹ + 1.5·10⁶ = 668 166 666.67
  EXPECT_NEAR(linpack::flop(1000), 668166666.6666666, 1e-4);
}

TEST(ComputeLinpack, ResidualCheckPassesAGoodSolveAndFailsACorruptedOne) {
  // Solved here by Gaussian elimination with partial pivoting, independently of the library under test.
  const std::size_t n = 60;
  compute::Uniform u(11);
  std::vector<double> a(n * n), b(n);  // column-major
  for (auto& v : a) v = u.next();
  for (auto& v : b) v = u.next();
  std::vector<double> lu = a, x = b;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t i = c + 1; i < n; ++i)
      if (std::abs(lu[c * n + i]) > std::abs(lu[c * n + p])) p = i;
    for (std::size_t j = 0; j < n; ++j) std::swap(lu[j * n + c], lu[j * n + p]);
    std::swap(x[c], x[p]);
    for (std::size_t i = c + 1; i < n; ++i) {
      const double f = lu[c * n + i] / lu[c * n + c];
      for (std::size_t j = c; j < n; ++j) lu[j * n + i] -= f * lu[j * n + c];
      x[i] -= f * x[c];
    }
  }
  for (std::size_t c = n; c-- > 0;) {
    for (std::size_t j = c + 1; j < n; ++j) x[c] -= lu[j * n + c] * x[j];
    x[c] /= lu[c * n + c];
  }
  const auto good = linpack::residual(n, a.data(), n, x.data(), b.data());
  const Check ok = linpack::residual_check(good);
  EXPECT_EQ(ok.id, "residual");
  EXPECT_TRUE(ok.passed) << ok.detail;
  EXPECT_LT(good.scaled, 16);
  // ‖A‖∞ is the largest row sum of |a|: every entry < 0.5 in magnitude, so below 60 · 0.5 = 30.
  EXPECT_GT(good.norm_a, 0);
  EXPECT_LT(good.norm_a, 30);

  // Perturb one component by 1e-6: ‖Ax − b‖∞ grows to ≈ 1e-6·|a_i0| while the scale
  // ε·(‖A‖∞‖x‖∞ + ‖b‖∞)·n stays ~1e-16·(30·‖x‖∞)·60: the scaled residual explodes far past 16.
  auto corrupted = x;
  corrupted[0] += 1e-6;
  const auto bad = linpack::residual(n, a.data(), n, corrupted.data(), b.data());
  const Check fail = linpack::residual_check(bad);
  EXPECT_FALSE(fail.passed) << fail.detail;
  EXPECT_GT(bad.scaled, 16);
  corrupted[1] = std::nan("");
  EXPECT_FALSE(linpack::residual_check(linpack::residual(n, a.data(), n, corrupted.data(), b.data())).passed);
}

TEST(ComputeLinpack, TinyRunSolvesWithinHplsResidual) {
  const Context ctx = tiny_context();
  const ProbeResult r = find("compute.linpack")->run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  ASSERT_EQ(r.measurements.size(), 1u);
  const Measurement& m = r.measurements[0];
  EXPECT_EQ(m.id, "linpack_fp64");
  ASSERT_TRUE(m.work.has_value());
  EXPECT_NEAR(*m.work, 5393333.333333333, 1e-6);  // n = 200, as above
  EXPECT_EQ(m.samples.size(), 2u);
  expect_physical(ctx, m);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].id, "residual");
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].detail;
  for (const auto& s : m.details["scaled_residuals"]) EXPECT_LT(s.get<double>(), 16);
  EXPECT_EQ(r.effective["n"], 200);
}

TEST(CompatRuntimes, FindsTheLinkedAndInstalledRuntimesAndTheMissingOnes) {
  const Context ctx = tiny_context();
  const auto rows = compat::check_runtimes(ctx);
  std::map<std::string, compat::Row> by;
  for (const auto& r : rows) by[r.runtime] = r;
  ASSERT_EQ(by.size(), 8u);
  for (const char* id : {"openmp", "openblas", "blis", "onednn"}) {
    EXPECT_EQ(by[id].result, compat::Result::pass) << id << ": " << by[id].reason;
    EXPECT_FALSE(by[id].version.empty()) << id;
    for (const auto& c : by[id].cases) EXPECT_TRUE(c.passed) << id << " " << c.what << ": " << c.detail;
  }
  // libtorch: with it built in (the release preset), the same product through torch::mm in fp64, fp32 and bf16;
  // without (the sanitizer preset), loading it is all that can be checked — partial, or absent when not installed.
  if (compat::torch_product({1.0}, {2.0}, 1)) {
    EXPECT_EQ(by["libtorch"].result, compat::Result::pass) << by["libtorch"].reason;
    ASSERT_EQ(by["libtorch"].cases.size(), 3u);
    for (const auto& c : by["libtorch"].cases) EXPECT_TRUE(c.passed) << c.what << ": " << c.detail;
  } else {
    EXPECT_NE(by["libtorch"].result, compat::Result::pass) << by["libtorch"].reason;
    EXPECT_NE(by["libtorch"].result, compat::Result::fail) << by["libtorch"].reason;
  }
  // No NVIDIA driver on this machine type.
  EXPECT_EQ(by["cuda"].result, compat::Result::absent) << by["cuda"].reason;
  // OpenCL: the ICD loader may be installed with or without a platform; either way not broken.
  EXPECT_NE(by["opencl"].result, compat::Result::fail) << by["opencl"].reason;
  EXPECT_NE(by["mpi"].result, compat::Result::fail) << by["mpi"].reason;
  // Layers as mapped in compat.cpp.
  EXPECT_EQ(by["openmp"].layer, "os");
  EXPECT_EQ(by["mpi"].layer, "os");
  EXPECT_EQ(by["openblas"].layer, "chips");
  EXPECT_EQ(by["blis"].layer, "chips");
  EXPECT_EQ(by["onednn"].layer, "chips");
  EXPECT_EQ(by["cuda"].layer, "drivers_firmware");
  EXPECT_EQ(by["opencl"].layer, "drivers_firmware");
  EXPECT_EQ(by["libtorch"].layer, "ai_frameworks");

  const ProbeResult r = compat::to_result(rows);
  EXPECT_EQ(r.status, Status::ok);
  const Measurement* blis = find_measurement(r, "blis");
  ASSERT_NE(blis, nullptr);
  EXPECT_EQ(blis->unit, "1");
  EXPECT_EQ(blis->samples, std::vector<double>{1.0});
  EXPECT_EQ(blis->details["result"], "pass");
  EXPECT_EQ(blis->details["layer"], "chips");
  for (const char* key : {"runtime", "layer", "result", "version", "reason"}) EXPECT_TRUE(blis->details.contains(key)) << key;
  EXPECT_EQ(find_measurement(r, "cuda"), nullptr);  // absent: not a measurement, listed with its reason
  ASSERT_TRUE(r.effective["absent"].contains("cuda"));
  EXPECT_EQ(r.effective["absent"]["cuda"]["layer"], "drivers_firmware");
  EXPECT_FALSE(r.effective["absent"]["cuda"]["reason"].get<std::string>().empty());
}

TEST(CompatRuntimes, ALibraryPathThatDoesNotExistIsAbsent) {
  compat::Libraries libs;
  libs.blis = {"/nonexistent/aicq-test/libblis.so.4"};
  libs.mpi = {"/nonexistent/aicq-test/libmpi.so.40"};
  const ProbeResult r = compat::run(tiny_context(), libs);
  EXPECT_EQ(find_measurement(r, "blis"), nullptr);
  EXPECT_EQ(find_measurement(r, "mpi"), nullptr);
  ASSERT_TRUE(r.effective["absent"].contains("blis"));
  EXPECT_NE(r.effective["absent"]["blis"]["reason"].get<std::string>().find("/nonexistent/aicq-test/libblis.so.4"),
            std::string::npos);
  EXPECT_EQ(r.effective["absent"]["mpi"]["layer"], "os");
  ASSERT_NE(find_measurement(r, "openblas"), nullptr);  // the linked ones are still there
}

TEST(CompatRuntimes, ADriverThatCannotInitialiseFails) {
  // The CUDA toolkit ships a stub libcuda.so for linking on machines without a driver: the real vendor ABI,
  // whose cuInit answers CUDA_ERROR_STUB_LIBRARY. Present but broken is "fail", with the call and code named.
  const std::string stub = "/usr/local/cuda/lib/stubs/libcuda.so";
  if (!std::filesystem::exists(stub)) GTEST_SKIP() << "no CUDA toolkit stub at " << stub;
  compat::Libraries libs;
  libs.cuda_driver = {stub};
  compat::Row cuda;
  for (const auto& row : compat::check_runtimes(tiny_context(), libs))
    if (row.runtime == "cuda") cuda = row;
  EXPECT_EQ(cuda.result, compat::Result::fail);
  EXPECT_NE(cuda.reason.find("cuInit(0) returned"), std::string::npos) << cuda.reason;
}

TEST(CompatRuntimes, BlisIsNotLoadedWhenItsArchitectureIsForced) {
  // BLIS 0.9 aborts the process on its first call whenever BLIS_ARCH_TYPE is set (seen here for "zen3", "skx",
  // ids 5, 6, 20, 99 and the empty string): the probe must report it, not die.
  ::setenv("BLIS_ARCH_TYPE", "zen3", 1);
  compat::Row blis;
  for (const auto& row : compat::check_runtimes(tiny_context()))
    if (row.runtime == "blis") blis = row;
  ::unsetenv("BLIS_ARCH_TYPE");
  EXPECT_EQ(blis.result, compat::Result::fail);
  EXPECT_NE(blis.reason.find("BLIS_ARCH_TYPE=\"zen3\""), std::string::npos) << blis.reason;
}

TEST(CompatRuntimes, ResultsScoreAsTheMethodologySays) {
  // pass 1, partial 0.5, fail 0 (methodology §6, sus.compatibility)
  EXPECT_EQ(compat::score(compat::Result::pass), 1.0);
  EXPECT_EQ(compat::score(compat::Result::partial), 0.5);
  EXPECT_EQ(compat::score(compat::Result::fail), 0.0);
  compat::Row partial{"x", "chips", compat::Result::partial, "1.0", "fp32 wrong", {}};
  const ProbeResult r = compat::to_result({partial});
  ASSERT_EQ(r.measurements.size(), 1u);
  EXPECT_EQ(r.measurements[0].samples, std::vector<double>{0.5});
  EXPECT_EQ(r.measurements[0].details["result"], "partial");
}

TEST(ComputeProbes, CancelFlagStopsEachProbe) {
  Context ctx = tiny_context();
  const std::atomic<bool> cancel{true};
  ctx.cancel = &cancel;
  for (const char* id : {"compute.gemm", "compute.linpack", "compat.runtimes"})
    EXPECT_THROW((void)find(id)->run(ctx), Cancelled) << id;
}

TEST(ComputeProbes, ProgressIsReported) {
  Context ctx = tiny_context();
  int reports = 0, timed = 0;
  ctx.progress = [&](const Progress& p) {
    EXPECT_EQ(p.probe, "compute.linpack");
    ++reports;
    if (p.repetition > 0) ++timed;
  };
  (void)find("compute.linpack")->run(ctx);
  EXPECT_EQ(timed, 2);       // the two timed repetitions
  EXPECT_EQ(reports, 3);     // and the warm-up
}

TEST(ComputeProbes, ResultSurvivesTheJsonRoundTrip) {
  const ProbeResult r = find("compute.gemm")->run(tiny_context());
  const nlohmann::json j = to_json(r);
  const ProbeResult back = probe_result_from_json(j);
  EXPECT_EQ(to_json(back), j);
  ASSERT_EQ(back.measurements.size(), r.measurements.size());
  EXPECT_EQ(back.measurements[0].samples, r.measurements[0].samples);
  EXPECT_EQ(back.measurements[0].details, r.measurements[0].details);
  EXPECT_EQ(back.checks.size(), r.checks.size());
  EXPECT_EQ(back.effective, r.effective);
  const nlohmann::json jc = to_json(compat::run(tiny_context()));
  EXPECT_EQ(to_json(probe_result_from_json(jc)), jc);
}

}  // namespace
}  // namespace aicq::probe

// The gap diagnosis on crafted inputs, and run_probe_in_child against a small shell script standing in for
// `aicq probes --run` (real processes, real pipes, real environments).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/child.hpp"
#include "aicq/probe/diagnosis.hpp"
#include "support.hpp"

namespace aicq::probe {
namespace fs = std::filesystem;

namespace {

// A fake `aicq`: `probes --run PROBE ARGS…` prints a probe record. The DGEMM rate depends on
// OPENBLAS_CORETYPE (set: 90 GFLOP/s, unset: 150); memory.first_touch's alloc_fill_free on the allocator
// variables (default 0.1 GB/s, MALLOC_MMAP_MAX_=0: 2 GB/s, glibc.malloc.hugetlb=1: 1 GB/s). AICQ_FAKE_MODE
// makes it sleep, fail or print garbage.
constexpr const char* kFakeAicq = R"(#!/bin/sh
case "$AICQ_FAKE_MODE" in
  sleep) sleep 30; exit 0;;
  fail) echo "starting" >&2; echo "boom: the library refused" >&2; exit 3;;
  garbage) echo "not a record"; exit 0;;
esac
probe="$3"
shift 3
if [ "$probe" = "memory.first_touch" ]; then
  id=alloc_fill_free; unit=B/s; prec=""; rate=100000000
  [ "${MALLOC_MMAP_MAX_-}" = "0" ] && rate=2000000000
  [ "${GLIBC_TUNABLES-}" = "glibc.malloc.hugetlb=1" ] && rate=1000000000
else
  id=dgemm; unit=FLOP/s; prec=fp64
  if [ -n "${OPENBLAS_CORETYPE+x}" ]; then rate=90000000000; else rate=150000000000; fi
fi
printf '{"id":"%s","status":"ok","duration_s":0.1,"requested":{},"effective":{"args":"%s","var":"%s","unset_me":"%s","coretype":"%s"},"measurements":[{"id":"%s","unit":"%s","precision":"%s","samples":[%s,%s],"higher_is_better":true,"details":{}}],"checks":[]}\n' \
  "$probe" "$*" "${AICQ_CHILD_TEST_VAR-}" "${AICQ_CHILD_TEST_UNSET_ME-absent}" "${OPENBLAS_CORETYPE-unset}" "$id" "$unit" "$prec" "$rate" "$rate"
)";

fs::path fake_aicq() {
  // Removed when the test process exits.
  static const struct Dir {
    fs::path path = test::scratch("diagnosis");
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } dir;
  const auto p = dir.path / "fake-aicq";
  std::ofstream(p) << kFakeAicq;
  fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  return p;
}

ProbeResult result(const std::string& id, const std::string& mid, const std::string& unit, std::vector<double> samples,
                   bool higher = true, const std::string& precision = "") {
  ProbeResult r;
  r.id = id;
  Measurement m;
  m.id = mid;
  m.unit = unit;
  m.samples = std::move(samples);
  m.stats = statistics(m.samples);
  m.higher_is_better = higher;
  m.precision = precision;
  r.measurements.push_back(std::move(m));
  return r;
}

// A first-touch record of a machine with cheap page faults (0.2 µs, re-touch 0.01 µs).
ProbeResult cheap_faults() {
  ProbeResult r = result("memory.first_touch", "first_touch", "s", {0.2e-6, 0.2e-6}, false);
  Measurement m;
  m.id = "retouch";
  m.unit = "s";
  m.samples = {1e-8, 1e-8};
  m.stats = statistics(m.samples);
  m.higher_is_better = false;
  r.measurements.push_back(m);
  return r;
}

// A healthy machine: 2 cores, AVX-512, libraries on their AVX-512 kernels, no competition, cheap faults,
// the clock at base.
DiagnosisInput clean() {
  DiagnosisInput in;
  in.cores = 2;
  in.isa = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16"};
  in.blas = BlasKernels{"Cooperlake", "OpenBLAS 0.3.21 DYNAMIC_ARCH", "skx"};
  in.load = SystemLoad{0.1, 0.0, 10};
  in.measured_clock_hz = 3.0e9;
  in.base_clock_hz = 3.0e9;
  in.results.push_back(cheap_faults());
  return in;
}

const Finding* finding(const std::vector<Finding>& f, const std::string& id) {
  for (const auto& x : f)
    if (x.id == id) return &x;
  return nullptr;
}

std::string ids(const std::vector<Finding>& f) {
  std::string s;
  for (const auto& x : f) s += x.id + " ";
  return s;
}

}  // namespace

TEST(Diagnosis, CleanInputHasNoFindings) {
  const auto f = diagnose(clean(), Context{});
  EXPECT_TRUE(f.empty()) << ids(f);
}

TEST(Diagnosis, OpenblasCoretypeNamedWithoutRerun) {
  DiagnosisInput in = clean();
  in.environment["OPENBLAS_CORETYPE"] = "Haswell";
  in.blas->openblas_core = "Haswell";
  const auto f = diagnose(in, Context{});
  ASSERT_EQ(f.size(), 1u) << ids(f);
  const Finding& x = f[0];
  EXPECT_EQ(x.id, "blas.openblas_coretype");
  EXPECT_NE(x.what.find("OPENBLAS_CORETYPE=Haswell"), std::string::npos) << x.what;
  EXPECT_NE(x.what.find("older than this CPU allows"), std::string::npos) << x.what;  // AVX2 kernels on AVX-512
  EXPECT_NE(x.fix.find("Cooperlake"), std::string::npos) << x.fix;  // avx512_bf16 present
  EXPECT_FALSE(x.cost_fraction);
  EXPECT_EQ(x.cost_method.rfind("not measured", 0), 0u) << x.cost_method;
}

TEST(Diagnosis, OpenblasCoretypeCostMeasuredByChildRerun) {
  DiagnosisInput in = clean();
  in.environment["OPENBLAS_CORETYPE"] = "Haswell";
  in.self_exe = fake_aicq().string();
  in.tiny = true;
  in.results.push_back(result("compute.gemm", "dgemm", "FLOP/s", {90e9, 90e9}, true, "fp64"));
  const auto f = diagnose(in, Context{});
  const Finding* x = finding(f, "blas.openblas_coretype");
  ASSERT_TRUE(x) << ids(f);
  // before 90 GFLOP/s (this run, Haswell kernels), after 150 (child with OPENBLAS_CORETYPE unset):
  // cost = 1 − 90 / 150 = 0.4
  ASSERT_TRUE(x->cost_fraction) << x->cost_method;
  EXPECT_NEAR(*x->cost_fraction, 0.4, 1e-12);
  EXPECT_EQ(x->cost_method.rfind("measured:", 0), 0u) << x->cost_method;
  EXPECT_DOUBLE_EQ(x->details["cost"]["after_median"].get<double>(), 150e9);
  EXPECT_EQ(x->details["cost"]["before_source"], "this run");
  const auto args = x->details["cost"]["args"];
  EXPECT_EQ(args[0], "--suite");
  EXPECT_EQ(args[1], "quick");
  EXPECT_EQ(args[2], "--tiny");
}

TEST(Diagnosis, LibrariesThatDoNotKnowTheCpu) {
  DiagnosisInput in = clean();
  in.blas = BlasKernels{"Prescott", "", "generic"};
  const auto f = diagnose(in, Context{});
  const Finding* ob = finding(f, "blas.openblas_core_old");
  ASSERT_TRUE(ob) << ids(f);
  EXPECT_EQ(ob->details["suggested_coretype"], "Cooperlake");
  const Finding* bl = finding(f, "blas.blis_arch_old");
  ASSERT_TRUE(bl) << ids(f);
  EXPECT_NE(bl->what.find("generic"), std::string::npos);
  EXPECT_EQ(bl->cost_method, "not measured: no probe of this run uses BLIS");
  // Without ISA facts nothing can be judged old.
  in.isa.clear();
  EXPECT_TRUE(diagnose(in, Context{}).empty());
}

TEST(Diagnosis, BlisArchTypeSet) {
  DiagnosisInput in = clean();
  in.environment["BLIS_ARCH_TYPE"] = "6";
  const auto f = diagnose(in, Context{});
  ASSERT_TRUE(finding(f, "blas.blis_arch_type")) << ids(f);
}

TEST(Diagnosis, FewerThreadsThanCores) {
  DiagnosisInput in = clean();
  in.threads = 1;
  in.environment["OMP_NUM_THREADS"] = "1";
  const auto f = diagnose(in, Context{});
  const Finding* x = finding(f, "threads.fewer_than_cores");
  ASSERT_TRUE(x) << ids(f);
  EXPECT_NE(x->evidence.find("--threads 1"), std::string::npos) << x->evidence;
  EXPECT_NE(x->evidence.find("OMP_NUM_THREADS=1"), std::string::npos) << x->evidence;
  EXPECT_FALSE(finding(f, "threads.oversubscribed"));
  // A probe's own effective threads count too.
  DiagnosisInput in2 = clean();
  ProbeResult r = result("memory.stream", "triad", "B/s", {3e10});
  r.effective["threads"] = 1;
  in2.results.push_back(r);
  const auto f2 = diagnose(in2, Context{});
  ASSERT_TRUE(finding(f2, "threads.fewer_than_cores")) << ids(f2);
  EXPECT_NE(finding(f2, "threads.fewer_than_cores")->evidence.find("memory.stream ran 1 thread"), std::string::npos);
}

TEST(Diagnosis, Oversubscribed) {
  DiagnosisInput in = clean();
  in.threads = 8;
  const auto f = diagnose(in, Context{});
  ASSERT_TRUE(finding(f, "threads.oversubscribed")) << ids(f);
  EXPECT_FALSE(finding(f, "threads.fewer_than_cores"));
}

TEST(Diagnosis, OtherProcessesCompete) {
  DiagnosisInput in = clean();
  in.load = SystemLoad{4.2, 3.0, 10};
  const auto f = diagnose(in, Context{});
  const Finding* x = finding(f, "load.other_processes");
  ASSERT_TRUE(x) << ids(f);
  // 2 probe threads + 3 others on 2 cores: fair share 2 / 5, cost 1 − 0.4 = 0.6
  ASSERT_TRUE(x->cost_fraction);
  EXPECT_NEAR(*x->cost_fraction, 0.6, 1e-12);
  EXPECT_EQ(x->cost_method.rfind("estimated:", 0), 0u);
  // Less than half a thread on average is noise.
  in.load = SystemLoad{0.4, 0.3, 10};
  EXPECT_FALSE(finding(diagnose(in, Context{}), "load.other_processes"));
}

TEST(Diagnosis, ClockFarBelowBase) {
  DiagnosisInput in = clean();
  in.measured_clock_hz = 1.2e9;
  in.base_clock_hz = 3.0e9;
  const auto f = diagnose(in, Context{});
  const Finding* x = finding(f, "clock.below_base");
  ASSERT_TRUE(x) << ids(f);
  // 1.2 / 3.0 = 0.4 of base: estimated cost 1 − 0.4 = 0.6
  EXPECT_NEAR(*x->cost_fraction, 0.6, 1e-12);
  EXPECT_NE(x->evidence.find("1.2 GHz"), std::string::npos) << x->evidence;
  // 2.9 of 3.0 GHz (97%) is not "far below".
  in.measured_clock_hz = 2.9e9;
  EXPECT_FALSE(finding(diagnose(in, Context{}), "clock.below_base"));
}

TEST(Diagnosis, CostlyPageFaults) {
  DiagnosisInput in = clean();
  in.results.clear();
  ProbeResult ft = result("memory.first_touch", "first_touch", "s", {15e-6, 15e-6}, false);
  Measurement re;
  re.id = "retouch";
  re.unit = "s";
  re.samples = {0.3e-6, 0.3e-6};
  re.stats = statistics(re.samples);
  re.higher_is_better = false;
  ft.measurements.push_back(re);
  Measurement churn;
  churn.id = "alloc_fill_free";
  churn.unit = "B/s";
  churn.samples = {1e8, 1e8};
  churn.stats = statistics(churn.samples);
  ft.measurements.push_back(churn);
  in.results.push_back(ft);
  const auto f = diagnose(in, Context{});
  const Finding* x = finding(f, "memory.page_faults");
  ASSERT_TRUE(x) << ids(f);
  EXPECT_NE(x->evidence.find("15 µs"), std::string::npos) << x->evidence;
  EXPECT_NE(x->fix.find("MALLOC_MMAP_MAX_=0"), std::string::npos);
  EXPECT_NE(x->fix.find("glibc.malloc.hugetlb=1"), std::string::npos);
  // No reruns: estimated as the fault's share of a first write, 1 − 0.3 / 15 = 0.98
  EXPECT_NEAR(*x->cost_fraction, 0.98, 1e-12);
  // With reruns: before 0.1 GB/s (this run); MALLOC_MMAP_MAX_=0 gives 2 GB/s → 1 − 0.1/2 = 0.95, hugetlb gives
  // 1 GB/s → 0.9; the better fix is the cost, the other stays beside it.
  in.self_exe = fake_aicq().string();
  const auto g = diagnose(in, Context{});
  const Finding* y = finding(g, "memory.page_faults");
  ASSERT_TRUE(y && y->cost_fraction) << ids(g);
  EXPECT_NEAR(*y->cost_fraction, 0.95, 1e-12);
  EXPECT_NEAR(y->details["alternative_fix"]["cost_fraction"].get<double>(), 0.9, 1e-12);
}

TEST(Diagnosis, FailedRerunLeavesTheFindingWithoutCost) {
  const auto dir = test::scratch("diagnosis-fail");
  const auto script = dir / "failing-aicq";
  std::ofstream(script) << "#!/bin/sh\necho 'no such probe' >&2\nexit 2\n";
  fs::permissions(script, fs::perms::owner_all);
  DiagnosisInput in = clean();
  in.environment["OPENBLAS_CORETYPE"] = "Haswell";
  in.self_exe = script.string();
  in.results.push_back(result("compute.gemm", "dgemm", "FLOP/s", {90e9}, true, "fp64"));
  const auto f = diagnose(in, Context{});
  const Finding* x = finding(f, "blas.openblas_coretype");
  ASSERT_TRUE(x);
  EXPECT_FALSE(x->cost_fraction);
  EXPECT_NE(x->cost_method.find("exited with code 2"), std::string::npos) << x->cost_method;
  EXPECT_NE(x->cost_method.find("no such probe"), std::string::npos) << x->cost_method;
  fs::remove_all(dir);
}

TEST(Diagnosis, FindingJson) {
  Finding f;
  f.id = "clock.below_base";
  f.what = "w";
  f.evidence = "e";
  f.fix = "x";
  f.cost_fraction = 0.25;
  f.cost_method = "estimated: …";
  const auto j = to_json(f);
  EXPECT_EQ(j["id"], "clock.below_base");
  EXPECT_DOUBLE_EQ(j["cost_fraction"].get<double>(), 0.25);
  f.cost_fraction.reset();
  EXPECT_FALSE(to_json(f).contains("cost_fraction"));
}

TEST(Diagnosis, ThisMachinesLibrariesAndLoadCanBeRead) {
  const BlasKernels k = query_blas_kernels();
  ASSERT_TRUE(k.openblas_core);  // OpenBLAS is linked
  EXPECT_FALSE(k.openblas_core->empty());
  const auto l = read_system_load(3, 0.01);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->samples, 3);
  EXPECT_GE(l->other_running, 0);
}

// --- run_probe_in_child -----------------------------------------------------------------------------------

TEST(ChildRerun, SetsAndUnsetsVariablesAndPassesArguments) {
  const auto exe = fake_aicq().string();
  // A variable of this test process, to see it unset in the child (a name no one else uses).
  ::setenv("AICQ_CHILD_TEST_UNSET_ME", "present", 1);
  const ProbeResult kept = run_probe_in_child(exe, "compute.gemm", {"--suite", "quick"}, {}, 30);
  EXPECT_EQ(kept.effective["unset_me"], "present");  // inherited when not named
  const ProbeResult r = run_probe_in_child(exe, "compute.gemm", {"--suite", "quick", "--tiny"},
                                           {{"AICQ_CHILD_TEST_VAR", "hello world"}, {"AICQ_CHILD_TEST_UNSET_ME", std::nullopt}}, 30);
  ::unsetenv("AICQ_CHILD_TEST_UNSET_ME");
  EXPECT_EQ(r.id, "compute.gemm");
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.effective["var"], "hello world");
  EXPECT_EQ(r.effective["unset_me"], "absent");
  EXPECT_EQ(r.effective["args"], "--suite quick --tiny");
  ASSERT_EQ(r.measurements.size(), 1u);
  EXPECT_EQ(r.measurements[0].stats.n, 2u);  // statistics recomputed from the samples
}

TEST(ChildRerun, Timeout) {
  const auto exe = fake_aicq().string();
  try {
    run_probe_in_child(exe, "compute.gemm", {}, {{"AICQ_FAKE_MODE", "sleep"}}, 0.5);
    FAIL() << "no error";
  } catch (const core::WorkError& e) {
    EXPECT_NE(std::string(e.what()).find("did not finish within 0.5 s"), std::string::npos) << e.what();
  }
}

TEST(ChildRerun, FailingChild) {
  const auto exe = fake_aicq().string();
  try {
    run_probe_in_child(exe, "compute.gemm", {}, {{"AICQ_FAKE_MODE", "fail"}}, 30);
    FAIL() << "no error";
  } catch (const core::WorkError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("exited with code 3"), std::string::npos) << m;
    EXPECT_NE(m.find("boom: the library refused"), std::string::npos) << m;  // the last lines of stderr
    EXPECT_NE(m.find("probes --run compute.gemm"), std::string::npos) << m;  // the command
  }
  EXPECT_THROW(run_probe_in_child(exe, "x", {}, {{"AICQ_FAKE_MODE", "garbage"}}, 30), core::WorkError);
  EXPECT_THROW(run_probe_in_child("/nonexistent/aicq", "x", {}, {}, 30), core::WorkError);
}

TEST(ChildRerun, Cancel) {
  const auto exe = fake_aicq().string();
  std::atomic<bool> stop{true};
  EXPECT_THROW(run_probe_in_child(exe, "compute.gemm", {}, {{"AICQ_FAKE_MODE", "sleep"}}, 30, &stop), Cancelled);
}

}  // namespace aicq::probe

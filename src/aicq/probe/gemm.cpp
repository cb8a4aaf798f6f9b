// compute.gemm — dense matrix multiply rates: DGEMM (FP64) through OpenBLAS, and FP32, BF16 and INT8 (u8·s8 → s32)
// matmul through oneDNN's matmul primitive, each checked against a double reference (check_product).
//
// Square products C = A·B, row-major, plain layouts: the weights are not pre-packed into oneDNN's blocked
// format, so packing is counted in the time, as it is in a BLAS GEMM call. Inputs are uniform in
// [-0.5, 0.5) (fixed seeds); INT8 activations are 7-bit (0…127) so that pre-VNNI u8·s8 kernels, which add
// pairs of products in 16 bits with saturation, compute exactly what the s32 reference does.
#include <cblas.h>
#include <omp.h>

#include <chrono>
#include <functional>
#include <new>
#include <unordered_map>
#include <oneapi/dnnl/dnnl.hpp>

#include "aicq/probe/compute.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

namespace {

constexpr const char* kId = "compute.gemm";

// Matrix orders by suite. On 2 Zen 5 cores n = 4096 runs at the rates of n = 8192 within a few percent, at an
// eighth of the time and a quarter of the memory; quick stays well inside 10 s with page faults included.
std::size_t order_for(const Context& ctx) {
  if (ctx.tiny) return 128;
  switch (ctx.suite) {
    case Suite::quick: return 2048;
    case Suite::standard: return 4096;
    case Suite::full: return 8192;
  }
  return 4096;
}

// Halves n until three matrices of `bytes_per_element` (A, B, C together) use at most half the memory
// available, so that a probe never pushes the machine into swapping or the OOM killer.
std::size_t fit_memory(std::size_t n, double bytes_per_element, std::string& note) {
  const auto avail = util::mem_available_bytes();
  if (!avail) return n;
  const std::size_t asked = n;
  while (n > 256 && bytes_per_element * static_cast<double>(n) * static_cast<double>(n) > 0.5 * *avail) n /= 2;
  if (n != asked) note = "n reduced from " + std::to_string(asked) + " to fit half of the available memory";
  return n;
}

void attach_peak(const Context& ctx, Measurement& m) {
  if (const auto it = ctx.peak_flops.find(m.precision); it != ctx.peak_flops.end() && it->second > 0) {
    m.peak = it->second;
    m.peak_source = ctx.peak_source;
  }
}

Measurement make_measurement(const Context& ctx, std::string id, std::string precision, bool ops, double work,
                             const std::vector<double>& durations, nlohmann::json details) {
  Measurement m;
  m.id = std::move(id);
  m.precision = std::move(precision);
  m.unit = ops ? "OP/s" : "FLOP/s";
  m.work = work;
  m.work_unit = ops ? "OP" : "FLOP";
  m.samples = rates(work, durations);
  m.stats = statistics(m.samples);
  m.details = std::move(details);
  attach_peak(ctx, m);
  return m;
}

nlohmann::json check_json(const compute::ProductCheck& c) { return {{"passed", c.passed}, {"detail", c.detail}}; }

// What one measurement produced: the measurement (absent when the precision cannot run here), the check of
// its last product, and a note when it was not measured.
struct Outcome {
  std::optional<Measurement> measurement;
  std::optional<compute::ProductCheck> check;
  std::string not_measured;
};

Outcome run_dgemm(const Context& ctx, std::size_t n, double share_s) {
  std::string note;
  n = fit_memory(n, 3 * sizeof(double), note);
  const std::size_t nn = n * n;
  compute::Buffer a(nn * sizeof(double)), b(nn * sizeof(double)), c(nn * sizeof(double));
  compute::Uniform u(0x5eed0001);
  for (std::size_t i = 0; i < nn; ++i) a.as<double>()[i] = u.next();
  for (std::size_t i = 0; i < nn; ++i) b.as<double>()[i] = u.next();
  const auto ni = static_cast<blasint>(n);
  auto body = [&] {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0, a.as<double>(), ni, b.as<double>(), ni, 0.0,
                c.as<double>(), ni);
  };
  const std::string step = "dgemm_fp64 n=" + std::to_string(n);
  const auto plan = compute::plan_for(ctx);
  double one = 0;
  for (int w = 0; w < plan.warmups; ++w) one = compute::warm_up(ctx, kId, step, body);
  const int reps = compute::repetitions_within(plan, share_s - one, one);
  const auto durations = time_repetitions(ctx, kId, step, 0, reps, body, one * reps);

  Outcome out;
  out.check = compute::check_product(a.as<double>(), b.as<double>(), c.as<double>(), n, n, n, compute::kUnitFp64);
  nlohmann::json details = compute::openblas_info();
  details["routine"] = "cblas_dgemm (row-major, no transpose)";
  details["m"] = n;
  details["n"] = n;
  details["k"] = n;
  details["spot_check"] = check_json(*out.check);
  if (!note.empty()) details["note"] = note;
  out.measurement = make_measurement(ctx, "dgemm_fp64", "fp64", false, compute::gemm_work(n, n, n), durations, details);
  return out;
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

// Fills with the inputs of each element type (see the top of the file).
void fill(float* p, std::size_t count, compute::Uniform& u) {
  for (std::size_t i = 0; i < count; ++i) p[i] = static_cast<float>(u.next());
}
void fill(compute::Bf16* p, std::size_t count, compute::Uniform& u) {
  for (std::size_t i = 0; i < count; ++i) p[i] = compute::to_bf16(static_cast<float>(u.next()));
}
void fill(std::uint8_t* p, std::size_t count, compute::Uniform& u) {
  for (std::size_t i = 0; i < count; ++i) p[i] = static_cast<std::uint8_t>(u.bits() % 128);
}
void fill(std::int8_t* p, std::size_t count, compute::Uniform& u) {
  for (std::size_t i = 0; i < count; ++i) p[i] = static_cast<std::int8_t>(static_cast<int>(u.bits() % 256) - 128);
}

struct MatmulKind {
  const char* id;         // measurement id
  const char* precision;  // "fp32", "bf16", "int8"
  dnnl::memory::data_type src, weights, dst;
  const char* types;      // for the details
  double unit_roundoff;   // of the accumulation
  bool ops;               // OP/s (integer) rather than FLOP/s
};

template <class TA, class TB, class TC>
Outcome run_matmul(const Context& ctx, const MatmulKind& kind, std::size_t n, double share_s) {
  using tag = dnnl::memory::format_tag;
  Outcome out;
  std::string note;
  n = fit_memory(n, static_cast<double>(sizeof(TA) + sizeof(TB) + sizeof(TC)), note);
  const auto nd = static_cast<dnnl::memory::dim>(n);
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const dnnl::memory::desc a_md({nd, nd}, kind.src, tag::ab), b_md({nd, nd}, kind.weights, tag::ab),
      c_md({nd, nd}, kind.dst, tag::ab);
  dnnl::matmul::primitive_desc pd;
  try {
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), engine);
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented) throw;
    out.not_measured = std::string("oneDNN ") + onednn_version() + " has no " + kind.types +
                       " matmul for this CPU (dnnl_unimplemented)";
    return out;
  }
  const std::string impl = pd.impl_info_str();
  // oneDNN falls back to its naive reference code where no optimised kernel exists: far too slow to time at
  // these sizes, and not what the CPU can do.
  if (impl.rfind("ref", 0) == 0) {
    out.not_measured = std::string("oneDNN ") + onednn_version() + " has only its reference implementation (" + impl +
                       ") for " + kind.types + " matmul on this CPU";
    return out;
  }
  const std::size_t nn = n * n;
  compute::Buffer a(nn * sizeof(TA)), b(nn * sizeof(TB)), c(nn * sizeof(TC));
  compute::Uniform u(0x5eed0002);
  fill(a.as<TA>(), nn, u);
  fill(b.as<TB>(), nn, u);
  dnnl::memory a_mem(a_md, engine, a.as<TA>()), b_mem(b_md, engine, b.as<TB>()), c_mem(c_md, engine, c.as<TC>());
  const dnnl::matmul prim(pd);
  const std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
  auto body = [&] {
    prim.execute(stream, args);
    stream.wait();
  };
  const std::string step = std::string(kind.id) + " n=" + std::to_string(n);
  const auto plan = compute::plan_for(ctx);
  double one = 0;
  for (int w = 0; w < plan.warmups; ++w) one = compute::warm_up(ctx, kId, step, body);
  const int reps = compute::repetitions_within(plan, share_s - one, one);
  const auto durations = time_repetitions(ctx, kId, step, 0, reps, body, one * reps);

  out.check = compute::check_product(a.as<TA>(), b.as<TB>(), c.as<TC>(), n, n, n, kind.unit_roundoff);
  const dnnl_version_t* v = dnnl_version();
  nlohmann::json details{{"library", "oneDNN"},
                         {"version", onednn_version()},
                         {"git_hash", v->hash ? v->hash : ""},
                         {"cpu_runtime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : std::to_string(v->cpu_runtime)},
                         {"kernel", impl},
                         {"primitive", "matmul"},
                         {"types", kind.types},
                         {"weights_layout", "plain row-major, packed inside each call"},
                         {"m", n},
                         {"n", n},
                         {"k", n},
                         {"threads", omp_get_max_threads()},
                         {"OMP_NUM_THREADS", compute::env_or_null("OMP_NUM_THREADS")},
                         {"ONEDNN_MAX_CPU_ISA", compute::env_or_null("ONEDNN_MAX_CPU_ISA")},
                         {"DNNL_MAX_CPU_ISA", compute::env_or_null("DNNL_MAX_CPU_ISA")},
                         {"spot_check", check_json(*out.check)}};
  if (!note.empty()) details["note"] = note;
  out.measurement = make_measurement(ctx, kind.id, kind.precision, kind.ops, compute::gemm_work(n, n, n), durations, details);
  return out;
}

ProbeResult run(const Context& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  ProbeResult r;
  r.id = kId;
  r.started = util::iso_now();
  const std::size_t n = order_for(ctx);
  r.requested = {{"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny},    {"threads", ctx.threads},
                 {"n", n},                        {"budget_s", ctx.budget_s}};
  const compute::ThreadGuard threads(ctx.threads);
  using dt = dnnl::memory::data_type;
  // Shares of the budget for the timed repetitions: the two headline rates (FP64, FP32) take more than BF16 and
  // INT8; a fifth is left for filling the matrices and checking the products.
  const double budget = std::max(ctx.budget_s, 0.0);
  std::vector<Outcome> outcomes;
  nlohmann::json not_measured = nlohmann::json::object();
  std::vector<std::string> errors;
  // One measurement failing (a library error, memory) leaves the others standing: it is reported not
  // measured, with the error; the probe fails only when nothing could be measured. Cancelled passes through.
  auto record = [&](const char* id, const std::function<Outcome()>& measure) {
    try {
      Outcome o = measure();
      if (!o.not_measured.empty()) not_measured[id] = o.not_measured;
      outcomes.push_back(std::move(o));
    } catch (const std::bad_alloc&) {
      errors.push_back(std::string(id) + ": out of memory allocating the matrices");
      not_measured[id] = errors.back();
    } catch (const dnnl::error& e) {
      errors.push_back(std::string(id) + ": oneDNN error " + e.what() + " (status " +
                       std::to_string(static_cast<int>(e.status)) + ")");
      not_measured[id] = errors.back();
    }
  };
  record("dgemm_fp64", [&] { return run_dgemm(ctx, n, 0.25 * budget); });
  record("matmul_fp32", [&] {
    return run_matmul<float, float, float>(
        ctx, {"matmul_fp32", "fp32", dt::f32, dt::f32, dt::f32, "f32·f32 → f32", compute::kUnitFp32, false}, n,
        0.25 * budget);
  });
  record("matmul_bf16", [&] {
    return run_matmul<compute::Bf16, compute::Bf16, float>(
        ctx,
        {"matmul_bf16", "bf16", dt::bf16, dt::bf16, dt::f32, "bf16·bf16 → f32 (f32 accumulation)", compute::kUnitFp32,
         false},
        n, 0.15 * budget);
  });
  record("matmul_int8", [&] {
    return run_matmul<std::uint8_t, std::int8_t, std::int32_t>(
        ctx, {"matmul_int8", "int8", dt::u8, dt::s8, dt::s32, "u8·s8 → s32", 0.0, true}, n, 0.15 * budget);
  });

  std::string bad;
  nlohmann::json sizes = nlohmann::json::object();
  for (auto& o : outcomes) {
    if (!o.measurement) continue;
    if (o.check && !o.check->passed) bad += (bad.empty() ? "" : "; ") + o.measurement->id + ": " + o.check->detail;
    sizes[o.measurement->id] = o.measurement->details.value("n", 0);
    r.measurements.push_back(std::move(*o.measurement));
  }
  bool checked = false;
  for (const auto& o : outcomes) checked = checked || o.check.has_value();
  if (checked)
    r.checks.push_back({"spot_check", bad.empty(),
                        bad.empty() ? "every product within its error bound (details: each measurement's spot_check)"
                                    : "outside the error bound: " + bad});
  if (r.measurements.empty() && !errors.empty()) {
    r.status = Status::failed;
    for (const auto& e : errors) r.reason += (r.reason.empty() ? "" : "; ") + e;
  }
  if (r.status == Status::ok && !bad.empty()) {
    r.status = Status::invalid;
    r.reason = "a product disagrees with its reference: " + bad;
  }
  r.effective = {{"threads", ctx.threads},
                 {"openblas_threads", openblas_get_num_threads()},
                 {"omp_threads", omp_get_max_threads()},
                 {"n", sizes},
                 {"openblas", compute::openblas_info()},
                 {"onednn_version", onednn_version()}};
  if (!not_measured.empty()) r.effective["not_measured"] = not_measured;
  r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

Probe gemm_probe() {
  Probe p;
  p.id = kId;
  p.title = "Dense matrix multiply: DGEMM (OpenBLAS) and FP32/BF16/INT8 matmul (oneDNN)";
  p.measures = "FLOP/s (OP/s for INT8) of square products, each checked against a double reference";
  p.precisions = "fp64, fp32, bf16, int8";
  p.feeds = "ce.measured (achieved ÷ peak per precision)";
  p.typical_s = {{Suite::quick, 5}, {Suite::standard, 45}, {Suite::full, 240}};
  p.run = run;
  return p;
}

}  // namespace aicq::probe

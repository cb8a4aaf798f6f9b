// The gap diagnosis (see diagnosis.hpp).
#include "aicq/probe/diagnosis.hpp"

#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/child.hpp"
#include "aicq/probe/firsttouch.hpp"
#include "aicq/probe/probe_util.hpp"

namespace aicq::probe {

namespace {

// A first touch above this is "costly": bare metal takes about 0.1–0.3 µs per 4 KiB page.
constexpr double kFirstTouchCostly_s = 1e-6;
constexpr const char* kBareMetalFirstTouch = "0.1–0.3 µs";
// The clock counts as "far below base" under this share of the base clock.
constexpr double kClockFloor = 0.9;
// glibc keeps freed memory below this many bytes instead of returning it (16 GiB: effectively never trims).
constexpr const char* kTrimThreshold = "17179869184";

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_flag(const std::vector<std::string>& isa, const std::string& flag) {
  return std::any_of(isa.begin(), isa.end(), [&](const std::string& f) { return lower(f) == flag; });
}

// ISA levels: 3 AVX-512, 2 AVX2+FMA, 1 AVX, 0 SSE or less.
std::optional<int> cpu_level(const std::vector<std::string>& isa) {
  if (isa.empty()) return std::nullopt;
  if (has_flag(isa, "avx512f")) return 3;
  if (has_flag(isa, "avx2")) return 2;
  if (has_flag(isa, "avx")) return 1;
  return 0;
}
const char* level_name(int l) {
  switch (l) {
    case 3: return "AVX-512";
    case 2: return "AVX2";
    case 1: return "AVX";
    default: return "SSE";
  }
}

// The ISA level each OpenBLAS core family's kernels use (OpenBLAS 0.3 names; Zen runs Haswell kernels,
// Excavator Piledriver's).
std::optional<int> openblas_level(const std::string& core) {
  static const std::map<std::string, int> m = {
      {"sapphirerapids", 3}, {"cooperlake", 3}, {"skylakex", 3},   {"haswell", 2},    {"zen", 2},
      {"sandybridge", 1},    {"bulldozer", 1},  {"piledriver", 1}, {"steamroller", 1}, {"excavator", 1},
      {"prescott", 0},       {"core2", 0},      {"penryn", 0},     {"dunnington", 0}, {"nehalem", 0},
      {"atom", 0},           {"opteron", 0},    {"opteron_sse3", 0}, {"barcelona", 0}, {"bobcat", 0},
      {"nano", 0},           {"katmai", 0},     {"coppermine", 0}, {"northwood", 0},  {"banias", 0},
      {"athlon", 0}};
  const auto it = m.find(lower(core));
  return it == m.end() ? std::nullopt : std::optional<int>(it->second);
}
std::optional<int> blis_level(const std::string& arch) {
  static const std::map<std::string, int> m = {
      {"skx", 3},   {"knl", 3},         {"zen4", 3},      {"zen5", 3},        {"haswell", 2},   {"zen", 2},
      {"zen2", 2},  {"zen3", 2},        {"sandybridge", 1}, {"bulldozer", 1}, {"piledriver", 1}, {"steamroller", 1},
      {"excavator", 1}, {"penryn", 0},  {"generic", 0}};
  const auto it = m.find(lower(arch));
  return it == m.end() ? std::nullopt : std::optional<int>(it->second);
}
// What to force OpenBLAS to on a CPU of this level.
std::string openblas_core_for(int level, const std::vector<std::string>& isa) {
  if (level >= 3) return has_flag(isa, "avx512_bf16") || has_flag(isa, "avx512bf16") ? "Cooperlake" : "SkylakeX";
  if (level == 2) return "Haswell";
  if (level == 1) return "Sandybridge";
  return "Prescott";
}

std::optional<std::string> env_get(const std::map<std::string, std::string>& env, const std::string& k) {
  const auto it = env.find(k);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// The first integer of a thread variable ("4", "4,2" for nested OpenMP levels).
std::optional<int> env_threads(const std::map<std::string, std::string>& env, const std::string& k) {
  const auto v = env_get(env, k);
  if (!v) return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(v->c_str(), &end, 10);
  if (end == v->c_str() || n <= 0 || n > 1'000'000) return std::nullopt;
  return static_cast<int>(n);
}

const char* const kThreadVars[] = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "BLIS_NUM_THREADS",
                                   "MKL_NUM_THREADS"};

// Variables that steer the libraries the probes use: a child gets these from DiagnosisInput::environment
// (set or unset as there), everything else from this process.
bool relevant_var(const std::string& k) {
  static const char* const prefixes[] = {"OPENBLAS_", "GOTO_", "OMP_", "GOMP_", "KMP_", "BLIS_", "MKL_", "MALLOC_", "DNNL_", "ONEDNN_"};
  if (k == "GLIBC_TUNABLES") return true;
  return std::any_of(std::begin(prefixes), std::end(prefixes), [&](const char* p) { return k.rfind(p, 0) == 0; });
}

const ProbeResult* find_result(const DiagnosisInput& in, const std::string& id) {
  for (const auto& r : in.results)
    if (r.id == id) return &r;
  return nullptr;
}
const Measurement* find_measurement(const ProbeResult& r, const std::string& id) {
  for (const auto& m : r.measurements)
    if (m.id == id && m.stats.n > 0) return &m;
  return nullptr;
}
// The number a probe is judged by: its first FP64 rate, else its first higher-is-better measurement.
const Measurement* headline(const ProbeResult& r) {
  for (const auto& m : r.measurements)
    if (m.stats.n > 0 && m.higher_is_better && m.precision == "fp64") return &m;
  for (const auto& m : r.measurements)
    if (m.stats.n > 0 && m.higher_is_better) return &m;
  for (const auto& m : r.measurements)
    if (m.stats.n > 0) return &m;
  return nullptr;
}

std::string si(double v, const std::string& unit) {
  if (unit == "s") {
    if (v < 1e-3) return fmt::format("{:.3g} µs", v * 1e6);
    return fmt::format("{:.3g} s", v);
  }
  const double a = std::abs(v);
  if (a >= 1e12) return fmt::format("{:.4g} T{}", v / 1e12, unit);
  if (a >= 1e9) return fmt::format("{:.4g} G{}", v / 1e9, unit);
  if (a >= 1e6) return fmt::format("{:.4g} M{}", v / 1e6, unit);
  if (a >= 1e3) return fmt::format("{:.4g} k{}", v / 1e3, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

struct Cost {
  std::optional<double> fraction;
  std::string method;
  nlohmann::json details = nlohmann::json::object();
};

class Diagnoser {
 public:
  Diagnoser(const DiagnosisInput& in, const Context& ctx) : in_(in), ctx_(ctx), start_(std::chrono::steady_clock::now()) {}

  // Reruns `probe` with `fix` applied (on top of the run's own environment) and compares its measurement
  // `mid` ("" = the headline) with the run's result — or, when the run has none and `rerun_before` allows,
  // with a second child rerun without the fix.
  Cost rerun_cost(const std::string& probe, const EnvChanges& fix, const std::vector<std::string>& extra_args,
                  const std::string& removed, const std::string& mid, bool rerun_before) {
    Cost c;
    if (in_.self_exe.empty()) {
      c.method = "not measured: child reruns are off in this run";
      return c;
    }
    const ProbeResult* ran = find_result(in_, probe);
    if (ran && ran->status != Status::ok) ran = nullptr;
    if (!ran && !rerun_before) {
      c.method = fmt::format("not measured: {} did not run (ok) in this run", probe);
      return c;
    }
    const EnvChanges base = base_env();
    EnvChanges after_env = base;
    for (const auto& [k, v] : fix) after_env[k] = v;
    const std::vector<std::string> args = child_args(probe, extra_args);
    c.details = {{"probe", probe}, {"args", args}, {"removed", removed}};
    nlohmann::json fix_json = nlohmann::json::object();
    for (const auto& [k, v] : fix) fix_json[k] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    c.details["env_changes"] = fix_json;
    try {
      ProbeResult before_child;
      const ProbeResult* before = ran;
      if (!before) {
        progress(fmt::format("rerun {} as run (for comparison)", probe));
        before_child = run_probe_in_child(in_.self_exe, probe, child_args(probe, {}), base, timeout(probe), ctx_.cancel);
        before = &before_child;
        c.details["before_source"] = "child rerun with the run's environment";
      } else {
        c.details["before_source"] = "this run";
      }
      progress(fmt::format("rerun {} with {}", probe, removed));
      const ProbeResult after = run_probe_in_child(in_.self_exe, probe, args, after_env, timeout(probe), ctx_.cancel);
      if (before->status != Status::ok || after.status != Status::ok) {
        const ProbeResult& bad = before->status != Status::ok ? *before : after;
        c.method = fmt::format("not measured: the rerun of {} was {} ({})", probe, to_string(bad.status), bad.reason);
        return c;
      }
      const Measurement* mb = mid.empty() ? headline(*before) : find_measurement(*before, mid);
      const Measurement* ma = mb ? find_measurement(after, mb->id) : nullptr;
      if (!mb || !ma || mb->stats.median <= 0 || ma->stats.median <= 0) {
        c.method = fmt::format("not measured: {} gave no comparable measurement{}", probe, mid.empty() ? "" : " " + mid);
        return c;
      }
      const double b = mb->stats.median, a = ma->stats.median;
      c.fraction = mb->higher_is_better ? 1.0 - b / a : 1.0 - a / b;
      c.method = fmt::format("measured: {} {} median {} as run vs {} with {} (child rerun); cost = 1 − {}", probe, mb->id,
                             si(b, mb->unit), si(a, ma->unit), removed, mb->higher_is_better ? "before ÷ after" : "after ÷ before");
      if (*c.fraction < 0) c.method += "; the rerun was not faster, so no cost shows at this noise level";
      if (!noise_.empty()) c.method += noise_;
      c.details.update({{"measurement", mb->id}, {"unit", mb->unit}, {"before_median", b}, {"after_median", a},
                        {"before_cv", mb->stats.cv}, {"after_cv", ma->stats.cv}});
    } catch (const core::WorkError& e) {
      c.fraction.reset();
      c.method = fmt::format("not measured: rerun failed: {}", e.what());
    }
    return c;
  }

  // Which probe shows a BLAS cause: the GEMM probe, else LINPACK, when the run has it.
  std::optional<std::string> blas_probe() const {
    for (const char* id : {"compute.gemm", "compute.linpack"})
      if (const auto* r = find_result(in_, id); r && r->status == Status::ok) return std::string(id);
    return std::nullopt;
  }
  // A probe of this run whose records mention BLIS (library or kernel details).
  // A probe whose speed depends on BLIS: a rate measured through it. compat.runtimes loads BLIS too, but it
  // scores correctness (pass/partial/fail), so a rerun of it cannot show a cost.
  std::optional<std::string> blis_probe() const {
    for (const auto& r : in_.results) {
      if (r.status != Status::ok) continue;
      for (const auto& m : r.measurements)
        if ((m.unit == "FLOP/s" || m.unit == "OP/s") && lower(m.details.dump()).find("blis") != std::string::npos) return r.id;
    }
    return std::nullopt;
  }

  // Said beside every measured cost when other processes compete: before and after ran at different times.
  void set_noise(const std::optional<SystemLoad>& load) {
    if (load && load->other_running >= 0.5)
      noise_ = fmt::format(" (noisy: {:.1f} other runnable threads on average while diagnosing; compare the CVs in "
                           "details)",
                           load->other_running);
  }

  void progress(const std::string& step) const {
    ctx_.report({"diagnosis", step, 0, 0, util::since(start_), 0});
  }

 private:
  EnvChanges base_env() const {
    EnvChanges e;
    for (const auto& [k, v] : current_environment())
      if (relevant_var(k)) e[k] = std::nullopt;
    for (const auto& [k, v] : in_.environment)
      if (relevant_var(k)) e[k] = v;
    return e;
  }
  std::vector<std::string> child_args(const std::string& probe, const std::vector<std::string>& extra) const {
    std::vector<std::string> a{"--suite", to_string(in_.suite)};
    if (in_.tiny) a.push_back("--tiny");
    const bool threads_given = std::find(extra.begin(), extra.end(), "--threads") != extra.end();
    if (!threads_given && in_.threads > 0) {
      a.push_back("--threads");
      a.push_back(std::to_string(in_.threads));
    }
    if (probe == "storage.io" && !ctx_.scratch_dir.empty()) {
      a.push_back("--scratch");
      a.push_back(ctx_.scratch_dir);
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  double timeout(const std::string& probe) const {
    if (in_.child_timeout_s > 0) return in_.child_timeout_s;
    double typical = 60;
    if (const Probe* p = aicq::probe::find(probe))
      if (const auto it = p->typical_s.find(in_.suite); it != p->typical_s.end()) typical = it->second;
    return 5 * typical + 60;
  }

  const DiagnosisInput& in_;
  const Context& ctx_;
  std::chrono::steady_clock::time_point start_;
  std::string noise_;
};

void apply(Finding& f, Cost c) {
  f.cost_fraction = c.fraction;
  f.cost_method = std::move(c.method);
  if (!c.details.empty()) f.details["cost"] = std::move(c.details);
}

// --- BLAS --------------------------------------------------------------------------------------------------

void detect_blas(const DiagnosisInput& in, Diagnoser& d, const BlasKernels& blas, std::vector<Finding>& out) {
  const auto level = cpu_level(in.isa);
  const std::string cpu_txt = level ? fmt::format("the CPU has {}", level_name(*level)) : "the CPU's ISA is unknown";
  const auto bp = d.blas_probe();

  if (const auto forced = env_get(in.environment, "OPENBLAS_CORETYPE")) {
    Finding f;
    f.id = "blas.openblas_coretype";
    const auto fl = openblas_level(*forced);
    const bool older = level && fl && *fl < *level;
    f.what = fmt::format("OPENBLAS_CORETYPE={} forces OpenBLAS onto its {} kernels{}", *forced, *forced,
                         older ? fmt::format(" ({}), older than this CPU allows", level_name(*fl)) : "");
    f.evidence = fmt::format("OPENBLAS_CORETYPE={} in the environment; openblas_get_corename() = {}; {}", *forced,
                             blas.openblas_core.value_or("(OpenBLAS not loaded)"), cpu_txt);
    f.fix = fmt::format("unset OPENBLAS_CORETYPE so that OpenBLAS picks the kernels for this CPU{}",
                        level ? fmt::format(" ({} here)", openblas_core_for(*level, in.isa)) : "");
    f.details = {{"OPENBLAS_CORETYPE", *forced}, {"older_than_cpu", older}};
    if (blas.openblas_core) f.details["openblas_core"] = *blas.openblas_core;
    if (bp)
      apply(f, d.rerun_cost(*bp, {{"OPENBLAS_CORETYPE", std::nullopt}}, {}, "OPENBLAS_CORETYPE unset", "", false));
    else
      f.cost_method = "not measured: no BLAS probe (compute.gemm, compute.linpack) ran ok in this run";
    out.push_back(std::move(f));
  } else if (blas.openblas_core && level) {
    const auto ol = openblas_level(*blas.openblas_core);
    if (ol && *ol < *level) {
      Finding f;
      f.id = "blas.openblas_core_old";
      const std::string want = openblas_core_for(*level, in.isa);
      f.what = fmt::format("OpenBLAS runs its {} kernels ({}) although {}: it does not recognise this CPU",
                           *blas.openblas_core, level_name(*ol), cpu_txt);
      f.evidence = fmt::format("openblas_get_corename() = {}; {}; {}", *blas.openblas_core,
                               blas.openblas_config.value_or(""), cpu_txt);
      f.fix = fmt::format("OPENBLAS_CORETYPE={} (kernels for this ISA), or an OpenBLAS that knows this CPU", want);
      f.details = {{"openblas_core", *blas.openblas_core}, {"suggested_coretype", want}};
      if (bp)
        apply(f, d.rerun_cost(*bp, {{"OPENBLAS_CORETYPE", want}}, {}, "OPENBLAS_CORETYPE=" + want, "", false));
      else
        f.cost_method = "not measured: no BLAS probe (compute.gemm, compute.linpack) ran ok in this run";
      out.push_back(std::move(f));
    }
  }

  const auto blis_p = d.blis_probe();
  if (const auto forced = env_get(in.environment, "BLIS_ARCH_TYPE")) {
    Finding f;
    f.id = "blas.blis_arch_type";
    f.what = fmt::format("BLIS_ARCH_TYPE={} forces BLIS's kernel choice", *forced);
    f.evidence = fmt::format("BLIS_ARCH_TYPE={} in the environment; BLIS runs {}; {}", *forced,
                             blas.blis_arch.value_or("(libblis.so.4 not found)"), cpu_txt);
    f.fix = "unset BLIS_ARCH_TYPE so that BLIS picks its kernels from the CPU";
    f.details = {{"BLIS_ARCH_TYPE", *forced}};
    if (blas.blis_arch) f.details["blis_arch"] = *blas.blis_arch;
    if (blis_p)
      apply(f, d.rerun_cost(*blis_p, {{"BLIS_ARCH_TYPE", std::nullopt}}, {}, "BLIS_ARCH_TYPE unset", "", false));
    else
      f.cost_method = "not measured: no probe of this run uses BLIS";
    out.push_back(std::move(f));
  } else if (blas.blis_arch && level) {
    const auto bl = blis_level(*blas.blis_arch);
    if (bl && *bl < *level) {
      Finding f;
      f.id = "blas.blis_arch_old";
      f.what = fmt::format("BLIS runs its {} kernels ({}) although {}: this BLIS does not recognise the CPU",
                           *blas.blis_arch, *blas.blis_arch == "generic" ? "portable C, no SIMD kernels" : level_name(*bl), cpu_txt);
      f.evidence = fmt::format("bli_arch_query_id() → {}; {}", *blas.blis_arch, cpu_txt);
      f.fix = level == 3 ? "a BLIS that knows this CPU (≥ 1.0 for AMD Zen 4/5), or BLIS_ARCH_TYPE set to the id of "
                           "\"skx\" (BLIS 0.9 takes numeric ids; bli_arch_string(0) = \"skx\" there)"
                         : "a BLIS that knows this CPU";
      f.details = {{"blis_arch", *blas.blis_arch}};
      if (blis_p && level == 3)
        apply(f, d.rerun_cost(*blis_p, {{"BLIS_ARCH_TYPE", "0"}}, {}, "BLIS_ARCH_TYPE=0 (skx)", "", false));
      else
        f.cost_method = blis_p ? "not measured: no BLIS kernel family to force for this ISA" : "not measured: no probe of this run uses BLIS";
      out.push_back(std::move(f));
    }
  }
}

// --- threads and load --------------------------------------------------------------------------------------

struct ThreadFacts {
  std::vector<std::string> fewer, more;  // evidence lines
};

void detect_threads(const DiagnosisInput& in, Diagnoser& d, std::vector<Finding>& out) {
  if (in.cores <= 0) return;
  ThreadFacts t;
  if (in.threads > 0 && in.threads < in.cores) t.fewer.push_back(fmt::format("--threads {}", in.threads));
  if (in.threads > in.cores) t.more.push_back(fmt::format("--threads {}", in.threads));
  for (const char* v : kThreadVars)
    if (const auto n = env_threads(in.environment, v)) {
      if (*n < in.cores) t.fewer.push_back(fmt::format("{}={}", v, *n));
      if (*n > in.cores) t.more.push_back(fmt::format("{}={}", v, *n));
    }
  std::string fewer_probe, more_probe;
  for (const auto& r : in.results) {
    if (r.status != Status::ok || !r.effective.contains("threads") || !r.effective["threads"].is_number()) continue;
    const int n = r.effective["threads"].get<int>();
    if (n < in.cores) {
      t.fewer.push_back(fmt::format("{} ran {} thread{}", r.id, n, n == 1 ? "" : "s"));
      if (fewer_probe.empty()) fewer_probe = r.id;
    }
    if (n > in.cores) {
      t.more.push_back(fmt::format("{} ran {} threads", r.id, n));
      if (more_probe.empty()) more_probe = r.id;
    }
  }
  // Rerun the compute probe when it ran (the effect is largest there), else the first probe that showed it.
  auto pick = [&](const std::string& shown) -> std::string {
    if (const auto bp = d.blas_probe()) return *bp;
    if (!shown.empty()) return shown;
    for (const auto& r : in.results)
      if (r.status == Status::ok) return r.id;
    return "";
  };
  EnvChanges unset;
  for (const char* v : kThreadVars)
    if (env_get(in.environment, v)) unset[v] = std::nullopt;
  const std::vector<std::string> all_cores{"--threads", std::to_string(in.cores)};
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
    return s;
  };
  auto cost_for = [&](Finding& f, const std::string& probe) {
    if (probe.empty()) {
      f.cost_method = "not measured: no probe ran ok in this run";
      return;
    }
    apply(f, d.rerun_cost(probe, unset, all_cores, fmt::format("{} threads and the thread variables unset", in.cores), "", false));
  };
  if (!t.fewer.empty()) {
    Finding f;
    f.id = "threads.fewer_than_cores";
    f.what = fmt::format("the probes ran on fewer threads than the {} cores", in.cores);
    f.evidence = join(t.fewer);
    f.fix = fmt::format("run with all {} cores: drop --threads or set it to {}, and unset or raise the thread variables "
                        "(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, …)",
                        in.cores, in.cores);
    f.details = {{"cores", in.cores}, {"sources", t.fewer}};
    cost_for(f, pick(fewer_probe));
    out.push_back(std::move(f));
  }
  if (!t.more.empty()) {
    Finding f;
    f.id = "threads.oversubscribed";
    f.what = fmt::format("more threads were asked for than the {} cores: they time-share and evict each other's caches", in.cores);
    f.evidence = join(t.more);
    f.fix = fmt::format("use at most {} threads (--threads {}; OMP_NUM_THREADS/OPENBLAS_NUM_THREADS ≤ {})", in.cores, in.cores, in.cores);
    f.details = {{"cores", in.cores}, {"sources", t.more}};
    cost_for(f, pick(more_probe));
    out.push_back(std::move(f));
  }
}

void detect_load(const DiagnosisInput& in, const SystemLoad& load, std::vector<Finding>& out) {
  if (in.cores <= 0) return;
  const int ours = in.threads > 0 ? in.threads : in.cores;
  // Half a thread runnable on average is the least worth naming; below that it is scheduler noise.
  if (load.other_running < 0.5 || ours + load.other_running <= in.cores) return;
  Finding f;
  f.id = "load.other_processes";
  f.what = "other processes compete for the cores the probes use";
  f.evidence = fmt::format("{:.1f} other runnable threads on average over {} readings of /proc/stat procs_running (this process "
                           "excluded); load average (1 min) {:.2f}; {} cores, probes use {}",
                           load.other_running, load.samples, load.load_1m, in.cores, ours);
  f.fix = "measure on an otherwise idle machine (stop other jobs, or reserve the node), or pin the probes to cores no one "
          "else uses";
  // Fair share: our threads get cores ÷ (ours + others) of the machine when everyone is runnable.
  f.cost_fraction = std::max(0.0, 1.0 - static_cast<double>(in.cores) / (ours + load.other_running));
  f.cost_method = "estimated: fair time-sharing, 1 − cores ÷ (probe threads + other runnable threads); not measured, since "
                  "other processes cannot be removed";
  f.details = {{"other_running", load.other_running}, {"load_1m", load.load_1m}, {"samples", load.samples},
               {"cores", in.cores}, {"probe_threads", ours}};
  out.push_back(std::move(f));
}

// --- page faults -------------------------------------------------------------------------------------------

void detect_page_faults(const DiagnosisInput& in, Diagnoser& d, std::vector<Finding>& out) {
  double first = 0, again = 0;
  std::optional<double> thp;
  std::string source;
  const ProbeResult* ft = find_result(in, "memory.first_touch");
  if (ft && ft->status == Status::ok && find_measurement(*ft, "first_touch")) {
    first = find_measurement(*ft, "first_touch")->stats.median;
    if (const auto* m = find_measurement(*ft, "retouch")) again = m->stats.median;
    if (const auto* m = find_measurement(*ft, "first_touch_thp")) thp = m->stats.median;
    source = "memory.first_touch";
  } else if (in.measure_first_touch) {
    d.progress("first touch of 16 MiB of fresh pages");
    std::vector<double> f, a;
    for (int i = 0; i < 3; ++i) {
      const auto t = firsttouch::touch_pages(std::size_t{16} << 20);
      f.push_back(t.first_per_page_s());
      a.push_back(t.retouch_per_page_s());
    }
    first = statistics(f).median;
    again = statistics(a).median;
    source = "measured by the diagnosis (16 MiB, 3 repetitions)";
  } else {
    return;
  }
  if (!(first > kFirstTouchCostly_s)) return;
  Finding f;
  f.id = "memory.page_faults";
  f.what = "page faults are expensive here: a first write into a fresh 4 KiB page costs far more than on bare metal, "
           "so code that allocates and frees large buffers repeatedly (MPI collectives, framework temporaries) slows down";
  f.evidence = fmt::format("first touch {:.3g} µs per page, re-touch {:.3g} µs (bare metal {}){}; source: {}", first * 1e6,
                           again * 1e6, kBareMetalFirstTouch,
                           thp ? fmt::format("; with MADV_HUGEPAGE {:.3g} µs per 4 KiB", *thp * 1e6) : "", source);
  f.fix = fmt::format("keep freed memory in the process: MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_={} (or "
                      "GLIBC_TUNABLES=glibc.malloc.hugetlb=1 so that malloc uses transparent huge pages, THP mode '{}'); "
                      "reuse buffers; on the host, back the VM's memory with huge pages",
                      kTrimThreshold, firsttouch::thp_mode());
  f.details = {{"first_touch_s_per_page", first}, {"retouch_s_per_page", again}, {"threshold_s", kFirstTouchCostly_s},
               {"source", source}};
  if (thp) f.details["first_touch_thp_s_per_4KiB"] = *thp;
  if (!in.self_exe.empty()) {
    Cost a = d.rerun_cost("memory.first_touch", {{"MALLOC_MMAP_MAX_", "0"}, {"MALLOC_TRIM_THRESHOLD_", kTrimThreshold}}, {},
                          fmt::format("MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_={}", kTrimThreshold), "alloc_fill_free", true);
    Cost b = d.rerun_cost("memory.first_touch", {{"GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"}}, {},
                          "GLIBC_TUNABLES=glibc.malloc.hugetlb=1", "alloc_fill_free", true);
    // The better of the two fixes is the finding's cost; the other is kept beside it.
    if (!a.fraction || (b.fraction && *b.fraction > *a.fraction)) std::swap(a, b);
    f.details["alternative_fix"] = {{"method", b.method}, {"details", b.details}};
    if (b.fraction) f.details["alternative_fix"]["cost_fraction"] = *b.fraction;
    apply(f, std::move(a));
    f.cost_method += " — on allocation-heavy code (64 MiB malloc/fill/free rounds), not on the suite's probes, which touch "
                     "their buffers before timing";
  } else {
    f.cost_fraction = again < first ? 1.0 - again / first : 0.0;
    f.cost_method = "estimated: share of a first write spent in the fault, 1 − re-touch ÷ first touch, for memory written once "
                    "after allocation (no child reruns in this run)";
  }
  out.push_back(std::move(f));
}

// --- clock -------------------------------------------------------------------------------------------------

void detect_clock(const DiagnosisInput& in, std::vector<Finding>& out) {
  if (!in.measured_clock_hz || !in.base_clock_hz || *in.base_clock_hz <= 0 || *in.measured_clock_hz <= 0) return;
  const double ratio = *in.measured_clock_hz / *in.base_clock_hz;
  if (ratio >= kClockFloor) return;
  Finding f;
  f.id = "clock.below_base";
  f.what = "the cores run well below their base clock (power capping, a power-saving governor, thermal throttling or a "
           "hypervisor limit)";
  f.evidence = fmt::format("measured {:.3g} GHz vs base {:.3g} GHz from the catalog ({:.0f}%)", *in.measured_clock_hz / 1e9,
                           *in.base_clock_hz / 1e9, ratio * 100);
  f.fix = "set the performance governor (cpupower frequency-set -g performance), lift power caps in the BIOS/BMC, check "
          "cooling; in a VM ask the provider";
  f.cost_fraction = 1.0 - ratio;
  f.cost_method = "estimated: compute-bound work scales with the clock, 1 − measured ÷ base; not measured, since the clock "
                  "cannot be changed from here";
  f.details = {{"measured_clock_hz", *in.measured_clock_hz}, {"base_clock_hz", *in.base_clock_hz}, {"ratio", ratio},
               {"threshold", kClockFloor}};
  out.push_back(std::move(f));
}

}  // namespace

BlasKernels query_blas_kernels() {
  BlasKernels k;
  if (const char* c = openblas_get_corename()) k.openblas_core = std::string(c);
  if (const char* c = openblas_get_config()) k.openblas_config = std::string(c);
  // BLIS 0.9 aborts the whole process on a BLIS_ARCH_TYPE it rejects (names, unknown ids): do not load it
  // here then; the blas.blis_arch_type finding reports the forced value.
  if (const char* forced = std::getenv("BLIS_ARCH_TYPE"); forced && *forced) return k;
  // RTLD_LOCAL: BLIS exports the same BLAS symbols as OpenBLAS; they must not become visible globally.
  if (void* h = ::dlopen("libblis.so.4", RTLD_NOW | RTLD_LOCAL)) {
    using init_t = void (*)();
    using query_t = int (*)();
    using name_t = const char* (*)(int);
    // dlsym returns object pointers; POSIX guarantees they convert to function pointers.
    auto* init = reinterpret_cast<init_t>(::dlsym(h, "bli_init"));
    auto* query = reinterpret_cast<query_t>(::dlsym(h, "bli_arch_query_id"));
    auto* name = reinterpret_cast<name_t>(::dlsym(h, "bli_arch_string"));
    if (init && query && name) {
      init();
      if (const char* s = name(query())) k.blis_arch = std::string(s);
    }
    // Left loaded: BLIS keeps thread state after bli_init, and unloading it is not worth the risk.
  }
  return k;
}

std::optional<SystemLoad> read_system_load(int samples, double interval_s) {
  SystemLoad l;
  {
    std::ifstream in("/proc/loadavg");
    if (!(in >> l.load_1m)) return std::nullopt;
  }
  double sum = 0;
  for (int i = 0; i < samples; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::duration<double>(interval_s));
    std::ifstream in("/proc/stat");
    std::string line;
    bool got = false;
    while (std::getline(in, line)) {
      if (line.rfind("procs_running ", 0) != 0) continue;
      sum += std::max(0.0, std::strtod(line.c_str() + 14, nullptr) - 1.0);  // less the thread reading it
      got = true;
      break;
    }
    if (!got) return std::nullopt;
    ++l.samples;
  }
  if (l.samples > 0) l.other_running = sum / l.samples;
  return l;
}

std::vector<Finding> diagnose(const DiagnosisInput& in, const Context& ctx) {
  std::vector<Finding> out;
  Diagnoser d(in, ctx);
  // The load first, before this process does anything heavy itself.
  const std::optional<SystemLoad> load = in.load ? in.load : read_system_load();
  d.set_noise(load);
  const BlasKernels blas = in.blas ? *in.blas : query_blas_kernels();
  detect_blas(in, d, blas, out);
  detect_threads(in, d, out);
  if (load) detect_load(in, *load, out);
  detect_page_faults(in, d, out);
  detect_clock(in, out);
  return out;
}

nlohmann::json to_json(const Finding& f) {
  nlohmann::json j = {{"id", f.id},   {"what", f.what},           {"evidence", f.evidence},
                      {"fix", f.fix}, {"cost_method", f.cost_method}, {"details", f.details}};
  if (f.cost_fraction) j["cost_fraction"] = *f.cost_fraction;
  return j;
}

}  // namespace aicq::probe

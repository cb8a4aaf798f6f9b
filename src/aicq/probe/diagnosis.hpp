// The gap diagnosis: why measured performance sits far below the theoretical figure, and what each cause
// costs. `aicq run` calls it after the probes.
//
// Detectors (finding ids):
//   blas.openblas_coretype   OPENBLAS_CORETYPE set (forces a kernel family, often an older one)
//   blas.openblas_core_old   OpenBLAS picked kernels for an older ISA than the CPU has (openblas_get_corename())
//   blas.blis_arch_type      BLIS_ARCH_TYPE set
//   blas.blis_arch_old       BLIS picked kernels for an older ISA than the CPU has (bli_arch_query_id(); BLIS 0.9
//                            does not know Zen 4/5 and falls back to zen3 or generic kernels)
//   threads.fewer_than_cores the probes ran, or a thread variable caps them, below the core count
//   threads.oversubscribed   more threads than cores asked for
//   load.other_processes     other runnable threads compete for the cores (/proc/stat procs_running, loadavg)
//   memory.page_faults       a first touch of a fresh page costs far more than on bare metal (memory.first_touch)
//   clock.below_base         the measured clock is well below the catalog's base clock
//
// Cost: where the cause can be removed, the affected probe is rerun in a child process with the cause removed
// (`aicq probes --run`, see child.hpp) and cost = 1 − before ÷ after on its headline measurement (after ÷
// before for latencies); this process's environment is never changed. Where it cannot be removed, the cost is
// an estimate and `cost_method` says which; where neither is possible, `cost_fraction` is empty and
// `cost_method` says why.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe {

struct Finding {
  std::string id;        // "blas.openblas_coretype", … (stable)
  std::string what;      // one sentence: the cause
  std::string evidence;  // the figures that show it
  std::string fix;       // what to change
  std::optional<double> cost_fraction;  // share of the probe's result lost to the cause (0.4 = 40%)
  std::string cost_method;              // "measured: …", "estimated: …" or "not measured: …"
  nlohmann::json details = nlohmann::json::object();
};

/// The BLAS kernel families the loaded libraries chose. Empty members: library absent.
struct BlasKernels {
  std::optional<std::string> openblas_core;    // openblas_get_corename(): "Cooperlake", "Haswell", …
  std::optional<std::string> openblas_config;  // openblas_get_config()
  std::optional<std::string> blis_arch;        // bli_arch_string(bli_arch_query_id()): "skx", "zen3", "generic", …
};
/// Asks this process's OpenBLAS (linked) and BLIS (dlopen of libblis.so.4, local symbols, so that its BLAS
/// symbols never shadow OpenBLAS's). Both read their environment variables when they load.
BlasKernels query_blas_kernels();

/// Competition for the cores, sampled while the probes are not running.
struct SystemLoad {
  double load_1m = 0;        // /proc/loadavg, first field
  double other_running = 0;  // mean over the samples of /proc/stat procs_running, less this process's thread
  int samples = 0;
};
/// nullopt when /proc cannot be read. Takes `samples` readings `interval_s` apart.
std::optional<SystemLoad> read_system_load(int samples = 10, double interval_s = 0.05);

struct DiagnosisInput {
  std::vector<ProbeResult> results;               // what `aicq run` measured
  int cores = 0;                                  // from hw discovery
  std::vector<std::string> isa;                   // CPU flags from hw discovery ("avx512f", "avx2", …)
  std::optional<double> measured_clock_hz, base_clock_hz;
  std::string self_exe;                           // the aicq binary for child reruns ("" = no reruns)
  std::map<std::string, std::string> environment; // the environment the probes ran with (tests pass their own)
  Suite suite = Suite::quick;
  bool tiny = false;
  int threads = 0;                                // --threads of the run; 0 = default (all cores)

  std::optional<BlasKernels> blas;  // nullopt: query_blas_kernels() of this process
  std::optional<SystemLoad> load;   // nullopt: read_system_load()
  /// Without a memory.first_touch result, measure the first touch in this process (≈ 0.1–1 s); false: skip.
  bool measure_first_touch = true;
  double child_timeout_s = 0;       // per child rerun; 0: 5 × the probe's typical duration + 60 s
};

/// Runs every detector; child reruns honour `ctx.cancel` (Cancelled) and report progress as probe
/// "diagnosis". A rerun that fails leaves its finding with `cost_method` "not measured: …" — never throws
/// for that.
std::vector<Finding> diagnose(const DiagnosisInput& in, const Context& ctx);

nlohmann::json to_json(const Finding& f);

}  // namespace aicq::probe

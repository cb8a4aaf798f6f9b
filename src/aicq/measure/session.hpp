// `aicq run`'s pipeline: discovery → peaks → probes (telemetry beside them) → gap diagnosis → evidence →
// assessment → result folder. The command file only wires options to this; everything it does is here.
//
// Stop on request (SIGINT/SIGTERM sets `cancel`): the probe running stops at its next repetition, nothing
// else starts, and the result is still complete — with "status": "interrupted" and every finished
// measurement kept.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aicq/assess/profile.hpp"
#include "aicq/catalog/catalog.hpp"
#include "aicq/core/evidence.hpp"
#include "aicq/hw/discovery.hpp"
#include "aicq/hw/peak.hpp"
#include "aicq/probe/diagnosis.hpp"
#include "aicq/probe/probe.hpp"

namespace aicq::measure {

struct RunOptions {
  probe::Suite suite = probe::Suite::standard;
  std::vector<std::string> only;        // probe ids; empty = the whole suite
  std::string out_dir;                  // result folder (created)
  std::string scratch_dir;              // storage.io's folder; empty = out_dir
  int threads = 0;                      // 0 = all cores
  bool diagnosis = true;
  bool require_valid = false;           // an invalid probe makes the result's status "invalid"
  bool telemetry = true;
  double interval_s = 1.0;
  bool tiny = false;                    // tests: smallest probe sizes, no clock/FMA measurement beyond a blink
  std::string self_exe;                 // the aicq binary, for the diagnosis' child reruns and resilience.recovery's
                                        // worker ("" = none: /proc/self/exe for the worker)
  std::optional<double> checkpoint_bytes;  // resilience.checkpoint's synthetic state (default: by suite)
  std::vector<std::string> argv;
};

/// What a declaration brings (empty without --site).
struct SiteFacts {
  std::vector<core::Evidence> evidence;
  nlohmann::json system = nlohmann::json::object();
  nlohmann::json inputs = nlohmann::json::object();
  bool declares_inventory = false;
};

struct RunOutcome {
  nlohmann::json result;                // the canonical result document (also written to out_dir/result.json)
  std::string status;                   // complete | interrupted | invalid
  std::vector<probe::ProbeResult> probes;
  bool any_invalid = false;
};

/// Progress lines for the terminal ("" = clear), and the probe progress.
struct Sink {
  std::function<void(const std::string&)> line;       // a finished step
  std::function<void(const probe::Progress&)> progress;  // a running probe
};

/// The measured evidence of one machine: its inventory (a group "node": one unit, its CPUs with measured
/// peaks, GPUs with catalog peaks), each compute workload (achieved, devices, peak per device; invalid marked),
/// memory and storage figures (reported, not scored), runtime compatibility rows, and power per probe when
/// measured. `with_inventory` false when a declaration already describes the inventory. With a catalog, a
/// catalogued CPU SKU brings its TDP and a catalogued GPU its peaks and TDP (kind declared, source named).
std::vector<core::Evidence> evidence_of(const hw::Host& host, const hw::Peaks& peaks,
                                        const std::vector<probe::ProbeResult>& results, bool with_inventory,
                                        const std::string& time, const catalog::HardwareCatalog* cat = nullptr);

/// The probes a run would run, in order: `only` when given (unknown ids → core::InputError naming them and the
/// known ones), else the suite's — every probe with a typical duration for that suite (the AI and resilience
/// probes have none for quick: training to target accuracy does not fit its minute).
std::vector<const probe::Probe*> select_probes(const std::vector<std::string>& only,
                                               probe::Suite suite = probe::Suite::standard);

/// Runs the pipeline and writes out_dir/result.json and out_dir/raw/*.json atomically.
RunOutcome run(const RunOptions& o, const SiteFacts& site, const assess::Profile& profile, const catalog::Catalogs& cat,
               const std::atomic<bool>& cancel, const Sink& sink);

}  // namespace aicq::measure

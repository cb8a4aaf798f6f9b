#include "aicq/measure/session.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "aicq/assess/assessment.hpp"
#include "aicq/assess/result.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/core/clock.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"
#include "aicq/probe/child.hpp"
#include "aicq/telemetry/telemetry.hpp"

namespace aicq::measure {

namespace fs = std::filesystem;

namespace {

/// Time budget of one probe per suite: quick ≈ 8 s, standard ≈ 60 s, full ≈ 180 s (2-core figures).
double budget_s(probe::Suite s) {
  switch (s) {
    case probe::Suite::quick: return 8;
    case probe::Suite::standard: return 60;
    case probe::Suite::full: return 180;
  }
  return 60;
}

void write_json(const fs::path& p, const nlohmann::json& j) { core::write_file_atomic(p.string(), j.dump(2) + "\n"); }

}  // namespace

std::vector<const probe::Probe*> select_probes(const std::vector<std::string>& only, probe::Suite suite) {
  std::vector<const probe::Probe*> out;
  if (only.empty()) {
    for (const auto& p : probe::registry())
      if (p.typical_s.empty() || p.typical_s.contains(suite)) out.push_back(&p);
    return out;
  }
  std::vector<std::string> unknown;
  for (const auto& id : only) {
    if (const auto* p = probe::find(id)) out.push_back(p);
    else unknown.push_back(id);
  }
  if (!unknown.empty()) {
    std::vector<std::string> known;
    for (const auto& p : probe::registry()) known.push_back(p.id);
    throw core::InputError(core::Location{fmt::format("{}", fmt::join(only, ","))}, "--only", fmt::format("unknown probe {}: expected one of {}", fmt::join(unknown, ", "),
                                                        fmt::join(known, ", ")));
  }
  return out;
}

RunOutcome run(const RunOptions& o, const SiteFacts& site, const assess::Profile& profile, const catalog::Catalogs& cat,
               const std::atomic<bool>& cancel, const Sink& sink) {
  const auto say = [&](const std::string& s) {
    if (sink.line) sink.line(s);
  };
  const auto selected = select_probes(o.only, o.suite);
  const fs::path out(o.out_dir);
  fs::create_directories(out / "raw");
  const std::string started = core::utc_iso8601();
  RunOutcome outcome;
  bool interrupted = false;

  // 1. What this machine is, and its peaks.
  const hw::Host host = hw::discover(cat.hardware);
  say(fmt::format("machine: {} — {} ({} cores, {} threads), {:.1f} GiB", host.hostname, host.cpu.model_name, host.cpu.cores,
                  host.cpu.threads, host.memory_bytes / (1024.0 * 1024 * 1024)));
  hw::PeakOptions po;
  po.tiny = o.tiny;
  po.threads = o.threads;
  const hw::Peaks peaks = hw::discover_peaks(host, cat.hardware, po);
  for (const auto& p : peaks.peaks) {
    std::string rate = core::Quantity{p.flops, core::dim::op_rate(), {}}.to_string(4);
    if (p.precision == "int8") rate.replace(rate.find("FLOP/s"), 6, "OP/s");  // integer operations
    say(fmt::format("peak {}: {} ({}: {})", p.precision, rate, p.kind, p.method));
  }
  write_json(out / "raw" / "hw.json", {{"host", hw::to_json(host)}, {"peaks", hw::to_json(peaks)}});
  interrupted = cancel.load();

  // 2. Telemetry beside the probes.
  std::unique_ptr<telemetry::Recorder> recorder;
  if (o.telemetry && !interrupted) {
    telemetry::Config tc;
    tc.interval = std::chrono::milliseconds(static_cast<long>(o.interval_s * 1000));
    recorder = std::make_unique<telemetry::Recorder>(tc);
    recorder->start();
  }

  // 3. The probes.
  probe::Context ctx;
  ctx.suite = o.suite;
  ctx.threads = o.threads > 0 ? o.threads : std::max(1, host.cpu.cores);
  ctx.budget_s = budget_s(o.suite);
  ctx.scratch_dir = o.scratch_dir.empty() ? out.string() : o.scratch_dir;
  for (const auto& p : peaks.peaks) ctx.peak_flops[p.precision] = p.flops;
  ctx.peak_source = peaks.peaks.empty() ? "" : fmt::format("{}: {}", peaks.peaks.front().kind, peaks.peaks.front().method);
  ctx.llc_bytes = host.cpu.llc_bytes;
  ctx.tiny = o.tiny;
  ctx.aicq_exe = o.self_exe;
  ctx.checkpoint_bytes = o.checkpoint_bytes;
  ctx.cancel = &cancel;
  ctx.progress = sink.progress;
  for (std::size_t i = 0; i < selected.size() && !interrupted; ++i) {
    const probe::Probe& p = *selected[i];
    say(fmt::format("[{}/{}] {} — {}", i + 1, selected.size(), p.id, p.title));
    const double t0 = recorder ? recorder->now_s() : 0;
    const auto wall0 = std::chrono::steady_clock::now();
    probe::ProbeResult r;
    try {
      r = p.run(ctx);
    } catch (const probe::Cancelled&) {
      interrupted = true;
      r.id = p.id;
      r.status = probe::Status::skipped;
      r.reason = "interrupted before it finished";
    } catch (const std::exception& e) {
      r.id = p.id;
      r.status = probe::Status::failed;
      r.reason = e.what();
    }
    r.id = p.id;
    r.started = r.started.empty() ? core::utc_iso8601() : r.started;
    r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (recorder && r.status == probe::Status::ok) {
      const auto w = recorder->window(t0, recorder->now_s());
      if (w.mean_power_w && w.energy_j) r.power = probe::PowerWindow{*w.mean_power_w, *w.energy_j, w.quality, w.source};
    }
    if (r.status == probe::Status::invalid) outcome.any_invalid = true;
    say(fmt::format("    {} in {:.1f} s{}", probe::to_string(r.status), r.duration_s, r.reason.empty() ? "" : ": " + r.reason));
    for (const auto& m : r.measurements) {
      if (m.stats.n == 0) continue;
      const auto f = m.fraction_of_peak();
      say(fmt::format("    {:<16} {:>14}  CV {:5.2f}%  n={}{}", m.id,
                      core::Quantity{m.stats.median, {}, {}}.to_string(4) + " " + m.unit, 100 * m.stats.cv, m.stats.n,
                      f ? fmt::format("  {:.1f}% of peak", 100 * *f) : ""));
    }
    write_json(out / "raw" / (p.id + ".json"), probe::to_json(r));
    outcome.probes.push_back(std::move(r));
    interrupted = interrupted || cancel.load();
  }
  if (recorder) {
    recorder->stop();
    write_json(out / "raw" / "telemetry.json", recorder->series());
  }

  // 4. Why measured is below peak.
  std::vector<probe::Finding> findings;
  if (o.diagnosis && !interrupted) {
    say("gap diagnosis …");
    probe::DiagnosisInput di;
    di.results = outcome.probes;
    di.cores = host.cpu.cores;
    di.isa = host.cpu.isa;
    if (peaks.clock) di.measured_clock_hz = peaks.clock->hz;
    di.base_clock_hz = host.cpu.base_clock_hz;
    di.self_exe = o.self_exe;
    di.environment = probe::current_environment();
    di.suite = probe::Suite::quick;
    di.tiny = o.tiny;
    di.threads = ctx.threads;
    try {
      findings = probe::diagnose(di, ctx);
    } catch (const probe::Cancelled&) {
      interrupted = true;
    } catch (const std::exception& e) {
      say(fmt::format("    the gap diagnosis failed: {}", e.what()));
    }
    for (const auto& f : findings)
      say(fmt::format("    finding {}: {}{}", f.id, f.what,
                      f.cost_fraction ? fmt::format(" — costs {:.0f}% ({})", 100 * *f.cost_fraction, f.cost_method) : ""));
    if (findings.empty() && !interrupted) say("    nothing found");
  }
  interrupted = interrupted || cancel.load();

  // 5. Evidence, assessment, result.
  std::vector<core::Evidence> evidence = site.evidence;
  for (auto& e : evidence_of(host, peaks, outcome.probes, !site.declares_inventory, started, &cat.hardware)) evidence.push_back(std::move(e));
  for (auto& e : evidence) e = core::normalised(e);
  const assess::Assessment a = assess::assess(evidence, profile, cat);

  outcome.status = interrupted ? "interrupted" : (o.require_valid && outcome.any_invalid) ? "invalid" : "complete";
  assess::ResultContext rc;
  rc.status = outcome.status;
  rc.system = site.system;
  if (!rc.system.contains("name")) rc.system["name"] = host.hostname;
  rc.inputs = site.inputs;
  rc.evidence = evidence;
  rc.created = started;
  rc.argv = o.argv;
  rc.host = host.hostname;
  nlohmann::json m;
  m["suite"] = probe::to_string(o.suite);
  m["host"] = hw::to_json(host);
  m["peaks"] = hw::to_json(peaks);
  m["probes"] = nlohmann::json::array();
  for (const auto& r : outcome.probes) m["probes"].push_back(probe::to_json(r));
  m["diagnosis"] = nlohmann::json::array();
  for (const auto& f : findings) m["diagnosis"].push_back(probe::to_json(f));
  m["threads"] = ctx.threads;
  rc.measurement = m;
  outcome.result = assess::result_json(a, profile, cat, rc);
  core::write_file_atomic((out / "result.json").string(), core::canonical_json(outcome.result));
  write_json(out / "raw" / "diagnosis.json", m["diagnosis"]);
  return outcome;
}

}  // namespace aicq::measure

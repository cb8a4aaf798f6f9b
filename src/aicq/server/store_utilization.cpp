// `aicq utilization` from the local store: the telemetry samples that aicq monitor and aicq run recorded,
// summarised per channel by store::Store::telemetry_window and folded into the same report as Prometheus'.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>

#include "aicq/server/utilization.hpp"
#include "aicq/store/store.hpp"
#include "aicq/telemetry/telemetry.hpp"

namespace aicq::server {

namespace {

struct Run {
  double started = 0, ended = 0, interval_s = 1;
};

// Time of [t0, t1] that a run's channel covered: its overlap with the window, at most n samples × interval.
double covered_s(const Run& run, std::int64_t n, double t0, double t1) {
  const double overlap = std::max(0.0, std::min(run.ended, t1) - std::max(run.started, t0));
  return std::min(overlap, static_cast<double>(n) * run.interval_s);
}

struct Group {
  store::TelemetryChannel channel;
  std::int64_t n = 0;
  double weighted = 0;  // Σ mean × n
  std::optional<double> energy_j;
  double covered = 0;
};

}  // namespace

UtilizationReport store_utilization(const store::Store& db, double since_s, double end_unix_s) {
  const double t0 = end_unix_s - since_s, t1 = end_unix_s;
  UtilizationReport r;
  r.origin = "store";
  r.source = db.path();
  r.since_s = since_s;
  r.start_ms = static_cast<std::int64_t>(std::llround(t0 * 1000));
  r.end_ms = static_cast<std::int64_t>(std::llround(t1 * 1000));

  const auto rows = db.telemetry_window(t0, t1);
  std::map<std::int64_t, Run> runs;
  for (const auto& row : rows) {
    if (runs.contains(row.run_id)) continue;
    store::Statement s = db.statement("SELECT started, ended, interval_s FROM telemetry_runs WHERE id = ?1");
    s.bind(1, row.run_id);
    if (!s.step()) continue;
    Run run{s.real(0), s.optional_real(1).value_or(t1), s.real(2)};
    runs[row.run_id] = run;
  }

  // One group per (sampler, metric, device) across runs; means weighted by sample counts.
  std::map<std::string, Group> groups;
  for (const auto& row : rows) {
    const auto& c = row.channel;
    Group& g = groups[c.sampler + "/" + c.metric + "/" + c.device];
    g.channel = c;
    g.n += row.n;
    g.weighted += row.mean * static_cast<double>(row.n);
    if (row.energy_j) g.energy_j = g.energy_j.value_or(0) + *row.energy_j;
    if (const auto run = runs.find(row.run_id); run != runs.end()) g.covered += covered_s(run->second, row.n, t0, t1);
  }

  auto summarise = [&](Signal signal, const std::string& evidence_metric, const std::string& what, const std::vector<const Group*>& members) {
    SignalSummary s;
    s.reading.signal = signal;
    s.reading.name = what;
    s.reading.evidence_metric = evidence_metric;
    s.reading.reading = signal == Signal::power ? "W" : "ratio 0–1";
    double weighted = 0, covered = 0;
    std::int64_t n = 0;
    for (const Group* g : members) {
      SeriesMean sm;
      sm.labels = fmt::format("{{source=\"{}\",device=\"{}\"}}", g->channel.sampler, g->channel.device);
      sm.mean = g->weighted / static_cast<double>(g->n);
      sm.samples = g->n;
      sm.coverage = std::min(1.0, g->covered / since_s);
      sm.energy_j = g->energy_j;
      if (signal == Signal::power) {
        s.mean = s.mean.value_or(0) + *sm.mean;
        if (g->energy_j) s.energy_j = s.energy_j.value_or(0) + *g->energy_j;
      }
      weighted += g->weighted;
      n += g->n;
      covered += sm.coverage;
      s.series.push_back(std::move(sm));
    }
    s.samples = n;
    if (n > 0 && signal != Signal::power) s.mean = weighted / static_cast<double>(n);
    if (!members.empty()) s.coverage = covered / static_cast<double>(members.size());
    else s.missing = fmt::format("no {} samples in the store between {} and {}", what, iso_utc(r.start_ms), iso_utc(r.end_ms));
    return s;
  };

  std::vector<const Group*> gpu, cpu;
  for (const auto& [key, g] : groups) {
    if (g.n <= 0) continue;
    if (g.channel.metric == telemetry::metric::gpu_utilization) gpu.push_back(&g);
    if (g.channel.metric == telemetry::metric::cpu_utilization && g.channel.device == "cpu") cpu.push_back(&g);
  }
  r.signals.push_back(summarise(Signal::accelerator, "utilization.accelerator.gpu_util", "gpu_utilization", gpu));
  r.signals.push_back(summarise(Signal::cpu, "utilization.cpu.cpu_busy", "cpu_utilization", cpu));

  // Power: as telemetry::Recorder::window chooses — a node meter alone (best quality first), else the sum of
  // components, else the estimate; parts of components are never added.
  auto level = [](const std::optional<std::string>& q) { return q ? (*q)[1] - '0' : -1; };
  std::vector<const Group*> power;
  std::string source;
  int best = -1;
  for (const auto& [key, g] : groups)
    if (g.n > 0 && g.channel.metric == telemetry::metric::power_w && g.channel.scope == "node" && level(g.channel.quality) > best) {
      best = level(g.channel.quality);
      source = g.channel.sampler;
    }
  for (const auto& [key, g] : groups) {
    if (g.n <= 0 || g.channel.metric != telemetry::metric::power_w) continue;
    const bool node = g.channel.scope == "node" && g.channel.sampler == source;
    const bool component = source.empty() && g.channel.scope == "component";
    if (node || component) power.push_back(&g);
  }
  if (power.empty() && !source.empty()) source.clear();
  SignalSummary p = summarise(Signal::power, "facility.it_power.mean", "power_w", power);
  std::optional<int> weakest;
  std::string sources;
  bool estimated = false;
  for (const Group* g : power) {
    const int l = level(g->channel.quality);
    if (l >= 0 && (!weakest || l < *weakest)) weakest = l;
    if (sources.find(g->channel.sampler) == std::string::npos) sources += (sources.empty() ? "" : "+") + g->channel.sampler;
    estimated = estimated || g->channel.kind == "estimated";
  }
  if (weakest) p.reading.quality = static_cast<core::PowerQuality>(*weakest);
  if (!power.empty()) {
    p.reading.name = "power_w (" + sources + ")";
    p.reading.note = estimated ? "estimated (Q0): a model, not a measurement" : (source.empty() ? "sum of component sensors" : "node meter");
  }
  r.signals.push_back(std::move(p));
  return r;
}

}  // namespace aicq::server

#include "aicq/server/utilization.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <map>

#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"
#include "aicq/core/version.hpp"

namespace aicq::server {

std::string_view to_string(Signal s) {
  switch (s) {
    case Signal::accelerator: return "accelerator";
    case Signal::cpu: return "cpu";
    case Signal::power: return "power";
  }
  return "?";
}

std::string iso_utc(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  const std::int64_t ms = unix_ms - static_cast<std::int64_t>(secs) * 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ms);
}

// --- selectors -----------------------------------------------------------------------------------------------

namespace {

core::InputError bad(std::string_view option, std::string_view text, const std::string& message) {
  return core::InputError(core::Location{std::string(option)}, std::string(option), fmt::format("{}, found '{}'", message, text));
}

bool label_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return first ? alpha : alpha || (c >= '0' && c <= '9');
}

std::string range(std::int64_t step_ms) { return fmt::format("[{}ms]", step_ms); }

// Names a query may use: exporters' names plus recording rules' (colons allowed), [a-zA-Z_:][a-zA-Z0-9_:]*.
bool query_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i)
    if (!label_char(n[i], i == 0) && n[i] != ':') return false;
  return true;
}

}  // namespace

std::vector<Matcher> parse_matchers(std::string_view text, std::string_view option) {
  const std::string expected = "label matchers such as cluster=\"a\",job=~\"dcgm.*\" (operators = != =~ !~, values quoted)";
  std::string_view s = text;
  if (s.starts_with("{")) {
    if (!s.ends_with("}")) throw bad(option, text, "expected " + expected + " closed by '}'");
    s = s.substr(1, s.size() - 2);
  }
  std::vector<Matcher> out;
  std::size_t i = 0;
  auto skip_blanks = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  skip_blanks();
  while (i < s.size()) {
    Matcher m;
    const std::size_t l0 = i;
    while (i < s.size() && label_char(s[i], i == l0)) ++i;
    m.label = std::string(s.substr(l0, i - l0));
    if (m.label.empty()) throw bad(option, text, "expected " + expected);
    skip_blanks();
    for (const char* op : {"=~", "!~", "!=", "="})
      if (s.substr(i).starts_with(op)) {
        m.op = op;
        break;
      }
    if (m.op.empty()) throw bad(option, text, fmt::format("expected an operator (= != =~ !~) after '{}' in {}", m.label, expected));
    i += m.op.size();
    skip_blanks();
    if (i >= s.size() || (s[i] != '"' && s[i] != '\'' && s[i] != '`'))
      throw bad(option, text, fmt::format("expected a quoted value after '{}{}'", m.label, m.op));
    const char quote = s[i];
    const std::size_t v0 = i++;
    bool closed = false;
    while (i < s.size()) {
      const char c = s[i++];
      if (c == '\\' && quote != '`' && i < s.size()) {
        m.value += s[i++];
        continue;
      }
      if (c == quote) {
        closed = true;
        break;
      }
      m.value += c;
    }
    if (!closed) throw bad(option, text, fmt::format("expected a closing {} for the value of '{}'", quote, m.label));
    m.literal = std::string(s.substr(v0, i - v0));
    out.push_back(std::move(m));
    skip_blanks();
    if (i < s.size()) {
      if (s[i] != ',') throw bad(option, text, "expected ',' between " + expected);
      ++i;
      skip_blanks();
    }
  }
  return out;
}

std::string MetricReading::selector() const {
  if (matchers.empty()) return name;
  std::string out = name + "{";
  for (std::size_t k = 0; k < matchers.size(); ++k) out += (k ? "," : "") + matchers[k].label + matchers[k].op + matchers[k].literal;
  return out + "}";
}

std::vector<std::string> MetricReading::expressions(std::int64_t step_ms) const {
  const std::string sel = selector();
  if (idle_seconds)
    return {"sum without (cpu, mode) (" + sel + ")", "max without (cpu, mode) (timestamp(" + sel + "))", "count without (cpu, mode) (" + sel + ")"};
  if (method == Method::counter_delta) return {sel, "timestamp(" + sel + ")"};
  return {"sum_over_time(" + sel + range(step_ms) + ")", "count_over_time(" + sel + range(step_ms) + ")"};
}

namespace {

std::optional<core::PowerQuality> quality_of_aicq_source(std::string_view source) {
  if (source == "estimate") return core::PowerQuality::q0;
  if (source == "rapl" || source == "nvml") return core::PowerQuality::q1;
  if (source == "ipmi" || source == "redfish") return core::PowerQuality::q2;
  return std::nullopt;
}

const Matcher* find_matcher(const std::vector<Matcher>& ms, std::string_view label) {
  for (const auto& m : ms)
    if (m.label == label) return &m;
  return nullptr;
}

void add_matcher(MetricReading& r, std::string label, std::string op, std::string value) {
  if (find_matcher(r.matchers, label)) return;
  r.matchers.push_back({label, op, "\"" + value + "\"", value});
}

}  // namespace

MetricReading resolve_metric(Signal signal, std::string_view text, std::string_view selector, std::string_view option,
                             std::optional<core::PowerQuality> power_quality) {
  MetricReading r;
  r.signal = signal;
  r.option = std::string(option);
  const auto brace = text.find('{');
  r.name = std::string(text.substr(0, brace));
  if (!query_metric_name(r.name))
    throw bad(option, text, "expected a metric name, optionally with label matchers: NAME or NAME{label=\"value\",…}");
  if (brace != std::string_view::npos) r.matchers = parse_matchers(text.substr(brace), option);
  if (!selector.empty())
    for (auto& m : parse_matchers(selector, "--selector")) r.matchers.push_back(std::move(m));

  const std::string& n = r.name;
  auto ratio = [&](std::string metric) {
    r.scale = 1;
    r.reading = "ratio 0–1";
    r.evidence_metric = std::move(metric);
  };
  auto percent = [&](std::string metric) {
    r.scale = 0.01;
    r.reading = "percent 0–100";
    r.evidence_metric = std::move(metric);
  };
  if (signal == Signal::accelerator) {
    const std::string e = "utilization.accelerator.";
    if (n == "DCGM_FI_DEV_GPU_UTIL") percent(e + "gpu_util");
    else if (n == "DCGM_FI_PROF_SM_ACTIVE") ratio(e + "sm_active");
    else if (n == "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE") ratio(e + "tensor_active");
    else if (n == "aicq_accelerator_utilization_ratio") ratio(e + "gpu_util");
    else if (n.ends_with("_ratio")) ratio(e + "gpu_util");
    else if (n.ends_with("_percent")) percent(e + "gpu_util");
    else
      throw bad(option, text,
                "expected an accelerator utilization metric: DCGM_FI_DEV_GPU_UTIL (percent), DCGM_FI_PROF_SM_ACTIVE, "
                "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE, aicq_accelerator_utilization_ratio, or any NAME_ratio (0–1) / NAME_percent (0–100)");
  } else if (signal == Signal::cpu) {
    if (n == "node_cpu_seconds_total") {
      r.method = MetricReading::Method::counter_delta;
      r.idle_seconds = true;
      r.reading = "1 − idle CPU seconds per CPU-second, per node";
      r.evidence_metric = "utilization.cpu.cpu_busy";
      if (const Matcher* mode = find_matcher(r.matchers, "mode"); mode && !(mode->op == "=" && mode->value == "idle"))
        throw bad(option, text, "node_cpu_seconds_total is read through its mode=\"idle\" series; expected no other mode matcher");
      add_matcher(r, "mode", "=", "idle");
    } else if (n == "aicq_cpu_utilization_ratio" || n.ends_with("_ratio")) {
      ratio("utilization.cpu.cpu_busy");
    } else if (n.ends_with("_percent")) {
      percent("utilization.cpu.cpu_busy");
    } else {
      throw bad(option, text,
                "expected a CPU utilization metric: node_cpu_seconds_total (node_exporter), aicq_cpu_utilization_ratio, or any "
                "NAME_ratio (0–1) / NAME_percent (0–100)");
    }
  } else {
    r.evidence_metric = "facility.it_power.mean";
    auto gauge_w = [&](core::PowerQuality q, std::string note) {
      r.reading = "W";
      r.quality = q;
      r.note = std::move(note);
    };
    auto counter = [&](double scale, std::string unit, core::PowerQuality q, std::string note) {
      r.method = MetricReading::Method::counter_delta;
      r.scale = scale;
      r.reading = unit + " counter, increase / time → W";
      r.quality = q;
      r.note = std::move(note);
    };
    if (n == "DCGM_FI_DEV_POWER_USAGE") {
      gauge_w(core::PowerQuality::q1, "GPU board power only (dcgm-exporter): the rest of each node is not included");
    } else if (n == "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION") {
      counter(0.001, "mJ", core::PowerQuality::q1, "GPU board energy only (dcgm-exporter): the rest of each node is not included");
    } else if (n.starts_with("node_rapl_") && n.ends_with("_joules_total")) {
      counter(1, "J", core::PowerQuality::q1, "RAPL domain " + n.substr(10, n.size() - 10 - 13) + " only (node_exporter): GPUs and the rest of each node are not included");
    } else if (n == "ipmi_dcmi_power_consumption_watts") {
      gauge_w(core::PowerQuality::q2, "node power from the BMC (IPMI DCMI, ipmi_exporter)");
    } else if (n == "aicq_power_watts" || n == "aicq_energy_joules_total") {
      const Matcher* src = find_matcher(r.matchers, "source");
      if (!src || src->op != "=")
        throw bad(option, text,
                  fmt::format("{} has one series per source (rapl, nvml, ipmi, redfish, estimate) and they overlap (a BMC reading "
                              "includes the RAPL and GPU ones): expected one source, e.g. '{}{{source=\"ipmi\"}}'",
                              n, n));
      const std::string source = src->value;  // a copy: add_matcher below may move the matchers
      const auto q = quality_of_aicq_source(source);
      if (!q) throw bad(option, text, "expected source=\"rapl\", \"nvml\", \"ipmi\", \"redfish\" or \"estimate\"");
      // RAPL core/uncore subzones are parts of their package: adding them would count watts twice.
      add_matcher(r, "scope", "!=", "part");
      const std::string note = fmt::format("aicq {} readings{}", source, source == "estimate" ? " (a model, not a measurement)" : "");
      if (n == "aicq_power_watts") gauge_w(*q, note);
      else counter(1, "J", *q, note);
    } else if (n.ends_with("_watts")) {
      gauge_w(core::PowerQuality::q1, "read as component sensors (Q1) by its name; say --power-quality when it is a node meter");
    } else if (n.ends_with("_joules_total")) {
      counter(1, "J", core::PowerQuality::q1, "read as component counters (Q1) by its name; say --power-quality when it is a node meter");
    } else {
      throw bad(option, text,
                "expected a power metric: DCGM_FI_DEV_POWER_USAGE (W), DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ), node_rapl_*_joules_total, "
                "ipmi_dcmi_power_consumption_watts, aicq_power_watts{source=\"…\"}, aicq_energy_joules_total{source=\"…\"}, or any "
                "NAME_watts / NAME_joules_total");
    }
    if (power_quality) r.quality = power_quality;
  }
  return r;
}

// --- reading Prometheus ------------------------------------------------------------------------------------------

namespace {

std::map<std::string, std::string> without_name(std::map<std::string, std::string> labels) {
  labels.erase("__name__");
  return labels;
}

// Index of a step time within the plan (1..points), or -1 when outside.
std::int64_t step_index(const RangePlan& plan, double t_s) {
  const auto ms = static_cast<std::int64_t>(std::llround(t_s * 1000));
  const std::int64_t off = ms - plan.start_ms;
  if (off <= 0 || off > plan.end_ms - plan.start_ms) return -1;
  return (off + plan.step_ms / 2) / plan.step_ms;
}

SignalSummary read_signal(const PrometheusClient& client, const MetricReading& m, const RangePlan& plan, std::vector<std::string>& warnings) {
  SignalSummary out;
  out.reading = m;
  const auto exprs = m.expressions(plan.step_ms);
  for (const auto& e : exprs) out.queries.push_back(client.range_url(e, plan.requests.front().start_ms, plan.requests.front().end_ms, plan.step_ms));
  const double step_s = static_cast<double>(plan.step_ms) / 1000;
  double total_sum = 0, total_count = 0;  // sample_mean: Σ raw values, Σ raw samples
  std::int64_t steps_with_data = 0, series_count = 0;
  std::optional<double> power_sum, energy_sum;

  if (m.method == MetricReading::Method::sample_mean) {
    const auto sums = client.query_range(exprs[0], plan, &warnings);
    const auto counts = client.query_range(exprs[1], plan, &warnings);
    std::map<std::string, const Series*> count_of;
    for (const auto& c : counts) count_of[labels_text(c.labels)] = &c;
    for (const auto& s : sums) {
      SeriesMean sm;
      sm.labels = labels_text(s.labels);
      const auto it = count_of.find(sm.labels);
      if (it == count_of.end()) continue;
      std::map<std::int64_t, double> n_at;
      for (std::size_t k = 0; k < it->second->t_s.size(); ++k) n_at[step_index(plan, it->second->t_s[k])] = it->second->values[k];
      double sum = 0, n = 0;
      for (std::size_t k = 0; k < s.t_s.size(); ++k) {
        const auto idx = step_index(plan, s.t_s[k]);
        const auto c = n_at.find(idx);
        if (idx < 0 || c == n_at.end() || !(c->second > 0) || !std::isfinite(s.values[k])) continue;
        sum += s.values[k];
        n += c->second;
        ++sm.steps_with_data;
      }
      if (n <= 0) continue;
      ++series_count;
      sm.samples = static_cast<std::int64_t>(n);
      sm.mean = sum / n * m.scale;
      sm.coverage = static_cast<double>(sm.steps_with_data) / static_cast<double>(plan.points);
      if (m.signal == Signal::power) {
        sm.energy_j = *sm.mean * static_cast<double>(sm.steps_with_data) * step_s;
        power_sum = power_sum.value_or(0) + *sm.mean;
        energy_sum = energy_sum.value_or(0) + *sm.energy_j;
      }
      total_sum += sum;
      total_count += n;
      steps_with_data += sm.steps_with_data;
      out.samples += sm.samples;
      out.series.push_back(std::move(sm));
    }
    if (total_count > 0 && m.signal != Signal::power) out.mean = total_sum / total_count * m.scale;
  } else {
    // Counters: the newest sample at each step with its own timestamp; increases between distinct samples.
    const auto values = client.query_range(exprs[0], plan, &warnings);
    const auto times = client.query_range(exprs[1], plan, &warnings);
    std::vector<Series> cpus;
    if (m.idle_seconds) cpus = client.query_range(exprs[2], plan, &warnings);
    auto by_key = [](const std::vector<Series>& v) {
      std::map<std::string, const Series*> out_map;
      for (const auto& x : v) out_map[labels_text(without_name(x.labels))] = &x;
      return out_map;
    };
    const auto time_of = by_key(times);
    const auto cpus_of = by_key(cpus);
    double all_increase = 0, all_time = 0;
    for (const auto& s : values) {
      SeriesMean sm;
      sm.labels = labels_text(without_name(s.labels));
      const auto ts = time_of.find(sm.labels);
      if (ts == time_of.end()) continue;
      const auto at_step = [&](const Series& x) {
        std::map<std::int64_t, double> r;
        for (std::size_t k = 0; k < x.t_s.size(); ++k) r[step_index(plan, x.t_s[k])] = x.values[k];
        return r;
      };
      const auto sample_t = at_step(*ts->second);
      std::map<std::int64_t, double> n_cpu;
      if (m.idle_seconds) {
        const auto c = cpus_of.find(sm.labels);
        if (c == cpus_of.end()) continue;
        n_cpu = at_step(*c->second);
      }
      double increase = 0, time = 0;
      std::optional<double> prev_t, prev_v, prev_n;
      for (std::size_t k = 0; k < s.t_s.size(); ++k) {
        const auto idx = step_index(plan, s.t_s[k]);
        const auto t = sample_t.find(idx);
        const double v = s.values[k];
        if (idx < 0 || t == sample_t.end() || !std::isfinite(v) || !std::isfinite(t->second)) continue;
        if (prev_t && t->second <= *prev_t) continue;  // the same sample again (no scrape since the last step)
        ++sm.samples;
        if (t->second > s.t_s[k] - step_s) ++sm.steps_with_data;  // a sample of this step's own
        double n = 1;
        if (m.idle_seconds) {
          const auto c = n_cpu.find(idx);
          n = c == n_cpu.end() ? 0 : c->second;
        }
        if (prev_t && n > 0 && (!m.idle_seconds || n == *prev_n)) {
          const double dv = v >= *prev_v ? v - *prev_v : v;  // a decrease is a reset: the counter restarted from 0
          increase += dv / n;
          // In whole milliseconds (Prometheus' resolution): a double near 1.8e9 s resolves only 0.24 µs.
          time += static_cast<double>(std::llround(t->second * 1000) - std::llround(*prev_t * 1000)) / 1000;
        }
        prev_t = t->second;
        prev_v = v;
        prev_n = n;
      }
      if (time <= 0) continue;
      ++series_count;
      const double rate = increase / time;  // per second (per CPU for idle seconds)
      sm.mean = m.idle_seconds ? 1 - rate : rate * m.scale;
      sm.coverage = static_cast<double>(sm.steps_with_data) / static_cast<double>(plan.points);
      if (m.signal == Signal::power) {
        sm.energy_j = increase * m.scale;
        power_sum = power_sum.value_or(0) + *sm.mean;
        energy_sum = energy_sum.value_or(0) + *sm.energy_j;
      }
      all_increase += increase;
      all_time += time;
      steps_with_data += sm.steps_with_data;
      out.samples += sm.samples;
      out.series.push_back(std::move(sm));
    }
    if (all_time > 0 && m.signal != Signal::power) out.mean = m.idle_seconds ? 1 - all_increase / all_time : all_increase / all_time * m.scale;
  }
  if (m.signal == Signal::power) {
    out.mean = power_sum;
    out.energy_j = energy_sum;
  }
  if (series_count > 0) out.coverage = static_cast<double>(steps_with_data) / (static_cast<double>(series_count) * static_cast<double>(plan.points));
  else out.missing = fmt::format("no series of {} had a sample between {} and {}", m.selector(), iso_utc(plan.start_ms), iso_utc(plan.end_ms));
  return out;
}

}  // namespace

UtilizationReport prometheus_utilization(const PrometheusClient& client, const std::vector<MetricReading>& metrics, const RangePlan& plan,
                                         double since_s) {
  UtilizationReport r;
  r.origin = "prometheus";
  r.source = client.url().text();
  r.since_s = since_s;
  r.start_ms = plan.start_ms;
  r.end_ms = plan.end_ms;
  r.requested_step_ms = plan.requested_step_ms;
  r.step_ms = plan.step_ms;
  r.steps = plan.points;
  r.requests_per_query = static_cast<std::int64_t>(plan.requests.size());
  // The server's version for provenance. Servers before 2.14 have no buildinfo endpoint, which is no error; a
  // server that cannot be reached fails here, before any query, with the URL and the reason.
  const HttpResult b = http_get(client.url(), "/api/v1/status/buildinfo", std::chrono::seconds(10));
  const auto doc = nlohmann::json::parse(b.body, nullptr, false);
  if (b.status == 200 && doc.is_object() && doc.contains("data") && doc["data"].is_object() && doc["data"].contains("version") &&
      doc["data"]["version"].is_string())
    r.source_version = doc["data"]["version"].get<std::string>();
  for (const auto& m : metrics) r.signals.push_back(read_signal(client, m, plan, r.warnings));
  r.http_requests = client.requests() + 1;
  return r;
}

// --- evidence and rendering ---------------------------------------------------------------------------------------

std::vector<core::Evidence> utilization_evidence(const UtilizationReport& report) {
  std::vector<core::Evidence> out;
  const bool prom = report.origin == "prometheus";
  for (const auto& s : report.signals) {
    if (!s.mean) continue;
    core::Evidence e;
    e.metric = s.reading.evidence_metric;
    const bool power = s.reading.signal == Signal::power;
    e.quantity = core::quantity_in(*s.mean, power ? "W" : "");
    e.kind = prom ? core::EvidenceKind::imported : core::EvidenceKind::measured;
    if (!prom && power && s.reading.quality == core::PowerQuality::q0) e.kind = core::EvidenceKind::estimated;
    e.text = power ? e.quantity.to_string(4) : fmt::format("{:.4g}", *s.mean);
    if (power) e.quality = s.reading.quality;
    e.source.time = iso_utc(report.end_ms);
    if (prom) {
      e.source.tool = "prometheus";
      e.source.tool_version = report.source_version;
      e.source.reference = s.queries.empty() ? report.source : s.queries.front();
    } else {
      e.source.tool = "aicq";
      e.source.tool_version = core::version();
      e.source.reference = report.source;
    }
    const std::string window = fmt::format("{} → {} ({} steps of {} s)", iso_utc(report.start_ms), iso_utc(report.end_ms), report.steps,
                                           core::shortest(static_cast<double>(report.step_ms) / 1000));
    if (prom)
      e.source.method = fmt::format("{} of {} ({}) over {}; {} series{}", s.reading.method == MetricReading::Method::sample_mean ? "sample mean" : "counter increase over time",
                                    s.reading.selector(), s.reading.reading, window, s.series.size(), power ? ", summed" : "");
    else
      e.source.method = fmt::format("mean of the store's telemetry samples over {}", window);
    e.note = fmt::format("coverage {:.3f} of the window", s.coverage);
    if (!s.reading.note.empty()) e.note += "; " + s.reading.note;
    out.push_back(std::move(e));
  }
  return out;
}

nlohmann::json utilization_document(const UtilizationReport& report) {
  nlohmann::json doc;
  doc["schema"] = std::string(core::kEvidenceSchema);
  doc["tool"] = {{"name", "aicq"}, {"version", core::version()}, {"git_revision", core::git_revision()}};
  doc["evidence"] = nlohmann::json::array();
  for (const auto& e : utilization_evidence(report)) doc["evidence"].push_back(core::to_json(e));
  nlohmann::json s;
  s["origin"] = report.origin;
  s["source"] = report.source;
  if (!report.source_version.empty()) s["source_version"] = report.source_version;
  s["window"] = {{"requested_s", report.since_s},
                 {"start", iso_utc(report.start_ms)},
                 {"end", iso_utc(report.end_ms)},
                 {"start_unix_s", static_cast<double>(report.start_ms) / 1000},
                 {"end_unix_s", static_cast<double>(report.end_ms) / 1000},
                 {"duration_s", static_cast<double>(report.end_ms - report.start_ms) / 1000},
                 {"requested_step_s", static_cast<double>(report.requested_step_ms) / 1000},
                 {"step_s", static_cast<double>(report.step_ms) / 1000},
                 {"steps", report.steps},
                 {"requests_per_query", report.requests_per_query}};
  s["http_requests"] = report.http_requests;
  s["signals"] = nlohmann::json::array();
  for (const auto& sig : report.signals) {
    nlohmann::json j;
    j["signal"] = std::string(to_string(sig.reading.signal));
    j["metric"] = sig.reading.name;
    if (report.origin == "prometheus") j["selector"] = sig.reading.selector();
    j["reading"] = sig.reading.reading;
    j["evidence_metric"] = sig.reading.evidence_metric;
    j["unit"] = sig.reading.signal == Signal::power ? "W" : "1";
    j["mean"] = sig.mean ? nlohmann::json(*sig.mean) : nlohmann::json();
    if (sig.reading.signal == Signal::power) {
      j["energy_j"] = sig.energy_j ? nlohmann::json(*sig.energy_j) : nlohmann::json();
      if (sig.reading.quality) j["quality"] = std::string(core::to_string(*sig.reading.quality));
    }
    j["coverage"] = sig.coverage;
    j["samples"] = sig.samples;
    if (!sig.missing.empty()) j["missing"] = sig.missing;
    if (!sig.reading.note.empty()) j["note"] = sig.reading.note;
    j["queries"] = sig.queries;
    j["series"] = nlohmann::json::array();
    for (const auto& sm : sig.series) {
      nlohmann::json x = {{"labels", sm.labels}, {"mean", sm.mean ? nlohmann::json(*sm.mean) : nlohmann::json()},
                          {"coverage", sm.coverage}, {"steps_with_data", sm.steps_with_data}, {"samples", sm.samples}};
      if (sm.energy_j) x["energy_j"] = *sm.energy_j;
      j["series"].push_back(std::move(x));
    }
    s["signals"].push_back(std::move(j));
  }
  s["warnings"] = report.warnings;
  doc["summary"] = std::move(s);
  return doc;
}

std::string utilization_text(const UtilizationReport& report) {
  std::string out;
  const double dur_s = static_cast<double>(report.end_ms - report.start_ms) / 1000;
  out += fmt::format("{} {}{}\n", report.origin == "prometheus" ? "Prometheus" : "store", report.source,
                     report.source_version.empty() ? "" : " (" + report.source_version + ")");
  const bool prom = report.origin == "prometheus";
  if (prom)
    out += fmt::format("window {} → {} ({}; step {} s, {} steps, {} request{} per query)\n", iso_utc(report.start_ms), iso_utc(report.end_ms),
                       core::quantity_in(dur_s, "s").to_string(4), core::shortest(static_cast<double>(report.step_ms) / 1000), report.steps,
                       report.requests_per_query, report.requests_per_query == 1 ? "" : "s");
  else
    out += fmt::format("window {} → {} ({})\n", iso_utc(report.start_ms), iso_utc(report.end_ms), core::quantity_in(dur_s, "s").to_string(4));
  for (const auto& s : report.signals) {
    const bool power = s.reading.signal == Signal::power;
    out += fmt::format("{:<12} {} ({}{})\n", to_string(s.reading.signal), prom ? s.reading.selector() : s.reading.name, s.reading.reading,
                       power && s.reading.quality ? ", " + std::string(core::to_string(*s.reading.quality)) : "");
    if (!s.mean) {
      out += fmt::format("  missing: {}\n", s.missing);
      continue;
    }
    if (power)
      out += fmt::format("  mean {}{}, energy {} over the covered time, coverage {:.3f}\n", core::quantity_in(*s.mean, "W").to_string(4),
                         s.series.size() > 1 ? fmt::format(" (sum of {} series)", s.series.size()) : "",
                         s.energy_j ? core::quantity_in(*s.energy_j, "J").to_string(4) : "-", s.coverage);
    else
      out += fmt::format("  mean {:.4f} over {} series, coverage {:.3f}\n", *s.mean, s.series.size(), s.coverage);
    if (!s.reading.note.empty()) out += "  note: " + s.reading.note + "\n";
    const std::size_t shown = std::min<std::size_t>(s.series.size(), 20);
    if (s.series.size() > 1 || (s.series.size() == 1 && s.series.front().labels != "{}"))
      for (std::size_t k = 0; k < shown; ++k) {
        const auto& sm = s.series[k];
        out += fmt::format("    {:<48} {:>12}  coverage {:.3f}\n", sm.labels,
                           power ? core::quantity_in(*sm.mean, "W").to_string(4) : fmt::format("{:.4f}", *sm.mean), sm.coverage);
      }
    if (s.series.size() > shown) out += fmt::format("    … {} more series (--format json lists every one)\n", s.series.size() - shown);
  }
  for (const auto& w : report.warnings) out += "warning: " + w + "\n";
  const auto ev = utilization_evidence(report);
  if (!ev.empty()) {
    out += "evidence (-o FILE writes it for a declaration):";
    for (const auto& e : ev)
      out += fmt::format(" {} {}{}", e.metric, e.text, e.quality ? " " + std::string(core::to_string(*e.quality)) : "");
    out += "\n";
  }
  return out;
}

}  // namespace aicq::server

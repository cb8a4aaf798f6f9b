#include "evidence_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace aicq::gpu {

// ---- Json ------------------------------------------------------------------------------------------------

Json& Json::set(const std::string& key, Json value) {
  auto* obj = std::get_if<Object>(&v_);
  if (!obj) throw std::logic_error("Json::set on a value that is not an object");
  for (auto& [k, v] : *obj)
    if (k == key) {
      v = std::move(value);
      return v;
    }
  obj->emplace_back(key, std::move(value));
  return obj->back().second;
}

Json& Json::push(Json value) {
  auto* arr = std::get_if<Array>(&v_);
  if (!arr) throw std::logic_error("Json::push on a value that is not an array");
  arr->push_back(std::move(value));
  return arr->back();
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += ch;  // UTF-8 bytes pass through
        }
    }
  }
  return out + "\"";
}

std::string Json::dump(int indent) const {
  std::string out;
  write(out, indent, 0);
  return out;
}

void Json::write(std::string& out, int indent, int depth) const {
  const auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  if (std::holds_alternative<std::nullptr_t>(v_)) {
    out += "null";
  } else if (const auto* b = std::get_if<bool>(&v_)) {
    out += *b ? "true" : "false";
  } else if (const auto* d = std::get_if<double>(&v_)) {
    if (!std::isfinite(*d)) {
      out += "null";
    } else {
      char buf[32];
      const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, *d);  // shortest round-trip form
      out.append(buf, ec == std::errc() ? ptr : buf);
    }
  } else if (const auto* s = std::get_if<std::string>(&v_)) {
    out += json_quote(*s);
  } else if (const auto* a = std::get_if<Array>(&v_)) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      (*a)[i].write(out, indent, depth + 1);
    }
    newline(depth);
    out += ']';
  } else if (const auto* o = std::get_if<Object>(&v_)) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out += '{';
    for (std::size_t i = 0; i < o->size(); ++i) {
      if (i) out += ',';
      newline(depth + 1);
      out += json_quote((*o)[i].first);
      out += indent < 0 ? ":" : ": ";
      (*o)[i].second.write(out, indent, depth + 1);
    }
    newline(depth);
    out += '}';
  }
}

// ---- the node's figures ----------------------------------------------------------------------------------

namespace {

const DeviceInfo* device_info(const RunInfo& run, int index) {
  for (const auto& d : run.devices)
    if (d.index == index) return &d;
  return nullptr;
}

Json array_of(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push(x);
  return a;
}

std::string join_devices(const std::vector<int>& devices) {
  std::string s;
  for (int d : devices) s += (s.empty() ? "" : ", ") + std::to_string(d);
  return s;
}

std::string format_percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * fraction);
  return buf;
}

}  // namespace

Aggregate aggregate(const MeasurementRun& m, const RunInfo& run) {
  Aggregate a;
  std::vector<std::vector<double>> per_device;
  std::vector<PeakChoice> peaks;
  std::vector<std::optional<double>> bandwidths;
  for (const auto& d : m.devices) {
    if (!d.not_run.empty() || d.seconds.empty()) continue;
    a.devices.push_back(d.device);
    per_device.push_back(rates(m.work, d.seconds));
    const DeviceInfo* info = device_info(run, d.device);
    const std::string name = info ? info->name : std::string();
    if (m.precision) peaks.push_back(peak_for(*m.precision, name, run.options));
    if (m.id == "copy_d2d") bandwidths.push_back(memory_bandwidth_for(name, run.options));
    if (d.check && !d.check->passed) {
      a.valid = false;
      a.invalid_reason += (a.invalid_reason.empty() ? "" : "; ") + std::string("GPU ") + std::to_string(d.device) + ": " +
                          d.check->detail;
    }
  }
  if (a.devices.empty()) return a;
  a.samples = sum_per_repetition(per_device);
  a.stats = statistics(a.samples);
  if (m.precision) {
    double sum = 0;
    for (const auto& p : peaks) {
      if (!p.flops) {
        a.peak_missing = p.missing;
        break;
      }
      sum += *p.flops;
    }
    if (a.peak_missing.empty()) {
      // Mixed models on one node: the mean of their peaks keeps achieved ÷ (mean × N) = achieved ÷ Σ peaks.
      a.peak_per_device = sum / static_cast<double>(peaks.size());
      a.peak_method = peaks.front().method;
      a.catalog_id = peaks.front().catalog_id;
      a.peak_reference = peaks.front().reference;
      for (const auto& p : peaks)
        if (p.catalog_id != a.catalog_id) a.catalog_id.clear();
    }
  } else if (m.id == "copy_d2d") {
    double sum = 0;
    bool all = true;
    for (const auto& b : bandwidths) {
      all = all && b.has_value();
      if (b) sum += *b;
    }
    if (all) {
      a.peak_per_device = sum / static_cast<double>(bandwidths.size());
      a.peak_method = "memory bandwidth of the hardware catalog (data/hardware/accelerators.yaml)";
    } else {
      a.peak_missing = "no catalog memory bandwidth for every device";
    }
  }
  a.fraction_of_peak = fraction_of_peak(a.stats->median, a.peak_per_device, a.devices.size());
  return a;
}

std::string format_rate(double value, const std::string& unit) {
  static const std::pair<double, const char*> prefixes[] = {{1e18, "E"}, {1e15, "P"}, {1e12, "T"}, {1e9, "G"},
                                                            {1e6, "M"},  {1e3, "k"}};
  double scale = 1;
  const char* prefix = "";
  for (const auto& [f, p] : prefixes)
    if (std::fabs(value) >= f) {
      scale = f;
      prefix = p;
      break;
    }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g %s%s", value / scale, prefix, unit.c_str());
  return buf;
}

// ---- the evidence document -------------------------------------------------------------------------------

namespace {

class Records {
 public:
  explicit Records(const RunInfo& run) : run_(run) {}

  Json& add(const std::string& metric, double value, const std::string& unit, const std::string& kind,
            const std::string& method, const std::string& text, const std::string& note) {
    Json r = Json::object();
    r.set("metric", metric);
    r.set("value", value);
    r.set("unit", unit);
    r.set("kind", kind);
    Json src = Json::object();
    if (!method.empty()) src.set("method", method);
    src.set("tool", "aicq-gpu-probe");
    src.set("tool_version", run_.tool_version);
    src.set("time", run_.time);
    r.set("source", std::move(src));
    if (!text.empty()) r.set("text", text);
    if (!note.empty()) r.set("note", note);
    return list_.push(std::move(r));
  }
  Json take() { return std::move(list_); }

 private:
  const RunInfo& run_;
  Json list_ = Json::array();
};

std::string repetitions_method(const MeasurementRun& m, const RunInfo& run, const Aggregate& a) {
  const auto& s = *a.stats;
  char spread[160];
  std::snprintf(spread, sizeof spread, "median of %zu timed repetitions (min %.6g, max %.6g, CV %.2f%%)", s.n, s.min,
                s.max, 100 * s.cv);
  return m.method + "; CUDA events around each repetition after " + std::to_string(run.options.warmups) +
         " warm-ups; " + spread + "; summed over " + std::to_string(a.devices.size()) + " GPU(s) running together";
}

}  // namespace

Json evidence_document(const RunInfo& run, const std::vector<MeasurementRun>& measurements) {
  Records rec(run);
  Json summary_measurements = Json::array();
  for (const auto& m : measurements) {
    const Aggregate a = aggregate(m, run);
    const std::string p = "probe.compute.gpu." + m.id;
    std::string names;
    for (int d : a.devices)
      if (const auto* info = device_info(run, d)) {
        if (names.find(info->name) == std::string::npos) names += (names.empty() ? "" : ", ") + info->name;
      }

    Json sm = Json::object();
    sm.set("id", m.id);
    if (m.precision) sm.set("precision", std::string(to_string(*m.precision)));
    sm.set("unit", m.unit);
    sm.set("work", m.work);
    sm.set("work_unit", m.work_unit);
    sm.set("library", m.library);
    sm.set("method", m.method);
    sm.set("devices", static_cast<int>(a.devices.size()));
    sm.set("samples", array_of(a.samples));
    if (a.stats) {
      sm.set("median", a.stats->median);
      sm.set("min", a.stats->min);
      sm.set("max", a.stats->max);
      sm.set("cv", a.stats->cv);
    }
    if (a.peak_per_device) {
      sm.set("peak_per_device", *a.peak_per_device);
      sm.set("peak_total", *a.peak_per_device * static_cast<double>(a.devices.size()));
      sm.set("peak_method", a.peak_method);
      if (!a.catalog_id.empty()) sm.set("catalog", a.catalog_id);
      if (!a.peak_reference.empty()) sm.set("peak_reference", a.peak_reference);
    } else if (!a.peak_missing.empty()) {
      sm.set("peak_missing", a.peak_missing);
    }
    if (a.fraction_of_peak) sm.set("fraction_of_peak", *a.fraction_of_peak);
    sm.set("valid", a.valid);
    if (!a.valid) sm.set("invalid_reason", a.invalid_reason);
    Json per = Json::array();
    for (const auto& d : m.devices) {
      Json pd = Json::object();
      pd.set("device", d.device);
      if (!d.not_run.empty()) {
        pd.set("not_run", d.not_run);
      } else {
        const auto r = rates(m.work, d.seconds);
        pd.set("seconds", array_of(d.seconds));
        pd.set("rates", array_of(r));
        pd.set("median", statistics(r).median);
        if (!d.kernel.empty()) pd.set("kernel", d.kernel);
      }
      if (d.check) {
        Json c = Json::object();
        c.set("passed", d.check->passed);
        c.set("samples", static_cast<std::uint64_t>(d.check->samples));
        c.set("rel_rms_error", d.check->rel_rms_error);
        c.set("max_abs_error", d.check->max_abs_error);
        c.set("tolerance", d.check->tolerance);
        c.set("detail", d.check->detail);
        pd.set("check", std::move(c));
      }
      per.push(std::move(pd));
    }
    sm.set("per_device", std::move(per));
    summary_measurements.push(std::move(sm));

    if (!a.stats) continue;  // ran nowhere: the summary says why, no evidence
    const std::string what = m.id + " on " + std::to_string(a.devices.size()) + " × " + names + " (" + m.library + ")";
    const std::string method = repetitions_method(m, run, a);
    if (m.precision) {
      rec.add(p + ".achieved", a.stats->median, "FLOP/s", "measured", method, format_rate(a.stats->median, "FLOP/s"), what);
      rec.add(p + ".devices", static_cast<double>(a.devices.size()), "", "measured",
              "GPUs the probe ran on (CUDA devices " + join_devices(a.devices) + "; CUDA_VISIBLE_DEVICES " +
                  run.visible_devices + ")",
              "", names);
      if (a.peak_per_device) {
        Json& pk = rec.add(p + ".peak_per_device", *a.peak_per_device, "FLOP/s", "declared", a.peak_method,
                           format_rate(*a.peak_per_device, "FLOP/s"),
                           std::string(to_string(*m.precision)) + " dense peak per device");
        Json src = Json::object();
        src.set("method", a.peak_method);
        if (!a.catalog_id.empty()) src.set("catalog", a.catalog_id);
        if (!a.peak_reference.empty()) src.set("reference", a.peak_reference);
        src.set("tool", "aicq-gpu-probe");
        src.set("tool_version", run.tool_version);
        src.set("time", run.time);
        pk.set("source", std::move(src));
      }
      if (!a.valid) rec.add(p + ".invalid", 1, "", "measured", "validity gate", "", a.invalid_reason);
    } else {
      std::string note = what;
      if (a.devices.size() > 1) note += ", summed";
      if (a.fraction_of_peak) note += "; " + format_percent(*a.fraction_of_peak) + " of the catalog memory bandwidth";
      if (!a.valid) note += "; INVALID: " + a.invalid_reason;
      rec.add(p + ".rate", a.stats->median, "B/s", "measured", method, format_rate(a.stats->median, "B/s"), note);
    }
  }

  Json doc = Json::object();
  doc.set("schema", "aicq-evidence/1");
  Json tool = Json::object();
  tool.set("name", "aicq-gpu-probe");
  tool.set("version", run.tool_version);
  doc.set("tool", std::move(tool));
  doc.set("evidence", rec.take());

  Json summary = Json::object();
  summary.set("time", run.time);
  summary.set("host", run.hostname);
  summary.set("cuda_runtime", run.cuda_runtime);
  summary.set("cuda_driver", run.cuda_driver);
  summary.set("cublaslt", run.cublaslt);
  summary.set("cuda_visible_devices", run.visible_devices);
  Json devices = Json::array();
  for (const auto& d : run.devices) {
    Json j = Json::object();
    j.set("index", d.index);
    j.set("name", d.name);
    j.set("uuid", d.uuid);
    j.set("pci_bus_id", d.pci_bus_id);
    j.set("compute_capability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor));
    j.set("multiprocessors", d.multiprocessors);
    j.set("memory_bytes", d.memory_bytes);
    if (const auto* e = run.options.catalog_id.empty() ? find_catalog_entry(d.name) : find_catalog_id(run.options.catalog_id))
      j.set("catalog", e->id);
    devices.push(std::move(j));
  }
  summary.set("devices", std::move(devices));
  const Options& o = run.options;
  Json settings = Json::object();
  settings.set("m", o.m);
  settings.set("n", o.n);
  settings.set("k", o.k);
  Json precs = Json::array();
  for (auto p : o.precisions) precs.push(std::string(to_string(p)));
  settings.set("precisions", std::move(precs));
  settings.set("warmups", o.warmups);
  settings.set("reps", o.reps);
  settings.set("copy_bytes", static_cast<std::uint64_t>(o.copy_bytes));
  settings.set("host_bytes", static_cast<std::uint64_t>(o.host_bytes));
  settings.set("check_samples", static_cast<std::uint64_t>(o.check_samples));
  settings.set("seed", o.seed);
  settings.set("fp8_fast_accum", o.fp8_fast_accum);
  summary.set("settings", std::move(settings));
  summary.set("measurements", std::move(summary_measurements));
  doc.set("summary", std::move(summary));
  return doc;
}

std::string text_table(const RunInfo& run, const std::vector<MeasurementRun>& measurements) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-10s %-8s %16s %16s %8s  %s\n", "measure", "GPU", "median", "peak", "of peak",
                "check / note");
  out += line;
  for (const auto& m : measurements) {
    const Aggregate a = aggregate(m, run);
    for (const auto& d : m.devices) {
      if (!d.not_run.empty()) {
        std::snprintf(line, sizeof line, "%-10s %-8d %16s %16s %8s  not run: %s\n", m.id.c_str(), d.device, "-", "-", "-",
                      d.not_run.c_str());
        out += line;
        continue;
      }
      const double med = statistics(rates(m.work, d.seconds)).median;
      const auto peak = a.peak_per_device;
      const auto frac = fraction_of_peak(med, peak, 1);
      std::snprintf(line, sizeof line, "%-10s %-8d %16s %16s %8s  %s\n", m.id.c_str(), d.device,
                    format_rate(med, m.unit).c_str(), peak ? format_rate(*peak, m.unit).c_str() : "-",
                    frac ? format_percent(*frac).c_str() : "-", d.check ? d.check->detail.c_str() : "");
      out += line;
    }
    if (a.stats && a.devices.size() > 1) {
      const auto peak = a.peak_per_device ? std::optional<double>(*a.peak_per_device * static_cast<double>(a.devices.size()))
                                          : std::nullopt;
      std::snprintf(line, sizeof line, "%-10s %-8s %16s %16s %8s  %s\n", m.id.c_str(), "all", format_rate(a.stats->median, m.unit).c_str(),
                    peak ? format_rate(*peak, m.unit).c_str() : "-",
                    a.fraction_of_peak ? format_percent(*a.fraction_of_peak).c_str() : "-",
                    a.valid ? "summed per repetition" : "INVALID");
      out += line;
    }
  }
  return out;
}

}  // namespace aicq::gpu

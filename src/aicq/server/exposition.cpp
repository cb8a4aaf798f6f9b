#include "aicq/server/exposition.hpp"

#include <cmath>
#include <set>
#include <stdexcept>

#include "aicq/core/units.hpp"

namespace aicq::server {

namespace {

bool name_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return first ? alpha : alpha || (c >= '0' && c <= '9');
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0)) return false;
  return true;
}

std::string_view type_name(MetricType t) {
  switch (t) {
    case MetricType::gauge: return "gauge";
    case MetricType::counter: return "counter";
    case MetricType::untyped: return "untyped";
  }
  return "untyped";
}

void fail(const std::string& family, const std::string& what) {
  throw std::invalid_argument("metrics exposition: " + family + ": " + what);
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name); }

bool valid_label_name(std::string_view name) { return valid_name(name) && !name.starts_with("__"); }

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return core::shortest(value);
}

std::string exposition_text(const std::vector<MetricFamily>& families) {
  std::string out;
  std::set<std::string> names;
  for (const auto& f : families) {
    if (!valid_metric_name(f.name)) fail(f.name, "invalid metric name");
    if (!names.insert(f.name).second) fail(f.name, "family written twice");
    if (f.help.empty()) fail(f.name, "no HELP text");
    const bool total = f.name.ends_with("_total");
    if (f.type == MetricType::counter && !total) fail(f.name, "a counter's name must end in _total");
    if (f.type != MetricType::counter && total) fail(f.name, "only counters end in _total");
    if (f.samples.empty()) continue;
    out += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + f.name + " " + std::string(type_name(f.type)) + "\n";
    std::set<std::string> series;
    for (const auto& s : f.samples) {
      std::string line = f.name;
      std::set<std::string> label_names;
      if (!s.labels.empty()) {
        line += "{";
        bool first = true;
        for (const auto& [name, value] : s.labels) {
          if (!valid_label_name(name)) fail(f.name, "invalid label name '" + name + "'");
          if (!label_names.insert(name).second) fail(f.name, "label '" + name + "' given twice");
          if (!first) line += ",";
          first = false;
          line += name + "=\"" + escape_label_value(value) + "\"";
        }
        line += "}";
      }
      if (!series.insert(line).second) fail(f.name, "series written twice: " + line);
      out += line + " " + format_sample_value(s.value) + "\n";
    }
  }
  return out;
}

}  // namespace aicq::server

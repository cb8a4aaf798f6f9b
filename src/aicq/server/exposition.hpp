// The Prometheus text exposition format, version 0.0.4: what `aicq monitor` serves at /metrics.
//
// Contract:
// - Each family is written as "# HELP name text", "# TYPE name gauge|counter|untyped", then one line per
//   sample "name{label="value",…} value", in the order given. Families without samples are left out (a sampler
//   that failed has no series; its aicq_sampler_up says so).
// - HELP text escapes backslash and newline; label values escape backslash, double quote and newline.
// - Values: the shortest text that reads back to the same double; NaN, +Inf and -Inf as Prometheus spells them.
// - No timestamps: the scraper stamps samples with its scrape time (Prometheus' recommendation for exporters).
// - The writer refuses what would make the page invalid or lint-dirty (`promtool check metrics`): a metric or
//   label name outside [a-zA-Z_][a-zA-Z0-9_]* (no colons: those are for recording rules), a counter whose name
//   does not end in _total, a gauge that does, an empty HELP, a family named twice, a label named twice or the
//   same series twice. Those are programming errors: std::invalid_argument.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aicq::server {

enum class MetricType { gauge, counter, untyped };

/// One series of a family: its labels (written in this order) and its value.
struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;  // e.g. "aicq_power_watts"; a counter's name ends in "_total"
  std::string help;  // one line; the unit in words where the name does not say it all
  MetricType type = MetricType::gauge;
  std::vector<MetricSample> samples;
};

/// The HTTP Content-Type of the page.
inline constexpr std::string_view kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

/// The whole page. Throws std::invalid_argument as described above.
std::string exposition_text(const std::vector<MetricFamily>& families);

/// "a\"b" for a"b: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
/// HELP text: backslash and newline escaped.
std::string escape_help(std::string_view text);
/// "NaN", "+Inf", "-Inf", else the shortest round-trip text ("0.25", "1e+21").
std::string format_sample_value(double value);
/// [a-zA-Z_][a-zA-Z0-9_]* (colons are reserved for recording rules).
bool valid_metric_name(std::string_view name);
/// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved).
bool valid_label_name(std::string_view name);

}  // namespace aicq::server

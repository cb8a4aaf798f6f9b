#include "aicq/server/prometheus_api.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "aicq/core/diagnostics.hpp"

namespace aicq::server {

RangePlan plan_range(std::int64_t start_ms, std::int64_t end_ms, std::int64_t requested_step_ms, std::int64_t max_points_per_request,
                     std::int64_t max_steps) {
  if (end_ms <= start_ms) throw std::invalid_argument("plan_range: empty window");
  if (requested_step_ms <= 0 || max_points_per_request <= 0 || max_steps <= 0) throw std::invalid_argument("plan_range: step ≤ 0");
  const std::int64_t window = end_ms - start_ms;
  RangePlan p;
  p.requested_step_ms = requested_step_ms;
  // ceil(window / max_steps): the smallest step that keeps the window within max_steps evaluations.
  const std::int64_t floor_step = (window + max_steps - 1) / max_steps;
  p.step_ms = std::min(std::max(requested_step_ms, floor_step), window);
  p.points = window / p.step_ms;
  p.end_ms = end_ms;
  p.start_ms = end_ms - p.points * p.step_ms;
  for (std::int64_t first = 1; first <= p.points; first += max_points_per_request) {
    const std::int64_t last = std::min(first + max_points_per_request - 1, p.points);
    p.requests.push_back({p.start_ms + first * p.step_ms, p.start_ms + last * p.step_ms, last - first + 1});
  }
  return p;
}

double parse_sample_value(std::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  double v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (!text.empty() && *b == '+') ++b;
  const auto r = std::from_chars(b, e, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != e) throw std::invalid_argument(fmt::format("not a sample value: '{}'", text));
  return v;
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + v + "\"";
  }
  return out + "}";
}

std::string api_time(std::int64_t ms) {
  const bool neg = ms < 0;
  const std::int64_t a = neg ? -ms : ms;
  return fmt::format("{}{}.{:03d}", neg ? "-" : "", a / 1000, a % 1000);
}

namespace {

// One [t, "v"] pair.
void read_point(const nlohmann::json& p, Series& s) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string())
    throw std::invalid_argument("expected a point [time, \"value\"], found " + p.dump().substr(0, 80));
  s.t_s.push_back(p[0].get<double>());
  s.values.push_back(parse_sample_value(p[1].get<std::string>()));
}

Series read_series(const nlohmann::json& item, bool matrix) {
  Series s;
  if (!item.is_object()) throw std::invalid_argument("expected a series object");
  if (const auto m = item.find("metric"); m != item.end() && m->is_object())
    for (const auto& [k, v] : m->items()) s.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
  if (matrix) {
    const auto vs = item.find("values");
    if (vs == item.end() || !vs->is_array()) throw std::invalid_argument("a matrix series without \"values\"");
    s.t_s.reserve(vs->size());
    s.values.reserve(vs->size());
    for (const auto& p : *vs) read_point(p, s);
  } else {
    const auto v = item.find("value");
    if (v == item.end()) throw std::invalid_argument("a vector sample without \"value\"");
    read_point(*v, s);
  }
  return s;
}

}  // namespace

ApiResult parse_api_response(int http_status, std::string_view body, const std::string& what) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("status")) {
    std::string start(body.substr(0, 200));
    std::replace(start.begin(), start.end(), '\n', ' ');
    throw core::WorkError(fmt::format("{}: not a Prometheus API answer (HTTP {}{}): '{}'", what, http_status,
                                      http_status == 404 ? ", is the URL a Prometheus server?" : "", start));
  }
  const std::string status = doc["status"].is_string() ? doc["status"].get<std::string>() : "";
  if (status != "success") {
    const std::string type = doc.value("errorType", std::string("unknown"));
    const std::string error = doc.value("error", std::string("(no error text)"));
    throw core::WorkError(fmt::format("{}: Prometheus answered HTTP {} {}: {}", what, http_status, type, error));
  }
  if (http_status != 200) throw core::WorkError(fmt::format("{}: HTTP {} with a success body", what, http_status));
  ApiResult out;
  if (const auto w = doc.find("warnings"); w != doc.end() && w->is_array())
    for (const auto& x : *w) out.warnings.push_back(x.is_string() ? x.get<std::string>() : x.dump());
  try {
    const auto& data = doc.at("data");
    out.result_type = data.at("resultType").get<std::string>();
    const auto& result = data.at("result");
    if (out.result_type == "matrix" || out.result_type == "vector") {
      for (const auto& item : result) out.series.push_back(read_series(item, out.result_type == "matrix"));
    } else if (out.result_type == "scalar") {
      Series s;
      read_point(result, s);
      out.series.push_back(std::move(s));
    } else {
      throw std::invalid_argument("result type '" + out.result_type + "' is not a number series");
    }
  } catch (const std::exception& e) {
    throw core::WorkError(fmt::format("{}: unexpected answer: {}", what, e.what()));
  }
  return out;
}

PrometheusClient::PrometheusClient(BaseUrl url, std::chrono::milliseconds timeout) : url_(std::move(url)), timeout_(timeout) {}

ApiResult PrometheusClient::get(const std::string& path_and_query, const std::string& what) const {
  ++requests_;
  const HttpResult r = http_get(url_, path_and_query, timeout_);
  return parse_api_response(r.status, r.body, what);
}

ApiResult PrometheusClient::query(const std::string& expr, std::int64_t time_ms) const {
  const std::string q = "/api/v1/query?query=" + url_encode(expr) + "&time=" + api_time(time_ms);
  return get(q, fmt::format("Prometheus {} query '{}'", url_.text(), expr));
}

std::string PrometheusClient::range_url(const std::string& expr, std::int64_t start_ms, std::int64_t end_ms, std::int64_t step_ms) const {
  return url_.text() + "/api/v1/query_range?query=" + url_encode(expr) + "&start=" + api_time(start_ms) + "&end=" + api_time(end_ms) +
         "&step=" + api_time(step_ms);
}

ApiResult PrometheusClient::query_range(const std::string& expr, std::int64_t start_ms, std::int64_t end_ms, std::int64_t step_ms) const {
  const std::string q = "/api/v1/query_range?query=" + url_encode(expr) + "&start=" + api_time(start_ms) + "&end=" + api_time(end_ms) +
                        "&step=" + api_time(step_ms);
  return get(q, fmt::format("Prometheus {} query_range '{}'", url_.text(), expr));
}

std::vector<Series> PrometheusClient::query_range(const std::string& expr, const RangePlan& plan, std::vector<std::string>* warnings) const {
  std::map<std::string, Series> merged;
  for (const auto& r : plan.requests) {
    ApiResult part = query_range(expr, r.start_ms, r.end_ms, plan.step_ms);
    if (warnings) warnings->insert(warnings->end(), part.warnings.begin(), part.warnings.end());
    for (auto& s : part.series) {
      Series& m = merged[labels_text(s.labels)];
      if (m.labels.empty()) m.labels = s.labels;
      m.t_s.insert(m.t_s.end(), s.t_s.begin(), s.t_s.end());
      m.values.insert(m.values.end(), s.values.begin(), s.values.end());
    }
  }
  std::vector<Series> out;
  out.reserve(merged.size());
  for (auto& [key, s] : merged) out.push_back(std::move(s));
  return out;
}

}  // namespace aicq::server

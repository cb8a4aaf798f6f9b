// Reading a Prometheus server through its HTTP API (/api/v1/query, /api/v1/query_range): the request plan
// for long windows, the response parser, and the client.
//
// Windows and steps: times are integer milliseconds (Prometheus' own resolution), so that range selectors
// ("[259200ms]") and evaluation times agree exactly. A window (end − W, end] with step s is evaluated at
// t_k = start + k·s, k = 1..n: a range function over [s] at t_k covers (t_k − s, t_k], so the n evaluations
// tile the window and every raw sample is counted once (Prometheus 2.x closes range selectors at both ends: a
// sample exactly on a tile boundary, 1 ms in s, is counted twice).
//
// Errors: no answer (refused, timed out) → core::WorkError naming the URL and the reason; an answer that is
// not the API's JSON, an HTTP error, or {"status":"error"} → core::WorkError with Prometheus' own errorType and
// error text. Nothing is retried silently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/server/http.hpp"

namespace aicq::server {

/// Prometheus answers at most 11,000 points per series per query_range request.
inline constexpr std::int64_t kMaxPointsPerRequest = 11000;
/// The step is raised so that a window holds at most this many steps (step = max(requested, window / 10000)).
inline constexpr std::int64_t kMaxStepsPerWindow = 10000;

/// One query_range request: evaluation times start_ms, start_ms + step, …, end_ms.
struct RangeRequest {
  std::int64_t start_ms = 0, end_ms = 0;
  std::int64_t points = 0;
};

struct RangePlan {
  std::int64_t requested_step_ms = 0;
  std::int64_t step_ms = 0;                   // effective: max(requested, ceil(window / max_steps)), ≤ window
  std::int64_t start_ms = 0, end_ms = 0;      // effective window (end − points·step, end]
  std::int64_t points = 0;                    // evaluation times in all: floor(window / step)
  std::vector<RangeRequest> requests;         // consecutive, each ≤ max_points_per_request points
  [[nodiscard]] double window_s() const { return static_cast<double>(end_ms - start_ms) / 1000; }
};

/// Plans the window (start_ms, end_ms]. The effective window is the largest whole number of steps that fits,
/// ending at end_ms. Throws std::invalid_argument for an empty window or a step ≤ 0.
RangePlan plan_range(std::int64_t start_ms, std::int64_t end_ms, std::int64_t requested_step_ms,
                     std::int64_t max_points_per_request = kMaxPointsPerRequest, std::int64_t max_steps = kMaxStepsPerWindow);

/// One series of a result: its labels (without __name__ when Prometheus dropped it) and its points.
struct Series {
  std::map<std::string, std::string> labels;
  std::vector<double> t_s;     // Unix seconds
  std::vector<double> values;  // NaN, ±Inf as Prometheus wrote them
};

struct ApiResult {
  std::string result_type;  // matrix, vector, scalar
  std::vector<Series> series;
  std::vector<std::string> warnings;
};

/// A sample value as the API writes it: a JSON string "0.25", "1e3", "NaN", "+Inf", "-Inf". Throws
/// std::invalid_argument for anything else.
double parse_sample_value(std::string_view text);

/// Parses the body of a /api/v1/query or /api/v1/query_range answer. `what` names the request (URL and query)
/// in messages. Throws core::WorkError as described above.
ApiResult parse_api_response(int http_status, std::string_view body, const std::string& what);

/// {a="1",b="x"} for display and as the identity of a series.
std::string labels_text(const std::map<std::string, std::string>& labels);

/// Milliseconds as the API's float seconds ("1700000000.123").
std::string api_time(std::int64_t ms);

class PrometheusClient {
 public:
  explicit PrometheusClient(BaseUrl url, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  /// An instant query at time_ms.
  [[nodiscard]] ApiResult query(const std::string& expr, std::int64_t time_ms) const;
  /// One query_range request (≤ 11,000 points per series).
  [[nodiscard]] ApiResult query_range(const std::string& expr, std::int64_t start_ms, std::int64_t end_ms, std::int64_t step_ms) const;
  /// Every request of a plan, the series merged by label set, points in time order.
  [[nodiscard]] std::vector<Series> query_range(const std::string& expr, const RangePlan& plan,
                                                std::vector<std::string>* warnings = nullptr) const;

  /// The GET URL of one query_range request (for evidence references and messages).
  [[nodiscard]] std::string range_url(const std::string& expr, std::int64_t start_ms, std::int64_t end_ms, std::int64_t step_ms) const;
  [[nodiscard]] const BaseUrl& url() const { return url_; }
  /// HTTP requests made so far.
  [[nodiscard]] std::int64_t requests() const { return requests_; }

 private:
  ApiResult get(const std::string& path_and_query, const std::string& what) const;
  BaseUrl url_;
  std::chrono::milliseconds timeout_;
  mutable std::int64_t requests_ = 0;
};

}  // namespace aicq::server

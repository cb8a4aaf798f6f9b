// HTML reports (aicq report --format html): one self-contained file per report. Apache ECharts is inlined
// (its licence kept in the file), nothing is loaded from the network, every string from a result is escaped.
//
// One result: header (system, date, tool and profile, overall score, grade badge, final/provisional), the
// five-dimension radar, the 12 indicators with value, unit, score and evidence kind (every intermediate value
// on expansion), carbon by lifecycle stage, "how to improve", probes and telemetry when the result has them,
// the methodology appendix and the reproducibility section.
// Several results: the systems, a radar overlay, the TOPSIS ranking and every indicator across systems.
// Labels in zh or en from the one message catalog (messages.hpp).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/method/method.hpp"
#include "aicq/report/tables.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::report {

/// What the reports need from the scoring profile (the cli reads it and fills this in).
struct ProfileView {
  struct CurveView {
    method::Curve curve;
    std::string unit, reason;
  };
  struct BandView {
    std::string grade;
    double min_score = 0;
    std::string en, zh;
  };
  std::string id, version, sha256;
  std::map<std::string, CurveView> curves;                       // by indicator id (linear indicators have none)
  std::map<std::string, std::map<std::string, double>> blends;   // by indicator id
  std::map<std::string, double> dimension_weights;               // by dimension id
  std::vector<BandView> bands;                                   // highest first
};

/// One step up: the indicator raised to the next anchor of its curve.
struct Improvement {
  std::string indicator;
  double value = 0;             // the indicator's value now
  double curve_score = 0;       // its curve's score at that value
  double next_value = 0;        // x of the next anchor
  double next_score = 0;        // score of the next anchor
  double indicator_points = 0;  // gain in the indicator's score (× the curve's share in a blended indicator)
  double overall_points = 0;    // gain in the overall score
};

struct Improvements {
  enum class Curves { available, no_profile, other_profile } curves = Curves::no_profile;
  std::string profile_sha256, result_sha256;  // when another profile is at hand
  std::vector<Improvement> items;             // by overall points, largest first
  std::vector<std::string> at_top;            // scored, already at the top anchor
  std::vector<std::string> linear;            // scored without a curve
  std::vector<std::string> missing;           // no evidence
};

/// The "how to improve" list of a result: uses `profile` only when its SHA-256 equals the result's profile
/// SHA-256. Overall points = indicator points × global weight ÷ (dimension coverage × Σ weights of the dimensions
/// present), i.e. the change of the overall score as it is aggregated (methodology §3.3).
Improvements improvements(const nlohmann::json& result, const ProfileView* profile);

/// The report of one result. `profile` may be null (curves then said to be unavailable).
std::string html(const ResultDoc& result, const ProfileView* profile, Lang lang);

/// The comparison of several results, ranked by `ranking` (rank_systems of the same results).
std::string html_comparison(const std::vector<ResultDoc>& results, const Ranking& ranking, Lang lang);

/// HTML text escaping of & < > " '.
std::string escape_html(std::string_view s);

/// JSON for a <script type="application/json"> block: < > & U+2028 U+2029 written as \u escapes, so no string
/// can end the script element.
std::string json_for_script(const nlohmann::json& j);

}  // namespace aicq::report

// The assessment: evidence + profile → 12 indicator values and scores → 5 dimensions → overall, grade and
// coverage (methodology §2, §3, §6; docs/methodology.md states every formula as coded here).
//
// Contract: assess() is a pure function of its inputs. Every intermediate value is kept in the indicator's
// `details` so that a reviewer can follow each number; an indicator without the evidence it needs is
// `missing` with its reason, never scored 0 or 100.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aicq/assess/profile.hpp"
#include "aicq/catalog/catalog.hpp"
#include "aicq/core/evidence.hpp"

namespace aicq::assess {

struct IndicatorResult {
  std::string id;
  std::optional<double> value;  // the value the curve or formula scores, in `unit`
  std::string unit;
  std::optional<double> score;  // 0–100; nullopt when missing
  std::string kind;             // weakest kind among the evidence used: estimated < declared < imported < measured
  std::string formula;          // the formula as used, in words and symbols
  std::string reason;           // why it is missing
  std::vector<std::string> inputs;  // metric ids of the evidence used
  nlohmann::json details = nlohmann::json::object();  // intermediate values, units in the names
  std::vector<std::string> notes;   // defaults used, invalid workloads left out, caps applied …
  [[nodiscard]] bool present() const { return score.has_value(); }
};

struct DimensionResult {
  std::string id;
  std::optional<double> score;
  double coverage = 0;  // share of the dimension's indicator weight present
  double weight = 0;    // of the dimension in the overall score
};

struct Assessment {
  std::vector<IndicatorResult> indicators;  // in catalog order
  std::vector<DimensionResult> dimensions;  // in catalog order
  std::optional<double> overall;
  double coverage = 0;                      // share of the full weight present
  method::GradeOutcome grade;
  bool final = false;                       // coverage is complete

  [[nodiscard]] const IndicatorResult& indicator(std::string_view id) const;
};

/// Assess. `vocabularies` gives the sizes of the closed lists the formulas take shares of (scenarios, access
/// modes, billing options, supply-chain categories, standards, platform features, compatibility layers,
/// intelligence items).
Assessment assess(const std::vector<core::Evidence>& evidence, const Profile& profile, const catalog::Catalogs& vocabularies);

}  // namespace aicq::assess

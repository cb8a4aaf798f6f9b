// Terminal rendering of results: the assessment table (per dimension: indicator, value, score, evidence kind,
// missing ones with their reason), the explanation of one indicator, and the comparison of several systems.
// Renders result JSON documents only, so what is shown is exactly what was written; labels in zh or en.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aicq::report {

enum class Lang { en, zh };

/// zh when LANG starts with "zh", else en (conventions: --lang default).
Lang lang_from_env();
/// "zh" / "en" → Lang; throws std::invalid_argument otherwise.
Lang parse_lang(const std::string& s);

/// The summary of one result document.
std::string summary(const nlohmann::json& result, Lang lang);

/// How one indicator's score was reached: inputs with their values and sources, formula, intermediate values,
/// curve anchors and where the value falls. `curve_anchors` may be empty.
std::string explanation(const nlohmann::json& result, const std::string& indicator, const nlohmann::json& curve, Lang lang);

/// Badge of an evidence kind, visibly different per kind: "[M]" measured, "[I]" imported, "[D]" declared,
/// "[E]" estimated.
std::string kind_badge(const std::string& kind);

/// Name of a dimension or indicator id in the language, from the indicator catalog.
std::string name_of(const std::string& id, Lang lang);

/// Format a value with its unit for people ("42.1 GFLOPS/W", "0.48", "1.12 kgCO2e/kWh").
std::string format_value(double v, const std::string& unit);

}  // namespace aicq::report

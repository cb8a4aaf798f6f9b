// The result document: canonical JSON (RFC 8785) holding the evidence an assessment was computed from,
// the indicator values and scores with every intermediate, the dimensions, the overall score, grade and
// coverage, and provenance (tool, profile and its SHA-256, vocabularies fingerprint, inputs).
//
// Schema version (semver) and its bump rules: a new optional member → minor; a member removed or renamed, or a
// meaning or unit changed → major; documentation-only → patch. Readers accept the same major version.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aicq/assess/assessment.hpp"

namespace aicq::assess {

inline constexpr const char* kResultSchemaVersion = "1.1.0";  // 1.1.0: optional "measurement" (aicq run)

/// Provenance and inputs of a result besides the assessment itself.
struct ResultContext {
  std::string status = "complete";  // complete | interrupted | invalid
  nlohmann::json system = nlohmann::json::object();  // name, operator, location
  nlohmann::json inputs = nlohmann::json::object();  // declaration path and SHA-256, evidence files
  std::vector<core::Evidence> evidence;
  std::string created;  // ISO 8601 UTC
  std::vector<std::string> argv;
  std::string host;
  /// `aicq run` only: the machine, its peaks, every probe's record, the gap diagnosis (absent otherwise).
  nlohmann::json measurement;
};

/// The part of a result that `rescore` recomputes: weights, indicators, dimensions, overall.
nlohmann::json assessment_json(const Assessment& a, const Profile& p);

/// The whole result document.
nlohmann::json result_json(const Assessment& a, const Profile& p, const catalog::Catalogs& vocabularies, const ResultContext& ctx);

/// Fingerprint of the vocabularies the formulas take shares of (ids of each list), so that a rescore with
/// different lists says so.
std::string vocabularies_sha256(const catalog::Catalogs& vocabularies);

struct LoadedResult {
  std::string file;
  nlohmann::json doc;
  std::vector<core::Evidence> evidence;
};

/// Read a result file: JSON syntax errors and malformed evidence records are InputErrors with line and column;
/// a result of another major schema version is refused.
LoadedResult load_result(const std::string& path);

/// Differences between two JSON values, as "JSON-pointer: old → new" lines (numbers equal within 1e-12
/// relative count as equal).
std::vector<std::string> json_differences(const nlohmann::json& before, const nlohmann::json& after, const std::string& path = "");

}  // namespace aicq::assess

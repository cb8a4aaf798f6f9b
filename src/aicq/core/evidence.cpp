#include "aicq/core/evidence.hpp"

namespace aicq::core {

std::string_view to_string(EvidenceKind k) {
  switch (k) {
    case EvidenceKind::measured: return "measured";
    case EvidenceKind::imported: return "imported";
    case EvidenceKind::declared: return "declared";
    case EvidenceKind::estimated: return "estimated";
  }
  return "declared";
}

std::optional<EvidenceKind> evidence_kind_from(std::string_view s) {
  for (auto k : {EvidenceKind::measured, EvidenceKind::imported, EvidenceKind::declared, EvidenceKind::estimated})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string_view to_string(PowerQuality q) {
  switch (q) {
    case PowerQuality::q0: return "Q0";
    case PowerQuality::q1: return "Q1";
    case PowerQuality::q2: return "Q2";
    case PowerQuality::q3: return "Q3";
  }
  return "Q0";
}

std::optional<PowerQuality> power_quality_from(std::string_view s) {
  for (auto q : {PowerQuality::q0, PowerQuality::q1, PowerQuality::q2, PowerQuality::q3})
    if (to_string(q) == s) return q;
  return std::nullopt;
}

nlohmann::json to_json(const Source& s) {
  nlohmann::json j = nlohmann::json::object();
  if (!s.at.file.empty()) j["file"] = s.at.file;
  if (s.at.line > 0) j["line"] = s.at.line;
  if (s.at.column > 0) j["column"] = s.at.column;
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("catalog", s.catalog);
  put("reference", s.reference);
  put("method", s.method);
  put("tool", s.tool);
  put("tool_version", s.tool_version);
  put("time", s.time);
  put("sha256", s.sha256);
  return j;
}

Evidence normalised(const Evidence& e) {
  Evidence out = e;
  // The JSON number is the shortest round-trip text of canonical_value(): the double itself.
  out.quantity.si = quantity_in(e.quantity.canonical_value(), e.quantity.canonical_unit()).si;
  return out;
}

nlohmann::json to_json(const Evidence& e) {
  nlohmann::json j;
  j["metric"] = e.metric;
  j["value"] = e.quantity.canonical_value();
  j["unit"] = e.quantity.canonical_unit();
  j["kind"] = std::string(to_string(e.kind));
  j["source"] = to_json(e.source);
  if (e.quality) j["quality"] = std::string(to_string(*e.quality));
  if (!e.text.empty()) j["text"] = e.text;
  if (!e.note.empty()) j["note"] = e.note;
  return j;
}

}  // namespace aicq::core

#include "aicq/assess/result.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "aicq/core/canonical_json.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/core/version.hpp"
#include "aicq/declare/evidence_file.hpp"

namespace aicq::assess {

using nlohmann::json;

namespace {

json weight_json(const WeightSet& ws) {
  json j{{"method", ws.method}, {"weights", json::object()}};
  for (std::size_t i = 0; i < ws.ids.size(); ++i) j["weights"][ws.ids[i]] = ws.weights[i];
  if (ws.ahp) j["ahp"] = {{"lambda_max", ws.ahp->lambda_max}, {"ci", ws.ahp->ci}, {"ri", ws.ahp->ri}, {"cr", ws.ahp->cr}};
  return j;
}

}  // namespace

json assessment_json(const Assessment& a, const Profile& p) {
  json j;
  j["weights"]["dimensions"] = weight_json(p.dimension_weights);
  for (const auto& [dim, ws] : p.indicator_weights) j["weights"]["indicators"][dim] = weight_json(ws);
  for (const auto& i : a.indicators) {
    json x{{"status", i.present() ? "scored" : "missing"}, {"unit", i.unit}, {"formula", i.formula},
           {"inputs", i.inputs}, {"details", i.details}, {"notes", i.notes}, {"weight", p.global_weight(i.id)}};
    if (i.value) x["value"] = *i.value;
    if (i.score) x["score"] = *i.score;
    if (!i.kind.empty()) x["kind"] = i.kind;
    if (!i.reason.empty()) x["reason"] = i.reason;
    j["indicators"][i.id] = x;
  }
  for (const auto& d : a.dimensions) {
    json x{{"coverage", d.coverage}, {"weight", d.weight}};
    if (d.score) x["score"] = *d.score;
    j["dimensions"][d.id] = x;
  }
  json o{{"coverage", a.coverage}, {"grade_status", a.final ? "final" : "provisional"}};
  if (a.overall) {
    o["score"] = *a.overall;
    o["grade"] = a.grade.grade;
    o["grade_uncapped"] = a.grade.uncapped_grade;
    if (auto it = p.band_names.find(a.grade.grade); it != p.band_names.end())
      o["grade_name"] = {{"en", it->second.first}, {"zh", it->second.second}};
    o["floor_capped_by"] = a.grade.capped_by;
  }
  j["overall"] = o;
  return j;
}

std::string vocabularies_sha256(const catalog::Catalogs& vocabularies) {
  std::string all;
  for (const auto& [name, v] : vocabularies.vocabularies) {
    all += name + ":";
    for (const auto& id : v.ids()) all += id + ",";
    all += "\n";
  }
  return core::sha256_hex(all);
}

json result_json(const Assessment& a, const Profile& p, const catalog::Catalogs& vocabularies, const ResultContext& ctx) {
  json j = assessment_json(a, p);
  j["schema_version"] = kResultSchemaVersion;
  j["status"] = ctx.status;
  j["tool"] = {{"name", "aicq"}, {"version", core::version()}, {"git_revision", core::git_revision()}, {"git_dirty", core::git_dirty()}};
  j["profile"] = {{"id", p.id}, {"version", p.version}, {"sha256", p.sha256}, {"reference_precision", p.reference_precision}};
  j["data"] = {{"vocabularies_sha256", vocabularies_sha256(vocabularies)}};
  j["system"] = ctx.system;
  j["inputs"] = ctx.inputs;
  j["provenance"] = {{"created", ctx.created}, {"argv", ctx.argv}, {"host", ctx.host}};
  j["evidence"] = json::array();
  for (const auto& e : ctx.evidence) j["evidence"].push_back(core::to_json(e));
  if (!ctx.measurement.is_null()) j["measurement"] = ctx.measurement;
  return j;
}

LoadedResult load_result(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::InputError(core::Location{path}, "", "cannot open the result (missing, or no permission to read it)");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  LoadedResult r;
  r.file = path;
  try {
    r.doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // Line and column of the byte offset nlohmann reports.
    int line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') line++, col = 1;
      else col++;
    }
    throw core::InputError(core::Location{path, line, col}, "", fmt::format("not valid JSON (truncated or edited by hand?): {}", e.what()));
  }
  if (!r.doc.is_object() || !r.doc.contains("schema_version") || !r.doc["schema_version"].is_string() || !r.doc.contains("evidence"))
    throw core::InputError(core::Location{path, 1, 1}, "", "expected an aicq result (an object with schema_version and evidence)");
  const std::string version = r.doc["schema_version"];
  const std::string ours(kResultSchemaVersion);
  const std::string major = ours.substr(0, ours.find('.'));
  if (version.substr(0, version.find('.')) != major)
    throw core::InputError(core::Location{path, 1, 1}, "schema_version",
                           fmt::format("expected a result of schema {}.x, found {}", major, version));
  // The evidence through the located reader, so that a hand-edited record is reported with its position.
  core::Diagnostics diags;
  declare::Reader reader(path, diags);
  if (auto root = reader.load(text, "an aicq result")) {
    if (root->node.IsMap()) {
      const YAML::Node& node = root->node;
      const YAML::Node ev = node["evidence"];
      declare::Cursor list{ev, "evidence", reader.location(ev.Mark()), reader.location(ev.Mark())};
      r.evidence = declare::read_evidence_list(reader, list);
    }
  }
  if (!diags.empty()) throw core::InputError(diags.sorted());
  return r;
}

std::vector<std::string> json_differences(const json& before, const json& after, const std::string& path) {
  std::vector<std::string> out;
  auto show = [](const json& v) { return v.is_null() ? std::string("(absent)") : core::canonical_json(v); };
  if (before.is_number() && after.is_number()) {
    const double a = before.get<double>(), b = after.get<double>();
    if (std::fabs(a - b) > 1e-12 * std::max({1.0, std::fabs(a), std::fabs(b)}))
      out.push_back(fmt::format("{}: {} → {}", path.empty() ? "/" : path, show(before), show(after)));
    return out;
  }
  if (before.is_object() && after.is_object()) {
    std::set<std::string> keys;
    for (auto it = before.begin(); it != before.end(); ++it) keys.insert(it.key());
    for (auto it = after.begin(); it != after.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
      const json b = before.contains(k) ? before.at(k) : json();
      const json a = after.contains(k) ? after.at(k) : json();
      auto sub = json_differences(b, a, path + "/" + k);
      out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
  }
  if (before.is_array() && after.is_array() && before.size() == after.size()) {
    for (std::size_t i = 0; i < before.size(); ++i) {
      auto sub = json_differences(before[i], after[i], fmt::format("{}/{}", path, i));
      out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
  }
  if (before != after) out.push_back(fmt::format("{}: {} → {}", path.empty() ? "/" : path, show(before), show(after)));
  return out;
}

}  // namespace aicq::assess

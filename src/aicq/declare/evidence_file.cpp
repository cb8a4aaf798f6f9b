#include "aicq/declare/evidence_file.hpp"

#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace aicq::declare {

namespace {

const std::vector<std::string> kKinds = {"measured", "imported", "declared", "estimated"};
const std::vector<std::string> kQuality = {"Q0", "Q1", "Q2", "Q3"};

std::optional<core::Evidence> record(Reader& r, const Cursor& c) {
  MapView m(r, c, {"metric", "value", "unit", "kind", "source", "quality", "text", "note"},
            {"metric", "value", "unit", "kind", "source"});
  if (!m.valid()) return std::nullopt;
  core::Evidence e;
  bool ok = true;
  if (auto v = m.get("metric")) {
    auto s = read_string(r, *v);
    ok &= s.has_value();
    e.metric = s.value_or("");
  }
  std::optional<double> value;
  if (auto v = m.get("value")) value = read_number(r, *v, -1.7e308, 1.7e308, "the value");
  if (auto v = m.get("unit")) {
    // The canonical unit of the value's dimension; "" for a plain ratio.
    if (!v->node.IsScalar()) {
      r.error(*v, fmt::format("expected a unit text such as 'W' or 'kgCO2e/kWh', found {}", describe(v->node)));
      ok = false;
    } else if (value) {
      const std::string& unit = v->node.Scalar();
      try {
        e.quantity = core::quantity_in(*value, unit);
      } catch (const core::UnitError& err) {
        r.error(*v, fmt::format("expected a unit aicq reads, found '{}': {}", unit, err.what()));
        ok = false;
      }
    }
  }
  ok &= value.has_value();
  if (auto v = m.get("kind")) {
    auto k = read_enum(r, *v, kKinds, "an evidence kind");
    ok &= k.has_value();
    if (k) e.kind = *core::evidence_kind_from(*k);
  }
  if (auto v = m.get("source")) {
    MapView s(r, *v, {"file", "line", "column", "catalog", "reference", "method", "tool", "tool_version", "time", "sha256"});
    if (s.valid()) {
      auto str = [&](std::string_view key, std::string& out) {
        if (auto x = s.get(key)) out = read_string(r, *x).value_or("");
      };
      str("file", e.source.at.file);
      if (auto x = s.get("line")) e.source.at.line = static_cast<int>(read_int(r, *x, 1, 100'000'000).value_or(0));
      if (auto x = s.get("column")) e.source.at.column = static_cast<int>(read_int(r, *x, 1, 100'000'000).value_or(0));
      str("catalog", e.source.catalog);
      str("reference", e.source.reference);
      str("method", e.source.method);
      str("tool", e.source.tool);
      str("tool_version", e.source.tool_version);
      str("time", e.source.time);
      str("sha256", e.source.sha256);
    }
  }
  if (auto v = m.get("quality")) {
    if (auto q = read_enum(r, *v, kQuality, "a power measurement quality level")) {
      e.quality = core::power_quality_from(*q);
      if (value && e.quantity.dim != core::dim::power() && e.quantity.dim != core::dim::energy()) {
        r.error(*v, fmt::format("expected a quality level only on power or energy, found it on {}",
                                core::dimension_name(e.quantity.dim)));
        ok = false;
      }
    }
  }
  if (auto v = m.get("text")) e.text = read_string(r, *v).value_or("");
  if (auto v = m.get("note")) e.note = read_string(r, *v).value_or("");
  if (!ok) return std::nullopt;
  return e;
}

}  // namespace

std::vector<core::Evidence> read_evidence_list(Reader& r, const Cursor& list) {
  std::vector<core::Evidence> out;
  for (const Cursor& c : items(r, list, "evidence records"))
    if (auto e = record(r, c)) out.push_back(std::move(*e));
  return out;
}

std::vector<core::Evidence> read_evidence_document(Reader& r, std::string_view text) {
  std::vector<core::Evidence> out;
  auto root = r.load(text, fmt::format("an evidence document: {{\"schema\": \"{}\", \"evidence\": [...]}}", core::kEvidenceSchema));
  if (!root) return out;
  // "declarations" (aicq validate) and "summary" (aicq utilization) carry what the evidence was read from; not read.
  MapView top(r, *root, {"schema", "tool", "evidence", "declarations", "summary"}, {"schema", "evidence"});
  if (!top.valid()) return out;
  if (auto s = top.get("schema")) {
    auto v = read_string(r, *s);
    if (v && *v != core::kEvidenceSchema)
      r.error(*s, fmt::format("expected schema '{}', found '{}'", core::kEvidenceSchema, *v));
  }
  if (auto list = top.get("evidence")) out = read_evidence_list(r, *list);
  return out;
}

std::vector<core::Evidence> load_evidence_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::InputError(core::Location{path}, "", "cannot open the file (missing, or no permission to read it)");
  std::ostringstream ss;
  ss << in.rdbuf();
  core::Diagnostics diags;
  Reader r(path, diags);
  auto out = read_evidence_document(r, ss.str());
  if (!diags.empty()) throw core::InputError(diags.sorted());
  return out;
}

}  // namespace aicq::declare

#include "aicq/cli/site_inputs.hpp"
#include "aicq/core/clock.hpp"

#include <chrono>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include "aicq/ingest/importer.hpp"

namespace aicq::cli {

SiteInputs read_site(const std::string& path, const catalog::Catalogs& catalogs) {
  SiteInputs s;
  s.declaration = declare::load_declaration(path, catalogs);
  // Tool outputs the declaration references are read by their importers now, so that their figures are
  // evidence of this assessment (and workloads may take their rate from them).
  for (auto& ref : s.declaration.evidence) {
    if (ref.import_kind.empty()) continue;
    const ingest::Importer* imp = ingest::find_importer(ref.import_kind);
    if (!imp) throw core::InputError(ref.at, "evidence.import", fmt::format("no importer '{}' in this build", ref.import_kind));
    const ingest::Imported imported = imp->run({ref.path});
    ref.records = imported.evidence;
    if (imported.verdict.state == ingest::Verdict::State::invalid)
      ref.invalid_reason = imported.verdict.reason.empty() ? "invalid" : imported.verdict.reason;
  }
  declare::resolve_references(s.declaration);
  s.evidence = declare::declared_evidence(s.declaration, catalogs);
  const auto referenced = declare::referenced_evidence(s.declaration);
  s.evidence.insert(s.evidence.end(), referenced.begin(), referenced.end());
  return s;
}

report::ProfileView profile_view(const assess::Profile& p) {
  report::ProfileView v;
  v.id = p.id;
  v.version = p.version;
  v.sha256 = p.sha256;
  for (const auto& [id, spec] : p.curves) v.curves[id] = {spec.curve, spec.unit, spec.reason};
  v.blends = p.blends;
  for (std::size_t i = 0; i < p.dimension_weights.ids.size() && i < p.dimension_weights.weights.size(); ++i)
    v.dimension_weights[p.dimension_weights.ids[i]] = p.dimension_weights.weights[i];
  for (const auto& b : p.bands) {
    report::ProfileView::BandView band;
    band.grade = b.grade;
    band.min_score = b.min_score;
    if (const auto it = p.band_names.find(b.grade); it != p.band_names.end()) {
      band.en = it->second.first;
      band.zh = it->second.second;
    }
    v.bands.push_back(band);
  }
  return v;
}

ResultStore open_result_store(const std::string& path) {
  ResultStore r;
  try {
    r.db = store::Store::open(path);
  } catch (const core::WorkError& e) {
    r.error = e.what();
  }
  return r;
}

bool record_result(ResultStore& store, const nlohmann::json& result, const std::string& result_file, std::ostream& out,
                   std::ostream& err) {
  if (store.db) {
    try {
      const auto id = store.db->record(result, std::filesystem::absolute(result_file).string());
      out << fmt::format("recorded: result {} in {} (aicq show {})\n", id, store.db->path(), id);
    } catch (const std::exception& e) {
      store.error = e.what();
    }
  }
  if (store.error.empty()) return true;
  err << fmt::format("aicq: warning: the result was not recorded in the store: {}\n", store.error);
  return false;
}

std::string utc_now() { return core::utc_iso8601(); }

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace aicq::cli

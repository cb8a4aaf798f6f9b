// aicq rescore RESULT [--profile FILE] [--verify-sources]: recompute a result from its own evidence; exit 3 on
// any difference. With --verify-sources, the files the evidence was imported from are hashed again.
#include <fmt/format.h>
#include <map>
#include <ostream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/ingest/importer.hpp"

namespace aicq::cli {

namespace {

struct RescoreOptions {
  std::string result, profile;
  bool verify_sources = false;
};

// Every file named with a SHA-256 in the evidence, hashed again: a changed or missing file is a difference.
std::vector<std::string> source_differences(const std::vector<core::Evidence>& evidence) {
  std::map<std::string, std::string> files;  // path → recorded SHA-256 (first seen)
  for (const auto& e : evidence)
    if (!e.source.sha256.empty() && !e.source.at.file.empty()) files.emplace(e.source.at.file, e.source.sha256);
  std::vector<std::string> out;
  for (const auto& [path, recorded] : files) {
    std::string now;
    try {
      now = ingest::file_sha256(path);
    } catch (const core::InputError&) {
      out.push_back(fmt::format("source {}: sha256 {} → (the file cannot be read)", path, recorded));
      continue;
    }
    if (now != recorded) out.push_back(fmt::format("source {}: sha256 {} → {} (the file changed since it was imported)", path, recorded, now));
  }
  return out;
}

int run_rescore(const RescoreOptions& o, const GlobalOptions& g, Io io) {
  const data::DataSource src(g.data_dir);
  const catalog::Catalogs cat = catalog::Catalogs::load(src);
  const assess::Profile profile = assess::load_profile(o.profile, src);
  const assess::LoadedResult r = assess::load_result(o.result);
  const assess::Assessment a = assess::assess(r.evidence, profile, cat);
  const nlohmann::json recomputed = assess::assessment_json(a, profile);
  nlohmann::json stored;
  for (const char* k : {"weights", "indicators", "dimensions", "overall"})
    stored[k] = r.doc.contains(k) ? r.doc[k] : nlohmann::json();
  std::vector<std::string> diffs;
  const std::string stored_profile = r.doc.value("/profile/sha256"_json_pointer, std::string());
  if (stored_profile != profile.sha256)
    diffs.push_back(fmt::format("/profile/sha256: {} → {} (profile '{}' differs from the one the result used)", stored_profile,
                                profile.sha256, profile.file));
  const std::string stored_data = r.doc.value("/data/vocabularies_sha256"_json_pointer, std::string());
  if (stored_data != assess::vocabularies_sha256(cat))
    diffs.push_back(fmt::format("/data/vocabularies_sha256: {} → {} (vocabularies differ)", stored_data,
                                assess::vocabularies_sha256(cat)));
  const auto d = assess::json_differences(stored, recomputed);
  diffs.insert(diffs.end(), d.begin(), d.end());
  std::size_t sources = 0;
  if (o.verify_sources) {
    const auto s = source_differences(r.evidence);
    diffs.insert(diffs.end(), s.begin(), s.end());
    for (const auto& e : r.evidence) sources += e.source.sha256.empty() ? 0u : 1u;
  }
  if (diffs.empty()) {
    io.out << fmt::format("{}: no differences ({} evidence records, {} indicators recomputed{})\n", o.result,
                          r.evidence.size(), a.indicators.size(),
                          o.verify_sources ? fmt::format(", sources of {} imported records hashed again", sources) : "");
    return kOk;
  }
  io.out << fmt::format("{}: {} difference{} between the stored result and its recomputation (stored → recomputed):\n",
                        o.result, diffs.size(), diffs.size() == 1 ? "" : "s");
  for (const auto& line : diffs) io.out << "  " << line << "\n";
  return kCheckFailed;
}

}  // namespace

Action add_rescore(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<RescoreOptions>();
  app.add_option("result", o->result, "result file")->required();
  app.add_option("--profile", o->profile, "profile file");
  app.add_flag("--verify-sources", o->verify_sources, "hash imported files again");
  return [o, &g](Io io) { return run_rescore(*o, g, io); };
}

}  // namespace aicq::cli

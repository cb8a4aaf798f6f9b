// aicq rescore RESULT [--profile FILE]: recompute a result from its own evidence; exit 3 on any difference.
#include <fmt/format.h>
#include <ostream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"

namespace aicq::cli {

namespace {

struct RescoreOptions {
  std::string result, profile;
};

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
  if (diffs.empty()) {
    io.out << fmt::format("{}: no differences ({} evidence records, {} indicators recomputed)\n", o.result,
                          r.evidence.size(), a.indicators.size());
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
  return [o, &g](Io io) { return run_rescore(*o, g, io); };
}

}  // namespace aicq::cli

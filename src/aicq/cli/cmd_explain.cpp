// aicq explain RESULT ID [--lang zh|en]: how one indicator's score was reached.
#include <fmt/format.h>
#include <ostream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/core/indicators.hpp"
#include "aicq/declare/yaml_reader.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::cli {

namespace {

struct ExplainOptions {
  std::string result, id, lang, profile;
};

int run_explain(const ExplainOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  std::vector<std::string> ids;
  for (const auto& i : core::indicators()) ids.emplace_back(i.id);
  if (std::find(ids.begin(), ids.end(), o.id) == ids.end())
    throw core::InputError(core::Location{o.id}, "ID",
                           fmt::format("expected an indicator id (one of {}), found '{}'{}", declare::join_names(ids, 12), o.id,
                                       declare::did_you_mean(o.id, ids)));
  const assess::LoadedResult r = assess::load_result(o.result);
  // The curve of the profile the result used, when that profile is at hand.
  nlohmann::json curve;
  const data::DataSource src(g.data_dir);
  const assess::Profile profile = assess::load_profile(o.profile, src);
  if (profile.sha256 == r.doc.value("/profile/sha256"_json_pointer, std::string()) && profile.curves.contains(o.id)) {
    const auto& spec = profile.curve(o.id);
    curve["unit"] = spec.unit;
    curve["reason"] = spec.reason;
    for (const auto& a : spec.curve.anchors()) curve["anchors"].push_back({a.x, a.score});
  }
  io.out << report::explanation(r.doc, o.id, curve, lang);
  return kOk;
}

}  // namespace

Action add_explain(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ExplainOptions>();
  app.add_option("result", o->result, "result file")->required();
  app.add_option("id", o->id, "indicator id")->required();
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("--profile", o->profile, "profile file");
  return [o, &g](Io io) { return run_explain(*o, g, io); };
}

}  // namespace aicq::cli

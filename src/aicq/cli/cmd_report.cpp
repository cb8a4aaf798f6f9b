// aicq report RESULT… [--format html|md|csv] [-o FILE] [--lang zh|en]: see docs/cli.md.
// Wiring only: reads the results and the profile, hands them to aicq::report, writes the output.
#include <fstream>
#include <ostream>
#include <sstream>

#include "aicq/assess/profile.hpp"
#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/report/html.hpp"
#include "aicq/report/tables.hpp"

namespace aicq::cli {

namespace {

struct ReportOptions {
  std::vector<std::string> results;
  std::string format = "html", output, lang;
};

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return in ? core::sha256_hex(ss.str()) : std::string();
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

int run_report(const ReportOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  std::vector<report::ResultDoc> docs;
  for (const auto& file : o.results) {
    assess::LoadedResult r = assess::load_result(file);
    docs.push_back({file, std::move(r.doc), file_sha256(file)});
  }
  const report::ProfileView profile = profile_view(assess::load_profile("", data::DataSource(g.data_dir)));

  std::optional<report::Ranking> ranking;
  if (docs.size() > 1 && o.format != "csv") ranking = report::rank_systems(docs, profile.dimension_weights);

  std::string text;
  if (o.format == "md") text = report::markdown(docs, ranking ? &*ranking : nullptr, lang);
  else if (o.format == "csv") text = report::csv(docs, lang);
  else text = docs.size() == 1 ? report::html(docs.front(), &profile, lang) : report::html_comparison(docs, *ranking, lang);

  if (o.output.empty()) io.out << text;
  else core::write_file_atomic(o.output, text);
  return kOk;
}

}  // namespace

Action add_report(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("results", o->results, "result files")->required();
  app.add_option("--format", o->format, "html, md or csv")->check(CLI::IsMember({"html", "md", "csv"}));
  app.add_option("-o", o->output, "output file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  return [o, &g](Io io) { return run_report(*o, g, io); };
}

}  // namespace aicq::cli

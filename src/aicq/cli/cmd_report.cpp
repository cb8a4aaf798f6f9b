// aicq report RESULT… [--format html|md|csv] [-o FILE] [--lang zh|en]: see docs/cli.md.
// Wiring only: reads the results and the profile, hands them to aicq::report, writes the output.
#include <fstream>
#include <ostream>
#include <sstream>

#include "aicq/assess/profile.hpp"
#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/ingest/importer.hpp"
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


int run_report(const ReportOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  std::vector<report::ResultDoc> docs;
  for (const auto& file : o.results) {
    assess::LoadedResult r = assess::load_result(file);
    docs.push_back({file, std::move(r.doc), ingest::file_sha256(file)});
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

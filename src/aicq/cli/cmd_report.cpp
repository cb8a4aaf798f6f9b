// aicq report: see docs/cli.md. (Stub until implemented.)
#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"

namespace aicq::cli {

namespace {
struct ReportOptions {
  std::vector<std::string> results;
  std::string format = "html", output, lang;
};
}  // namespace

Action add_report(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("results", o->results, "result files")->required();
  app.add_option("--format", o->format, "html, md or csv")->check(CLI::IsMember({"html", "md", "csv"}));
  app.add_option("-o", o->output, "output file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  return [o, &g](Io) -> int {
    (void)g;
    throw core::WorkError("aicq report is not implemented yet");
  };
}

}  // namespace aicq::cli

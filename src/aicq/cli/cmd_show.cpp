// aicq show: see docs/cli.md. (Stub until implemented.)
#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"

namespace aicq::cli {

namespace {
struct ShowOptions {
  std::string id, db, lang, output;
};
}  // namespace

Action add_show(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ShowOptions>();
  app.add_option("id", o->id, "result id")->required();
  app.add_option("--db", o->db, "store file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("-o", o->output, "output file");
  return [o, &g](Io) -> int {
    (void)g;
    throw core::WorkError("aicq show is not implemented yet");
  };
}

}  // namespace aicq::cli

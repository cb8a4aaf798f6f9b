// aicq history: see docs/cli.md. (Stub until implemented.)
#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"

namespace aicq::cli {

namespace {
struct HistoryOptions {
  std::string system, indicator, db;
  int limit = 20;
};
}  // namespace

Action add_history(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<HistoryOptions>();
  app.add_option("--system", o->system, "system name");
  app.add_option("--indicator", o->indicator, "indicator id");
  app.add_option("--limit", o->limit, "rows")->check(CLI::PositiveNumber);
  app.add_option("--db", o->db, "store file");
  return [o, &g](Io) -> int {
    (void)g;
    throw core::WorkError("aicq history is not implemented yet");
  };
}

}  // namespace aicq::cli

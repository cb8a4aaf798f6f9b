// aicq show ID [--db FILE] [--lang zh|en] [-o FILE]: one stored result as the terminal summary; with -o, the
// stored result document (canonical JSON, byte for byte as recorded) written to FILE.
#include <charconv>
#include <fmt/format.h>
#include <optional>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/report/terminal.hpp"
#include "aicq/store/store.hpp"

namespace aicq::cli {

namespace {

struct ShowOptions {
  std::string id, db, lang, output;
};

std::int64_t parse_id(const std::string& s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v <= 0)
    throw core::InputError(core::Location{s}, "ID",
                           fmt::format("expected a result id (a positive whole number, see aicq history), found '{}'", s));
  return v;
}

int run_show(const ShowOptions& o, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  const std::int64_t id = parse_id(o.id);
  const std::optional<store::Store> db = store::Store::open_existing(o.db);
  const std::string path = db ? db->path() : (o.db.empty() ? store::default_db_path() : o.db);
  const std::optional<std::string> text = db ? db->get_text(id) : std::nullopt;
  if (!text)
    throw core::InputError(core::Location{path}, "ID",
                           db && db->count() > 0 ? fmt::format("no result with id {} (aicq history lists the ids)", id)
                                                 : fmt::format("no result with id {}: no results recorded", id));
  const nlohmann::json result = *db->get(id);  // parsed, and checked against its SHA-256
  if (!o.output.empty()) core::write_file_atomic(o.output, *text);
  io.out << report::summary(result, lang);
  if (!o.output.empty()) io.out << fmt::format("result: {}\n", o.output);
  return kOk;
}

}  // namespace

Action add_show(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ShowOptions>();
  app.add_option("id", o->id, "result id")->required();
  app.add_option("--db", o->db, "store file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("-o", o->output, "output file");
  return [o, &g](Io io) -> int {
    (void)g;
    return run_show(*o, io);
  };
}

}  // namespace aicq::cli

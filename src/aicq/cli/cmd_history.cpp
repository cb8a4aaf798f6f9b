// aicq history [--system NAME] [--indicator ID] [--limit N] [--db FILE]: the results recorded in the store,
// newest first; with --system and --indicator, the trend of one indicator of one system, oldest first.
#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/indicators.hpp"
#include "aicq/declare/yaml_reader.hpp"
#include "aicq/report/terminal.hpp"
#include "aicq/store/store.hpp"

namespace aicq::cli {

namespace {

struct HistoryOptions {
  std::string system, indicator, db;
  int limit = 20;
};

// Display width of UTF-8 text: characters of three bytes (CJK) take two columns.
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    w += n == 3 ? 2 : 1;
    i += n;
  }
  return w;
}

// Columns left-aligned, two spaces apart, no trailing blanks.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& r : rows) {
    widths.resize(std::max(widths.size(), r.size()));
    for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], width(r[i]));
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - width(r[i]) + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string score_text(const std::optional<double>& v) { return v ? fmt::format("{:.3g}", *v) : "-"; }

int list_results(const store::Store& db, const HistoryOptions& o, Io io) {
  const std::optional<std::string> system = o.system.empty() ? std::nullopt : std::optional<std::string>(o.system);
  const std::int64_t total = db.count(system);
  const auto rows = db.list(system, o.limit);
  std::vector<std::vector<std::string>> t{{"id", "created", "system", "overall", "grade", "grade_status", "coverage"}};
  for (const auto& r : rows)
    t.push_back({std::to_string(r.id), r.created, r.system, score_text(r.overall), r.grade.value_or("-"), r.grade_status,
                 fmt::format("{:.1f}%", 100 * r.coverage)});
  io.out << fmt::format("results in {}, newest first ({} of {}):\n", db.path(), rows.size(), total);
  io.out << table(t);
  if (static_cast<std::int64_t>(rows.size()) < total) io.out << fmt::format("(--limit N shows more)\n");
  return kOk;
}

int show_trend(const store::Store& db, const HistoryOptions& o, Io io) {
  const auto points = db.trend(o.system, o.indicator, o.limit);
  io.out << fmt::format("{} ({}) of '{}' in {}, oldest first ({} result{}):\n", o.indicator,
                        report::name_of(o.indicator, report::Lang::en), o.system, db.path(), points.size(),
                        points.size() == 1 ? "" : "s");
  std::vector<std::vector<std::string>> t{{"id", "created", "value", "unit", "score", "kind"}};
  for (const auto& p : points) {
    if (p.status != "scored") {
      t.push_back({std::to_string(p.result_id), p.created, "-", p.unit.empty() ? "-" : p.unit, "-", "missing"});
      continue;
    }
    t.push_back({std::to_string(p.result_id), p.created, p.value ? fmt::format("{:.6g}", *p.value) : "-",
                 p.unit.empty() ? "-" : p.unit, score_text(p.score), p.kind.value_or("-")});
  }
  io.out << table(t);
  return kOk;
}

int run_history(const HistoryOptions& o, Io io) {
  if (!o.indicator.empty()) {
    std::vector<std::string> ids;
    for (const auto& i : core::indicators()) ids.emplace_back(i.id);
    if (std::find(ids.begin(), ids.end(), o.indicator) == ids.end())
      throw core::InputError(core::Location{o.indicator}, "--indicator",
                             fmt::format("expected an indicator id (one of {}), found '{}'{}", declare::join_names(ids, 12),
                                         o.indicator, declare::did_you_mean(o.indicator, ids)));
  }
  const std::optional<store::Store> db = store::Store::open_existing(o.db);
  const std::string path = db ? db->path() : (o.db.empty() ? store::default_db_path() : o.db);
  if (!db || db->count() == 0) {
    io.out << fmt::format("no results recorded in {}\n", path);
    return kOk;
  }
  if (!o.system.empty() && db->count(o.system) == 0) {
    const auto systems = db->systems();
    throw core::InputError(core::Location{path}, "--system",
                           fmt::format("no results recorded for system '{}'{}; recorded systems: {}", o.system,
                                       declare::did_you_mean(o.system, systems), declare::join_names(systems, 12)));
  }
  return o.indicator.empty() ? list_results(*db, o, io) : show_trend(*db, o, io);
}

}  // namespace

Action add_history(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<HistoryOptions>();
  CLI::Option* system = app.add_option("--system", o->system, "system name");
  app.add_option("--indicator", o->indicator, "indicator id")->needs(system);
  app.add_option("--limit", o->limit, "rows")->check(CLI::PositiveNumber);
  app.add_option("--db", o->db, "store file");
  return [o, &g](Io io) -> int {
    (void)g;
    return run_history(*o, io);
  };
}

}  // namespace aicq::cli

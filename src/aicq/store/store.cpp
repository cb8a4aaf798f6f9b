#include "aicq/store/store.hpp"
#include "aicq/core/clock.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <pwd.h>
#include <set>
#include <unistd.h>

#include "aicq/core/canonical_json.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/data/embedded.hpp"

namespace aicq::store {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// 'aicq' in the database header (PRAGMA application_id), so that `file` and aicq itself recognise a store.
constexpr std::int64_t kApplicationId = 0x61696371;
constexpr int kBusyTimeoutMs = 10000;

// A failed SQLite call: a WorkError (exit 1) that keeps the result code, so that open() can tell a file that
// is not a database from a failure while working.
class SqliteError : public core::WorkError {
 public:
  SqliteError(int code, const std::string& what) : core::WorkError(what), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

std::string first_line(std::string_view sql) {
  const auto start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  sql.remove_prefix(start);
  std::string s(sql.substr(0, sql.find('\n')));
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

[[noreturn]] void fail(sqlite3* db, int rc, const char* call, std::string_view db_path, std::string_view sql = {}) {
  const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(rc, sql.empty() ? fmt::format("store {}: {} failed: {}", db_path, call, msg)
                                    : fmt::format("store {}: {} failed: {} (in: {})", db_path, call, msg, first_line(sql)));
}

bool valid_migration_name(std::string_view name) {
  // YYYYMMDD-feature.sql, feature of lowercase letters, digits and '-'.
  if (name.size() < 14 || !name.ends_with(".sql") || name[8] != '-') return false;
  for (std::size_t i = 0; i < 8; ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  const std::string_view feature = name.substr(9, name.size() - 9 - 4);
  return !feature.empty() && std::all_of(feature.begin(), feature.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

// Runs every statement of a script (a migration) in turn.
void run_script(sqlite3* db, std::string_view script, std::string_view db_path, std::string_view name) {
  const char* cur = script.data();
  const char* const end = script.data() + script.size();
  while (cur < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const std::string_view rest(cur, static_cast<std::size_t>(end - cur));
    const int rc = sqlite3_prepare_v2(db, cur, static_cast<int>(end - cur), &raw, &tail);
    if (rc != SQLITE_OK) fail(db, rc, "sqlite3_prepare_v2", db_path, fmt::format("migration {}: {}", name, first_line(rest)));
    if (raw == nullptr) break;  // only comments or white space were left
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, &sqlite3_finalize);
    int s = SQLITE_ROW;
    while ((s = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    }
    if (s != SQLITE_DONE) fail(db, s, "sqlite3_step", db_path, fmt::format("migration {}: {}", name, first_line(rest)));
    cur = tail;
  }
}

std::optional<std::string> opt_string(const json& doc, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!doc.contains(p) || !doc.at(p).is_string()) return std::nullopt;
  return doc.at(p).get<std::string>();
}

std::optional<double> opt_number(const json& doc, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!doc.contains(p) || !doc.at(p).is_number()) return std::nullopt;
  return doc.at(p).get<double>();
}

std::string req_string(const json& doc, const char* pointer) {
  auto s = opt_string(doc, pointer);
  if (!s) throw core::WorkError(fmt::format("cannot record the result in the store: it has no text at {}", pointer));
  return *s;
}

double req_number(const json& doc, const char* pointer) {
  auto v = opt_number(doc, pointer);
  if (!v) throw core::WorkError(fmt::format("cannot record the result in the store: it has no number at {}", pointer));
  return *v;
}

// Where a store may be: the folder must exist (a path the user gave) or is created (the default).
void check_location(const std::string& path, bool user_given) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (user_given) {
    if (!fs::is_directory(dir, ec))
      throw core::InputError(core::Location{path}, "",
                             fmt::format("cannot open the store: the folder '{}' does not exist", dir.string()));
  } else if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      throw core::WorkError(fmt::format("cannot create the folder of the store '{}': {} (set AICQ_HOME or pass --db FILE)",
                                        dir.string(), ec.message()));
  }
  if (fs::is_directory(target, ec)) {
    if (user_given) throw core::InputError(core::Location{path}, "", "expected a store (an SQLite file), found a folder");
    throw core::WorkError(fmt::format("the store '{}' is a folder, not a file (set AICQ_HOME or pass --db FILE)", path));
  }
}

[[noreturn]] void not_a_store(const std::string& path, bool user_given, const std::string& why) {
  if (user_given) throw core::InputError(core::Location{path}, "", fmt::format("not an aicq store: {}", why));
  throw core::WorkError(fmt::format("the store '{}' is not an aicq store: {} (move it away, or pass --db FILE)", path, why));
}

}  // namespace

// --- paths and migrations ---------------------------------------------------------------------------------

std::string default_db_path() {
  if (const char* home = std::getenv("AICQ_HOME"); home && *home) return (fs::path(home) / "aicq.db").string();
  std::string user_home;
  if (const char* h = std::getenv("HOME"); h && *h) {
    user_home = h;
  } else {
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_dir) user_home = found->pw_dir;
  }
  if (user_home.empty()) throw core::WorkError("cannot place the store: neither AICQ_HOME nor HOME is set (pass --db FILE)");
  return (fs::path(user_home) / ".local" / "share" / "aicq" / "aicq.db").string();
}

std::vector<Migration> embedded_migrations() {
  std::vector<Migration> out;
  for (const auto& f : data::migration_files()) {
    if (!valid_migration_name(f.path))
      throw core::WorkError(fmt::format("migration '{}' is misnamed: expected YYYYMMDD-feature.sql", f.path));
    out.push_back(Migration{std::string(f.path), std::string(f.content)});
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.name < b.name; });
  return out;
}

// --- Statement -----------------------------------------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql, std::string_view db_path) : db_(db), sql_(sql), db_path_(db_path) {
  const int rc = sqlite3_prepare_v2(db_, sql_.c_str(), static_cast<int>(sql_.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    fail(db_, rc, "sqlite3_prepare_v2", db_path_, sql_);
  }
  if (stmt_ == nullptr) throw core::WorkError(fmt::format("store {}: empty SQL statement", db_path_));
}

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), sql_(std::move(o.sql_)), db_path_(std::move(o.db_path_)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    sql_ = std::move(o.sql_);
    db_path_ = std::move(o.db_path_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::check(int rc, const char* call) const {
  if (rc != SQLITE_OK) fail(db_, rc, call, db_path_, sql_);
}

Statement& Statement::bind(int index, std::int64_t v) {
  check(sqlite3_bind_int64(stmt_, index, v), "sqlite3_bind_int64");
  return *this;
}

Statement& Statement::bind(int index, double v) {
  check(sqlite3_bind_double(stmt_, index, v), "sqlite3_bind_double");
  return *this;
}

Statement& Statement::bind(int index, std::string_view v) {
  check(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "sqlite3_bind_text64");
  return *this;
}

Statement& Statement::bind_null(int index) {
  check(sqlite3_bind_null(stmt_, index), "sqlite3_bind_null");
  return *this;
}

Statement& Statement::bind(int index, const std::optional<double>& v) { return v ? bind(index, *v) : bind_null(index); }

Statement& Statement::bind(int index, const std::optional<std::string>& v) {
  return v ? bind(index, std::string_view(*v)) : bind_null(index);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "sqlite3_step", db_path_, sql_);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  check(sqlite3_reset(stmt_), "sqlite3_reset");
  check(sqlite3_clear_bindings(stmt_), "sqlite3_clear_bindings");
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

// --- Transaction ---------------------------------------------------------------------------------------------

Transaction::Transaction(const Store& store) : store_(store) { store_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    store_.exec("ROLLBACK");
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing better to do in a destructor; SQLite rolls back on close
  }
}

void Transaction::commit() {
  store_.exec("COMMIT");
  done_ = true;
}

// --- Store ---------------------------------------------------------------------------------------------------

void Store::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Store::Store(std::unique_ptr<sqlite3, Closer> db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Statement Store::statement(std::string_view sql) const { return Statement(db_.get(), sql, path_); }

void Store::exec(std::string_view sql) const { statement(sql).run(); }

Store Store::open(const std::string& path) { return open(path, embedded_migrations()); }

Store Store::open(const std::string& path, const std::vector<Migration>& migrations) {
  const bool user_given = !path.empty();
  const std::string p = user_given ? path : default_db_path();
  check_location(p, user_given);

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(p.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);
  if (rc != SQLITE_OK) {
    const std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    if (user_given && (rc & 0xff) == SQLITE_CANTOPEN)
      throw core::InputError(core::Location{p}, "", fmt::format("cannot open the store: {}", msg));
    throw core::WorkError(fmt::format("store {}: sqlite3_open_v2 failed: {}", p, msg));
  }
  if (const int e = sqlite3_extended_result_codes(db.get(), 1); e != SQLITE_OK)
    fail(db.get(), e, "sqlite3_extended_result_codes", p);
  if (const int e = sqlite3_busy_timeout(db.get(), kBusyTimeoutMs); e != SQLITE_OK) fail(db.get(), e, "sqlite3_busy_timeout", p);

  Store store(std::move(db), p);
  try {
    {  // statements finalised before the journal mode changes (no transaction may be open then)
      // The first read of the header: garbage shows up here as "file is not a database".
      Statement schema = store.statement("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
      schema.step();
      const std::int64_t tables = schema.int64(0);
      Statement app = store.statement("PRAGMA application_id");
      app.step();
      const std::int64_t app_id = app.int64(0);
      if (app_id != kApplicationId && app_id != 0)
        not_a_store(p, user_given, fmt::format("an SQLite database of another program (application_id {:#x})", app_id));
      if (app_id == 0 && tables > 0) {
        Statement ours = store.statement("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
        ours.step();
        if (ours.int64(0) == 0) not_a_store(p, user_given, "an SQLite database of another program (it has tables, none of them aicq's)");
      }
    }
    store.statement("PRAGMA journal_mode = WAL").run();
    store.exec("PRAGMA foreign_keys = ON");
    store.migrate(migrations);
  } catch (const SqliteError& e) {
    const int primary = e.code() & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
      not_a_store(p, user_given, fmt::format("not an SQLite database, or a damaged one ({})", sqlite3_errstr(primary)));
    throw;
  }
  return store;
}

std::optional<Store> Store::open_existing(const std::string& path) {
  const bool user_given = !path.empty();
  const std::string p = user_given ? path : default_db_path();
  std::error_code ec;
  if (user_given) check_location(p, true);
  if (!fs::exists(p, ec)) return std::nullopt;
  return open(path);
}

void Store::migrate(const std::vector<Migration>& migrations) {
  for (const auto& m : migrations)
    if (!valid_migration_name(m.name))
      throw core::WorkError(fmt::format("migration '{}' is misnamed: expected YYYYMMDD-feature.sql", m.name));
  std::vector<Migration> sorted = migrations;
  std::sort(sorted.begin(), sorted.end(), [](const Migration& a, const Migration& b) { return a.name < b.name; });

  auto pending = [&] {
    std::set<std::string> applied;
    Statement exists = statement("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
    exists.step();
    if (exists.int64(0) > 0)
      for (const auto& n : applied_migrations()) applied.insert(n);
    std::vector<const Migration*> out;
    for (const auto& m : sorted)
      if (!applied.contains(m.name)) out.push_back(&m);
    return out;
  };
  if (pending().empty()) return;  // the common case: no write lock taken

  Transaction t(*this);
  exec(fmt::format("PRAGMA application_id = {}", kApplicationId));  // a constant: PRAGMA takes no parameters
  exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, applied TEXT NOT NULL) STRICT");
  // Another process may have migrated while this one waited for the lock: look again inside the transaction.
  Statement insert = statement("INSERT INTO schema_migrations (name, sha256, applied) VALUES (?1, ?2, ?3)");
  for (const Migration* m : pending()) {
    run_script(db_.get(), m->sql, path_, m->name);
    insert.reset();
    insert.bind(1, std::string_view(m->name)).bind(2, std::string_view(core::sha256_hex(m->sql))).bind(3, std::string_view(core::utc_iso8601()));
    insert.run();
  }
  t.commit();
}

std::vector<std::string> Store::applied_migrations() const {
  std::vector<std::string> out;
  Statement s = statement("SELECT name FROM schema_migrations ORDER BY name");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

// --- results -------------------------------------------------------------------------------------------------

std::int64_t Store::record(const json& result, const std::string& written_to) {
  if (!result.is_object()) throw core::WorkError("cannot record the result in the store: expected a JSON object");
  const std::string text = core::canonical_json(result);
  const std::string sha = core::sha256_hex(text);

  Transaction t(*this);
  Statement ins = statement(
      "INSERT INTO results (created, recorded, system, operator, profile_id, profile_sha256, overall_score, grade,"
      " grade_status, coverage, status, written_to, result_json, result_sha256)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id");
  ins.bind(1, req_string(result, "/provenance/created"))
      .bind(2, std::string_view(core::utc_iso8601()))
      .bind(3, req_string(result, "/system/name"))
      .bind(4, opt_string(result, "/system/operator"))
      .bind(5, req_string(result, "/profile/id"))
      .bind(6, req_string(result, "/profile/sha256"))
      .bind(7, opt_number(result, "/overall/score"))
      .bind(8, opt_string(result, "/overall/grade"))
      .bind(9, req_string(result, "/overall/grade_status"))
      .bind(10, req_number(result, "/overall/coverage"))
      .bind(11, req_string(result, "/status"))
      .bind(12, std::string_view(written_to))
      .bind(13, std::string_view(text))
      .bind(14, std::string_view(sha));
  if (!ins.step()) throw core::WorkError(fmt::format("store {}: INSERT … RETURNING id returned no row", path_));
  const std::int64_t id = ins.int64(0);
  ins.run();  // finish the statement before the next one

  if (result.contains("indicators") && result["indicators"].is_object()) {
    Statement ind = statement(
        "INSERT INTO result_indicators (result_id, indicator, status, value, unit, score, kind)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (auto it = result["indicators"].begin(); it != result["indicators"].end(); ++it) {
      const json& x = it.value();
      if (!x.is_object()) continue;
      ind.reset();
      ind.bind(1, id)
          .bind(2, std::string_view(it.key()))
          .bind(3, opt_string(x, "/status").value_or("missing"))
          .bind(4, opt_number(x, "/value"))
          .bind(5, opt_string(x, "/unit").value_or(""))
          .bind(6, opt_number(x, "/score"))
          .bind(7, opt_string(x, "/kind"));
      ind.run();
    }
  }
  t.commit();
  return id;
}

namespace {
constexpr const char* kRowColumns =
    "id, created, recorded, system, operator, profile_id, profile_sha256, overall_score, grade, grade_status, coverage,"
    " status, written_to, result_sha256";

ResultRow read_row(const Statement& s) {
  ResultRow r;
  r.id = s.int64(0);
  r.created = s.text(1);
  r.recorded = s.text(2);
  r.system = s.text(3);
  r.operator_name = s.optional_text(4);
  r.profile_id = s.text(5);
  r.profile_sha256 = s.text(6);
  r.overall = s.optional_real(7);
  r.grade = s.optional_text(8);
  r.grade_status = s.text(9);
  r.coverage = s.real(10);
  r.status = s.text(11);
  r.written_to = s.text(12);
  r.result_sha256 = s.text(13);
  return r;
}
}  // namespace

std::vector<ResultRow> Store::list(const std::optional<std::string>& system, std::int64_t limit) const {
  Statement s = system ? statement(fmt::format("SELECT {} FROM results WHERE system = ?1 ORDER BY created DESC, id DESC LIMIT ?2",
                                               kRowColumns))
                       : statement(fmt::format("SELECT {} FROM results ORDER BY created DESC, id DESC LIMIT ?2", kRowColumns));
  if (system) s.bind(1, std::string_view(*system));
  s.bind(2, limit);
  std::vector<ResultRow> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::int64_t Store::count(const std::optional<std::string>& system) const {
  Statement s = system ? statement("SELECT count(*) FROM results WHERE system = ?1") : statement("SELECT count(*) FROM results");
  if (system) s.bind(1, std::string_view(*system));
  s.step();
  return s.int64(0);
}

std::vector<std::string> Store::systems() const {
  std::vector<std::string> out;
  Statement s = statement("SELECT DISTINCT system FROM results ORDER BY system");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<TrendPoint> Store::trend(const std::string& system, const std::string& indicator,
                                     std::optional<std::int64_t> limit) const {
  Statement s = statement(
      "SELECT r.id, r.created, i.status, i.value, i.unit, i.score, i.kind"
      " FROM results r JOIN result_indicators i ON i.result_id = r.id"
      " WHERE r.system = ?1 AND i.indicator = ?2 ORDER BY r.created DESC, r.id DESC LIMIT ?3");
  s.bind(1, std::string_view(system)).bind(2, std::string_view(indicator)).bind(3, limit.value_or(-1));
  std::vector<TrendPoint> out;
  while (s.step())
    out.push_back(TrendPoint{s.int64(0), s.text(1), s.text(2), s.optional_real(3), s.text(4), s.optional_real(5), s.optional_text(6)});
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

std::optional<std::string> Store::get_text(std::int64_t id) const {
  Statement s = statement("SELECT result_json, result_sha256 FROM results WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  std::string text = s.text(0);
  if (core::sha256_hex(text) != s.text(1))
    throw core::WorkError(fmt::format("store {}: result {} is damaged: its text no longer matches its SHA-256", path_, id));
  return text;
}

std::optional<json> Store::get(std::int64_t id) const {
  auto text = get_text(id);
  if (!text) return std::nullopt;
  try {
    return json::parse(*text);
  } catch (const json::parse_error& e) {
    throw core::WorkError(fmt::format("store {}: result {} is not valid JSON: {}", path_, id, e.what()));
  }
}

}  // namespace aicq::store

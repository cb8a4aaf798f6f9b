// The store: migrations applied once and in order, results recorded by `aicq assess` and read back by the API,
// `aicq history` and `aicq show`, and the files that cannot be a store. Every test passes its own --db (or its
// own AICQ_HOME) inside a fresh temporary folder.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "aicq/cli/cli.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/report/terminal.hpp"
#include "aicq/store/store.hpp"

using namespace aicq;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The other tests that run `aicq assess` pass no --db: ctest gives the test binary its own AICQ_HOME
// (tests/CMakeLists.txt); this keeps a direct run of the binary off ~/.local/share as well.
[[maybe_unused]] const bool kOwnHome = [] {
  const fs::path home = fs::temp_directory_path() / ("aicq-unit-home-" + std::to_string(::getuid()));
  ::setenv("AICQ_HOME", home.c_str(), 0);  // an AICQ_HOME already set (ctest) wins
  return true;
}();

struct Outcome {
  int rc;
  std::string out, err;
};

Outcome run(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"aicq"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  const int rc = cli::run(argv, cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

// A fresh folder for the running test.
fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::temp_directory_path() / ("aicq-store-" + std::to_string(::getpid())) /
                     (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string example(const std::string& name) { return std::string(AICQ_SOURCE_DIR) + "/examples/" + name + ".yaml"; }

// Runs `aicq assess` on an example into `db`, writing the result to `out` (none when empty); returns the result
// document as written (or as recorded, without -o).
json assess(const std::string& name, const fs::path& db, const fs::path& out = {}) {
  std::vector<std::string> args{"assess", example(name), "--db", db.string(), "--lang", "en"};
  if (!out.empty()) args.insert(args.end(), {"-o", out.string()});
  const Outcome o = run(args);
  if (o.rc != 0) throw std::runtime_error(o.err);
  if (!out.empty()) return json::parse(slurp(out));
  const auto id = store::Store::open(db.string()).count();
  return *store::Store::open(db.string()).get(id);
}

// Sets an environment variable for one scope.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::int64_t scalar(const store::Store& s, const std::string& sql) {
  store::Statement st = s.statement(sql);
  EXPECT_TRUE(st.step()) << sql;
  return st.int64(0);
}

std::string ptr_string(const json& doc, const char* pointer) { return doc.at(json::json_pointer(pointer)).get<std::string>(); }

}  // namespace

// --- migrations ------------------------------------------------------------------------------------------------

TEST(StoreMigrations, ApplyOnceAndAreRecorded) {
  const fs::path db = fresh_dir() / "aicq.db";
  const auto embedded = store::embedded_migrations();
  ASSERT_FALSE(embedded.empty());
  EXPECT_EQ(embedded.front().name, "20261129-history.sql");
  std::vector<std::string> names;
  for (const auto& m : embedded) names.push_back(m.name);
  for (int i = 0; i < 2; ++i) {  // the second open finds nothing to do
    const store::Store s = store::Store::open(db.string());
    EXPECT_EQ(s.applied_migrations(), names);
    EXPECT_EQ(scalar(s, "SELECT count(*) FROM schema_migrations"), static_cast<std::int64_t>(embedded.size()));
    EXPECT_EQ(scalar(s, "SELECT count(*) FROM schema_migrations WHERE length(sha256) = 64 AND applied LIKE '____-__-__T__:__:__Z'"),
              static_cast<std::int64_t>(embedded.size()));
    EXPECT_EQ(scalar(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('results', 'result_indicators')"), 2);
    EXPECT_EQ(scalar(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'results_by_system'"), 1);
    EXPECT_EQ(scalar(s, "PRAGMA application_id"), 0x61696371);
    store::Statement mode = s.statement("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
  }
}

TEST(StoreMigrations, LaterMigrationsApplyOnceInNameOrder) {
  const fs::path db = fresh_dir() / "aicq.db";
  store::Store::open(db.string());  // a store of today
  auto later = store::embedded_migrations();
  // Listed out of order: applied by name; the second reads the table the first creates.
  later.push_back({"20991231-samples.sql", "INSERT INTO runs (n) VALUES (2);\nCREATE TABLE samples (v REAL) STRICT;"});
  later.push_back({"20991230-runs.sql", "-- runs\nCREATE TABLE runs (n INTEGER) STRICT;\nINSERT INTO runs (n) VALUES (1);\n"});
  for (int i = 0; i < 2; ++i) {
    const store::Store s = store::Store::open(db.string(), later);
    EXPECT_EQ(scalar(s, "SELECT count(*) FROM runs"), 2);  // each script ran exactly once
    store::Statement order = s.statement("SELECT name FROM schema_migrations ORDER BY rowid");
    std::vector<std::string> applied;
    while (order.step()) applied.push_back(order.text(0));
    std::vector<std::string> expected;  // today's embedded migrations, then the two later ones
    for (const auto& m : store::embedded_migrations()) expected.push_back(m.name);
    expected.insert(expected.end(), {"20991230-runs.sql", "20991231-samples.sql"});
    EXPECT_EQ(applied, expected);
  }
  // An older binary (which knows fewer migrations) still opens the store.
  EXPECT_EQ(store::Store::open(db.string()).applied_migrations().size(), store::embedded_migrations().size() + 2);
}

TEST(StoreMigrations, FailedMigrationLeavesNothingBehind) {
  const fs::path db = fresh_dir() / "aicq.db";
  auto broken = store::embedded_migrations();
  broken.push_back({"20991231-broken.sql", "CREATE TABLE half (x INTEGER);\nINSERT INTO nowhere VALUES (1);"});
  try {
    store::Store::open(db.string(), broken);
    FAIL() << "expected a WorkError";
  } catch (const core::WorkError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("20991231-broken.sql"), std::string::npos) << what;
    EXPECT_NE(what.find("no such table: nowhere"), std::string::npos) << what;
    EXPECT_NE(what.find("sqlite3_prepare_v2"), std::string::npos) << what;
    EXPECT_NE(what.find(db.string()), std::string::npos) << what;
  }
  // All pending migrations share one transaction: neither the broken one nor those before it were kept.
  const store::Store s = store::Store::open(db.string());
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'half'"), 0);
  std::vector<std::string> embedded;
  for (const auto& m : store::embedded_migrations()) embedded.push_back(m.name);
  EXPECT_EQ(s.applied_migrations(), embedded);
}

TEST(StoreMigrations, MisnamedMigrationIsRefused) {
  const fs::path db = fresh_dir() / "aicq.db";
  auto migrations = store::embedded_migrations();
  migrations.push_back({"extra.sql", "CREATE TABLE extra (x INTEGER);"});
  EXPECT_THROW(store::Store::open(db.string(), migrations), core::WorkError);
}

// --- paths -----------------------------------------------------------------------------------------------------

TEST(StorePaths, DefaultFollowsAicqHomeThenHome) {
  {
    const EnvGuard home("AICQ_HOME", "/srv/aicq-test");
    EXPECT_EQ(store::default_db_path(), "/srv/aicq-test/aicq.db");
  }
  {
    const EnvGuard aicq_home("AICQ_HOME", nullptr);
    const EnvGuard home("HOME", "/home/someone");
    EXPECT_EQ(store::default_db_path(), "/home/someone/.local/share/aicq/aicq.db");
  }
  {
    const EnvGuard aicq_home("AICQ_HOME", "");  // empty counts as unset
    const EnvGuard home("HOME", "/home/someone");
    EXPECT_EQ(store::default_db_path(), "/home/someone/.local/share/aicq/aicq.db");
  }
}

TEST(StorePaths, AssessWithoutDbRecordsInAicqHomeCreatingItsFolders) {
  const fs::path home = fresh_dir() / "a" / "b";
  const EnvGuard env("AICQ_HOME", home.c_str());
  const Outcome o = run({"assess", example("edge-inference"), "--lang", "en"});
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_TRUE(fs::exists(home / "aicq.db"));
  EXPECT_NE(o.out.find(fmt::format("recorded: result 1 in {} (aicq show 1)\n", (home / "aicq.db").string())), std::string::npos) << o.out;
  const Outcome h = run({"history"});
  EXPECT_EQ(h.rc, 0) << h.err;
  EXPECT_NE(h.out.find("Example Harbour City Edge Inference Site"), std::string::npos) << h.out;
}

// --- the API on real results -----------------------------------------------------------------------------------

TEST(StoreRecord, RoundTripOfRealResults) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  const std::vector<std::string> examples = {"ai-training-center", "cpu-datacenter", "edge-inference"};
  std::vector<json> docs;
  for (const auto& e : examples) docs.push_back(assess(e, db, dir / (e + ".json")));
  const json again = assess("edge-inference", db);  // without -o: recorded, written nowhere

  const store::Store s = store::Store::open(db.string());
  EXPECT_EQ(s.count(), 4);
  const auto rows = s.list(std::nullopt, 10);
  ASSERT_EQ(rows.size(), 4u);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].id, static_cast<std::int64_t>(4 - i));  // newest first
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& r = rows[3 - i];
    const json& d = docs[i];
    const std::string file = (dir / (examples[i] + ".json")).string();
    EXPECT_EQ(r.id, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(r.created, ptr_string(d, "/provenance/created"));
    EXPECT_EQ(r.system, ptr_string(d, "/system/name"));
    EXPECT_EQ(r.operator_name, ptr_string(d, "/system/operator"));
    EXPECT_EQ(r.profile_id, "aicq-default");
    EXPECT_EQ(r.profile_sha256, ptr_string(d, "/profile/sha256"));
    ASSERT_TRUE(r.overall.has_value());
    EXPECT_EQ(*r.overall, d["overall"]["score"].get<double>());
    EXPECT_EQ(r.grade, ptr_string(d, "/overall/grade"));
    EXPECT_EQ(r.grade_status, ptr_string(d, "/overall/grade_status"));
    EXPECT_EQ(r.coverage, d["overall"]["coverage"].get<double>());
    EXPECT_EQ(r.status, "complete");
    EXPECT_EQ(r.written_to, file);
    EXPECT_EQ(r.result_sha256, core::sha256_hex(slurp(file)));
    EXPECT_EQ(s.get(r.id), d);
    EXPECT_EQ(s.get_text(r.id), slurp(file));  // byte for byte
  }
  EXPECT_EQ(rows[0].written_to, "");
  EXPECT_EQ(s.get(4), again);
  EXPECT_EQ(s.get(99), std::nullopt);

  const std::string edge = ptr_string(docs[2], "/system/name");
  const auto only_edge = s.list(edge, 10);
  ASSERT_EQ(only_edge.size(), 2u);
  EXPECT_EQ(only_edge[0].id, 4);
  EXPECT_EQ(only_edge[1].id, 3);
  EXPECT_EQ(s.list(std::nullopt, 2).size(), 2u);
  EXPECT_EQ(s.count(edge), 2);
  EXPECT_EQ(s.systems(), (std::vector<std::string>{"Example Harbour City Edge Inference Site", "Example North AI Training Centre",
                                                   "Example Yangtze Regional Cloud Data Centre"}));

  // Every indicator of every result has its row; a trend is oldest first.
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM result_indicators"), 4 * 12);
  for (const auto& [id, x] : docs[2]["indicators"].items()) {
    const auto t = s.trend(edge, id);
    ASSERT_EQ(t.size(), 2u) << id;
    EXPECT_EQ(t[0].result_id, 3);
    EXPECT_EQ(t[1].result_id, 4);
    EXPECT_EQ(t[0].status, x["status"].get<std::string>());
    EXPECT_EQ(t[0].unit, x["unit"].get<std::string>());
    EXPECT_EQ(t[0].value, x.contains("value") ? std::optional<double>(x["value"].get<double>()) : std::nullopt) << id;
    EXPECT_EQ(t[0].score, x.contains("score") ? std::optional<double>(x["score"].get<double>()) : std::nullopt) << id;
    EXPECT_EQ(t[0].kind, x.contains("kind") ? std::optional<std::string>(x["kind"].get<std::string>()) : std::nullopt) << id;
    const auto latest = s.trend(edge, id, 1);
    ASSERT_EQ(latest.size(), 1u);
    EXPECT_EQ(latest[0].result_id, 4);
  }
  EXPECT_TRUE(s.trend("nobody", "ce.theoretical").empty());
}

TEST(StoreRecord, DocumentWithoutWhatAResultHasIsRefusedWholly) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  json doc = assess("edge-inference", db);
  store::Store s = store::Store::open(db.string());
  doc["overall"].erase("coverage");
  EXPECT_THROW(s.record(doc, ""), core::WorkError);
  EXPECT_THROW(s.record(json::array(), ""), core::WorkError);
  EXPECT_EQ(s.count(), 1);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM result_indicators"), 12);
}

TEST(StoreRecord, DamagedStoredTextIsAFailure) {
  const fs::path db = fresh_dir() / "aicq.db";
  assess("edge-inference", db);
  {
    const store::Store s = store::Store::open(db.string());
    s.statement("UPDATE results SET result_json = '{}' WHERE id = 1").run();
    EXPECT_THROW((void)s.get(1), core::WorkError);
  }
  const Outcome o = run({"show", "1", "--db", db.string()});
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.err.find("result 1 is damaged"), std::string::npos) << o.err;
}

// --- history and show ------------------------------------------------------------------------------------------

TEST(StoreCli, HistoryListsNewestFirst) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  std::vector<json> docs;
  for (const char* e : {"ai-training-center", "cpu-datacenter", "edge-inference"}) docs.push_back(assess(e, db));
  const Outcome o = run({"history", "--db", db.string()});
  ASSERT_EQ(o.rc, 0) << o.err;
  auto line = [](const std::string& id, const std::string& created, const std::string& system, const std::string& overall,
                 const std::string& grade, const std::string& status, const std::string& coverage) {
    return fmt::format("{:<2}  {:<20}  {:<42}  {:<7}  {:<5}  {:<12}  {}\n", id, created, system, overall, grade, status, coverage);
  };
  std::string expected = fmt::format("results in {}, newest first (3 of 3):\n", db.string()) +
                         line("id", "created", "system", "overall", "grade", "grade_status", "coverage");
  for (int i = 2; i >= 0; --i) {
    const json& d = docs[static_cast<std::size_t>(i)];
    expected += line(std::to_string(i + 1), ptr_string(d, "/provenance/created"), ptr_string(d, "/system/name"),
                     fmt::format("{:.3g}", d["overall"]["score"].get<double>()), ptr_string(d, "/overall/grade"),
                     ptr_string(d, "/overall/grade_status"), fmt::format("{:.1f}%", 100 * d["overall"]["coverage"].get<double>()));
  }
  EXPECT_EQ(o.out, expected);

  // --limit keeps the newest and says that there is more; --system filters.
  const Outcome one = run({"history", "--db", db.string(), "--limit", "1"});
  ASSERT_EQ(one.rc, 0) << one.err;
  EXPECT_EQ(one.out.substr(0, one.out.find('\n')), fmt::format("results in {}, newest first (1 of 3):", db.string()));
  EXPECT_NE(one.out.find("\n3   "), std::string::npos) << one.out;
  EXPECT_TRUE(one.out.ends_with("(--limit N shows more)\n")) << one.out;
  const Outcome yangtze = run({"history", "--db", db.string(), "--system", "Example Yangtze Regional Cloud Data Centre"});
  ASSERT_EQ(yangtze.rc, 0) << yangtze.err;
  EXPECT_NE(yangtze.out.find("(1 of 1)"), std::string::npos) << yangtze.out;
  EXPECT_NE(yangtze.out.find("\n2   "), std::string::npos) << yangtze.out;
}

TEST(StoreCli, HistoryTrendOfOneIndicatorOldestFirst) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  const json a = assess("edge-inference", db);
  assess("cpu-datacenter", db);
  const json b = assess("edge-inference", db);
  const std::string system = ptr_string(a, "/system/name");
  const Outcome o = run({"history", "--db", db.string(), "--system", system, "--indicator", "ce.theoretical"});
  ASSERT_EQ(o.rc, 0) << o.err;
  const json& x = a["indicators"]["ce.theoretical"];
  ASSERT_EQ(x["status"], "scored");
  const std::string value = fmt::format("{:.6g}", x["value"].get<double>());
  const std::string score = fmt::format("{:.3g}", x["score"].get<double>());
  const std::string unit = x["unit"].get<std::string>();
  auto line = [&](const std::string& id, const std::string& created, const std::string& v, const std::string& u,
                  const std::string& s, const std::string& k) {
    const std::size_t vw = std::max<std::size_t>(5, value.size()), uw = std::max<std::size_t>(4, unit.size()),
                      sw = std::max<std::size_t>(5, score.size());
    return fmt::format("{:<2}  {:<20}  {:<{}}  {:<{}}  {:<{}}  {}\n", id, created, v, vw, u, uw, s, sw, k);
  };
  const std::string expected =
      fmt::format("ce.theoretical (Theoretical compute efficiency) of '{}' in {}, oldest first (2 results):\n", system, db.string()) +
      line("id", "created", "value", "unit", "score", "kind") +
      line("1", ptr_string(a, "/provenance/created"), value, unit, score, x["kind"].get<std::string>()) +
      line("3", ptr_string(b, "/provenance/created"), value, unit, score, x["kind"].get<std::string>());
  EXPECT_EQ(o.out, expected);
}

TEST(StoreCli, HistoryTrendShowsMissingIndicators) {
  const fs::path dir = fresh_dir();
  const fs::path site = dir / "small.yaml";
  std::ofstream(site) << R"(schema_version: 1
system: {name: Small site}
inventory:
  - {id: gpu, kind: server, count: 4, rated_power: "10.2 kW", accelerators: {model: nvidia-h100-sxm5-80gb, count: 8}}
facility: {pue: 1.2}
)";
  const fs::path db = dir / "aicq.db";
  const Outcome a = run({"assess", site.string(), "--db", db.string()});
  ASSERT_EQ(a.rc, 0) << a.err;
  const json doc = *store::Store::open(db.string()).get(1);
  ASSERT_EQ(doc["indicators"]["sus.openness"]["status"], "missing");
  const Outcome o = run({"history", "--db", db.string(), "--system", "Small site", "--indicator", "sus.openness"});
  ASSERT_EQ(o.rc, 0) << o.err;
  const std::string unit = doc["indicators"]["sus.openness"]["unit"].get<std::string>();
  const std::size_t uw = std::max<std::size_t>(4, unit.empty() ? 1 : unit.size());
  EXPECT_EQ(o.out, fmt::format("sus.openness (Ecosystem openness) of 'Small site' in {}, oldest first (1 result):\n"
                               "id  created               value  {:<{}}  score  kind\n"
                               "1   {}  -      {:<{}}  -      missing\n",
                               db.string(), "unit", uw, ptr_string(doc, "/provenance/created"), unit.empty() ? "-" : unit, uw));
  // A system not in the store, when the store has results: bad input, with a suggestion.
  const Outcome typo = run({"history", "--db", db.string(), "--system", "Smal site"});
  EXPECT_EQ(typo.rc, 2);
  EXPECT_EQ(typo.out, "");
  EXPECT_EQ(typo.err, fmt::format("{}: --system: no results recorded for system 'Smal site'; did you mean 'Small site'?; "
                                  "recorded systems: Small site\n",
                                  db.string()));
}

TEST(StoreCli, HistoryUnknownIndicatorIsBadInputWithSuggestion) {
  const fs::path db = fresh_dir() / "aicq.db";
  const Outcome o = run({"history", "--db", db.string(), "--system", "x", "--indicator", "ce.theoretica"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(o.err.starts_with("ce.theoretica: --indicator: expected an indicator id (one of ce.theoretical, ")) << o.err;
  EXPECT_TRUE(o.err.ends_with("found 'ce.theoretica'; did you mean 'ce.theoretical'?\n")) << o.err;
  EXPECT_FALSE(fs::exists(db));
  // --indicator needs --system
  EXPECT_EQ(run({"history", "--db", db.string(), "--indicator", "ce.theoretical"}).rc, 2);
}

TEST(StoreCli, HistoryOfAnEmptyStoreSaysSo) {
  const fs::path dir = fresh_dir();
  const fs::path absent = dir / "absent.db";
  const Outcome o = run({"history", "--db", absent.string()});
  EXPECT_EQ(o.rc, 0);
  EXPECT_EQ(o.out, fmt::format("no results recorded in {}\n", absent.string()));
  EXPECT_FALSE(fs::exists(absent));  // reading creates nothing
  const fs::path empty = dir / "empty.db";
  store::Store::open(empty.string());
  const Outcome e = run({"history", "--db", empty.string(), "--system", "x", "--indicator", "ce.theoretical"});
  EXPECT_EQ(e.rc, 0);
  EXPECT_EQ(e.out, fmt::format("no results recorded in {}\n", empty.string()));
}

TEST(StoreCli, ShowPrintsTheSummaryAndWritesTheStoredResult) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  const fs::path written = dir / "written.json";
  assess("cpu-datacenter", db);
  const json doc = assess("ai-training-center", db, written);
  const Outcome o = run({"show", "2", "--db", db.string(), "--lang", "en"});
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, report::summary(doc, report::Lang::en));
  const Outcome zh = run({"show", "2", "--db", db.string(), "--lang", "zh"});
  EXPECT_EQ(zh.out, report::summary(doc, report::Lang::zh));
  const fs::path copy = dir / "copy.json";
  const Outcome w = run({"show", "2", "--db", db.string(), "--lang", "en", "-o", copy.string()});
  ASSERT_EQ(w.rc, 0) << w.err;
  EXPECT_EQ(w.out, report::summary(doc, report::Lang::en) + fmt::format("result: {}\n", copy.string()));
  EXPECT_EQ(slurp(copy), slurp(written));  // the canonical document, byte for byte
  // The written copy is a result like any other.
  EXPECT_EQ(run({"rescore", copy.string()}).rc, 0);
}

TEST(StoreCli, ShowUnknownOrMalformedIdIsBadInput) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  assess("edge-inference", db);
  const Outcome o = run({"show", "7", "--db", db.string()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err, fmt::format("{}: ID: no result with id 7 (aicq history lists the ids)\n", db.string()));
  for (const char* bad : {"abc", "0", "-1", "1x", "99999999999999999999"}) {
    const Outcome b = run({"show", bad, "--db", db.string()});
    EXPECT_EQ(b.rc, 2) << bad;
    EXPECT_NE(b.err.find("expected a result id"), std::string::npos) << bad << ": " << b.err;
  }
  const fs::path absent = dir / "absent.db";
  const Outcome a = run({"show", "1", "--db", absent.string()});
  EXPECT_EQ(a.rc, 2);
  EXPECT_EQ(a.err, fmt::format("{}: ID: no result with id 1: no results recorded\n", absent.string()));
  EXPECT_FALSE(fs::exists(absent));
}

// --- files that cannot be a store --------------------------------------------------------------------------------

TEST(StoreCli, CorruptDatabaseIsBadInputNamingTheFile) {
  const fs::path dir = fresh_dir();
  for (const std::string& garbage : {std::string("hello\n"), std::string(8192, 'x')}) {
    const fs::path db = dir / "garbage.db";
    std::ofstream(db, std::ios::binary) << garbage;
    const fs::path out = dir / "result.json";
    const std::string expected = fmt::format("{}: not an aicq store: not an SQLite database, or a damaged one (file is not a database)\n",
                                             db.string());
    const Outcome a = run({"assess", example("edge-inference"), "-o", out.string(), "--db", db.string()});
    EXPECT_EQ(a.rc, 2);
    EXPECT_EQ(a.err, expected);
    EXPECT_FALSE(fs::exists(out));  // reported before any work
    for (const auto& args : std::vector<std::vector<std::string>>{{"history", "--db", db.string()}, {"show", "1", "--db", db.string()}}) {
      const Outcome o = run(args);
      EXPECT_EQ(o.rc, 2) << args[0];
      EXPECT_EQ(o.err, expected) << args[0];
    }
    EXPECT_THROW(store::Store::open(db.string()), core::InputError);
    EXPECT_EQ(slurp(db), garbage);  // left as it was
  }
}

TEST(StoreCli, AnotherProgramsDatabaseIsBadInput) {
  const fs::path db = fresh_dir() / "other.db";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE contacts (name TEXT)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  const Outcome o = run({"history", "--db", db.string()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err, fmt::format("{}: not an aicq store: an SQLite database of another program (it has tables, none of them aicq's)\n",
                               db.string()));
}

TEST(StoreCli, MissingFolderIsBadInput) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "no-such-folder" / "aicq.db";
  const std::string expected =
      fmt::format("{}: cannot open the store: the folder '{}' does not exist\n", db.string(), (dir / "no-such-folder").string());
  const fs::path out = dir / "result.json";
  for (const auto& args : std::vector<std::vector<std::string>>{{"assess", example("edge-inference"), "-o", out.string(), "--db", db.string()},
                                                                {"history", "--db", db.string()},
                                                                {"show", "1", "--db", db.string()}}) {
    const Outcome o = run(args);
    EXPECT_EQ(o.rc, 2) << args[0];
    EXPECT_EQ(o.err, expected) << args[0];
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir / "no-such-folder"));
  // A folder given as the store
  const Outcome f = run({"history", "--db", dir.string()});
  EXPECT_EQ(f.rc, 2);
  EXPECT_EQ(f.err, fmt::format("{}: expected a store (an SQLite file), found a folder\n", dir.string()));
}

TEST(StoreCli, AssessWithoutOutputStillRecords) {
  const fs::path db = fresh_dir() / "aicq.db";
  const Outcome o = run({"assess", example("edge-inference"), "--db", db.string(), "--lang", "en"});
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_TRUE(o.out.ends_with(fmt::format("(write the result with -o FILE)\nrecorded: result 1 in {} (aicq show 1)\n", db.string())))
      << o.out;
  const auto rows = store::Store::open(db.string()).list(std::nullopt, 5);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].written_to, "");
}

TEST(StoreCli, FailureToRecordKeepsTheResultFile) {
  const fs::path dir = fresh_dir();
  const fs::path db = dir / "aicq.db";
  {
    const store::Store s = store::Store::open(db.string());
    s.statement("CREATE TRIGGER refuse BEFORE INSERT ON results BEGIN SELECT RAISE(ABORT, 'the disk says no'); END").run();
  }
  const fs::path out = dir / "result.json";
  const Outcome o = run({"assess", example("edge-inference"), "-o", out.string(), "--db", db.string(), "--lang", "en"});
  EXPECT_EQ(o.rc, 1);
  ASSERT_TRUE(fs::exists(out));
  const json doc = json::parse(slurp(out));
  EXPECT_EQ(doc["status"], "complete");
  EXPECT_TRUE(o.out.starts_with(report::summary(doc, report::Lang::en))) << o.out;
  EXPECT_NE(o.err.find("aicq: warning: the result was not recorded in the store: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("the disk says no"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(fmt::format("aicq: the result file was written: {}\n", out.string())), std::string::npos) << o.err;
  EXPECT_EQ(store::Store::open(db.string()).count(), 0);
}

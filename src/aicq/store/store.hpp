// The store: one SQLite database (conventions: paths) that holds the result history and, as later features
// land, telemetry samples and runs.
//
// Schema changes are migrations: files src/aicq/store/migrations/YYYYMMDD-feature.sql, listed in
// src/aicq/CMakeLists.txt (aicq_embed_files … migration_files) and so embedded in the binary. Opening a store
// applies the ones it has not seen, in name order, each inside its own transaction together with its row in
// `schema_migrations` (name, sha256 of its text, UTC time applied), so every migration applies exactly once.
// A feature that needs tables adds a migration file and its methods on Store, written with Statement and
// Transaction below (prepared statements with bound parameters only).
//
// Errors: every SQLite call is checked; a failure throws core::WorkError naming the call, the database and
// sqlite3_errmsg (exit 1). A path the user gave (--db) that cannot be a store — its folder is missing, it is a
// folder, it is not an SQLite database, or it is another program's database — throws core::InputError naming
// the file (exit 2). The default store's folder is created as needed; problems with it are WorkErrors.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace aicq::store {

/// `$AICQ_HOME/aicq.db`, AICQ_HOME defaulting to `~/.local/share/aicq` (conventions: paths). Creates nothing.
/// Throws core::WorkError when neither AICQ_HOME nor a home folder is known.
std::string default_db_path();

/// One schema migration: file name "YYYYMMDD-feature.sql" and its SQL text (statements without BEGIN/COMMIT).
struct Migration {
  std::string name;
  std::string sql;
};

/// The migrations embedded in this binary, sorted by name. Throws core::WorkError for a misnamed file.
std::vector<Migration> embedded_migrations();

/// A prepared statement. Parameters are 1-based as in SQLite; columns 0-based.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql, std::string_view db_path);
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, double v);
  Statement& bind(int index, std::string_view v);
  Statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  Statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Statement& bind_null(int index);
  /// NULL when empty.
  Statement& bind(int index, const std::optional<double>& v);
  Statement& bind(int index, const std::optional<std::string>& v);

  /// Runs to the next row: true when a row is available, false when done.
  bool step();
  /// Steps once and expects no row (INSERT, UPDATE, DDL).
  void run();
  /// Ready to run again with new bindings.
  void reset();

  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] double real(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::optional<double> optional_real(int column) const;
  [[nodiscard]] std::optional<std::string> optional_text(int column) const;

 private:
  void check(int rc, const char* call) const;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  std::string db_path_;
};

/// One row of `aicq history`.
struct ResultRow {
  std::int64_t id = 0;
  std::string created;  // provenance.created of the result (UTC, ISO 8601)
  std::string recorded;  // when it was recorded (UTC, ISO 8601)
  std::string system;
  std::optional<std::string> operator_name;
  std::string profile_id, profile_sha256;
  std::optional<double> overall;  // absent when no dimension could be scored
  std::optional<std::string> grade;
  std::string grade_status;  // final | provisional
  double coverage = 0;       // 0..1
  std::string status;        // complete | interrupted | invalid
  std::string written_to;    // the file the result was written to; empty when it was not written
  std::string result_sha256;  // of the canonical text
};

/// One indicator of one result, for trends.
struct TrendPoint {
  std::int64_t result_id = 0;
  std::string created;
  std::string status;  // scored | missing
  std::optional<double> value;
  std::string unit;
  std::optional<double> score;
  std::optional<std::string> kind;  // measured | imported | declared | estimated
};

/// A telemetry run as recorded.
struct TelemetryRun {
  std::string command;  // "monitor" | "run"
  std::string host;
  double started_unix_s = 0;
  double interval_s = 1;
  nlohmann::json sources = nlohmann::json::array();  // the samplers: id, source, quality, kind, model
};

struct TelemetryRunRow {
  std::int64_t id = 0;
  std::string command, host;
  double started_unix_s = 0;
  std::optional<double> ended_unix_s;  // empty while running, or after a crash
  double interval_s = 0;
  nlohmann::json sources;
  std::int64_t samples = 0;  // raw samples still kept
};

/// One time series of a run (telemetry::Channel plus its sampler).
struct TelemetryChannel {
  std::string sampler, metric, device, unit;
  bool counter = false;
  std::string scope = "none";          // none | node | component | part
  std::optional<std::string> quality;  // Q0..Q3 for power and energy
  std::string kind = "measured";       // measured | estimated
};

struct TelemetrySample {
  std::int64_t channel_id = 0;
  double t_unix_s = 0;
  double value = 0;
};

/// One channel summarised over a window.
struct TelemetryWindowRow {
  std::int64_t run_id = 0, channel_id = 0;
  TelemetryChannel channel;
  std::int64_t n = 0;
  double mean = 0, min = 0, max = 0;
  std::optional<double> energy_j;  // power_w: trapezoid over the samples; energy_j counters: last − first
  bool from_aggregates = false;    // true when 1-minute aggregates stood in for pruned raw samples
};

class Store {
 public:
  /// Opens (creating when absent) the store at `path` and applies pending migrations. An empty path means
  /// default_db_path(), whose folders are created as needed; a path the user gave must lie in an existing
  /// folder (core::InputError otherwise, as for a file that is not a store).
  static Store open(const std::string& path);
  /// As open(), with the given migrations instead of the embedded ones (tests; tools that check a schema).
  static Store open(const std::string& path, const std::vector<Migration>& migrations);
  /// For commands that only read: nullopt when the file does not exist (nothing is created), after checking
  /// the folder as open() does.
  static std::optional<Store> open_existing(const std::string& path);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  /// The database file.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Records a result document (as aicq assess writes it) and the file it was written to ("" for none);
  /// returns its id. Stores the canonical text (RFC 8785) and its SHA-256, the summary columns and one row
  /// per indicator, in one transaction. Throws core::WorkError when the document lacks what a result has.
  std::int64_t record(const nlohmann::json& result, const std::string& written_to);

  /// Results, newest first (by created, then id); only those of `system` when given; at most `limit`.
  [[nodiscard]] std::vector<ResultRow> list(const std::optional<std::string>& system, std::int64_t limit) const;
  /// How many results are recorded (of `system` when given).
  [[nodiscard]] std::int64_t count(const std::optional<std::string>& system = std::nullopt) const;
  /// Names of the systems with recorded results, sorted.
  [[nodiscard]] std::vector<std::string> systems() const;

  /// One indicator of one system over time, oldest first; the latest `limit` results when given.
  [[nodiscard]] std::vector<TrendPoint> trend(const std::string& system, const std::string& indicator,
                                              std::optional<std::int64_t> limit = std::nullopt) const;

  /// The stored result document; nullopt for an unknown id. Throws core::WorkError when the stored text no
  /// longer matches its SHA-256.
  [[nodiscard]] std::optional<nlohmann::json> get(std::int64_t id) const;
  /// The stored canonical text, byte for byte as recorded; same contract as get().
  [[nodiscard]] std::optional<std::string> get_text(std::int64_t id) const;

  /// Names of the migrations recorded in schema_migrations, in name order.
  [[nodiscard]] std::vector<std::string> applied_migrations() const;

  /// A prepared statement on this store (for the methods of later features).
  [[nodiscard]] Statement statement(std::string_view sql) const;

  // --- telemetry (migration 20261129-telemetry.sql; written by telemetry::Recorder, read by aicq monitor,
  // aicq utilization and the /metrics server). Times are Unix seconds (UTC, fractional). Every write is one
  // transaction (BEGIN IMMEDIATE, busy_timeout), so two writers queue rather than fail, and a crash loses at
  // most the transaction in flight (WAL journal: the file is never left half-written).

  /// How long a statement waits for another writer's lock before failing with "database is locked"
  /// (default 10 s).
  void set_busy_timeout(std::chrono::milliseconds timeout);

  /// Opens a telemetry run (a monitor session or the sampling of an aicq run); returns its id.
  std::int64_t begin_telemetry_run(const TelemetryRun& run);
  /// Declares the channels of a run; returns their ids in the same order.
  std::vector<std::int64_t> add_telemetry_channels(std::int64_t run_id, const std::vector<TelemetryChannel>& channels);
  /// Appends samples (NaN values are skipped) and folds them into the 1-minute aggregates, in one transaction.
  void append_telemetry_samples(std::span<const TelemetrySample> samples);
  /// Closes a run (its end time). A run a crash left open keeps ended = NULL.
  void end_telemetry_run(std::int64_t run_id, double ended_unix_s);
  /// Runs, newest first, at most `limit`.
  [[nodiscard]] std::vector<TelemetryRunRow> telemetry_runs(std::int64_t limit = 50) const;
  /// Per channel over [t0, t1]: count, mean, min, max (raw samples; 1-minute aggregates for times whose raw
  /// samples were pruned), and for power channels the trapezoidal energy, for counters last − first.
  /// Only channels of `run_id` when given.
  [[nodiscard]] std::vector<TelemetryWindowRow> telemetry_window(double t0_unix_s, double t1_unix_s,
                                                                 std::optional<std::int64_t> run_id = std::nullopt) const;
  /// Deletes raw samples older than now − raw_keep_s and aggregates older than now − aggregate_keep_s, then
  /// runs left without data; returns the number of rows deleted.
  std::int64_t prune_telemetry(double now_unix_s, double raw_keep_s, double aggregate_keep_s);

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Store(std::unique_ptr<sqlite3, Closer> db, std::string path);
  void migrate(const std::vector<Migration>& migrations);
  void exec(std::string_view sql) const;

  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;

  friend class Transaction;
};

/// BEGIN IMMEDIATE … COMMIT; rolled back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(const Store& store);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  const Store& store_;
  bool done_ = false;
};

}  // namespace aicq::store

// The store's telemetry tables: window arithmetic, aggregates and retention, two writers, a locked database,
// a corrupt file, and a writer killed in the middle of its transactions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <thread>

#include "aicq/store/store.hpp"
#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace std::chrono_literals;

namespace {

std::int64_t scalar(const store::Store& s, const char* sql) {
  store::Statement q = s.statement(sql);
  q.step();
  return q.int64(0);
}

struct TestRun {
  std::int64_t id;
  std::vector<std::int64_t> channels;  // power_w, energy_j
};

TestRun make_run(store::Store& s, double started) {
  store::TelemetryRun r;
  r.command = "monitor";
  r.host = "test";
  r.started_unix_s = started;
  r.interval_s = 1;
  const std::int64_t id = s.begin_telemetry_run(r);
  return {id, s.add_telemetry_channels(id, {{"rapl", "power_w", "package-0", "W", false, "component", "Q1", "measured"},
                                            {"rapl", "energy_j", "package-0", "J", true, "component", "Q1", "measured"}})};
}

// A raw connection that holds the write lock until released (another program writing).
class WriteLock {
 public:
  explicit WriteLock(const fs::path& db) {
    sqlite3_open(db.c_str(), &db_);
    sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  }
  void release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }
  ~WriteLock() { release(); }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

TEST(TelemetryStore, WindowMeansAndEnergyHandComputed) {
  const fs::path db = test::fresh("ts-window") / "aicq.db";
  store::Store s = store::Store::open(db.string());
  const TestRun r = make_run(s, 1000);
  const double t[] = {1000, 1001, 1002, 1004};
  const double p[] = {100, 110, 120, 130};
  const double e[] = {0, 50, 120, 300};
  std::vector<store::TelemetrySample> batch;
  for (int i = 0; i < 4; ++i) {
    batch.push_back({r.channels[0], t[i], p[i]});
    batch.push_back({r.channels[1], t[i], e[i]});
  }
  batch.push_back({r.channels[0], 1005, std::nan("")});  // a value a source did not give: skipped
  s.append_telemetry_samples(batch);
  const auto rows = s.telemetry_window(1000, 1004, r.id);
  ASSERT_EQ(rows.size(), 2u);
  const auto& pw = rows[0].channel.metric == "power_w" ? rows[0] : rows[1];
  const auto& en = rows[0].channel.metric == "power_w" ? rows[1] : rows[0];
  EXPECT_EQ(pw.n, 4);
  EXPECT_DOUBLE_EQ(pw.mean, 115.0);  // (100 + 110 + 120 + 130) / 4
  EXPECT_EQ(pw.min, 100.0);
  EXPECT_EQ(pw.max, 130.0);
  // ½(100 + 110)·1 + ½(110 + 120)·1 + ½(120 + 130)·2 = 105 + 115 + 250 = 470 J
  ASSERT_TRUE(pw.energy_j);
  EXPECT_DOUBLE_EQ(*pw.energy_j, 470.0);
  ASSERT_TRUE(en.energy_j);
  EXPECT_DOUBLE_EQ(*en.energy_j, 300.0) << "counter: last − first";
  EXPECT_EQ(pw.channel.quality, "Q1");
  EXPECT_FALSE(pw.from_aggregates);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_samples"), 8) << "the NaN was not stored";
}

TEST(TelemetryStore, AggregatesOutliveRawSamples) {
  const fs::path db = test::fresh("ts-retention") / "aicq.db";
  store::Store s = store::Store::open(db.string());
  const TestRun r = make_run(s, 6000);
  // Minute 100 (t 6000–6059): 10, 20, 30 W at 6000, 6020, 6040; minute 101: 40 W at 6060.
  s.append_telemetry_samples(std::vector<store::TelemetrySample>{
      {r.channels[0], 6000, 10}, {r.channels[0], 6020, 20}, {r.channels[0], 6040, 30}, {r.channels[0], 6060, 40}});
  s.end_telemetry_run(r.id, 6060);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_minutes"), 2);
  EXPECT_EQ(scalar(s, "SELECT n FROM telemetry_minutes WHERE minute = 100"), 3);
  // Now = 10000: raw samples older than 1000 s go (all four), aggregates older than 1 day stay.
  EXPECT_EQ(s.prune_telemetry(10000, 1000, 86400), 4);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_samples"), 0);
  const auto rows = s.telemetry_window(6000, 6060, r.id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].from_aggregates);
  EXPECT_EQ(rows[0].n, 4);
  EXPECT_DOUBLE_EQ(rows[0].mean, 25.0);  // (10 + 20 + 30 + 40) / 4
  EXPECT_EQ(rows[0].min, 10.0);
  EXPECT_EQ(rows[0].max, 40.0);
  // Later the aggregates go too, and then the run that has no data left.
  EXPECT_EQ(s.prune_telemetry(6060 + 86400 * 2, 1000, 86400), 2 + 1);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_runs"), 0);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_channels"), 0) << "cascaded";
}

TEST(TelemetryStore, TwoWritersAtOnce) {
  const fs::path db = test::fresh("ts-two") / "aicq.db";
  store::Store::open(db.string());
  auto writer = [&](double base) {
    store::Store s = store::Store::open(db.string());
    const TestRun r = make_run(s, base);
    for (int b = 0; b < 40; ++b) {
      std::vector<store::TelemetrySample> batch;
      for (int i = 0; i < 10; ++i) batch.push_back({r.channels[0], base + b * 10 + i, static_cast<double>(i)});
      s.append_telemetry_samples(batch);  // one transaction per interval, as the recorder writes
    }
  };
  std::thread a(writer, 1e6), b(writer, 2e6);
  a.join();
  b.join();
  const store::Store s = store::Store::open(db.string());
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_runs"), 2);
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_samples"), 2 * 40 * 10);
  store::Statement check = s.statement("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
}

TEST(TelemetryStore, LockedDatabaseWaitsThenFailsClearlyAndLosesNothing) {
  const fs::path db = test::fresh("ts-locked") / "aicq.db";
  store::Store s = store::Store::open(db.string());
  const TestRun r = make_run(s, 500);
  {
    // Held briefly: the append waits for it (busy timeout) and succeeds.
    WriteLock lock(db);
    std::thread release([&] {
      std::this_thread::sleep_for(300ms);
      lock.release();
    });
    s.append_telemetry_samples(std::vector<store::TelemetrySample>{{r.channels[0], 500, 1}});
    release.join();
  }
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_samples"), 1);
  {
    // Held longer than the timeout: a WorkError that says the database is locked, and nothing half-written.
    WriteLock lock(db);
    s.set_busy_timeout(100ms);
    try {
      s.append_telemetry_samples(std::vector<store::TelemetrySample>{{r.channels[0], 501, 2}});
      FAIL() << "expected a WorkError";
    } catch (const core::WorkError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("locked"), std::string::npos) << what;
      EXPECT_NE(what.find(db.string()), std::string::npos) << what;
    }
  }
  s.append_telemetry_samples(std::vector<store::TelemetrySample>{{r.channels[0], 501, 2}});  // retried once free
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_samples"), 2);
}

TEST(TelemetryStore, RecorderKeepsSamplesWhileTheStoreIsLocked) {
  const fs::path root = test::fresh("ts-rec-root");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  test::write_text(root / "proc/meminfo", test::slurp(test::fixture("proc/meminfo")));
  const fs::path db = test::fresh("ts-rec-locked") / "aicq.db";
  std::vector<std::unique_ptr<telemetry::Sampler>> samplers;
  samplers.push_back(std::make_unique<telemetry::ProcfsSampler>(root.string()));
  telemetry::Config c;
  c.interval = 100ms;
  c.db = db.string();
  telemetry::Recorder rec(c, std::move(samplers));
  rec.start();
  {
    WriteLock lock(db);  // another writer holds the store for 0.5 s while samples arrive
    std::this_thread::sleep_for(500ms);
  }
  std::this_thread::sleep_for(300ms);
  rec.stop();
  EXPECT_TRUE(rec.store_errors().empty()) << rec.store_errors().front();
  const store::Store s = store::Store::open(db.string());
  // memory_used and memory_total have a value at every sample (the recorded meminfo does not change).
  EXPECT_EQ(scalar(s, "SELECT count(*) FROM telemetry_samples x JOIN telemetry_channels c ON c.id = x.channel_id"
                      " WHERE c.metric = 'memory_total_bytes'"),
            rec.status()[0].samples);
}

TEST(TelemetryStore, CorruptFileIsAClearErrorAndStaysUntouched) {
  const fs::path dir = test::fresh("ts-corrupt");
  const fs::path db = dir / "aicq.db";
  std::string garbage(8192, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) % 251);
  test::write_text(db, garbage);
  // A file the user named (--db): bad input, exit 2.
  try {
    store::Store::open(db.string());
    FAIL() << "expected an InputError";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not an aicq store"), std::string::npos) << e.what();
  }
  telemetry::Config c;
  c.interval = 100ms;
  c.db = db.string();
  telemetry::Recorder rec(c, {});
  EXPECT_THROW(rec.start(), core::InputError) << "nothing starts sampling into a store that cannot be one";
  EXPECT_EQ(test::slurp(db), garbage) << "the file is not overwritten";
  // The default store ($AICQ_HOME/aicq.db) damaged: a failure while working, exit 1.
  const char* old = std::getenv("AICQ_HOME");
  const std::string saved = old ? old : "";
  ::setenv("AICQ_HOME", dir.c_str(), 1);
  EXPECT_THROW(store::Store::open(""), core::WorkError);
  if (old) ::setenv("AICQ_HOME", saved.c_str(), 1);
  else ::unsetenv("AICQ_HOME");
  EXPECT_EQ(test::slurp(db), garbage);
}

TEST(TelemetryStore, WriterKilledMidRunLeavesAConsistentDatabase) {
  const fs::path db = test::fresh("ts-crash") / "aicq.db";
  store::Store::open(db.string());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Appends batches of 10 samples, one transaction each, until killed.
    try {
      store::Store s = store::Store::open(db.string());
      const TestRun r = make_run(s, 0);
      for (int b = 0;; ++b) {
        std::vector<store::TelemetrySample> batch;
        for (int i = 0; i < 10; ++i) batch.push_back({r.channels[0], b * 10.0 + i, 1.0});
        s.append_telemetry_samples(batch);
      }
    } catch (...) {
    }
    ::_exit(3);
  }
  // Kill it once some batches are in (polling a second connection), mid-stream.
  std::int64_t seen = 0;
  for (int i = 0; i < 500 && seen < 50; ++i) {
    std::this_thread::sleep_for(10ms);
    try {
      const store::Store s = store::Store::open(db.string());
      seen = scalar(s, "SELECT count(*) FROM telemetry_samples");
    } catch (const core::WorkError&) {
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer was still writing when killed";
  const store::Store s = store::Store::open(db.string());
  store::Statement check = s.statement("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  const std::int64_t n = scalar(s, "SELECT count(*) FROM telemetry_samples");
  EXPECT_GE(n, 50);
  EXPECT_EQ(n % 10, 0) << "whole transactions only: a batch is all there or not at all";
  EXPECT_EQ(scalar(s, "SELECT sum(n) FROM telemetry_minutes"), n) << "aggregates written in the same transactions";
}

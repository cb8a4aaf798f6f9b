// The store's telemetry tables (migration 20261129-telemetry.sql): runs, channels, raw samples, 1-minute
// aggregates, retention. Additive methods of Store, written with its Statement and Transaction.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>

#include "aicq/core/diagnostics.hpp"
#include "aicq/store/store.hpp"

namespace aicq::store {

using nlohmann::json;

void Store::set_busy_timeout(std::chrono::milliseconds timeout) {
  const int rc = sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout.count()));
  if (rc != SQLITE_OK) throw core::WorkError(fmt::format("store {}: sqlite3_busy_timeout failed: {}", path_, sqlite3_errstr(rc)));
}

std::int64_t Store::begin_telemetry_run(const TelemetryRun& run) {
  Transaction t(*this);
  Statement s = statement(
      "INSERT INTO telemetry_runs (command, host, started, interval_s, sources) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
  s.bind(1, std::string_view(run.command))
      .bind(2, std::string_view(run.host))
      .bind(3, run.started_unix_s)
      .bind(4, run.interval_s)
      .bind(5, std::string_view(run.sources.dump()));
  if (!s.step()) throw core::WorkError(fmt::format("store {}: INSERT INTO telemetry_runs returned no id", path_));
  const std::int64_t id = s.int64(0);
  s.run();
  t.commit();
  return id;
}

std::vector<std::int64_t> Store::add_telemetry_channels(std::int64_t run_id, const std::vector<TelemetryChannel>& channels) {
  Transaction t(*this);
  Statement s = statement(
      "INSERT INTO telemetry_channels (run_id, sampler, metric, device, unit, counter, scope, quality, kind)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id");
  std::vector<std::int64_t> ids;
  for (const auto& c : channels) {
    s.reset();
    s.bind(1, run_id)
        .bind(2, std::string_view(c.sampler))
        .bind(3, std::string_view(c.metric))
        .bind(4, std::string_view(c.device))
        .bind(5, std::string_view(c.unit))
        .bind(6, static_cast<std::int64_t>(c.counter ? 1 : 0))
        .bind(7, std::string_view(c.scope))
        .bind(8, c.quality)
        .bind(9, std::string_view(c.kind));
    if (!s.step()) throw core::WorkError(fmt::format("store {}: INSERT INTO telemetry_channels returned no id", path_));
    ids.push_back(s.int64(0));
    s.run();
  }
  t.commit();
  return ids;
}

void Store::append_telemetry_samples(std::span<const TelemetrySample> samples) {
  if (samples.empty()) return;
  Transaction t(*this);
  Statement raw = statement("INSERT INTO telemetry_samples (channel_id, t, value) VALUES (?1, ?2, ?3)");
  Statement minute = statement(
      "INSERT INTO telemetry_minutes (channel_id, minute, n, total, minimum, maximum, first_t, first_v, last_t, last_v)"
      " VALUES (?1, ?2, 1, ?3, ?3, ?3, ?4, ?3, ?4, ?3)"
      " ON CONFLICT (channel_id, minute) DO UPDATE SET n = n + 1, total = total + excluded.total,"
      " minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum),"
      " last_t = excluded.last_t, last_v = excluded.last_v");
  for (const auto& x : samples) {
    if (!std::isfinite(x.value)) continue;
    raw.reset();
    raw.bind(1, x.channel_id).bind(2, x.t_unix_s).bind(3, x.value);
    raw.run();
    minute.reset();
    minute.bind(1, x.channel_id).bind(2, static_cast<std::int64_t>(std::floor(x.t_unix_s / 60))).bind(3, x.value).bind(4, x.t_unix_s);
    minute.run();
  }
  t.commit();
}

void Store::end_telemetry_run(std::int64_t run_id, double ended_unix_s) {
  Transaction t(*this);
  Statement s = statement("UPDATE telemetry_runs SET ended = ?2 WHERE id = ?1");
  s.bind(1, run_id).bind(2, ended_unix_s);
  s.run();
  t.commit();
}

std::vector<TelemetryRunRow> Store::telemetry_runs(std::int64_t limit) const {
  Statement s = statement(
      "SELECT r.id, r.command, r.host, r.started, r.ended, r.interval_s, r.sources,"
      " (SELECT count(*) FROM telemetry_samples x JOIN telemetry_channels c ON c.id = x.channel_id WHERE c.run_id = r.id)"
      " FROM telemetry_runs r ORDER BY r.started DESC, r.id DESC LIMIT ?1");
  s.bind(1, limit);
  std::vector<TelemetryRunRow> out;
  while (s.step()) {
    TelemetryRunRow r;
    r.id = s.int64(0);
    r.command = s.text(1);
    r.host = s.text(2);
    r.started_unix_s = s.real(3);
    r.ended_unix_s = s.optional_real(4);
    r.interval_s = s.real(5);
    r.sources = json::parse(s.text(6), nullptr, false);
    r.samples = s.int64(7);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<TelemetryWindowRow> Store::telemetry_window(double t0, double t1, std::optional<std::int64_t> run_id) const {
  std::map<std::int64_t, TelemetryWindowRow> rows;  // by channel id
  {
    Statement c = statement(
        "SELECT id, run_id, sampler, metric, device, unit, counter, scope, quality, kind FROM telemetry_channels"
        " WHERE ?1 IS NULL OR run_id = ?1");
    if (run_id) c.bind(1, *run_id);
    else c.bind_null(1);
    while (c.step()) {
      TelemetryWindowRow r;
      r.channel_id = c.int64(0);
      r.run_id = c.int64(1);
      r.channel = TelemetryChannel{c.text(2), c.text(3), c.text(4), c.text(5), c.int64(6) != 0, c.text(7), c.optional_text(8), c.text(9)};
      rows.emplace(r.channel_id, std::move(r));
    }
  }
  // Raw samples, streamed in channel and time order.
  {
    Statement s = statement(
        "SELECT channel_id, t, value FROM telemetry_samples WHERE t >= ?1 AND t <= ?2 ORDER BY channel_id, t");
    s.bind(1, t0).bind(2, t1);
    std::int64_t current = -1;
    TelemetryWindowRow* r = nullptr;
    double sum = 0, prev_t = 0, prev_v = 0, first_v = 0;
    auto finish = [&] {
      if (!r || r->n == 0) return;
      r->mean = sum / static_cast<double>(r->n);
      if (r->channel.counter) r->energy_j = prev_v - first_v;
    };
    while (s.step()) {
      const std::int64_t id = s.int64(0);
      const double t = s.real(1), v = s.real(2);
      if (id != current) {
        finish();
        current = id;
        const auto it = rows.find(id);
        r = it == rows.end() ? nullptr : &it->second;
        sum = 0;
        if (r) {
          r->n = 0;
          r->min = r->max = v;
          first_v = v;
          if (r->channel.metric == "power_w") r->energy_j = 0.0;
        }
      } else if (r && r->channel.metric == "power_w") {
        *r->energy_j += 0.5 * (prev_v + v) * (t - prev_t);  // trapezoid
      }
      if (r) {
        ++r->n;
        sum += v;
        r->min = std::min(r->min, v);
        r->max = std::max(r->max, v);
      }
      prev_t = t;
      prev_v = v;
    }
    finish();
  }
  // Channels without raw samples in the window: their 1-minute aggregates (raw samples pruned).
  {
    Statement a = statement(
        "SELECT channel_id, n, total, minimum, maximum, first_t, first_v, last_t, last_v FROM telemetry_minutes"
        " WHERE minute >= ?1 AND minute <= ?2 ORDER BY channel_id, minute");
    a.bind(1, static_cast<std::int64_t>(std::floor(t0 / 60))).bind(2, static_cast<std::int64_t>(std::floor(t1 / 60)));
    std::map<std::int64_t, double> sums, firsts;
    while (a.step()) {
      const auto it = rows.find(a.int64(0));
      if (it == rows.end()) continue;
      TelemetryWindowRow& r = it->second;
      if (r.n > 0 && !r.from_aggregates) continue;  // raw samples exist
      const std::int64_t n = a.int64(1);
      const double total = a.real(2), lo = a.real(3), hi = a.real(4);
      const double first_t = a.real(5), last_t = a.real(7), last_v = a.real(8);
      if (!r.from_aggregates) {
        r.from_aggregates = true;
        r.min = lo;
        r.max = hi;
        firsts[r.channel_id] = a.real(6);
      }
      r.n += n;
      sums[r.channel_id] += total;
      r.min = std::min(r.min, lo);
      r.max = std::max(r.max, hi);
      if (r.channel.counter) r.energy_j = last_v - firsts[r.channel_id];
      // Power: the minute's mean over the part of its sampled span inside the window.
      if (r.channel.metric == "power_w") {
        const double span = std::max(0.0, std::min(t1, last_t) - std::max(t0, first_t));
        r.energy_j = r.energy_j.value_or(0) + total / static_cast<double>(n) * span;
      }
    }
    for (auto& [id, sum] : sums) {
      TelemetryWindowRow& r = rows.at(id);
      r.mean = sum / static_cast<double>(r.n);
    }
  }
  std::vector<TelemetryWindowRow> out;
  for (auto& [id, r] : rows)
    if (r.n > 0) out.push_back(std::move(r));
  return out;
}

std::int64_t Store::prune_telemetry(double now, double raw_keep_s, double aggregate_keep_s) {
  Transaction t(*this);
  std::int64_t deleted = 0;
  auto changes = [&] {
    Statement c = statement("SELECT changes()");
    c.step();
    return c.int64(0);
  };
  {
    Statement s = statement("DELETE FROM telemetry_samples WHERE t < ?1");
    s.bind(1, now - raw_keep_s);
    s.run();
  }
  deleted += changes();
  {
    Statement s = statement("DELETE FROM telemetry_minutes WHERE minute < ?1");
    s.bind(1, static_cast<std::int64_t>(std::floor((now - aggregate_keep_s) / 60)));
    s.run();
  }
  deleted += changes();
  {
    Statement s = statement(
        "DELETE FROM telemetry_runs WHERE ended IS NOT NULL AND ended < ?1 AND NOT EXISTS ("
        " SELECT 1 FROM telemetry_channels c JOIN telemetry_minutes m ON m.channel_id = c.id WHERE c.run_id = telemetry_runs.id)"
        " AND NOT EXISTS ("
        " SELECT 1 FROM telemetry_channels c JOIN telemetry_samples x ON x.channel_id = c.id WHERE c.run_id = telemetry_runs.id)");
    s.bind(1, now - aggregate_keep_s);
    s.run();
  }
  deleted += changes();
  t.commit();
  return deleted;
}

}  // namespace aicq::store

// The sampling loop: one thread on the monotonic clock, a fixed interval, every sampler read in turn into one
// row of values; a writer thread appends the rows to the store. Windows and series are computed from the rows
// kept in memory.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <fmt/format.h>
#include <limits>
#include <mutex>
#include <thread>

#include "aicq/core/diagnostics.hpp"
#include "aicq/store/store.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string quality_text(const std::optional<core::PowerQuality>& q) { return q ? std::string(core::to_string(*q)) : std::string(); }

std::string scope_text(PowerScope s) {
  switch (s) {
    case PowerScope::node: return "node";
    case PowerScope::component: return "component";
    case PowerScope::part: return "part";
    case PowerScope::none: break;
  }
  return "none";
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

double trapezoid_j(std::span<const double> t, std::span<const double> p) {
  double e = 0;
  std::optional<std::size_t> prev;
  for (std::size_t i = 0; i < std::min(t.size(), p.size()); ++i) {
    if (!std::isfinite(p[i])) continue;
    if (prev) e += 0.5 * (p[*prev] + p[i]) * (t[i] - t[*prev]);
    prev = i;
  }
  return e;
}

struct Recorder::Impl {
  Config config;
  std::vector<std::unique_ptr<Sampler>> samplers;
  std::vector<std::size_t> offset;  // first column of each sampler
  std::size_t width = 0;            // columns in a row

  mutable std::mutex mu;
  std::condition_variable wake_sampler, wake_writer;
  bool stop_requested = false;
  bool started = false, stopped = false;
  Clock::time_point t0{};
  double start_unix = 0;

  // Rows kept in memory (guarded by mu): times and values, row-major; every `keep_every`-th sample is kept.
  std::vector<double> t, values;
  std::size_t keep_every = 1;
  std::int64_t sample_count = 0;
  std::vector<double> last_row;
  double last_t = -1;
  std::vector<SamplerStatus> status;

  // Rows waiting for the writer (guarded by mu).
  std::vector<double> pending_t, pending_values;
  std::size_t pending_dropped = 0;
  std::vector<std::string> store_errors;

  // Sampling thread only.
  std::vector<double> row;

  // Writer: the store (opened in start, used by the writer thread, closed in stop).
  std::optional<store::Store> db;
  std::optional<std::int64_t> run_id;
  std::vector<std::int64_t> channel_ids;
  std::vector<store::TelemetrySample> batch;

  std::thread sampler_thread, writer_thread;

  static void check(const Config& c) {
    if (c.interval < std::chrono::milliseconds(100))
      throw core::InputError(core::Location{"--interval"}, "--interval",
                             fmt::format("expected at least 100ms, found {}ms", c.interval.count()));
  }

  void init() {
    check(config);
    for (const auto& s : samplers) {
      offset.push_back(width);
      width += s->channels().size();
      status.push_back(SamplerStatus{s->id(), s->source(), s->quality(), s->kind(), s->model(), false, {}, 0, 0});
    }
    row.assign(width, kNaN);
    last_row.assign(width, kNaN);
    const std::size_t cap = std::max<std::size_t>(config.max_series_points, 16);
    t.reserve(cap + 1);
    values.reserve((cap + 1) * width);
  }

  [[nodiscard]] double seconds_since_start(Clock::time_point now) const { return std::chrono::duration<double>(now - t0).count(); }

  // One row: every sampler in turn. A sampler that throws is marked failed and not asked again.
  void take_sample() {
    const double ts = seconds_since_start(Clock::now());
    std::fill(row.begin(), row.end(), kNaN);
    for (std::size_t i = 0; i < samplers.size(); ++i) {
      bool failed = false;
      {
        std::lock_guard lock(mu);
        failed = status[i].failed;
      }
      if (failed) continue;
      const std::span<double> out(row.data() + offset[i], samplers[i]->channels().size());
      try {
        samplers[i]->sample(ts, out);
        std::lock_guard lock(mu);
        ++status[i].samples;
      } catch (const std::exception& e) {
        std::fill(out.begin(), out.end(), kNaN);
        std::string msg = fmt::format("telemetry: source {} ({}) failed at t = {:.3f} s and is no longer sampled: {}",
                                      samplers[i]->id(), samplers[i]->source(), ts, e.what());
        {
          std::lock_guard lock(mu);
          status[i].failed = true;
          status[i].error = e.what();
          status[i].failed_at_s = ts;
        }
        if (config.log) config.log(msg);
      }
    }
    {
      std::lock_guard lock(mu);
      last_row = row;
      last_t = ts;
      if (sample_count % static_cast<std::int64_t>(keep_every) == 0) {
        t.push_back(ts);
        values.insert(values.end(), row.begin(), row.end());
        if (t.size() > std::max<std::size_t>(config.max_series_points, 16)) downsample();
      }
      ++sample_count;
      if (db) {
        // Bounded: a store that stays unwritable for long loses its oldest rows, never the sampling.
        if (pending_t.size() >= 100000) {
          pending_t.erase(pending_t.begin());
          pending_values.erase(pending_values.begin(), pending_values.begin() + static_cast<std::ptrdiff_t>(width));
          ++pending_dropped;
        }
        pending_t.push_back(ts);
        pending_values.insert(pending_values.end(), row.begin(), row.end());
      }
    }
    if (db) wake_writer.notify_one();
  }

  // Keeps every second kept row (the even positions: samples 0, 2k, 4k, …) and doubles the stride.
  void downsample() {
    std::size_t j = 0;
    for (std::size_t i = 0; i < t.size(); i += 2, ++j) {
      t[j] = t[i];
      std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(i * width), width, values.begin() + static_cast<std::ptrdiff_t>(j * width));
    }
    t.resize(j);
    values.resize(j * width);
    keep_every *= 2;
  }

  void sampling_loop() {
    const auto interval = std::chrono::duration_cast<Clock::duration>(config.interval);
    std::int64_t k = 0;
    take_sample();  // t = 0
    for (;;) {
      ++k;
      const auto next = t0 + interval * k;
      {
        std::unique_lock lock(mu);
        if (wake_sampler.wait_until(lock, next, [&] { return stop_requested; })) break;
      }
      take_sample();
      // A slow source or a busy machine: skip the slots already missed rather than sample in a burst.
      const auto behind = (Clock::now() - t0) / interval;
      if (behind > k) k = behind;
    }
    take_sample();  // at stop, so that windows ending now are covered
  }

  void write_pending(std::vector<double>& ts, std::vector<double>& vals) {
    batch.clear();
    for (std::size_t r = 0; r < ts.size(); ++r)
      for (std::size_t c = 0; c < width; ++c) {
        const double v = vals[r * width + c];
        if (std::isfinite(v)) batch.push_back({channel_ids[c], start_unix + ts[r], v});
      }
    db->append_telemetry_samples(batch);
  }

  void writer_loop() {
    std::vector<double> ts, vals;
    ts.reserve(64);
    vals.reserve(64 * width);
    for (;;) {
      bool stopping = false;
      {
        std::unique_lock lock(mu);
        wake_writer.wait(lock, [&] { return stop_requested || !pending_t.empty(); });
        stopping = stop_requested;
        // Rows that failed to be written last time stay in front.
        ts.insert(ts.end(), pending_t.begin(), pending_t.end());
        vals.insert(vals.end(), pending_values.begin(), pending_values.end());
        pending_t.clear();
        pending_values.clear();
      }
      if (!ts.empty()) {
        try {
          write_pending(ts, vals);
          ts.clear();
          vals.clear();
        } catch (const std::exception& e) {
          std::lock_guard lock(mu);
          if (store_errors.size() < 100) store_errors.emplace_back(e.what());
          if (config.log) config.log(fmt::format("telemetry: cannot write samples to the store (kept for the next try): {}", e.what()));
          if (ts.size() > 100000) {  // give up on the oldest rather than grow without bound
            ts.clear();
            vals.clear();
          }
        }
      }
      if (stopping) {
        std::lock_guard lock(mu);
        if (pending_t.empty()) break;
      }
      if (!ts.empty()) {
        // Back off one interval before retrying a store that failed.
        std::unique_lock lock(mu);
        wake_writer.wait_for(lock, config.interval, [&] { return stop_requested; });
      }
    }
    // A last try for rows that are still unwritten when stopping.
    if (!ts.empty()) {
      try {
        write_pending(ts, vals);
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        store_errors.emplace_back(fmt::format("{} ({} samples not written)", e.what(), ts.size()));
      }
    }
  }

  void open_store() {
    db.emplace(store::Store::open(config.db));
    const double now = unix_now();
    db->prune_telemetry(now, static_cast<double>(config.raw_retention.count()), static_cast<double>(config.aggregate_retention.count()));
    store::TelemetryRun run;
    run.command = config.run_command;
    run.host = hostname();
    run.started_unix_s = start_unix;
    run.interval_s = std::chrono::duration<double>(config.interval).count();
    std::vector<store::TelemetryChannel> chans;
    for (const auto& s : samplers) {
      run.sources.push_back(json{{"id", s->id()}, {"source", s->source()}, {"quality", quality_text(s->quality())},
                                 {"kind", std::string(core::to_string(s->kind()))}, {"model", s->model()}});
      for (const auto& c : s->channels())
        chans.push_back({s->id(), c.metric, c.device, c.unit, c.counter, scope_text(c.scope),
                         s->quality() && c.scope != PowerScope::none ? std::optional<std::string>(quality_text(s->quality())) : std::nullopt,
                         std::string(core::to_string(s->kind()))});
    }
    run_id = db->begin_telemetry_run(run);
    channel_ids = db->add_telemetry_channels(*run_id, chans);
    batch.reserve(width * 4);
  }

  // --- reading back ---------------------------------------------------------------------------------------

  // The rows to compute with: the kept ones plus the newest sample when it was not kept.
  struct Rows {
    std::vector<double> t, v;
  };
  Rows rows_locked() const {
    Rows r{t, values};
    if (last_t >= 0 && (r.t.empty() || last_t > r.t.back())) {
      r.t.push_back(last_t);
      r.v.insert(r.v.end(), last_row.begin(), last_row.end());
    }
    return r;
  }
};

// --- Recorder ------------------------------------------------------------------------------------------------

Recorder::Recorder(Config config) : impl_(std::make_unique<Impl>()) {
  Impl::check(config);  // before opening anything
  impl_->config = std::move(config);
  impl_->samplers = open_samplers(impl_->config);
  impl_->init();
}

Recorder::Recorder(Config config, std::vector<std::unique_ptr<Sampler>> samplers) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->samplers = std::move(samplers);
  impl_->init();
}

Recorder::~Recorder() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report; stop() records store errors
  }
}

void Recorder::start() {
  Impl& m = *impl_;
  if (m.started) return;
  m.t0 = Clock::now();
  m.start_unix = unix_now();
  if (!m.config.db.empty()) m.open_store();
  m.started = true;
  m.sampler_thread = std::thread([&m] { m.sampling_loop(); });
  if (m.db) m.writer_thread = std::thread([&m] { m.writer_loop(); });
}

void Recorder::stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) return;
  {
    std::lock_guard lock(m.mu);
    m.stop_requested = true;
  }
  m.wake_sampler.notify_all();
  if (m.sampler_thread.joinable()) m.sampler_thread.join();
  m.wake_writer.notify_all();
  if (m.writer_thread.joinable()) m.writer_thread.join();
  m.stopped = true;
  if (m.db && m.run_id) {
    try {
      m.db->end_telemetry_run(*m.run_id, m.start_unix + m.last_t);
    } catch (const std::exception& e) {
      std::lock_guard lock(m.mu);
      m.store_errors.emplace_back(e.what());
    }
  }
}

double Recorder::now_s() const {
  if (!impl_->started) return 0;
  return impl_->seconds_since_start(Clock::now());
}

double Recorder::start_unix_s() const { return impl_->start_unix; }

std::optional<std::int64_t> Recorder::run_id() const { return impl_->run_id; }

std::vector<std::string> Recorder::store_errors() const {
  std::lock_guard lock(impl_->mu);
  return impl_->store_errors;
}

std::vector<SamplerStatus> Recorder::status() const {
  std::lock_guard lock(impl_->mu);
  return impl_->status;
}

std::vector<LatestValue> Recorder::latest() const {
  const Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  std::vector<LatestValue> out;
  for (std::size_t i = 0; i < m.samplers.size(); ++i) {
    const auto& chans = m.samplers[i]->channels();
    for (std::size_t c = 0; c < chans.size(); ++c)
      out.push_back(LatestValue{m.samplers[i]->id(), chans[c], m.samplers[i]->quality(), std::max(0.0, m.last_t), m.last_row[m.offset[i] + c]});
  }
  return out;
}

namespace {

// Linear interpolation of column c at time x, from the nearest finite values on each side.
std::optional<double> value_at(const std::vector<double>& t, const std::vector<double>& v, std::size_t width, std::size_t c, double x) {
  std::optional<std::size_t> lo, hi;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!std::isfinite(v[i * width + c])) continue;
    if (t[i] <= x) lo = i;
    if (t[i] >= x) {
      hi = i;
      break;
    }
  }
  if (!lo || !hi) return std::nullopt;
  const double a = v[*lo * width + c], b = v[*hi * width + c];
  if (*lo == *hi || t[*hi] == t[*lo]) return a;
  return a + (b - a) * (x - t[*lo]) / (t[*hi] - t[*lo]);
}

// Energy of power column c over [a, b]: trapezoid through the interpolated end points and the samples inside.
std::optional<double> power_integral(const std::vector<double>& t, const std::vector<double>& v, std::size_t width, std::size_t c,
                                     double a, double b) {
  const auto pa = value_at(t, v, width, c, a), pb = value_at(t, v, width, c, b);
  if (!pa || !pb) return std::nullopt;
  double e = 0, prev_t = a, prev_p = *pa;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] <= a || t[i] >= b) continue;
    const double p = v[i * width + c];
    if (!std::isfinite(p)) continue;
    e += 0.5 * (prev_p + p) * (t[i] - prev_t);
    prev_t = t[i];
    prev_p = p;
  }
  return e + 0.5 * (prev_p + *pb) * (b - prev_t);
}

// Energy from counter column c over [a, b], when the counter is fine enough: finite and advancing at every
// sample from the one at or before a to the one at or after b.
std::optional<double> counter_energy(const std::vector<double>& t, const std::vector<double>& v, std::size_t width, std::size_t c,
                                     double a, double b) {
  std::size_t first = 0, last = t.size();
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] <= a) first = i;
    if (t[i] >= b) {
      last = i;
      break;
    }
  }
  if (last == t.size()) return std::nullopt;
  for (std::size_t i = first; i <= last; ++i) {
    if (!std::isfinite(v[i * width + c])) return std::nullopt;
    if (i > first && !(v[i * width + c] > v[(i - 1) * width + c])) return std::nullopt;
  }
  const auto ea = value_at(t, v, width, c, a), eb = value_at(t, v, width, c, b);
  if (!ea || !eb) return std::nullopt;
  return *eb - *ea;
}

// Time-weighted mean of an interval quantity (each sample covers the time since the previous one) over [a, b].
std::optional<double> interval_mean(const std::vector<double>& t, const std::vector<double>& v, std::size_t width, std::size_t c,
                                    double a, double b) {
  double sum = 0, weight = 0;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const double x = v[i * width + c];
    if (!std::isfinite(x)) continue;
    const double overlap = std::min(b, t[i]) - std::max(a, t[i - 1]);
    if (overlap <= 0) continue;
    sum += x * overlap;
    weight += overlap;
  }
  if (weight <= 0) {
    // A window inside one interval with no sample after it yet, or a point window: the nearest sample.
    for (std::size_t i = 0; i < t.size(); ++i)
      if (t[i] >= a && std::isfinite(v[i * width + c])) return v[i * width + c];
    return std::nullopt;
  }
  return sum / weight;
}

}  // namespace

Recorder::Window Recorder::window(double t0_s, double t1_s) const {
  const Impl& m = *impl_;
  Impl::Rows rows;
  {
    std::lock_guard lock(m.mu);
    rows = m.rows_locked();
  }
  Window w;
  if (rows.t.empty() || t1_s < t0_s) return w;
  const std::size_t W = m.width;
  for (double x : rows.t)
    if (x >= t0_s && x <= t1_s) ++w.samples;
  const double a = std::max(t0_s, rows.t.front()), b = std::min(t1_s, rows.t.back());
  w.covered_s = std::max(0.0, b - a);

  // Utilization.
  std::vector<double> gpu;
  for (std::size_t i = 0; i < m.samplers.size(); ++i) {
    const auto& chans = m.samplers[i]->channels();
    for (std::size_t c = 0; c < chans.size(); ++c) {
      const std::size_t col = m.offset[i] + c;
      if (chans[c].metric == metric::cpu_utilization && !w.cpu_utilization)
        w.cpu_utilization = interval_mean(rows.t, rows.v, W, col, t0_s, t1_s);
      if (chans[c].metric == metric::gpu_utilization)
        if (auto u = interval_mean(rows.t, rows.v, W, col, t0_s, t1_s)) gpu.push_back(*u);
    }
  }
  if (!gpu.empty()) {
    double s = 0;
    for (double u : gpu) s += u;
    w.gpu_utilization = s / static_cast<double>(gpu.size());
  }
  if (w.covered_s <= 0) return w;

  // Power: candidate groups, best quality first.
  struct Group {
    std::vector<std::size_t> samplers;
    core::PowerQuality quality;
    bool node;
  };
  std::vector<Group> groups;
  Group components{{}, core::PowerQuality::q1, false};
  for (std::size_t i = 0; i < m.samplers.size(); ++i) {
    const auto q = m.samplers[i]->quality();
    if (!q) continue;
    bool node = false, comp = false;
    for (const auto& c : m.samplers[i]->channels()) {
      node = node || (c.metric == metric::power_w && c.scope == PowerScope::node);
      comp = comp || (c.metric == metric::power_w && c.scope == PowerScope::component);
    }
    if (node) groups.push_back(Group{{i}, *q, true});
    if (comp) {
      components.samplers.push_back(i);
      components.quality = std::min(components.quality, *q);
    }
  }
  if (!components.samplers.empty()) groups.push_back(components);
  std::stable_sort(groups.begin(), groups.end(), [](const Group& x, const Group& y) {
    if (x.quality != y.quality) return x.quality > y.quality;
    return x.node && !y.node;
  });

  for (const Group& g : groups) {
    double energy = 0;
    bool any = false, all_counters = true;
    std::vector<std::string> ids;
    for (std::size_t i : g.samplers) {
      const auto& chans = m.samplers[i]->channels();
      bool used = false;
      for (std::size_t c = 0; c < chans.size(); ++c) {
        if (chans[c].metric != metric::power_w || chans[c].scope != (g.node ? PowerScope::node : PowerScope::component)) continue;
        std::optional<double> e;
        for (std::size_t k = 0; k < chans.size(); ++k)
          if (chans[k].metric == metric::energy_j && chans[k].counter && chans[k].device == chans[c].device)
            e = counter_energy(rows.t, rows.v, W, m.offset[i] + k, a, b);
        if (!e) {
          all_counters = false;
          e = power_integral(rows.t, rows.v, W, m.offset[i] + c, a, b);
        }
        if (!e) continue;
        energy += *e;
        any = used = true;
      }
      if (used && std::find(ids.begin(), ids.end(), m.samplers[i]->id()) == ids.end()) ids.push_back(m.samplers[i]->id());
    }
    if (!any) continue;
    // A node meter counts as Q3 only with its energy counter over the window; its power readings alone are Q2.
    core::PowerQuality q = g.quality;
    if (q == core::PowerQuality::q3 && !all_counters) q = core::PowerQuality::q2;
    w.energy_j = energy;
    w.mean_power_w = energy / w.covered_s;
    w.quality = std::string(core::to_string(q));
    std::string src;
    for (const auto& id : ids) src += (src.empty() ? "" : "+") + id;
    w.source = src;
    break;
  }
  return w;
}

json Recorder::series() const {
  const Impl& m = *impl_;
  Impl::Rows rows;
  std::vector<SamplerStatus> st;
  std::size_t every = 1;
  {
    std::lock_guard lock(m.mu);
    rows = m.rows_locked();
    st = m.status;
    every = m.keep_every;
  }
  json doc{{"schema", "aicq-telemetry/1"},
           {"interval_s", std::chrono::duration<double>(m.config.interval).count()},
           {"start_unix_s", m.start_unix},
           {"downsampled_every", every},
           {"t_s", rows.t}};
  json samplers = json::array();
  json values = json::object();
  for (std::size_t i = 0; i < m.samplers.size(); ++i) {
    const auto& s = *m.samplers[i];
    json chans = json::array();
    for (std::size_t c = 0; c < s.channels().size(); ++c) {
      const Channel& ch = s.channels()[c];
      chans.push_back({{"metric", ch.metric}, {"device", ch.device}, {"unit", ch.unit}, {"counter", ch.counter}, {"scope", scope_text(ch.scope)}});
      json col = json::array();
      for (std::size_t r = 0; r < rows.t.size(); ++r) {
        const double x = rows.v[r * m.width + m.offset[i] + c];
        col.push_back(std::isfinite(x) ? json(x) : json(nullptr));
      }
      values[fmt::format("{}/{}/{}", s.id(), ch.metric, ch.device)] = std::move(col);
    }
    samplers.push_back({{"id", s.id()},
                        {"source", s.source()},
                        {"quality", quality_text(s.quality())},
                        {"kind", std::string(core::to_string(s.kind()))},
                        {"model", s.model()},
                        {"failed", st[i].failed},
                        {"error", st[i].error},
                        {"channels", std::move(chans)}});
  }
  doc["samplers"] = std::move(samplers);
  doc["values"] = std::move(values);
  return doc;
}

}  // namespace aicq::telemetry

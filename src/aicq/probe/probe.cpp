#include "aicq/probe/probe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace aicq::probe {

std::optional<Suite> suite_from(std::string_view s) {
  if (s == "quick") return Suite::quick;
  if (s == "standard") return Suite::standard;
  if (s == "full") return Suite::full;
  return std::nullopt;
}

std::string to_string(Suite s) {
  switch (s) {
    case Suite::quick: return "quick";
    case Suite::standard: return "standard";
    case Suite::full: return "full";
  }
  return "standard";
}

std::string to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::skipped: return "skipped";
    case Status::invalid: return "invalid";
    case Status::failed: return "failed";
  }
  return "failed";
}

namespace {
Status status_from(const std::string& s) {
  if (s == "ok") return Status::ok;
  if (s == "skipped") return Status::skipped;
  if (s == "invalid") return Status::invalid;
  return Status::failed;
}
}  // namespace

Stats statistics(const std::vector<double>& samples) {
  if (samples.empty()) throw std::invalid_argument("statistics of no samples");
  Stats s;
  s.n = samples.size();
  std::vector<double> v = samples;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  if (v.size() >= 2 && s.mean != 0) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.cv = std::sqrt(ss / static_cast<double>(v.size() - 1)) / std::abs(s.mean);
  }
  return s;
}

std::optional<double> Measurement::fraction_of_peak() const {
  if (!peak || *peak <= 0 || stats.n == 0) return std::nullopt;
  return stats.median / *peak;
}

std::vector<double> time_repetitions(const Context& ctx, const std::string& probe, const std::string& step, int warmups,
                                     int reps, const std::function<void()>& body, double estimate_s) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(std::max(reps, 0)));
  for (int i = 0; i < warmups + reps; ++i) {
    if (ctx.cancelled()) throw Cancelled{};
    const bool timed = i >= warmups;
    ctx.report({probe, step, timed ? i - warmups + 1 : 0, reps, std::chrono::duration<double>(clock::now() - start).count(),
                estimate_s});
    const auto t0 = clock::now();
    body();
    const auto t1 = clock::now();
    if (timed) out.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  return out;
}

std::vector<double> rates(double work, const std::vector<double>& durations_s) {
  std::vector<double> r;
  r.reserve(durations_s.size());
  for (double d : durations_s) r.push_back(d > 0 ? work / d : 0);
  return r;
}

nlohmann::json to_json(const ProbeResult& r) {
  nlohmann::json j;
  j["id"] = r.id;
  j["status"] = to_string(r.status);
  if (!r.reason.empty()) j["reason"] = r.reason;
  j["duration_s"] = r.duration_s;
  if (!r.started.empty()) j["started"] = r.started;
  j["requested"] = r.requested;
  j["effective"] = r.effective;
  j["measurements"] = nlohmann::json::array();
  for (const auto& m : r.measurements) {
    nlohmann::json mj{{"id", m.id},
                      {"unit", m.unit},
                      {"samples", m.samples},
                      {"higher_is_better", m.higher_is_better},
                      {"details", m.details}};
    if (m.stats.n > 0)
      mj["stats"] = {{"n", m.stats.n}, {"median", m.stats.median}, {"min", m.stats.min}, {"max", m.stats.max},
                     {"mean", m.stats.mean}, {"cv", m.stats.cv}};
    if (!m.precision.empty()) mj["precision"] = m.precision;
    if (m.work) {
      mj["work"] = *m.work;
      mj["work_unit"] = m.work_unit;
    }
    if (m.peak) {
      mj["peak"] = *m.peak;
      mj["peak_source"] = m.peak_source;
    }
    if (const auto f = m.fraction_of_peak()) mj["fraction_of_peak"] = *f;
    j["measurements"].push_back(std::move(mj));
  }
  j["checks"] = nlohmann::json::array();
  for (const auto& c : r.checks) j["checks"].push_back({{"id", c.id}, {"passed", c.passed}, {"detail", c.detail}});
  if (r.power) {
    j["power"] = {{"mean_power_w", r.power->mean_power_w}, {"energy_j", r.power->energy_j}, {"quality", r.power->quality},
                  {"source", r.power->source}};
    // Measured efficiency (Green500 style): rate ÷ mean power over the probe's run — only from measured power
    // (Q1 and above); a Q0 estimate would make it a model of itself. An approximation: the window spans the
    // whole probe (warm-ups and every measurement), not one measurement's timed repetitions.
    if (r.power->quality != "Q0" && r.power->mean_power_w > 0)
      for (auto& mj : j["measurements"])
        if (mj.contains("stats") && (mj["unit"] == "FLOP/s" || mj["unit"] == "OP/s"))
          mj["per_watt"] = mj["stats"]["median"].get<double>() / r.power->mean_power_w;
  }
  return j;
}

ProbeResult probe_result_from_json(const nlohmann::json& j) {
  ProbeResult r;
  r.id = j.at("id").get<std::string>();
  r.status = status_from(j.at("status").get<std::string>());
  r.reason = j.value("reason", "");
  r.duration_s = j.value("duration_s", 0.0);
  r.started = j.value("started", "");
  r.requested = j.value("requested", nlohmann::json::object());
  r.effective = j.value("effective", nlohmann::json::object());
  for (const auto& mj : j.value("measurements", nlohmann::json::array())) {
    Measurement m;
    m.id = mj.at("id").get<std::string>();
    m.unit = mj.at("unit").get<std::string>();
    m.samples = mj.value("samples", std::vector<double>{});
    if (!m.samples.empty()) m.stats = statistics(m.samples);
    m.higher_is_better = mj.value("higher_is_better", true);
    m.precision = mj.value("precision", "");
    if (mj.contains("work")) {
      m.work = mj["work"].get<double>();
      m.work_unit = mj.value("work_unit", "");
    }
    if (mj.contains("peak")) {
      m.peak = mj["peak"].get<double>();
      m.peak_source = mj.value("peak_source", "");
    }
    m.details = mj.value("details", nlohmann::json::object());
    r.measurements.push_back(std::move(m));
  }
  for (const auto& cj : j.value("checks", nlohmann::json::array()))
    r.checks.push_back({cj.at("id").get<std::string>(), cj.at("passed").get<bool>(), cj.value("detail", "")});
  if (j.contains("power")) {
    const auto& p = j["power"];
    r.power = PowerWindow{p.value("mean_power_w", 0.0), p.value("energy_j", 0.0), p.value("quality", ""), p.value("source", "")};
  }
  return r;
}

}  // namespace aicq::probe

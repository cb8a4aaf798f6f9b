#include "aicq/assess/assessment.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <numeric>
#include <set>

#include "aicq/core/indicators.hpp"

namespace aicq::assess {

namespace {

using core::Evidence;
using core::EvidenceKind;
using nlohmann::json;

constexpr double kHour = 3600.0;
constexpr double kYearHours = 8760.0;
constexpr double kKWh = 3.6e6;

int kind_rank(EvidenceKind k) {
  switch (k) {
    case EvidenceKind::estimated: return 0;
    case EvidenceKind::declared: return 1;
    case EvidenceKind::imported: return 2;
    case EvidenceKind::measured: return 3;
  }
  return 0;
}

// Evidence by metric id. When several records share a metric, the strongest kind wins (measured over
// imported over declared over estimated); among equals, the first.
class Index {
 public:
  explicit Index(const std::vector<Evidence>& ev) {
    for (const auto& e : ev) {
      auto [it, inserted] = by_metric_.emplace(e.metric, &e);
      if (!inserted && kind_rank(e.kind) > kind_rank(it->second->kind)) it->second = &e;
    }
  }
  [[nodiscard]] const Evidence* get(const std::string& metric) const {
    auto it = by_metric_.find(metric);
    return it == by_metric_.end() ? nullptr : it->second;
  }
  /// Metric ids starting with `prefix`, in id order.
  [[nodiscard]] std::vector<std::string> with_prefix(const std::string& prefix) const {
    std::vector<std::string> out;
    for (auto it = by_metric_.lower_bound(prefix); it != by_metric_.end() && it->first.starts_with(prefix); ++it)
      out.push_back(it->first);
    return out;
  }
  /// Prefixes P such that P + suffix is a metric, e.g. suffix ".achieved" → {"workloads[0]", …}.
  [[nodiscard]] std::vector<std::string> prefixes_of(const std::string& suffix) const {
    std::vector<std::string> out;
    for (const auto& [m, _] : by_metric_)
      if (m.size() > suffix.size() && m.ends_with(suffix)) out.push_back(m.substr(0, m.size() - suffix.size()));
    return out;
  }

 private:
  std::map<std::string, const Evidence*, std::less<>> by_metric_;
};

// Tracks what an indicator used: the inputs and the weakest kind.
struct Use {
  std::vector<std::string> inputs;
  int weakest = 3;
  bool any = false;
  void add(const Evidence& e) {
    if (std::find(inputs.begin(), inputs.end(), e.metric) == inputs.end()) inputs.push_back(e.metric);
    weakest = std::min(weakest, kind_rank(e.kind));
    any = true;
  }
  void estimated() {
    weakest = 0;
    any = true;
  }
  [[nodiscard]] std::string kind() const {
    static constexpr const char* names[] = {"estimated", "declared", "imported", "measured"};
    return names[weakest];
  }
};

double geomean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Weighted mean of the parts present (scores or shares), the weights renormalised over them.
std::optional<double> blend(const std::vector<std::pair<std::optional<double>, double>>& parts) {
  double num = 0, den = 0;
  for (const auto& [score, w] : parts)
    if (score) {
      num += *score * w;
      den += w;
    }
  if (den <= 0) return std::nullopt;
  return num / den;
}

struct Group {
  std::string id;
  double count = 0;
  const Evidence* rated = nullptr;
  const Evidence* lifetime = nullptr;
  struct Role {
    double per_unit = 0;
    std::map<std::string, const Evidence*> peak;
    const Evidence* tdp = nullptr;
  };
  std::map<std::string, Role> roles;  // "accelerator", "cpu"
};

class Assessor {
 public:
  Assessor(const std::vector<Evidence>& ev, const Profile& p, const catalog::Catalogs& v) : ix_(ev), p_(p), v_(v) {
    groups();
  }

  Assessment run() {
    Assessment a;
    a.indicators = {ce_theoretical(), ce_measured(), ce_utilization(), ie_model_compute(), ie_intelligence(),
                    co2_lifecycle(),  co2_compute_carbon(), acc_universality(), acc_inclusiveness(),
                    sus_compatibility(), sus_supply_chain(), sus_openness()};
    aggregate(a);
    return a;
  }

 private:
  // ---------------------------------------------------------------------------------------------------
  // Inventory
  void groups() {
    for (const auto& m : ix_.prefixes_of(".count")) {
      if (!m.starts_with("inventory.") || m.find('.', 10) != std::string::npos) continue;
      Group g;
      g.id = m.substr(10);
      const auto* count = ix_.get(m + ".count");
      if (!count) continue;
      g.count = count->quantity.si;
      g.rated = ix_.get(m + ".rated_power");
      g.lifetime = ix_.get(m + ".lifetime");
      for (const std::string role : {"accelerator", "cpu"}) {
        const auto* per_unit = ix_.get(m + "." + role + ".count_per_unit");
        if (!per_unit) continue;
        Group::Role r;
        r.per_unit = per_unit->quantity.si;
        for (const auto& pm : ix_.with_prefix(m + "." + role + ".peak."))
          r.peak[pm.substr(pm.rfind('.') + 1)] = ix_.get(pm);
        r.tdp = ix_.get(m + "." + role + ".tdp");
        g.roles[role] = r;
      }
      groups_.push_back(g);
    }
  }

  [[nodiscard]] bool has_accelerators() const {
    return std::any_of(groups_.begin(), groups_.end(), [](const Group& g) { return g.roles.contains("accelerator"); });
  }

  // Peak of one group at a precision (all its compute devices), FLOP/s.
  double group_peak(const Group& g, const std::string& prec, Use* use) const {
    double total = 0;
    for (const auto& [role, r] : g.roles) {
      auto it = r.peak.find(prec);
      if (it == r.peak.end()) continue;
      total += g.count * r.per_unit * it->second->quantity.si;
      if (use) use->add(*it->second);
    }
    return total;
  }

  // Rated IT power of a group: nameplate, or estimated from TDPs × (1 + platform share).
  std::optional<double> group_rated(const Group& g, Use* use, std::vector<std::string>* estimated) const {
    if (g.rated) {
      if (use) use->add(*g.rated);
      return g.count * g.rated->quantity.si;
    }
    double tdp = 0;
    for (const auto& [role, r] : g.roles) {
      if (!r.tdp) return std::nullopt;
      tdp += r.per_unit * r.tdp->quantity.si;
    }
    if (tdp <= 0) return std::nullopt;
    if (use) use->estimated();
    if (estimated) estimated->push_back(g.id);
    return g.count * tdp * (1 + p_.defaults.platform_share);
  }

  struct Rated {
    std::optional<double> total_w;
    std::vector<std::string> estimated_groups, unknown_groups;
  };

  Rated rated_it_power(Use* use) const {
    Rated r;
    double total = 0;
    for (const auto& g : groups_) {
      if (auto w = group_rated(g, use, &r.estimated_groups)) total += *w;
      else r.unknown_groups.push_back(g.id);
    }
    if (!groups_.empty() && r.unknown_groups.empty()) r.total_w = total;
    return r;
  }

  // ---------------------------------------------------------------------------------------------------
  // Utilization over real operation (shared by ce.utilization and co2.compute_carbon)
  struct Utilization {
    std::optional<double> value;
    std::string metric;
    const Evidence* evidence = nullptr;
  };

  Utilization device_utilization() const {
    static const std::vector<std::string> accel = {"sm_active", "gpu_util", "tensor_active"};
    Utilization u;
    const bool accelerators = has_accelerators();
    for (const auto& m : accelerators ? accel : std::vector<std::string>{"cpu_busy"}) {
      const auto* e = ix_.get((accelerators ? "utilization.accelerator." : "utilization.cpu.") + m);
      if (e) {
        u.value = e->quantity.si;
        u.metric = m;
        u.evidence = e;
        return u;
      }
    }
    return u;
  }

  // Mean IT power over real operation and where it came from.
  struct MeanPower {
    std::optional<double> watts;
    std::string source;
    const Evidence* evidence = nullptr;
    bool q0 = false;
  };

  MeanPower mean_it_power() const {
    MeanPower m;
    if (const auto* e = ix_.get("facility.it_power.mean")) {
      m.evidence = e;
      if (e->quality == core::PowerQuality::q0) m.q0 = true;
      else {
        m.watts = e->quantity.si;
        m.source = "facility.it_power.mean";
        return m;
      }
    }
    if (const auto* e = ix_.get("facility.it_energy.annual")) {
      m.evidence = e;
      if (e->quality == core::PowerQuality::q0) m.q0 = true;
      else {
        m.watts = e->quantity.si / (kYearHours * kHour);
        m.source = "facility.it_energy.annual ÷ 8760 h";
        return m;
      }
    }
    return m;
  }

  // ---------------------------------------------------------------------------------------------------
  IndicatorResult base(const std::string& id, std::string unit, std::string formula) const {
    IndicatorResult r;
    r.id = id;
    r.unit = std::move(unit);
    r.formula = std::move(formula);
    return r;
  }

  static IndicatorResult& missing(IndicatorResult& r, std::string reason) {
    r.reason = std::move(reason);
    r.score.reset();
    return r;
  }

  static void finish(IndicatorResult& r, const Use& use) {
    r.inputs = use.inputs;
    r.kind = use.any ? use.kind() : "";
  }

  double curve(const std::string& id, double x) const { return p_.curve(id).curve(x); }

  // ce.theoretical — CE = CP / ΣP_IT at the reference precision (report §4.3.2 (1)).
  IndicatorResult ce_theoretical() const {
    const std::string prec = p_.reference_precision;
    auto r = base("ce.theoretical", "GFLOPS/W",
                  fmt::format("CE = Σ peak {} of all compute devices ÷ Σ rated power of all IT equipment", prec));
    if (groups_.empty()) return missing(r, "no inventory declared");
    Use use;
    const Rated rated = rated_it_power(&use);
    std::map<std::string, double> cp;
    for (const auto& g : groups_)
      for (const auto& pr : catalog::precisions()) cp[pr] += group_peak(g, pr, pr == prec ? &use : nullptr);
    for (const auto& [pr, v] : cp)
      if (v > 0) r.details[fmt::format("cp_{}_flops", pr)] = v;
    if (!rated.estimated_groups.empty()) {
      r.details["rated_power_estimated_groups"] = rated.estimated_groups;
      r.notes.push_back(fmt::format("rated power of {} estimated as Σ TDP × (1 + {}) ({})", fmt::join(rated.estimated_groups, ", "),
                                    core::shortest(p_.defaults.platform_share), p_.defaults.platform_share_source));
    }
    if (!rated.total_w) {
      finish(r, use);
      return missing(r, fmt::format("rated power unknown for group(s) {} (declare rated_power, or TDPs of their devices)",
                                    fmt::join(rated.unknown_groups, ", ")));
    }
    r.details["rated_it_power_w"] = *rated.total_w;
    for (const auto& [pr, v] : cp)
      if (v > 0) r.details[fmt::format("ce_{}_gflops_per_w", pr)] = v / *rated.total_w / 1e9;
    finish(r, use);
    if (cp[prec] <= 0) return missing(r, fmt::format("no compute device declares a {} peak", prec));
    r.value = cp[prec] / *rated.total_w / 1e9;
    r.score = curve(r.id, *r.value);
    return r;
  }

  // A workload: achieved FLOP/s on `devices` devices of `peak` each.
  struct WorkloadEval {
    std::string prefix, name;
    double achieved = 0, peak_total = 0, efficiency = 0;
    bool valid = true;
    std::string why;
  };

  std::vector<WorkloadEval> workloads(Use& use) const {
    std::vector<WorkloadEval> out;
    auto evaluate = [&](const std::string& prefix, double achieved, const Evidence& devices, const Evidence& peak) {
      WorkloadEval w;
      w.prefix = prefix;
      w.achieved = achieved;
      w.peak_total = peak.quantity.si * devices.quantity.si;
      w.efficiency = w.peak_total > 0 ? achieved / w.peak_total : 0;
      if (!(w.efficiency > 0)) {
        w.valid = false;
        w.why = "achieved rate is not positive";
      } else if (w.efficiency > p_.max_efficiency) {
        w.valid = false;
        w.why = fmt::format("achieved {:.3g} × the devices' peak (> {}): above what the hardware can do", w.efficiency,
                            core::shortest(p_.max_efficiency));
      }
      return w;
    };
    for (const auto& pfx : ix_.prefixes_of(".achieved")) {
      const auto *a = ix_.get(pfx + ".achieved"), *d = ix_.get(pfx + ".devices"), *pk = ix_.get(pfx + ".peak_per_device");
      if (!a || !d || !pk || a->quantity.dim != core::dim::op_rate()) continue;
      auto w = evaluate(pfx, a->quantity.si, *d, *pk);
      w.name = a->note;
      if (const auto* inv = ix_.get(pfx + ".invalid")) {
        // The run's own format said invalid (MLPerf, HPL residual, STREAM validation, nccl-tests): kept, not scored.
        w.valid = false;
        w.why = "the run is invalid by its own verdict: " + inv->note;
      }
      if (w.valid) {
        use.add(*a);
        use.add(*d);
        use.add(*pk);
      }
      out.push_back(w);
    }
    for (const auto& pfx : ix_.prefixes_of(".throughput")) {
      const auto *t = ix_.get(pfx + ".throughput"), *f = ix_.get(pfx + ".flop_per_unit"), *d = ix_.get(pfx + ".devices"),
                 *pk = ix_.get(pfx + ".peak_per_device");
      if (!t || !f || !d || !pk) continue;
      auto w = evaluate(pfx, t->quantity.si * f->quantity.si, *d, *pk);
      w.name = t->note;
      if (w.valid)
        for (const auto* e : {t, f, d, pk}) use.add(*e);
      out.push_back(w);
    }
    return out;
  }

  // ce.measured — weighted geometric mean of realised efficiency over the workloads (report §4.3.2 (2)).
  IndicatorResult ce_measured() const {
    auto r = base("ce.measured", "", "curve(Π e_w^(1/n)), e_w = achieved FLOP/s ÷ (peak per device × devices), equal weights");
    Use use;
    const auto ws = workloads(use);
    std::vector<double> e;
    for (const auto& w : ws) {
      r.details["workloads"].push_back({{"metric", w.prefix},
                                        {"name", w.name},
                                        {"achieved_flops", w.achieved},
                                        {"peak_flops", w.peak_total},
                                        {"efficiency", w.efficiency},
                                        {"valid", w.valid}});
      if (w.valid) e.push_back(w.efficiency);
      else r.notes.push_back(fmt::format("{} ({}) invalid, not scored: {}", w.prefix, w.name, w.why));
    }
    finish(r, use);
    if (e.empty()) return missing(r, ws.empty() ? "no workload with a FLOP count, precision and devices" : "no valid workload");
    r.value = geomean(e);
    r.details["geometric_mean_efficiency"] = *r.value;
    r.score = curve(r.id, *r.value);
    return r;
  }

  // ce.utilization — 0.5·L + 0.5·U over real operation (report §4.3.2 (3)).
  IndicatorResult ce_utilization() const {
    auto r = base("ce.utilization", "",
                  "curve(w_L·L + w_U·U), L = mean IT power ÷ rated IT power, U = mean device utilization; renormalised "
                  "over what is present");
    Use use;
    std::optional<double> load;
    const MeanPower mp = mean_it_power();
    Use rated_use;
    const Rated rated = rated_it_power(&rated_use);
    if (mp.watts && rated.total_w) {
      load = *mp.watts / *rated.total_w;
      use.add(*mp.evidence);
      for (const auto& i : rated_use.inputs) use.inputs.push_back(i);
      use.weakest = std::min(use.weakest, rated_use.weakest);
      r.details["mean_it_power_w"] = *mp.watts;
      r.details["rated_it_power_w"] = *rated.total_w;
      r.details["it_load_rate_source"] = mp.source;
    } else if (const auto* e = ix_.get("utilization.it_load_rate")) {
      load = e->quantity.si;
      use.add(*e);
      r.details["it_load_rate_source"] = "utilization.it_load_rate (declared figure)";
    }
    if (mp.q0 && !load)
      r.notes.push_back("IT power is Q0 (estimated): an IT load rate from it would be circular, so L is missing");
    const Utilization u = device_utilization();
    if (u.evidence) {
      use.add(*u.evidence);
      r.details["utilization_metric"] = u.metric;
    }
    if (load) r.details["it_load_rate"] = *load;
    if (u.value) r.details["device_utilization"] = *u.value;
    finish(r, use);
    if (!load && !u.value) return missing(r, "neither an IT load rate nor a device utilization over real operation");
    r.value = blend({{load, p_.blend(r.id, "it_load_rate")}, {u.value, p_.blend(r.id, "accelerator_utilization")}});
    r.score = curve(r.id, *r.value);
    return r;
  }

  // ie.model_compute — mean over models of curve_mfu(MFU) × R (report §4.3.3 (1)).
  IndicatorResult ie_model_compute() const {
    auto r = base("ie.model_compute", "",
                  "mean over models of curve(MFU) × R; MFU = F·T ÷ (peak × devices), R = min(1, A ÷ A_ref), MCE = 100·A ÷ F[GFLOP]");
    Use use;
    std::vector<double> scores, mfus;
    for (const auto& pfx : ix_.prefixes_of(".reference_accuracy")) {
      const auto *t = ix_.get(pfx + ".throughput"), *f = ix_.get(pfx + ".flop_per_unit"), *d = ix_.get(pfx + ".devices"),
                 *pk = ix_.get(pfx + ".peak_per_device"), *a = ix_.get(pfx + ".accuracy"),
                 *aref = ix_.get(pfx + ".reference_accuracy");
      if (!t || !f || !d || !pk || !a || !aref) continue;
      const double achieved = f->quantity.si * t->quantity.si;
      const double mfu = achieved / (pk->quantity.si * d->quantity.si);
      const double retention = std::min(1.0, a->quantity.si / aref->quantity.si);
      const double mce = 100 * a->quantity.si / (f->quantity.si / 1e9);
      json m{{"metric", pfx}, {"name", t->note}, {"flop_per_unit", f->quantity.si}, {"throughput", t->quantity.si},
             {"achieved_flops", achieved}, {"mfu", mfu}, {"accuracy", a->quantity.si},
             {"reference_accuracy", aref->quantity.si}, {"retention", retention}, {"mce", mce}};
      if (mfu > p_.max_efficiency || !(mfu > 0)) {
        m["valid"] = false;
        r.notes.push_back(fmt::format("{} invalid, not scored: MFU {:.3g} is outside (0, {}]", pfx, mfu, core::shortest(p_.max_efficiency)));
      } else {
        m["valid"] = true;
        m["score"] = curve(r.id, mfu) * retention;
        scores.push_back(curve(r.id, mfu) * retention);
        mfus.push_back(mfu);
        for (const auto* e : {t, f, d, pk, a, aref}) use.add(*e);
      }
      r.details["models"].push_back(m);
    }
    finish(r, use);
    if (scores.empty()) return missing(r, "no model with throughput, FLOP per unit, accuracy and reference accuracy");
    r.value = std::accumulate(mfus.begin(), mfus.end(), 0.0) / static_cast<double>(mfus.size());
    r.details["mean_mfu"] = *r.value;
    r.score = std::accumulate(scores.begin(), scores.end(), 0.0) / static_cast<double>(scores.size());
    return r;
  }

  static int cap_level(double seconds, const std::vector<std::pair<double, int>>& thresholds) {
    int level = 0;  // slower than the loosest threshold
    for (const auto& [limit, l] : thresholds)
      if (seconds <= limit) level = l;
    return level;
  }

  // ie.intelligence — level_points × mean level over the items present, measurements capping (report §4.3.3 (2)).
  IndicatorResult ie_intelligence() const {
    auto r = base("ie.intelligence", "of 4", fmt::format("{} × mean level (0–4) over the capability items present",
                                                          core::shortest(p_.level_points)));
    Use use;
    std::vector<double> levels;
    // Measured caps (the kill-and-resume and checkpoint probes).
    std::map<std::string, int> caps;
    if (const auto* t = ix_.get("resilience.recovery.time")) {
      caps["fault_recovery"] = cap_level(t->quantity.si, p_.caps.fault_recovery);
      r.details["recovery_time_s"] = t->quantity.si;
      use.add(*t);
    }
    if (const auto* bw = ix_.get("resilience.checkpoint.write_bandwidth")) {
      r.details["checkpoint_write_bandwidth_Bps"] = bw->quantity.si;  // reported even when no state size is known
      std::optional<double> state;
      if (const auto* s = ix_.get("intelligence.largest_training_state")) {
        state = s->quantity.si;
        use.add(*s);
      } else {
        double largest = 0;
        for (const auto& pfx : ix_.prefixes_of(".active_parameters"))
          if (const auto* n = ix_.get(pfx + ".active_parameters")) largest = std::max(largest, n->quantity.si);
        if (largest > 0) state = largest * p_.caps.bytes_per_parameter;
      }
      if (state && bw->quantity.si > 0) {
        const double seconds = *state / bw->quantity.si;
        caps["checkpointing"] = cap_level(seconds, p_.caps.checkpointing);
        r.details["checkpoint_state_bytes"] = *state;
        r.details["checkpoint_write_time_s"] = seconds;
        use.add(*bw);
      }
    }
    for (const auto& item : v_.vocabulary("intelligence_items").items()) {
      const auto* e = ix_.get("intelligence." + item.id + ".level");
      if (!e) continue;
      use.add(*e);
      int level = static_cast<int>(e->quantity.si);
      if (auto c = caps.find(item.id); c != caps.end() && c->second < level) {
        r.notes.push_back(fmt::format("{}: declared level {} capped at {} by measurement", item.id, level, c->second));
        level = c->second;
      }
      r.details["levels"][item.id] = level;
      levels.push_back(level);
    }
    finish(r, use);
    if (levels.empty()) return missing(r, "no capability item declared (measurements alone cap levels, they do not set them)");
    r.value = std::accumulate(levels.begin(), levels.end(), 0.0) / static_cast<double>(levels.size());
    r.score = p_.level_points * *r.value;
    return r;
  }

  // Facility factors with defaults; `defaulted` lists what came from the profile.
  struct Facility {
    double pue = 0, grid_kg_per_kwh = 0, renewable = 0;
    std::vector<std::string> defaulted;
    bool declared_any = false;
  };

  Facility facility(Use& use, bool market_based = true) const {
    Facility f;
    if (const auto* e = ix_.get("facility.pue")) {
      f.pue = e->quantity.si;
      use.add(*e);
      f.declared_any = true;
    } else {
      f.pue = p_.defaults.pue;
      f.defaulted.push_back(fmt::format("PUE {} ({})", core::shortest(f.pue), p_.defaults.pue_source));
      use.estimated();
    }
    if (const auto* e = ix_.get("facility.grid_factor")) {
      f.grid_kg_per_kwh = e->quantity.si * kKWh;
      use.add(*e);
      f.declared_any = true;
    } else {
      f.grid_kg_per_kwh = p_.defaults.grid_factor_kg_per_kwh;
      f.defaulted.push_back(fmt::format("grid factor {} kgCO2e/kWh ({})", core::shortest(f.grid_kg_per_kwh), p_.defaults.grid_factor_source));
      use.estimated();
    }
    if (const auto* e = market_based ? ix_.get("facility.renewable_share") : nullptr) {
      f.renewable = e->quantity.si;
      use.add(*e);
      f.declared_any = true;
    }
    return f;
  }

  // Annual IT energy (kWh) and its source: declared energy, measured mean power, declared load × rated, or
  // the default load × rated (estimated).
  std::optional<std::pair<double, std::string>> annual_it_energy_kwh(Use& use) const {
    const MeanPower mp = mean_it_power();
    if (mp.watts) {
      use.add(*mp.evidence);
      return std::pair{*mp.watts * kYearHours / 1000, mp.source};
    }
    // A Q0 (estimated) IT power cannot give a load rate (circular), but it is still the operator's best figure
    // of the energy: used, and the indicator is then estimated.
    if (mp.q0 && mp.evidence) {
      use.add(*mp.evidence);
      use.estimated();
      const double w = mp.evidence->metric == "facility.it_energy.annual" ? mp.evidence->quantity.si / (kYearHours * kHour)
                                                                             : mp.evidence->quantity.si;
      return std::pair{w * kYearHours / 1000, mp.evidence->metric + " (Q0, estimated)"};
    }
    Use rated_use;
    const Rated rated = rated_it_power(&rated_use);
    if (!rated.total_w) return std::nullopt;
    for (const auto& i : rated_use.inputs) use.inputs.push_back(i);
    if (const auto* e = ix_.get("utilization.it_load_rate")) {
      use.add(*e);
      return std::pair{*rated.total_w * e->quantity.si * kYearHours / 1000, std::string("rated IT power × declared IT load rate × 8760 h")};
    }
    use.estimated();
    return std::pair{*rated.total_w * p_.defaults.it_load_rate * kYearHours / 1000,
                     fmt::format("rated IT power × default IT load rate {} × 8760 h (estimated)", core::shortest(p_.defaults.it_load_rate))};
  }

  double lifetime_s(const Group& g) const { return g.lifetime ? g.lifetime->quantity.si : p_.defaults.lifetime_s; }

  struct Footprint {
    double embodied = 0, transport = 0, end_of_life = 0;
    double operational_location = 0, operational_market = 0;  // over the lifetime
    double annual_operational_location = 0;
    double weighted_lifetime_y = 0;
    bool complete = false;
  };

  // Lifetime footprint: per-unit stage figures × units; operational = annual IT energy split by rated power
  // share × each group's lifetime × PUE × grid factor.
  Footprint footprint(const Facility& f, Use& use, json& details) const {
    Footprint fp;
    auto energy = annual_it_energy_kwh(use);
    const Rated rated = rated_it_power(&use);
    for (const auto& g : groups_) {
      for (const auto& [stage, target] : {std::pair<const char*, double*>{"embodied", &fp.embodied},
                                          {"transport", &fp.transport}, {"end_of_life", &fp.end_of_life}}) {
        if (const auto* e = ix_.get("carbon." + g.id + "." + stage)) {
          *target += g.count * e->quantity.si;
          use.add(*e);
        }
      }
    }
    if (energy && rated.total_w && *rated.total_w > 0) {
      double lifetime_kwh = 0, weighted_life = 0;
      for (const auto& g : groups_) {
        const double share = group_rated(g, nullptr, nullptr).value_or(0) / *rated.total_w;
        lifetime_kwh += energy->first * share * lifetime_s(g) / (kYearHours * kHour);
        weighted_life += share * lifetime_s(g) / (kYearHours * kHour);
        if (g.lifetime) use.add(*g.lifetime);
      }
      fp.annual_operational_location = energy->first * f.pue * f.grid_kg_per_kwh;
      fp.operational_location = lifetime_kwh * f.pue * f.grid_kg_per_kwh;
      fp.operational_market = fp.operational_location * (1 - f.renewable);
      fp.weighted_lifetime_y = weighted_life;
      fp.complete = true;
      details["annual_it_energy_kwh"] = energy->first;
      details["annual_operational_location_kgco2e"] = fp.annual_operational_location;
      details["annual_it_energy_source"] = energy->second;
      details["lifetime_it_energy_kwh"] = lifetime_kwh;
      details["rated_it_power_w"] = *rated.total_w;
    }
    return fp;
  }

  // co2.lifecycle — footprint reported; scored on operational intensity and green strategy (report §4.3.4 (1)).
  IndicatorResult co2_lifecycle() const {
    auto r = base("co2.lifecycle", "kgCO2e/kWh",
                  "w_CI·curve(CI_op) + w_S·(points × mean strategy level), CI_op = PUE × grid factor × (1 − renewable share)");
    Use use, facility_use;
    const Facility f = facility(facility_use);
    const double ci_op = f.pue * f.grid_kg_per_kwh * (1 - f.renewable);
    r.details["pue"] = f.pue;
    r.details["grid_factor_kg_per_kwh"] = f.grid_kg_per_kwh;
    r.details["renewable_share"] = f.renewable;
    r.details["ci_op_kg_per_kwh"] = ci_op;
    std::vector<double> levels;
    for (const auto& stage : v_.vocabulary("strategy_stages").items()) {
      if (const auto* e = ix_.get("carbon.strategy." + stage.id)) {
        levels.push_back(e->quantity.si);
        r.details["strategy_levels"][stage.id] = e->quantity.si;
        use.add(*e);
      }
    }
    Use footprint_use;  // the footprint is reported, not scored: its inputs do not set the indicator's kind
    const Footprint fp = footprint(f, footprint_use, r.details);
    r.details["footprint_kgco2e"] = {{"embodied", fp.embodied}, {"transport", fp.transport}, {"end_of_life", fp.end_of_life},
                                     {"operational_location_based", fp.operational_location},
                                     {"operational_market_based", fp.operational_market}};
    if (fp.complete) {
      const double total = fp.embodied + fp.transport + fp.end_of_life + fp.operational_market;
      r.details["footprint_total_kgco2e"] = total;
      if (fp.weighted_lifetime_y > 0) r.details["footprint_per_year_kgco2e"] = total / fp.weighted_lifetime_y;
      if (r.details.contains("rated_it_power_w"))
        r.details["footprint_per_kw_it_kgco2e"] = total / (r.details["rated_it_power_w"].get<double>() / 1000);
    }
    const std::optional<double> ci_score = f.declared_any ? std::optional(curve(r.id, ci_op)) : std::nullopt;
    // The facility's inputs (and any defaults among them) count only when the intensity part is scored.
    if (ci_score) {
      for (const auto& d : f.defaulted) r.notes.push_back("default used: " + d);
      for (const auto& i : facility_use.inputs) use.inputs.push_back(i);
      use.weakest = std::min(use.weakest, facility_use.weakest);
      use.any = true;
    } else {
      r.notes.push_back("no PUE, grid factor or renewable share declared: the carbon intensity part is not scored");
    }
    finish(r, use);
    const std::optional<double> strategy =
        levels.empty() ? std::nullopt
                       : std::optional(p_.level_points * std::accumulate(levels.begin(), levels.end(), 0.0) /
                                       static_cast<double>(levels.size()));
    if (!ci_score && !strategy)
      return missing(r, "no facility figure (PUE, grid factor, renewable share) and no green strategy declared");
    if (ci_score) {
      r.value = ci_op;
      r.details["ci_op_score"] = *ci_score;
    }
    if (strategy) r.details["strategy_score"] = *strategy;
    r.score = blend({{ci_score, p_.blend(r.id, "carbon_intensity")}, {strategy, p_.blend(r.id, "strategy")}});
    return r;
  }

  // co2.compute_carbon — lifetime carbon ÷ compute delivered, against the national baseline (report §4.3.4 (2)).
  IndicatorResult co2_compute_carbon() const {
    auto r = base("co2.compute_carbon", "",
                  "curve(CCE ÷ CCE_baseline), CCE = (embodied + transport + end of life + lifetime operational, "
                  "location-based) ÷ (CP × U × hours of life) in kgCO2e per PFLOPS·h");
    Use use;
    const Facility f = facility(use, false);  // location-based, as SCI requires: no renewable deduction
    for (const auto& d : f.defaulted) r.notes.push_back("default used: " + d);
    const Utilization u = device_utilization();
    const std::string prec = p_.reference_precision;
    double delivered_pflops_h = 0, capacity = 0;
    for (const auto& g : groups_) {
      const double cp = group_peak(g, prec, &use);
      capacity += cp;
      if (u.value) delivered_pflops_h += cp / 1e15 * *u.value * lifetime_s(g) / kHour;
    }
    const Footprint fp = footprint(f, use, r.details);
    // Baseline: per PFLOPS of capacity for one hour, rated power 1e15 / CE_b W at load L_b, PUE_b, grid_b,
    // delivering U_b PFLOPS·h; embodied carbon left out.
    const auto& b = p_.baseline;
    const double baseline = (1e15 / b.compute_efficiency_flops_per_w) * b.it_load_rate / 1000 * b.pue * b.grid_factor_kg_per_kwh / b.utilization;
    r.details["cce_baseline_kg_per_pflops_h"] = baseline;
    if (u.evidence) use.add(*u.evidence);
    finish(r, use);
    if (capacity <= 0) return missing(r, fmt::format("no compute device declares a {} peak", prec));
    if (!u.value) return missing(r, "no device utilization over real operation (compute delivered = capacity × U × hours)");
    if (!fp.complete) return missing(r, "lifetime IT energy unknown (no rated IT power)");
    if (!(delivered_pflops_h > 0)) return missing(r, "no compute delivered (utilization 0)");
    const double carbon = fp.embodied + fp.transport + fp.end_of_life + fp.operational_location;
    const double cce = carbon / delivered_pflops_h;
    if (fp.embodied + fp.transport + fp.end_of_life == 0)
      r.notes.push_back("embodied, transport and end-of-life carbon not declared: operational carbon only (as the baseline)");
    r.details["lifetime_carbon_kgco2e"] = carbon;
    r.details["compute_delivered_pflops_h"] = delivered_pflops_h;
    r.details["cce_kg_per_pflops_h"] = cce;
    r.details["capacity_flops"] = capacity;
    if (fp.weighted_lifetime_y > 0)
      r.details["kg_per_pflops_capacity_per_year"] = carbon / (capacity / 1e15) / fp.weighted_lifetime_y;
    r.details["utilization"] = *u.value;
    r.value = cce / baseline;
    r.score = curve(r.id, *r.value);
    return r;
  }

  // Count of catalog ids present as metrics `prefix<id>`.
  std::size_t count_present(const std::string& prefix, const std::string& vocabulary, Use& use, json& list) const {
    std::size_t n = 0;
    for (const auto& item : v_.vocabulary(vocabulary).items())
      if (const auto* e = ix_.get(prefix + item.id)) {
        ++n;
        use.add(*e);
        list.push_back(item.id);
      }
    return n;
  }

  // acc.universality — reach level, scenario coverage, access modes (report §4.3.5 (1)).
  IndicatorResult acc_universality() const {
    auto r = base("acc.universality", "", "w_G·points[G] + w_C·100·C + w_X·100·X, renormalised over what is present");
    Use use;
    std::optional<double> reach;
    if (const auto* e = ix_.get("access.reach")) {
      static const char* names[] = {"", "internal", "regional", "national"};
      const int level = static_cast<int>(e->quantity.si);
      reach = p_.reach_points.at(names[std::clamp(level, 1, 3)]);
      r.details["reach"] = names[std::clamp(level, 1, 3)];
      use.add(*e);
    }
    const double n_sc = static_cast<double>(v_.vocabulary("scenarios").items().size());
    const double n_mo = static_cast<double>(v_.vocabulary("access_modes").items().size());
    const std::size_t sc = count_present("access.scenario.", "scenarios", use, r.details["scenarios"]);
    const std::size_t mo = count_present("access.mode.", "access_modes", use, r.details["access_modes"]);
    finish(r, use);
    if (!use.any) return missing(r, "no access section declared");
    const double c = static_cast<double>(sc) / n_sc, x = static_cast<double>(mo) / n_mo;
    r.details["scenario_coverage"] = c;
    r.details["access_mode_share"] = x;
    // An access section declares its lists (an empty list is a declared 0); reach may be absent.
    r.score = blend({{reach, p_.blend(r.id, "reach")}, {100 * c, p_.blend(r.id, "scenarios")}, {100 * x, p_.blend(r.id, "access_modes")}});
    r.value = r.score;
    r.unit = "points";
    return r;
  }

  // acc.inclusiveness — price advantage on effective compute, billing flexibility (report §4.3.5 (2)).
  IndicatorResult acc_inclusiveness() const {
    const std::string prec = p_.reference_precision;
    auto r = base("acc.inclusiveness", "",
                  fmt::format("w_PA·curve(PA) + w_B·100·B, PA = median market ÷ median own price per {} PFLOPS·h", prec));
    Use use;
    std::string currency;
    for (const auto& m : ix_.with_prefix("exchange_rate.")) currency = ix_.get(m)->quantity.currency;
    auto unit_prices = [&](const std::string& side) {
      std::vector<double> out;
      for (const auto& pfx : ix_.prefixes_of(".price")) {
        if (!pfx.starts_with("pricing." + side + "[")) continue;
        const auto *price = ix_.get(pfx + ".price"), *peak = ix_.get(pfx + ".peak." + prec);
        if (!price || !peak || peak->quantity.si <= 0) continue;
        double per_hour = price->quantity.si * kHour;
        if (currency.empty()) currency = price->quantity.currency;
        if (price->quantity.currency != currency) {
          const auto* rate = ix_.get("exchange_rate." + price->quantity.currency);
          if (!rate) {
            r.notes.push_back(fmt::format("{} left out: no exchange rate for {}", pfx, price->quantity.currency));
            continue;
          }
          per_hour *= rate->quantity.si;
          use.add(*rate);
        }
        use.add(*price);
        use.add(*peak);
        out.push_back(per_hour / (peak->quantity.si / 1e15));
        r.details[side + "_price_per_pflops_h"].push_back(out.back());
      }
      return out;
    };
    const auto own = unit_prices("own"), market = unit_prices("market");
    std::optional<double> pa;
    if (!own.empty() && !market.empty()) {
      pa = median(market) / median(own);
      r.details["price_advantage"] = *pa;
      r.details["own_median_price_per_pflops_h"] = median(own);
      r.details["market_median_price_per_pflops_h"] = median(market);
      r.details["currency"] = currency;
      // Effective compute: the same realised efficiency assumed for the market offers (it cancels in PA).
      Use ignore;
      std::vector<double> e;
      for (const auto& w : workloads(ignore))
        if (w.valid) e.push_back(w.efficiency);
      if (!e.empty()) r.details["own_median_price_per_effective_pflops_h"] = median(own) / geomean(e);
    }
    // Price per million tokens of each model with a token throughput, at the own offers' median price per
    // device-hour (reported, not scored).
    std::vector<double> per_device_hour;
    for (const auto& pfx : ix_.prefixes_of(".price")) {
      if (!pfx.starts_with("pricing.own[")) continue;
      const auto *price = ix_.get(pfx + ".price"), *devices = ix_.get(pfx + ".devices");
      if (!price || !devices || devices->quantity.si <= 0) continue;
      double per_hour = price->quantity.si * kHour;
      if (!currency.empty() && price->quantity.currency != currency) {
        const auto* rate = ix_.get("exchange_rate." + price->quantity.currency);
        if (!rate) continue;
        per_hour *= rate->quantity.si;
      }
      per_device_hour.push_back(per_hour / devices->quantity.si);
    }
    if (!per_device_hour.empty()) {
      for (const auto& pfx : ix_.prefixes_of(".throughput")) {
        const auto *t = ix_.get(pfx + ".throughput"), *d = ix_.get(pfx + ".devices");
        if (!t || !d || t->quantity.dim != core::dim::token_rate() || t->quantity.si <= 0) continue;
        const double cost_per_hour = median(per_device_hour) * d->quantity.si;
        r.details["price_per_million_tokens"].push_back(
            {{"metric", pfx}, {"name", t->note}, {"value", cost_per_hour / (t->quantity.si * kHour / 1e6)}, {"currency", currency}});
      }
    }
    json billing = json::array();
    const std::size_t nb = count_present("pricing.billing.", "billing_options", use, billing);
    const bool billing_declared = nb > 0;
    r.details["billing_options"] = billing;
    const double b = static_cast<double>(nb) / static_cast<double>(v_.vocabulary("billing_options").items().size());
    finish(r, use);
    if (!pa && !billing_declared) return missing(r, "no own and market prices to compare, and no billing options");
    if (!pa) r.notes.push_back("price advantage missing: needs own and market offers with a peak at the reference precision");
    r.details["billing_share"] = b;
    r.value = pa;
    r.score = blend({{pa ? std::optional(curve(r.id, *pa)) : std::nullopt, p_.blend(r.id, "price_advantage")},
                     {billing_declared ? std::optional(100 * b) : std::nullopt, p_.blend(r.id, "billing")}});
    return r;
  }

  // sus.compatibility — pass rate and layer coverage of the compatibility matrix (report §4.3.6 (1)).
  IndicatorResult sus_compatibility() const {
    auto r = base("sus.compatibility", "", "curve(P) × (base + (1 − base)·K), P = mean result (pass 1, partial 0.5, fail 0), K = layers tested ÷ all layers");
    Use use;
    std::vector<double> results;
    std::set<std::string> layers;
    const auto all_layers = v_.vocabulary("compatibility_layers").ids();
    for (const auto& m : ix_.with_prefix("compatibility[")) {
      const auto* e = ix_.get(m);
      const std::string layer = m.substr(m.rfind('.') + 1);
      if (std::find(all_layers.begin(), all_layers.end(), layer) == all_layers.end()) continue;
      results.push_back(e->quantity.si);
      layers.insert(layer);
      use.add(*e);
    }
    finish(r, use);
    if (results.empty()) return missing(r, "no compatibility test declared");
    const double p = std::accumulate(results.begin(), results.end(), 0.0) / static_cast<double>(results.size());
    const double k = static_cast<double>(layers.size()) / static_cast<double>(all_layers.size());
    r.details["pass_rate"] = p;
    r.details["layer_coverage"] = k;
    r.details["tests"] = results.size();
    r.value = p;
    r.score = curve(r.id, p) * (p_.compatibility_coverage_base + (1 - p_.compatibility_coverage_base) * k);
    return r;
  }

  // sus.supply_chain — multi-sourcing, concentration, supplier quality over the required categories (report §4.3.6 (2)).
  IndicatorResult sus_supply_chain() const {
    auto r = base("sus.supply_chain", "",
                  "100·(w_M·M + w_D·D + w_Q·Q) over all required categories; M = share with ≥ 2 qualified suppliers, D = "
                  "mean min(1, (1 − HHI) ÷ scale), Q = mean share-weighted supplier quality");
    Use use;
    double m_sum = 0, d_sum = 0, q_sum = 0;
    bool any_supplier = false;
    const auto& cats = v_.vocabulary("supply_chain_categories").items();
    for (const auto& c : cats) {
      double hhi = 0, share_sum = 0, q_weighted = 0;
      int qualified = 0, suppliers = 0;
      for (int i = 0;; ++i) {
        const std::string pfx = fmt::format("supply_chain.{}[{}]", c.id, i);
        const auto* share = ix_.get(pfx + ".share");
        if (!share) break;
        ++suppliers;
        any_supplier = true;
        use.add(*share);
        const double s = share->quantity.si;
        hhi += s * s;
        share_sum += s;
        std::vector<double> parts;
        if (const auto* e = ix_.get(pfx + ".on_time")) parts.push_back(e->quantity.si), use.add(*e);
        if (const auto* e = ix_.get(pfx + ".defect_rate")) parts.push_back(1 - e->quantity.si), use.add(*e);
        if (const auto* e = ix_.get(pfx + ".qualified")) {
          parts.push_back(e->quantity.si);
          qualified += e->quantity.si > 0 ? 1 : 0;
          use.add(*e);
        }
        const double q = parts.empty() ? 0 : std::accumulate(parts.begin(), parts.end(), 0.0) / static_cast<double>(parts.size());
        q_weighted += s * q;
      }
      const double mc = qualified >= 2 ? 1 : 0;
      const double dc = suppliers ? std::min(1.0, (1 - hhi) / p_.hhi_diversity_scale) : 0;
      const double qc = share_sum > 0 ? q_weighted / share_sum : 0;
      m_sum += mc;
      d_sum += dc;
      q_sum += qc;
      r.details["categories"][c.id] = {{"suppliers", suppliers}, {"qualified", qualified}, {"hhi", suppliers ? hhi : 1.0},
                                       {"diversity", dc}, {"quality", qc}};
    }
    if (const auto* e = ix_.get("supply_chain.partners")) {
      r.details["partners"] = e->quantity.si;
      use.add(*e);
    }
    finish(r, use);
    if (!any_supplier) return missing(r, "no supplier declared in any category");
    const double n = static_cast<double>(cats.size());
    const double m = m_sum / n, d = d_sum / n, q = q_sum / n;
    r.details["multi_sourced_share"] = m;
    r.details["diversity"] = d;
    r.details["quality"] = q;
    r.value = 100 * (p_.blend(r.id, "multi_sourced") * m + p_.blend(r.id, "diversity") * d + p_.blend(r.id, "quality") * q);
    r.unit = "points";
    r.score = r.value;
    return r;
  }

  // sus.openness — standards conformed and open-platform features (report §4.3.6 (3)).
  IndicatorResult sus_openness() const {
    auto r = base("sus.openness", "", "100·(w_S·S + w_O·O), S = standards conformed ÷ applicable standards, O = features ÷ all features");
    Use use;
    json conforms = json::array(), na = json::array(), features = json::array();
    const std::size_t s = count_present("openness.standard.", "standards", use, conforms);
    const std::size_t not_applicable = count_present("openness.not_applicable.", "standards", use, na);
    const std::size_t o = count_present("openness.feature.", "platform_features", use, features);
    finish(r, use);
    if (!use.any) return missing(r, "no openness section declared");
    const double applicable = static_cast<double>(v_.vocabulary("standards").items().size() - not_applicable);
    std::optional<double> sv;
    if (applicable > 0) sv = static_cast<double>(s) / applicable;
    const double ov = static_cast<double>(o) / static_cast<double>(v_.vocabulary("platform_features").items().size());
    r.details["standards_conformed"] = conforms;
    r.details["standards_not_applicable"] = na;
    r.details["features"] = features;
    if (sv) r.details["standards_share"] = sv.value();
    else r.notes.push_back("every standard declared not applicable: the standards part is not scored");
    r.details["features_share"] = ov;
    r.value = blend({{sv ? std::optional(100 * *sv) : std::nullopt, p_.blend(r.id, "standards")},
                     {std::optional(100 * ov), p_.blend(r.id, "features")}});
    r.unit = "points";
    r.score = r.value;
    return r;
  }

  // ---------------------------------------------------------------------------------------------------
  void aggregate(Assessment& a) const {
    std::vector<std::optional<double>> dim_scores;
    std::vector<double> dim_weights;
    std::map<std::string, double> present_dims;
    double coverage = 0;
    for (const auto& d : core::dimensions()) {
      const std::string id(d.id);
      const WeightSet& ws = p_.indicator_weights.at(id);
      std::vector<std::optional<double>> scores;
      for (const auto& iid : ws.ids) scores.push_back(a.indicator(iid).score);
      const auto agg = method::weighted_mean(scores, ws.weights);
      DimensionResult dr;
      dr.id = id;
      dr.score = agg.score;
      dr.coverage = agg.coverage;
      dr.weight = p_.dimension_weights.of(id);
      coverage += dr.weight * dr.coverage;
      dim_scores.push_back(dr.score);
      dim_weights.push_back(dr.weight);
      if (dr.score) present_dims[id] = *dr.score;
      a.dimensions.push_back(dr);
    }
    const auto overall = method::weighted_mean(dim_scores, dim_weights);
    a.overall = overall.score;
    a.coverage = coverage;
    a.final = coverage >= 1 - 1e-9;
    if (a.overall) a.grade = method::grade(*a.overall, present_dims, p_.bands, p_.floor);
  }

  Index ix_;
  const Profile& p_;
  const catalog::Catalogs& v_;
  std::vector<Group> groups_;
};

}  // namespace

const IndicatorResult& Assessment::indicator(std::string_view id) const {
  for (const auto& i : indicators)
    if (i.id == id) return i;
  throw std::out_of_range(fmt::format("no indicator '{}'", id));
}

Assessment assess(const std::vector<core::Evidence>& evidence, const Profile& profile, const catalog::Catalogs& vocabularies) {
  return Assessor(evidence, profile, vocabularies).run();
}

}  // namespace aicq::assess

// The declaration as evidence (every quantitative fact, with its source line) and as JSON.
#include <fmt/format.h>

#include "aicq/declare/declaration.hpp"

namespace aicq::declare {

namespace {

using core::Evidence;
using core::EvidenceKind;

class Emitter {
 public:
  Emitter(const Declaration& d, const catalog::Catalogs& cat) : d_(d), cat_(cat) {}

  std::vector<Evidence> run() {
    inventory();
    facility();
    carbon();
    utilization();
    workloads();
    models();
    intelligence();
    access();
    pricing();
    compatibility();
    supply_chain();
    openness();
    return std::move(out_);
  }

 private:
  void fact(std::string metric, const Fact& f, std::optional<core::PowerQuality> q = std::nullopt,
            std::string note = {}) {
    Evidence e;
    e.metric = std::move(metric);
    e.quantity = f.quantity;
    e.text = f.text;
    e.kind = EvidenceKind::declared;
    e.source.at = f.at;
    e.quality = q;
    e.note = std::move(note);
    out_.push_back(std::move(e));
  }

  void number(std::string metric, double v, const core::Location& at, std::string text = {}) {
    core::Quantity q;
    q.si = v;
    fact(std::move(metric), Fact{q, text.empty() ? core::shortest(v) : std::move(text), at});
  }

  void component(const std::string& prefix, const ComponentSpec& spec) {
    const catalog::HardwareModel* hm = spec.model.empty() ? nullptr : cat_.hardware.find(spec.model);
    number(prefix + ".count_per_unit", spec.count, spec.at);
    std::map<std::string, bool> written;
    for (const auto& [prec, f] : spec.peak) {
      fact(fmt::format("{}.peak.{}", prefix, prec), f);
      written[prec] = true;
    }
    if (hm) {
      for (const auto& [prec, q] : hm->peak) {
        if (written.contains(prec)) continue;  // an explicit figure overrides the catalog's
        catalog_fact(fmt::format("{}.peak.{}", prefix, prec), q, *hm, "peak", spec.at);
      }
      if (!spec.tdp && hm->tdp) catalog_fact(prefix + ".tdp", *hm->tdp, *hm, "tdp", spec.at);
      if (hm->memory_bandwidth) catalog_fact(prefix + ".memory_bandwidth", *hm->memory_bandwidth, *hm, "memory_bandwidth", spec.at);
      if (hm->memory) catalog_fact(prefix + ".memory", *hm->memory, *hm, "memory", spec.at);
    }
    if (spec.tdp) fact(prefix + ".tdp", *spec.tdp);
  }

  void catalog_fact(std::string metric, const core::Quantity& q, const catalog::HardwareModel& hm,
                    std::string_view field, const core::Location& at) {
    Evidence e;
    e.metric = std::move(metric);
    e.quantity = q;
    e.text = q.to_string();
    e.kind = EvidenceKind::declared;
    e.source.at = at;
    e.source.catalog = hm.id;
    e.source.reference = hm.source_of(field);
    out_.push_back(std::move(e));
  }

  void inventory() {
    for (const auto& g : d_.inventory) {
      const std::string p = "inventory." + g.id;
      number(p + ".count", static_cast<double>(g.count), g.at);
      if (g.rated_power) fact(p + ".rated_power", *g.rated_power);
      if (g.lifetime) fact(p + ".lifetime", *g.lifetime);
      if (g.accelerators) component(p + ".accelerator", *g.accelerators);
      if (g.cpus) component(p + ".cpu", *g.cpus);
    }
  }

  void facility() {
    if (!d_.facility) return;
    const auto& f = *d_.facility;
    if (f.pue) fact("facility.pue", *f.pue, std::nullopt, f.pue_basis);
    if (f.grid_factor)
      fact("facility.grid_factor", f.grid_factor->value, std::nullopt,
           fmt::format("{} ({})", f.grid_factor->source, f.grid_factor->year));
    if (f.renewable_share) fact("facility.renewable_share", *f.renewable_share, std::nullopt, f.renewable_source);
    if (f.it_power)
      fact("facility.it_power.mean", f.it_power->mean, f.it_power->quality,
           fmt::format("window {}..{}; {}", f.it_power->window.from, f.it_power->window.to, f.it_power->source));
    if (f.it_energy)
      fact("facility.it_energy.annual", f.it_energy->annual, f.it_energy->quality,
           fmt::format("year {}; {}", f.it_energy->year, f.it_energy->source));
  }

  void carbon() {
    if (!d_.carbon) return;
    for (const auto& g : d_.carbon->groups) {
      const std::string p = "carbon." + g.group;
      if (g.embodied) fact(p + ".embodied", *g.embodied, std::nullopt, g.source);
      if (g.transport) fact(p + ".transport", *g.transport, std::nullopt, g.source);
      if (g.end_of_life) fact(p + ".end_of_life", *g.end_of_life, std::nullopt, g.source);
    }
    for (const auto& [stage, l] : d_.carbon->strategy) number("carbon.strategy." + stage, l.value, l.at);
  }

  void util(const std::string& metric, const std::optional<UtilizationFigure>& f) {
    if (!f) return;
    fact(metric, f->value, std::nullopt,
         fmt::format("window {}..{}{}", f->window.from, f->window.to, f->source.empty() ? "" : "; " + f->source));
  }

  void utilization() {
    if (!d_.utilization) return;
    const auto& u = *d_.utilization;
    util("utilization.it_load_rate", u.it_load_rate);
    // The metric kind is part of the id: SM-active is preferred over busy time when both exist.
    if (u.accelerator) util("utilization.accelerator." + (u.accelerator->metric.empty() ? "gpu_util" : u.accelerator->metric), u.accelerator);
    if (u.cpu) util("utilization.cpu." + (u.cpu->metric.empty() ? "cpu_busy" : u.cpu->metric), u.cpu);
  }

  // Per-device peak of a group's devices at a precision: an explicit figure, else the catalog's.
  void device_peak(const std::string& metric, const Placement& pl, const core::Location& at) {
    const DeviceGroup* g = d_.group(pl.group);
    if (!g) return;
    const auto& spec = pl.device == "cpu" ? g->cpus : g->accelerators;
    if (!spec) return;
    if (auto it = spec->peak.find(pl.precision); it != spec->peak.end()) {
      Evidence e;
      e.metric = metric;
      e.quantity = it->second.quantity;
      e.text = it->second.text;
      e.source.at = it->second.at;
      e.source.method = fmt::format("explicit {} peak of group {}'s {}s", pl.precision, g->id, pl.device);
      out_.push_back(std::move(e));
      return;
    }
    if (const auto* hm = cat_.hardware.find(spec->model)) {
      if (auto it = hm->peak.find(pl.precision); it != hm->peak.end()) {
        catalog_fact(metric, it->second, *hm, "peak", at);
        out_.back().source.method = fmt::format("catalog {} peak of group {}'s {}s", pl.precision, g->id, pl.device);
      }
    }
  }

  void placement(const std::string& p, const Placement& pl, const core::Location& at) {
    number(p + ".devices", static_cast<double>(pl.devices), at);
    device_peak(p + ".peak_per_device", pl, at);
  }

  void workloads() {
    for (std::size_t i = 0; i < d_.workloads.size(); ++i) {
      const auto& w = d_.workloads[i];
      const std::string p = fmt::format("workloads[{}]", i);
      const std::string what =
          fmt::format("{} ({}{})", w.name, w.placement.precision, w.source.empty() ? "" : ", " + w.source);
      if (w.rate_record) {
        // The rate as its file states it: the imported record keeps its kind and source.
        Evidence e = *w.rate_record;
        e.note = fmt::format("{}; rate from {}", what, w.rate_ref);
        e.metric = p + ".rate";
        out_.push_back(std::move(e));
      } else if (w.rate) {
        fact(p + ".rate", *w.rate, std::nullopt, what);
      }
      if (w.flop_per_unit) fact(p + ".flop_per_unit", *w.flop_per_unit, std::nullopt, what);
      if (auto a = w.achieved()) {
        Evidence e;
        e.metric = p + ".achieved";
        e.quantity = *a;
        e.text = a->to_string();
        e.source.at = w.at;
        if (w.rate_record) {
          e.kind = w.rate_record->kind;
          e.source = w.rate_record->source;
        }
        e.source.method = w.flop_per_unit ? "rate × flop_per_unit" : "rate";
        e.note = what;
        out_.push_back(std::move(e));
      }
      if (!w.invalid_reason.empty()) {
        flag(p + ".invalid", 1, "invalid run", w.at);
        out_.back().note = w.invalid_reason;
      }
      placement(p, w.placement, w.at);
    }
  }

  void models() {
    for (std::size_t i = 0; i < d_.models.size(); ++i) {
      const auto& m = d_.models[i];
      const std::string p = fmt::format("models[{}]", i);
      const std::string what =
          fmt::format("{} ({} {}{})", m.name, m.task, m.placement.precision, m.source.empty() ? "" : ", " + m.source);
      if (m.throughput) fact(p + ".throughput", *m.throughput, std::nullopt, what);
      if (m.accuracy_record) {
        Evidence e = *m.accuracy_record;  // keeps its kind (imported) and source
        e.metric = p + ".accuracy";
        e.note = fmt::format("{}; accuracy from {}", m.accuracy_metric, m.accuracy_ref);
        out_.push_back(std::move(e));
      } else if (m.accuracy) {
        fact(p + ".accuracy", *m.accuracy, std::nullopt, m.accuracy_metric);
      }
      if (m.reference_accuracy) fact(p + ".reference_accuracy", *m.reference_accuracy, std::nullopt, m.accuracy_metric);
      if (m.flop_per_token) {
        fact(p + ".flop_per_unit", *m.flop_per_token, std::nullopt, what);
      } else if (auto f = m.flop_per_unit(); f && m.structure) {
        Evidence e;
        e.metric = p + ".flop_per_unit";
        e.quantity.si = *f;
        e.quantity.dim = core::dim::ops();
        e.text = e.quantity.to_string();
        e.source.at = m.at;
        e.note = what;
        const auto& s = *m.structure;
        number(p + ".active_parameters", s.active_parameters, m.at);
        e.source.method = fmt::format("{} with N={}, L={}, H={}, Q={}, T={} (PaLM, Chowdhery et al. 2022, app. B)",
                                      m.task == "training" ? "6N + 12·L·H·Q·T" : "2N + 4·L·H·Q·T",
                                      core::shortest(s.active_parameters), s.layers, s.heads, s.head_dim,
                                      s.sequence_length);
        out_.push_back(std::move(e));
      }
      placement(p, m.placement, m.at);
    }
  }

  void intelligence() {
    if (!d_.intelligence) return;
    for (const auto& [id, item] : d_.intelligence->items) number("intelligence." + id + ".level", item.level.value, item.level.at);
    if (d_.intelligence->largest_training_state)
      fact("intelligence.largest_training_state", *d_.intelligence->largest_training_state);
  }

  // A categorical fact as a number: membership (1) or a coded level, with the words in `text`.
  void flag(std::string metric, double value, std::string text, const core::Location& at) {
    core::Quantity q;
    q.si = value;
    fact(std::move(metric), Fact{q, std::move(text), at});
  }

  void access() {
    if (!d_.access) return;
    const auto& a = *d_.access;
    static const std::map<std::string, double> reach = {{"internal", 1}, {"regional", 2}, {"national", 3}};
    if (!a.reach.empty()) flag("access.reach", reach.at(a.reach), a.reach, a.at);
    for (const auto& s : a.scenarios) flag("access.scenario." + s, 1, s, a.at);
    for (const auto& m : a.modes) flag("access.mode." + m, 1, m, a.at);
  }

  // An offer's peak per precision: catalog model × count, or the explicit peak.
  void offer(const std::string& p, const Offer& o) {
    fact(p + ".price", o.price, std::nullopt, o.source.empty() ? o.name : o.name + "; " + o.source);
    if (o.resource.peak) {
      fact(p + ".peak." + o.resource.precision, *o.resource.peak, std::nullopt, o.name);
      return;
    }
    const auto* hm = cat_.hardware.find(o.resource.model);
    if (!hm) return;
    number(p + ".devices", static_cast<double>(o.resource.count), o.at);
    for (const auto& [prec, q] : hm->peak) {
      core::Quantity total = q;
      total.si *= static_cast<double>(o.resource.count);
      catalog_fact(fmt::format("{}.peak.{}", p, prec), total, *hm, "peak", o.at);
      out_.back().source.method = fmt::format("{} × {} peak", o.resource.count, hm->id);
    }
  }

  void pricing() {
    for (const auto& [code, rate] : d_.exchange_rates) {
      core::Quantity q;
      q.dim = core::dim::currency();
      q.currency = d_.currency;
      q.si = rate;
      fact("exchange_rate." + code, Fact{q, fmt::format("1 {} = {} {}", code, core::shortest(rate), d_.currency), d_.exchange_rates_at.at(code)});
    }
    if (!d_.pricing) return;
    for (std::size_t i = 0; i < d_.pricing->own.size(); ++i) offer(fmt::format("pricing.own[{}]", i), d_.pricing->own[i]);
    for (std::size_t i = 0; i < d_.pricing->market.size(); ++i) offer(fmt::format("pricing.market[{}]", i), d_.pricing->market[i]);
    for (const auto& b : d_.pricing->billing) flag("pricing.billing." + b, 1, b, d_.pricing->at);
  }

  void compatibility() {
    static const std::map<std::string, double> result = {{"pass", 1}, {"partial", 0.5}, {"fail", 0}};
    for (std::size_t i = 0; i < d_.compatibility.size(); ++i) {
      const auto& c = d_.compatibility[i];
      flag(fmt::format("compatibility[{}].{}", i, c.layer), result.at(c.result), fmt::format("{}: {}", c.item, c.result), c.at);
    }
  }

  void supply_chain() {
    if (!d_.supply_chain) return;
    for (const auto& c : d_.supply_chain->categories) {
      for (std::size_t i = 0; i < c.suppliers.size(); ++i) {
        const auto& s = c.suppliers[i];
        const std::string p = fmt::format("supply_chain.{}[{}]", c.id, i);
        fact(p + ".share", s.share, std::nullopt, s.name);
        if (s.on_time) fact(p + ".on_time", *s.on_time, std::nullopt, s.name);
        if (s.defect_rate) fact(p + ".defect_rate", *s.defect_rate, std::nullopt, s.name);
        flag(p + ".qualified", s.qualified ? 1 : 0, s.qualified ? "qualified" : "not qualified", s.at);
      }
    }
    if (d_.supply_chain->partners) flag("supply_chain.partners", static_cast<double>(*d_.supply_chain->partners), "partners", d_.supply_chain->at);
  }

  void openness() {
    if (!d_.openness) return;
    for (const auto& s : d_.openness->conforms) flag("openness.standard." + s, 1, s, d_.openness->at);
    for (const auto& [s, reason] : d_.openness->not_applicable) {
      flag("openness.not_applicable." + s, 1, s, d_.openness->at);
      out_.back().note = reason;
    }
    for (const auto& f : d_.openness->features) flag("openness.feature." + f, 1, f, d_.openness->at);
  }

  const Declaration& d_;
  const catalog::Catalogs& cat_;
  std::vector<Evidence> out_;
};

nlohmann::json fact_json(const Fact& f) {
  return nlohmann::json{{"value", f.quantity.canonical_value()}, {"unit", f.quantity.canonical_unit()}, {"text", f.text}};
}

template <class T, class F>
void put_opt(nlohmann::json& j, const char* key, const std::optional<T>& v, F f) {
  if (v) j[key] = f(*v);
}

nlohmann::json placement_json(const Placement& p) {
  return {{"group", p.group}, {"device", p.device}, {"devices", p.devices}, {"precision", p.precision}};
}

nlohmann::json window_json(const Window& w) { return {{"from", w.from}, {"to", w.to}}; }

nlohmann::json component_json(const ComponentSpec& c) {
  nlohmann::json j{{"count", c.count}};
  if (!c.model.empty()) j["model"] = c.model;
  for (const auto& [p, f] : c.peak) j["peak"][p] = fact_json(f);
  put_opt(j, "tdp", c.tdp, fact_json);
  return j;
}

}  // namespace

std::vector<core::Evidence> declared_evidence(const Declaration& d, const catalog::Catalogs& catalogs) {
  return Emitter(d, catalogs).run();
}

std::vector<core::Evidence> referenced_evidence(const Declaration& d) {
  std::vector<core::Evidence> out;
  for (const auto& ref : d.evidence) out.insert(out.end(), ref.records.begin(), ref.records.end());
  return out;
}

nlohmann::json to_json(const Declaration& d) {
  using nlohmann::json;
  json j;
  j["schema_version"] = d.schema_version;
  if (!d.currency.empty()) j["currency"] = d.currency;
  if (!d.exchange_rates.empty()) j["exchange_rates"] = d.exchange_rates;
  json sys{{"name", d.system.name}};
  auto put = [](json& o, const char* k, const std::string& v) {
    if (!v.empty()) o[k] = v;
  };
  put(sys, "operator", d.system.operator_name);
  put(sys, "description", d.system.description);
  put(sys, "boundary", d.system.boundary);
  if (!d.system.country.empty()) {
    json loc{{"country", d.system.country}};
    put(loc, "region", d.system.region);
    put(loc, "city", d.system.city);
    sys["location"] = loc;
  }
  j["system"] = sys;
  for (const auto& g : d.inventory) {
    json o{{"id", g.id}, {"kind", g.kind}, {"count", g.count}};
    put(o, "description", g.description);
    put_opt(o, "rated_power", g.rated_power, fact_json);
    put_opt(o, "lifetime", g.lifetime, fact_json);
    put_opt(o, "accelerators", g.accelerators, component_json);
    put_opt(o, "cpus", g.cpus, component_json);
    j["inventory"].push_back(o);
  }
  if (d.facility) {
    const auto& f = *d.facility;
    json o = json::object();
    put_opt(o, "pue", f.pue, fact_json);
    put(o, "pue_basis", f.pue_basis);
    if (f.grid_factor) {
      o["grid_factor"] = fact_json(f.grid_factor->value);
      o["grid_factor"]["year"] = f.grid_factor->year;
      o["grid_factor"]["source"] = f.grid_factor->source;
    }
    put_opt(o, "renewable_share", f.renewable_share, fact_json);
    put(o, "renewable_source", f.renewable_source);
    if (f.it_power)
      o["it_power"] = {{"mean", fact_json(f.it_power->mean)}, {"window", window_json(f.it_power->window)},
                       {"quality", core::to_string(f.it_power->quality)}, {"source", f.it_power->source}};
    if (f.it_energy)
      o["it_energy"] = {{"annual", fact_json(f.it_energy->annual)}, {"year", f.it_energy->year},
                        {"quality", core::to_string(f.it_energy->quality)}, {"source", f.it_energy->source}};
    j["facility"] = o;
  }
  if (d.carbon) {
    json o = json::object();
    for (const auto& g : d.carbon->groups) {
      json gj{{"group", g.group}};
      put_opt(gj, "embodied", g.embodied, fact_json);
      put_opt(gj, "transport", g.transport, fact_json);
      put_opt(gj, "end_of_life", g.end_of_life, fact_json);
      put(gj, "source", g.source);
      o["groups"].push_back(gj);
    }
    for (const auto& [s, l] : d.carbon->strategy) o["strategy"][s] = l.value;
    j["carbon"] = o;
  }
  if (d.utilization) {
    json o = json::object();
    auto fig = [&](const char* k, const std::optional<UtilizationFigure>& f) {
      if (!f) return;
      json x{{"value", f->value.quantity.si}, {"window", window_json(f->window)}};
      put(x, "metric", f->metric);
      put(x, "source", f->source);
      o[k] = x;
    };
    fig("it_load_rate", d.utilization->it_load_rate);
    fig("accelerator", d.utilization->accelerator);
    fig("cpu", d.utilization->cpu);
    if (d.utilization->source) {
      const auto& s = *d.utilization->source;
      json x{{"kind", s.kind}};
      put(x, "url", s.url);
      put(x, "gpu_metric", s.gpu_metric);
      put(x, "cpu_metric", s.cpu_metric);
      put_opt(x, "since", s.since, fact_json);
      o["source"] = x;
    }
    j["utilization"] = o;
  }
  for (const auto& w : d.workloads) {
    json o{{"name", w.name}, {"placement", placement_json(w.placement)}};
    put_opt(o, "rate", w.rate, fact_json);
    put_opt(o, "flop_per_unit", w.flop_per_unit, fact_json);
    put(o, "source", w.source);
    j["workloads"].push_back(o);
  }
  for (const auto& m : d.models) {
    json o{{"name", m.name}, {"task", m.task}, {"placement", placement_json(m.placement)}};
    put_opt(o, "throughput", m.throughput, fact_json);
    put_opt(o, "accuracy", m.accuracy, fact_json);
    put_opt(o, "reference_accuracy", m.reference_accuracy, fact_json);
    put(o, "accuracy_metric", m.accuracy_metric);
    put_opt(o, "flop_per_token", m.flop_per_token, fact_json);
    if (m.structure)
      o["structure"] = {{"active_parameters", m.structure->active_parameters}, {"layers", m.structure->layers},
                        {"heads", m.structure->heads}, {"head_dim", m.structure->head_dim},
                        {"sequence_length", m.structure->sequence_length}};
    if (auto f = m.flop_per_unit()) o["flop_per_unit"] = *f;
    put(o, "source", m.source);
    j["models"].push_back(o);
  }
  if (d.intelligence) {
    json o = json::object();
    for (const auto& [id, it] : d.intelligence->items) {
      json x{{"level", it.level.value}};
      put(x, "evidence", it.evidence);
      o["items"][id] = x;
    }
    put_opt(o, "largest_training_state", d.intelligence->largest_training_state, fact_json);
    j["intelligence"] = o;
  }
  if (d.access) j["access"] = {{"reach", d.access->reach}, {"scenarios", d.access->scenarios}, {"modes", d.access->modes}};
  if (d.pricing) {
    json o{{"billing", d.pricing->billing}};
    auto offer = [&](const Offer& of) {
      json x{{"name", of.name}, {"price", fact_json(of.price)}};
      put(x, "provider", of.provider);
      put(x, "source", of.source);
      json r = json::object();
      if (!of.resource.model.empty()) r["model"] = of.resource.model;
      if (of.resource.count > 0) r["count"] = of.resource.count;
      put_opt(r, "peak", of.resource.peak, fact_json);
      put(r, "precision", of.resource.precision);
      x["resource"] = r;
      return x;
    };
    o["own"] = json::array();
    o["market"] = json::array();
    for (const auto& of : d.pricing->own) o["own"].push_back(offer(of));
    for (const auto& of : d.pricing->market) o["market"].push_back(offer(of));
    j["pricing"] = o;
  }
  for (const auto& c : d.compatibility) {
    json x{{"layer", c.layer}, {"item", c.item}, {"result", c.result}};
    put(x, "evidence", c.evidence);
    j["compatibility"].push_back(x);
  }
  if (d.supply_chain) {
    json o = json::object();
    for (const auto& c : d.supply_chain->categories) {
      json list = json::array();
      for (const auto& s : c.suppliers) {
        json x{{"name", s.name}, {"share", s.share.quantity.si}, {"qualified", s.qualified}};
        if (s.on_time) x["on_time"] = s.on_time->quantity.si;
        if (s.defect_rate) x["defect_rate"] = s.defect_rate->quantity.si;
        list.push_back(x);
      }
      o["categories"][c.id] = list;
    }
    if (d.supply_chain->partners) o["partners"] = *d.supply_chain->partners;
    if (!d.supply_chain->partner_names.empty()) o["partner_names"] = d.supply_chain->partner_names;
    j["supply_chain"] = o;
  }
  if (d.openness)
    j["openness"] = {{"conforms", d.openness->conforms}, {"not_applicable", d.openness->not_applicable},
                     {"features", d.openness->features}};
  for (const auto& e : d.evidence) {
    json x{{"path", e.path}};
    if (!e.import_kind.empty()) x["import"] = e.import_kind;
    j["evidence"].push_back(x);
  }
  return j;
}

}  // namespace aicq::declare

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
    pricing();
    supply_chain();
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
         fmt::format("{}window {}..{}{}", f->metric.empty() ? "" : f->metric + "; ", f->window.from, f->window.to,
                     f->source.empty() ? "" : "; " + f->source));
  }

  void utilization() {
    if (!d_.utilization) return;
    util("utilization.it_load_rate", d_.utilization->it_load_rate);
    util("utilization.accelerator", d_.utilization->accelerator);
    util("utilization.cpu", d_.utilization->cpu);
  }

  void workloads() {
    for (const auto& w : d_.workloads) {
      const std::string p = "workloads." + w.name;
      if (w.rate) fact(p + ".rate", *w.rate, std::nullopt, w.source);
      if (w.flop_per_unit) fact(p + ".flop_per_unit", *w.flop_per_unit);
      if (auto a = w.achieved(); a && w.rate && w.flop_per_unit) {
        Evidence e;
        e.metric = p + ".achieved";
        e.quantity = *a;
        e.text = a->to_string();
        e.source.at = w.at;
        e.source.method = "rate × flop_per_unit";
        out_.push_back(std::move(e));
      }
      number(p + ".devices", static_cast<double>(w.placement.devices), w.at);
    }
  }

  void models() {
    for (const auto& m : d_.models) {
      const std::string p = "models." + m.name;
      if (m.throughput) fact(p + ".throughput", *m.throughput, std::nullopt, m.source);
      if (m.accuracy) fact(p + ".accuracy", *m.accuracy, std::nullopt, m.accuracy_metric);
      if (m.reference_accuracy) fact(p + ".reference_accuracy", *m.reference_accuracy, std::nullopt, m.accuracy_metric);
      if (m.flop_per_token) {
        fact(p + ".flop_per_unit", *m.flop_per_token);
      } else if (auto f = m.flop_per_unit(); f && m.structure) {
        Evidence e;
        e.metric = p + ".flop_per_unit";
        e.quantity.si = *f;
        e.quantity.dim = core::dim::ops();
        e.text = e.quantity.to_string();
        e.source.at = m.at;
        const auto& s = *m.structure;
        e.source.method =
            m.task == "training"
                ? fmt::format("6N + 12·L·H·Q·T with N={}, L={}, H={}, Q={}, T={} (PaLM, Chowdhery et al. 2022, app. B)",
                              core::shortest(s.active_parameters), s.layers, s.heads, s.head_dim, s.sequence_length)
                : fmt::format("2N + 4·L·H·Q·T with N={}, L={}, H={}, Q={}, T={} (PaLM, Chowdhery et al. 2022, app. B)",
                              core::shortest(s.active_parameters), s.layers, s.heads, s.head_dim, s.sequence_length);
        out_.push_back(std::move(e));
      }
      number(p + ".devices", static_cast<double>(m.placement.devices), m.at);
    }
  }

  void intelligence() {
    if (!d_.intelligence) return;
    for (const auto& [id, item] : d_.intelligence->items) number("intelligence." + id + ".level", item.level.value, item.level.at);
    if (d_.intelligence->largest_training_state)
      fact("intelligence.largest_training_state", *d_.intelligence->largest_training_state);
  }

  void pricing() {
    if (!d_.pricing) return;
    for (std::size_t i = 0; i < d_.pricing->own.size(); ++i)
      fact(fmt::format("pricing.own[{}].price", i), d_.pricing->own[i].price, std::nullopt, d_.pricing->own[i].name);
    for (std::size_t i = 0; i < d_.pricing->market.size(); ++i)
      fact(fmt::format("pricing.market[{}].price", i), d_.pricing->market[i].price, std::nullopt,
           d_.pricing->market[i].source);
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
      }
    }
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

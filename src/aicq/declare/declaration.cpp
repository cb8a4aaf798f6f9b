#include "aicq/declare/declaration.hpp"

#include "aicq/declare/evidence_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

namespace aicq::declare {

namespace fs = std::filesystem;
using core::Location;
namespace dim = core::dim;

const std::vector<std::string>& import_kinds() {
  // The importers `aicq import` provides (conventions: import); names reserved here so that a declaration
  // written today stays valid when they land.
  static const std::vector<std::string> k = {"mlperf", "mlperf-training", "mlperf-power", "hpcc", "hpl", "stream",
                                             "fio", "nccl-tests", "lm-eval", "nvidia-smi", "prometheus-text"};
  return k;
}

const DeviceGroup* Declaration::group(std::string_view id) const {
  auto it = std::find_if(inventory.begin(), inventory.end(), [&](const auto& g) { return g.id == id; });
  return it == inventory.end() ? nullptr : &*it;
}

std::optional<core::Quantity> Workload::achieved() const {
  if (!rate) return std::nullopt;
  if (rate->quantity.dim == dim::op_rate()) return rate->quantity;
  if (!flop_per_unit) return std::nullopt;
  core::Quantity q;
  q.dim = dim::op_rate();
  q.si = rate->quantity.si * flop_per_unit->quantity.si;
  return q;
}

std::optional<double> Model::flop_per_unit() const {
  if (flop_per_token) return flop_per_token->quantity.si;
  if (!structure) return std::nullopt;
  const auto& s = *structure;
  // Attention term per token: L·H·Q·T multiply-accumulates of the score and value products.
  const double attention = static_cast<double>(s.layers) * static_cast<double>(s.heads) *
                           static_cast<double>(s.head_dim) * static_cast<double>(s.sequence_length);
  if (task == "training") return 6.0 * s.active_parameters + 12.0 * attention;
  return 2.0 * s.active_parameters + 4.0 * attention;
}

namespace {

const std::vector<std::string> kGroupKinds = {"server", "network", "storage", "other"};
const std::vector<std::string> kDevices = {"accelerator", "cpu"};
const std::vector<std::string> kTasks = {"inference", "training"};
const std::vector<std::string> kReach = {"internal", "regional", "national"};
const std::vector<std::string> kResults = {"pass", "partial", "fail"};
const std::vector<std::string> kQuality = {"Q0", "Q1", "Q2", "Q3"};
const std::vector<std::string> kAcceleratorMetrics = {"sm_active", "gpu_util", "tensor_active"};
const std::vector<std::string> kCpuMetrics = {"cpu_busy"};
const std::vector<std::string> kUtilSources = {"store", "prometheus"};

// A currency code as the unit table knows it.
bool known_currency(const std::string& code) {
  try {
    return core::parse_unit(code).dim == dim::currency();
  } catch (const core::UnitError&) {
    return false;
  }
}

class Parser {
 public:
  Parser(Reader& r, const catalog::Catalogs& cat, Declaration& d) : r_(r), cat_(cat), d_(d) {}

  void run(const Cursor& root) {
    MapView top(r_, root,
                {"schema_version", "currency", "exchange_rates", "system", "inventory", "facility", "carbon",
                 "utilization", "workloads", "models", "intelligence", "access", "pricing", "compatibility",
                 "supply_chain", "openness", "evidence"},
                {"schema_version", "system"});
    if (!top.valid()) return;
    if (auto c = top.get("schema_version")) {
      if (auto v = read_int(r_, *c, 1, 1000); v && *v != kSchemaVersion)
        r_.error(*c, fmt::format("expected schema_version {} (the version this aicq reads), found {}", kSchemaVersion, *v));
    }
    if (auto c = top.get("currency")) currency(*c);
    if (auto c = top.get("exchange_rates")) exchange_rates(*c);
    if (auto c = top.get("system")) system(*c);
    if (auto c = top.get("inventory")) inventory(*c);
    if (auto c = top.get("facility")) facility(*c);
    if (auto c = top.get("carbon")) carbon(*c);
    if (auto c = top.get("utilization")) utilization(*c);
    if (auto c = top.get("workloads")) workloads(*c);
    if (auto c = top.get("models")) models(*c);
    if (auto c = top.get("intelligence")) intelligence(*c);
    if (auto c = top.get("access")) access(*c);
    if (auto c = top.get("pricing")) pricing(*c, top);
    if (auto c = top.get("compatibility")) compatibility(*c);
    if (auto c = top.get("supply_chain")) supply_chain(*c);
    if (auto c = top.get("openness")) openness(*c);
    if (auto c = top.get("evidence")) evidence(*c);
  }

 private:
  std::string str(const MapView& m, std::string_view key) {
    if (auto c = m.get(key)) return read_string(r_, *c).value_or("");
    return {};
  }

  std::vector<std::string> vocab(std::string_view name) const { return cat_.vocabulary(name).ids(); }

  // A list of catalog ids without repeats.
  std::vector<std::string> id_list(const Cursor& c, std::string_view vocabulary, std::string_view what) {
    std::vector<std::string> out;
    const auto allowed = vocab(vocabulary);
    for (const Cursor& item : items(r_, c, what)) {
      auto v = read_enum(r_, item, allowed, what);
      if (!v) continue;
      if (std::find(out.begin(), out.end(), *v) != out.end()) {
        r_.error(item, fmt::format("duplicate '{}': expected each id once", *v));
        continue;
      }
      out.push_back(*v);
    }
    return out;
  }

  std::optional<Level> level(const Cursor& c) {
    if (auto v = read_int(r_, c, 0, 4)) return Level{static_cast<int>(*v), c.at};
    return std::nullopt;
  }

  std::optional<Window> window(const Cursor& c) {
    MapView m(r_, c, {"from", "to"}, {"from", "to"});
    if (!m.valid()) return std::nullopt;
    std::optional<std::string> from, to;
    if (auto f = m.get("from")) from = read_date(r_, *f);
    if (auto t = m.get("to")) to = read_date(r_, *t);
    if (!from || !to) return std::nullopt;
    if (*to < *from) {
      r_.error(*m.get("to"), fmt::format("expected a window end on or after its start {}, found {}", *from, *to));
      return std::nullopt;
    }
    return Window{*from, *to};
  }

  std::optional<core::PowerQuality> quality(const Cursor& c) {
    if (auto v = read_enum(r_, c, kQuality, "a power measurement quality level")) return core::power_quality_from(*v);
    return std::nullopt;
  }

  void currency(const Cursor& c) {
    auto s = read_string(r_, c);
    if (!s) return;
    if (!known_currency(*s)) {
      r_.error(c, fmt::format("expected an ISO 4217 currency code such as CNY, USD or EUR, found '{}'", *s));
      return;
    }
    d_.currency = *s;
  }

  void exchange_rates(const Cursor& c) {
    for (const auto& [code, rc] : entries(r_, c, "exchange rates")) {
      if (!known_currency(code)) {
        r_.error(rc, fmt::format("expected an ISO 4217 currency code such as USD or EUR, found '{}'", code));
        continue;
      }
      if (auto v = read_number(r_, rc, 1e-9, 1e9, fmt::format("units of the main currency per 1 {}", code))) {
        d_.exchange_rates[code] = *v;
        d_.exchange_rates_at[code] = rc.at;
      }
    }
  }

  void system(const Cursor& c) {
    MapView m(r_, c, {"name", "operator", "description", "boundary", "location"}, {"name"});
    if (!m.valid()) return;
    d_.system.name = str(m, "name");
    d_.system.operator_name = str(m, "operator");
    d_.system.description = str(m, "description");
    d_.system.boundary = str(m, "boundary");
    if (auto l = m.get("location")) {
      MapView lm(r_, *l, {"country", "region", "city"}, {"country"});
      if (lm.valid()) {
        if (auto cc = lm.get("country")) {
          auto s = read_string(r_, *cc);
          if (s && (s->size() != 2 || !std::isupper(static_cast<unsigned char>((*s)[0])) ||
                    !std::isupper(static_cast<unsigned char>((*s)[1]))))
            r_.error(*cc, fmt::format("expected an ISO 3166-1 alpha-2 country code such as CN, found '{}'", *s));
          else if (s)
            d_.system.country = *s;
        }
        d_.system.region = str(lm, "region");
        d_.system.city = str(lm, "city");
      }
    }
  }

  std::optional<ComponentSpec> component(const Cursor& c, std::string_view kind) {
    MapView m(r_, c, {"model", "count", "peak", "tdp"}, {"count"});
    if (!m.valid()) return std::nullopt;
    ComponentSpec s;
    s.at = c.at;
    if (auto v = m.get("count")) s.count = static_cast<int>(read_int(r_, *v, 1, 1024).value_or(1));
    if (auto v = m.get("model")) {
      if (auto id = read_string(r_, *v)) {
        const auto* hm = cat_.hardware.find(*id);
        if (!hm || hm->kind != kind) {
          const auto ids = cat_.hardware.ids(kind);
          const std::string hint = did_you_mean(*id, ids);
          r_.error(*v, fmt::format("expected a{} {} model from the hardware catalog, found '{}'{}",
                                   kind == "accelerator" ? "n" : "", kind, *id,
                                   hint.empty() ? fmt::format(" (known: {})", join_names(ids, 8)) : hint));
        } else {
          s.model = *id;
        }
      }
    }
    if (auto v = m.get("peak")) {
      for (const auto& [prec, pc] : entries(r_, *v, "peaks by precision")) {
        const auto& known = catalog::precisions();
        if (!known_name(r_, pc, prec, known, "precision")) continue;
        if (auto f = read_quantity(r_, pc, dim::op_rate(), "60 TFLOPS")) s.peak[prec] = *f;
      }
    }
    if (auto v = m.get("tdp")) s.tdp = read_quantity(r_, *v, dim::power(), "700 W");
    if (!m.has("model") && !m.has("peak"))
      r_.error(c, fmt::format("expected a catalog 'model' or an explicit 'peak' for the {}s", kind));
    return s;
  }

  void inventory(const Cursor& c) {
    std::set<std::string> ids;
    for (const Cursor& g : items(r_, c, "device groups")) {
      MapView m(r_, g, {"id", "kind", "count", "rated_power", "lifetime", "accelerators", "cpus", "description"},
                {"id", "kind", "count"});
      if (!m.valid()) continue;
      DeviceGroup dg;
      dg.at = g.at;
      if (auto v = m.get("id")) {
        if (auto s = read_string(r_, *v)) {
          const bool ok = std::all_of(s->begin(), s->end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
          });
          if (!ok) r_.error(*v, fmt::format("expected an id of lowercase letters, digits and '-', found '{}'", *s));
          else if (!ids.insert(*s).second) r_.error(*v, fmt::format("duplicate group id '{}'", *s));
          dg.id = *s;
        }
      }
      if (auto v = m.get("kind")) dg.kind = read_enum(r_, *v, kGroupKinds, "a group kind").value_or("");
      if (auto v = m.get("count")) dg.count = read_int(r_, *v, 1, 100'000'000).value_or(0);
      if (auto v = m.get("rated_power")) dg.rated_power = read_quantity(r_, *v, dim::power(), "10.2 kW");
      if (auto v = m.get("lifetime")) dg.lifetime = read_quantity(r_, *v, dim::time(), "5 y");
      dg.description = str(m, "description");
      for (std::string_view key : {"accelerators", "cpus"}) {
        auto v = m.get(key);
        if (!v) continue;
        if (!dg.kind.empty() && dg.kind != "server") {
          r_.error(*v, fmt::format("expected compute devices only in a group of kind 'server', found them in kind '{}'", dg.kind));
          continue;
        }
        auto spec = component(*v, key == "accelerators" ? "accelerator" : "cpu");
        (key == "accelerators" ? dg.accelerators : dg.cpus) = spec;
      }
      if (dg.kind == "server" && !m.has("accelerators") && !m.has("cpus"))
        r_.error(g, "a server group needs 'accelerators' or 'cpus' (what computes in it)");
      d_.inventory.push_back(std::move(dg));
    }
  }

  void facility(const Cursor& c) {
    MapView m(r_, c,
              {"pue", "pue_basis", "grid_factor", "renewable_share", "renewable_source", "it_power", "it_energy"});
    if (!m.valid()) return;
    Facility f;
    if (auto v = m.get("pue")) {
      if (auto x = read_number(r_, *v, 1.0, 5.0, "the PUE")) {
        core::Quantity q;
        q.si = *x;
        f.pue = Fact{q, v->node.Scalar(), v->at};
      }
    }
    f.pue_basis = str(m, "pue_basis");
    if (auto v = m.get("grid_factor")) {
      MapView g(r_, *v, {"value", "year", "source"}, {"value", "year", "source"});
      if (g.valid()) {
        GridFactor gf;
        std::optional<Fact> val;
        if (auto x = g.get("value"))
          val = read_quantity(r_, *x, dim::carbon_intensity(), "0.5366 kgCO2e/kWh",
                              Range{0.0, true, 2.0 / 3.6e6, true});
        if (auto x = g.get("year")) gf.year = static_cast<int>(read_int(r_, *x, 1990, 2100).value_or(0));
        gf.source = str(g, "source");
        if (val) {
          gf.value = *val;
          f.grid_factor = gf;
        }
      }
    }
    if (auto v = m.get("renewable_share")) f.renewable_share = read_share(r_, *v);
    f.renewable_source = str(m, "renewable_source");
    if (auto v = m.get("it_power")) {
      MapView p(r_, *v, {"mean", "window", "quality", "source"}, {"mean", "window", "quality"});
      if (p.valid()) {
        ItPower ip;
        std::optional<Fact> mean;
        std::optional<Window> w;
        std::optional<core::PowerQuality> q;
        if (auto x = p.get("mean")) mean = read_quantity(r_, *x, dim::power(), "3.2 MW");
        if (auto x = p.get("window")) w = window(*x);
        if (auto x = p.get("quality")) q = quality(*x);
        ip.source = str(p, "source");
        if (mean && w && q) {
          ip.mean = *mean;
          ip.window = *w;
          ip.quality = *q;
          f.it_power = ip;
        }
      }
    }
    if (auto v = m.get("it_energy")) {
      MapView p(r_, *v, {"annual", "year", "quality", "source"}, {"annual", "year", "quality"});
      if (p.valid()) {
        ItEnergy ie;
        std::optional<Fact> annual;
        std::optional<core::PowerQuality> q;
        if (auto x = p.get("annual")) annual = read_quantity(r_, *x, dim::energy(), "28 GWh");
        if (auto x = p.get("year")) ie.year = static_cast<int>(read_int(r_, *x, 1990, 2100).value_or(0));
        if (auto x = p.get("quality")) q = quality(*x);
        ie.source = str(p, "source");
        if (annual && q) {
          ie.annual = *annual;
          ie.quality = *q;
          f.it_energy = ie;
        }
      }
    }
    d_.facility = f;
  }

  void check_group_ref(const Cursor& c, const std::string& id) {
    if (d_.group(id)) return;
    std::vector<std::string> ids;
    for (const auto& g : d_.inventory) ids.push_back(g.id);
    r_.error(c, fmt::format("expected the id of an inventory group ({}), found '{}'{}",
                            ids.empty() ? "the inventory is empty" : join_names(ids), id, did_you_mean(id, ids)));
  }

  void carbon(const Cursor& c) {
    MapView m(r_, c, {"groups", "strategy"});
    if (!m.valid()) return;
    Carbon out;
    if (auto v = m.get("groups")) {
      std::set<std::string> seen;
      for (const Cursor& g : items(r_, *v, "per-group carbon figures")) {
        MapView gm(r_, g, {"group", "embodied", "transport", "end_of_life", "source"}, {"group"});
        if (!gm.valid()) continue;
        GroupCarbon gc;
        gc.at = g.at;
        if (auto x = gm.get("group")) {
          if (auto s = read_string(r_, *x)) {
            check_group_ref(*x, *s);
            if (!seen.insert(*s).second) r_.error(*x, fmt::format("duplicate carbon entry for group '{}'", *s));
            gc.group = *s;
          }
        }
        if (auto x = gm.get("embodied")) gc.embodied = read_quantity(r_, *x, dim::co2e(), "3.2 tCO2e", Range::non_negative());
        if (auto x = gm.get("transport")) gc.transport = read_quantity(r_, *x, dim::co2e(), "0.05 tCO2e", Range::non_negative());
        if (auto x = gm.get("end_of_life"))
          gc.end_of_life = read_quantity(r_, *x, dim::co2e(), "0.03 tCO2e", Range{std::nullopt, true, std::nullopt, true});
        gc.source = str(gm, "source");
        out.groups.push_back(std::move(gc));
      }
    }
    if (auto v = m.get("strategy")) {
      const auto stages = vocab("strategy_stages");
      for (const auto& [stage, sc] : entries(r_, *v, "strategy levels by lifecycle stage")) {
        if (!known_name(r_, sc, stage, stages, "lifecycle stage")) continue;
        if (auto l = level(sc)) out.strategy[stage] = *l;
      }
    }
    d_.carbon = out;
  }

  // A utilization figure; `metrics` lists what its `metric` may be (none: no metric field).
  std::optional<UtilizationFigure> util_figure(const Cursor& c, const std::vector<std::string>& metrics) {
    const bool needs_metric = !metrics.empty();
    MapView m(r_, c, needs_metric ? std::initializer_list<std::string_view>{"value", "metric", "window", "source"}
                                  : std::initializer_list<std::string_view>{"value", "window", "source"},
              needs_metric ? std::initializer_list<std::string_view>{"value", "metric", "window"}
                           : std::initializer_list<std::string_view>{"value", "window"});
    if (!m.valid()) return std::nullopt;
    UtilizationFigure f;
    std::optional<Fact> v;
    std::optional<Window> w;
    if (auto x = m.get("value")) v = read_share(r_, *x);
    if (auto x = m.get("metric")) f.metric = read_enum(r_, *x, metrics, "a utilization metric").value_or("");
    if (auto x = m.get("window")) w = window(*x);
    f.source = str(m, "source");
    if (!v || !w) return std::nullopt;
    f.value = *v;
    f.window = *w;
    return f;
  }

  void utilization(const Cursor& c) {
    MapView m(r_, c, {"it_load_rate", "accelerator", "cpu", "source"});
    if (!m.valid()) return;
    Utilization u;
    if (auto v = m.get("it_load_rate")) u.it_load_rate = util_figure(*v, {});
    if (auto v = m.get("accelerator")) u.accelerator = util_figure(*v, kAcceleratorMetrics);
    if (auto v = m.get("cpu")) u.cpu = util_figure(*v, kCpuMetrics);
    if (auto v = m.get("source")) {
      MapView s(r_, *v, {"kind", "url", "gpu_metric", "cpu_metric", "since"}, {"kind"});
      if (s.valid()) {
        UtilizationSource us;
        if (auto x = s.get("kind")) us.kind = read_enum(r_, *x, kUtilSources, "a utilization source").value_or("");
        us.url = str(s, "url");
        us.gpu_metric = str(s, "gpu_metric");
        us.cpu_metric = str(s, "cpu_metric");
        if (auto x = s.get("since")) us.since = read_quantity(r_, *x, dim::time(), "30 d");
        if (us.kind == "prometheus" && us.url.empty()) r_.error(*v, "a prometheus source needs 'url'");
        if (!us.url.empty() && !us.url.starts_with("http://") && !us.url.starts_with("https://"))
          r_.error(*s.get("url"), fmt::format("expected an http:// or https:// URL, found '{}'", us.url));
        u.source = us;
      }
    }
    d_.utilization = u;
  }

  // Fields shared by workloads and models: group, device, devices, precision.
  Placement placement(const MapView& m) {
    Placement p;
    if (auto v = m.get("group")) {
      if (auto s = read_string(r_, *v)) {
        check_group_ref(*v, *s);
        p.group = *s;
      }
    }
    if (auto v = m.get("device")) p.device = read_enum(r_, *v, kDevices, "a device type").value_or("");
    const DeviceGroup* g = d_.group(p.group);
    if (p.device.empty() && g) p.device = g->accelerators ? "accelerator" : "cpu";
    if (auto v = m.get("devices")) {
      p.devices = read_int(r_, *v, 1, 100'000'000).value_or(0);
      if (g && p.devices > 0) {
        const ComponentSpec* spec = p.device == "accelerator" ? (g->accelerators ? &*g->accelerators : nullptr)
                                                              : (g->cpus ? &*g->cpus : nullptr);
        if (!spec) {
          r_.error(*v, fmt::format("expected group '{}' to have {}s, found none declared", g->id, p.device));
        } else if (p.devices > g->count * spec->count) {
          r_.error(*v, fmt::format("expected at most {} {}s (group '{}': {} units × {}), found {}", g->count * spec->count,
                                   p.device, g->id, g->count, spec->count, p.devices));
        }
      }
    }
    if (auto v = m.get("precision")) p.precision = read_enum(r_, *v, catalog::precisions(), "a precision").value_or("");
    return p;
  }

  void workloads(const Cursor& c) {
    std::set<std::string> names;
    for (const Cursor& w : items(r_, c, "workloads")) {
      MapView m(r_, w, {"name", "group", "device", "devices", "precision", "rate", "flop_per_unit", "source", "evidence"},
                {"name", "group", "devices", "precision", "rate"});
      if (!m.valid()) continue;
      Workload wl;
      wl.at = w.at;
      wl.name = str(m, "name");
      if (!wl.name.empty() && !names.insert(wl.name).second) r_.error(*m.get("name"), fmt::format("duplicate workload '{}'", wl.name));
      wl.placement = placement(m);
      wl.source = str(m, "source");
      wl.evidence = str(m, "evidence");
      if (auto v = m.get("rate"); v && v->node.IsMap()) {
        MapView rm(r_, *v, {"evidence"}, {"evidence"});
        if (auto e = rm.get("evidence")) {
          wl.rate_ref = read_string(r_, *e).value_or("");
          wl.rate_ref_at = e->at;
        }
      } else if (v) {
        wl.rate = rate(*v, {dim::op_rate(), dim::sample_rate(), dim::token_rate(), dim::query_rate()},
                       "'1.2 PFLOPS', '25000 tokens/s', '700000 samples/s' or {evidence: METRIC}");
      }
      if (auto v = m.get("flop_per_unit")) wl.flop_per_unit = flop_count(*v, wl.rate);
      if (wl.rate && wl.rate->quantity.dim != dim::op_rate() && !m.has("flop_per_unit"))
        r_.error(w, fmt::format("workload '{}': a rate in {} needs 'flop_per_unit' (FLOP per unit of work) to count "
                                "as compute; or give the rate in FLOPS",
                                wl.name, wl.rate->quantity.canonical_unit()));
      if (wl.rate && wl.rate->quantity.dim == dim::op_rate() && m.has("flop_per_unit"))
        r_.error(*m.get("flop_per_unit"), "expected no flop_per_unit when the rate is already in FLOPS");
      d_.workloads.push_back(std::move(wl));
    }
  }

  // A rate of one of the allowed dimensions.
  std::optional<Fact> rate(const Cursor& c, std::initializer_list<core::Dimension> allowed, std::string_view example) {
    if (!c.node.IsScalar()) {
      r_.error(c, fmt::format("expected a rate such as {}, found {}", example, describe(c.node)));
      return std::nullopt;
    }
    for (const auto& d : allowed) {
      try {
        if (core::parse_quantity(c.node.Scalar()).dim == d) return read_quantity(r_, c, d, example);
      } catch (const core::UnitError&) {
        break;
      }
    }
    // Report against the first dimension so the message carries the unit problem.
    try {
      const auto q = core::parse_quantity(c.node.Scalar());
      r_.error(c, fmt::format("expected a rate such as {}, found {} '{}'", example,
                              q.dim.dimensionless() ? "a number without a unit" : core::dimension_name(q.dim), c.node.Scalar()));
    } catch (const core::UnitError&) {
      read_quantity(r_, c, *allowed.begin(), example);
    }
    return std::nullopt;
  }

  // FLOP per unit of work: a FLOP count, or FLOP/sample, FLOP/token matching the rate.
  std::optional<Fact> flop_count(const Cursor& c, const std::optional<Fact>& rate_fact) {
    if (c.node.IsScalar()) {
      try {
        const auto q = core::parse_quantity(c.node.Scalar());
        if (q.dim == dim::ops_per_sample() || q.dim == dim::ops_per_token()) {
          if (rate_fact && rate_fact->quantity.dim * q.dim != dim::op_rate()) {
            r_.error(c, fmt::format("expected FLOP per unit of the rate's work ({}), found '{}'",
                                    rate_fact->quantity.canonical_unit(), c.node.Scalar()));
            return std::nullopt;
          }
          core::Quantity flat = q;
          flat.dim = dim::ops();
          return Fact{flat, c.node.Scalar(), c.at};
        }
      } catch (const core::UnitError&) {
      }
    }
    return read_quantity(r_, c, dim::ops(), "8.2 GFLOP");
  }

  void models(const Cursor& c) {
    std::set<std::string> names;
    for (const Cursor& mc : items(r_, c, "models")) {
      MapView m(r_, mc,
                {"name", "task", "group", "device", "devices", "precision", "throughput", "accuracy",
                 "reference_accuracy", "accuracy_metric", "flop_per_token", "structure", "source"},
                {"name", "task", "group", "devices", "precision", "throughput", "accuracy", "reference_accuracy"});
      if (!m.valid()) continue;
      Model md;
      md.at = mc.at;
      md.name = str(m, "name");
      if (!md.name.empty() && !names.insert(md.name).second) r_.error(*m.get("name"), fmt::format("duplicate model '{}'", md.name));
      if (auto v = m.get("task")) md.task = read_enum(r_, *v, kTasks, "a task").value_or("");
      md.placement = placement(m);
      md.accuracy_metric = str(m, "accuracy_metric");
      md.source = str(m, "source");
      if (auto v = m.get("throughput")) md.throughput = rate(*v, {dim::token_rate(), dim::sample_rate()}, "'25000 tokens/s' or '3000 samples/s'");
      if (auto v = m.get("accuracy"); v && v->node.IsMap()) {
        MapView am(r_, *v, {"evidence"}, {"evidence"});
        if (auto e = am.get("evidence")) {
          md.accuracy_ref = read_string(r_, *e).value_or("");
          md.accuracy_ref_at = e->at;
        }
      } else if (v) {
        md.accuracy = read_share(r_, *v);
      }
      if (auto v = m.get("reference_accuracy")) {
        md.reference_accuracy = read_share(r_, *v);
        if (md.reference_accuracy && md.reference_accuracy->quantity.si == 0) {
          r_.error(*v, "expected a reference accuracy greater than zero, found 0");
          md.reference_accuracy.reset();
        }
      }
      if (auto v = m.get("flop_per_token")) {
        md.flop_per_token = flop_count(*v, md.throughput);
      }
      if (auto v = m.get("structure")) md.structure = structure(*v);
      if (!m.has("flop_per_token") && !m.has("structure"))
        r_.error(mc, fmt::format("model '{}': expected 'flop_per_token' or 'structure' (to count FLOP per token)", md.name));
      if (m.has("flop_per_token") && m.has("structure"))
        r_.error(*m.get("structure"), "expected either 'flop_per_token' or 'structure', found both");
      d_.models.push_back(std::move(md));
    }
  }

  std::optional<ModelStructure> structure(const Cursor& c) {
    MapView m(r_, c, {"active_parameters", "layers", "heads", "head_dim", "sequence_length"},
              {"active_parameters", "layers", "heads", "head_dim", "sequence_length"});
    if (!m.valid()) return std::nullopt;
    ModelStructure s;
    bool ok = true;
    if (auto v = m.get("active_parameters")) {
      auto n = read_number(r_, *v, 1, 1e15, "the number of active parameters");
      ok &= n.has_value();
      s.active_parameters = n.value_or(0);
    }
    auto whole = [&](std::string_view key, std::int64_t& out, std::int64_t max) {
      if (auto v = m.get(key)) {
        auto n = read_int(r_, *v, 1, max);
        ok &= n.has_value();
        out = n.value_or(0);
      }
    };
    whole("layers", s.layers, 100000);
    whole("heads", s.heads, 100000);
    whole("head_dim", s.head_dim, 100000);
    whole("sequence_length", s.sequence_length, 100'000'000);
    if (!ok || !m.has("active_parameters") || !m.has("layers") || !m.has("heads") || !m.has("head_dim") ||
        !m.has("sequence_length"))
      return std::nullopt;
    return s;
  }

  void intelligence(const Cursor& c) {
    MapView m(r_, c, {"items", "largest_training_state"});
    if (!m.valid()) return;
    Intelligence out;
    if (auto v = m.get("items")) {
      const auto known = vocab("intelligence_items");
      for (const auto& [id, ic] : entries(r_, *v, "capability items")) {
        if (!known_name(r_, ic, id, known, "capability item")) continue;
        MapView im(r_, ic, {"level", "evidence"}, {"level"});
        if (!im.valid()) continue;
        CapabilityItem item;
        std::optional<Level> l;
        if (auto x = im.get("level")) l = level(*x);
        item.evidence = str(im, "evidence");
        if (l) {
          item.level = *l;
          out.items[id] = item;
        }
      }
    }
    if (auto v = m.get("largest_training_state")) out.largest_training_state = read_quantity(r_, *v, dim::bytes(), "1.1 TB");
    d_.intelligence = out;
  }

  void access(const Cursor& c) {
    MapView m(r_, c, {"reach", "scenarios", "modes"});
    if (!m.valid()) return;
    Access a;
    a.at = c.at;
    if (auto v = m.get("reach")) a.reach = read_enum(r_, *v, kReach, "a service reach").value_or("");
    if (auto v = m.get("scenarios")) a.scenarios = id_list(*v, "scenarios", "an application scenario");
    if (auto v = m.get("modes")) a.modes = id_list(*v, "access_modes", "an access mode");
    d_.access = a;
  }

  std::optional<Offer> offer(const Cursor& c, bool market) {
    MapView m(r_, c, {"name", "provider", "resource", "price", "source"}, {"name", "resource", "price"});
    if (!m.valid()) return std::nullopt;
    Offer o;
    o.at = c.at;
    o.name = str(m, "name");
    o.provider = str(m, "provider");
    o.source = str(m, "source");
    if (market && o.source.empty()) r_.error(c, fmt::format("market offer '{}': expected a 'source' for the price", o.name));
    bool ok = true;
    if (auto v = m.get("resource")) {
      MapView rm(r_, *v, {"model", "count", "peak", "precision"});
      if (rm.valid()) {
        if (auto x = rm.get("model")) {
          if (auto s = read_string(r_, *x)) {
            if (!cat_.hardware.find(*s)) {
              r_.error(*x, fmt::format("expected a model from the hardware catalog, found '{}'{}", *s,
                                       did_you_mean(*s, cat_.hardware.ids())));
              ok = false;
            }
            o.resource.model = *s;
          }
        }
        if (auto x = rm.get("count")) o.resource.count = read_int(r_, *x, 1, 1'000'000).value_or(0);
        if (auto x = rm.get("peak")) o.resource.peak = read_quantity(r_, *x, dim::op_rate(), "0.5 PFLOPS");
        if (auto x = rm.get("precision")) o.resource.precision = read_enum(r_, *x, catalog::precisions(), "a precision").value_or("");
        const bool by_model = rm.has("model"), by_peak = rm.has("peak");
        if (by_model == by_peak) {
          r_.error(*v, "expected either {model, count} or {peak, precision} for the resource");
          ok = false;
        } else if (by_model && !rm.has("count")) {
          r_.error(*v, "expected 'count' (devices in the offer) with 'model'");
          ok = false;
        } else if (by_peak && !rm.has("precision")) {
          r_.error(*v, "expected 'precision' with an explicit 'peak'");
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    std::optional<Fact> price;
    if (auto v = m.get("price")) {
      price = read_quantity(r_, *v, dim::price_per_time(), "250 CNY/h");
      if (price) {
        const std::string& cur = price->quantity.currency;
        if (d_.currency.empty())
          r_.error(*v, "expected a top-level 'currency' when prices are declared");
        else if (cur != d_.currency && !d_.exchange_rates.contains(cur))
          r_.error(*v, fmt::format("expected a price in {} or an exchange_rates entry for {}, found none", d_.currency, cur));
      }
    }
    if (!price || !ok) return std::nullopt;
    o.price = *price;
    return o;
  }

  void pricing(const Cursor& c, const MapView& top) {
    MapView m(r_, c, {"billing", "own", "market"});
    if (!m.valid()) return;
    if (!top.has("currency")) r_.error(c, "expected a top-level 'currency' when 'pricing' is declared");
    Pricing p;
    p.at = c.at;
    if (auto v = m.get("billing")) p.billing = id_list(*v, "billing_options", "a billing option");
    if (auto v = m.get("own"))
      for (const Cursor& oc : items(r_, *v, "own offers"))
        if (auto o = offer(oc, false)) p.own.push_back(*o);
    if (auto v = m.get("market"))
      for (const Cursor& oc : items(r_, *v, "market offers"))
        if (auto o = offer(oc, true)) p.market.push_back(*o);
    d_.pricing = p;
  }

  void compatibility(const Cursor& c) {
    const auto layers = vocab("compatibility_layers");
    std::set<std::pair<std::string, std::string>> seen;
    for (const Cursor& ic : items(r_, c, "compatibility tests")) {
      MapView m(r_, ic, {"layer", "item", "result", "evidence"}, {"layer", "item", "result"});
      if (!m.valid()) continue;
      CompatibilityItem it;
      it.at = ic.at;
      if (auto v = m.get("layer")) it.layer = read_enum(r_, *v, layers, "a compatibility layer").value_or("");
      it.item = str(m, "item");
      if (auto v = m.get("result")) it.result = read_enum(r_, *v, kResults, "a test result").value_or("");
      it.evidence = str(m, "evidence");
      if (!it.layer.empty() && !it.item.empty() && !seen.insert({it.layer, it.item}).second)
        r_.error(ic, fmt::format("duplicate test '{}' in layer '{}'", it.item, it.layer));
      d_.compatibility.push_back(std::move(it));
    }
  }

  void supply_chain(const Cursor& c) {
    MapView m(r_, c, {"categories", "partners", "partner_names"});
    if (!m.valid()) return;
    SupplyChain sc;
    sc.at = c.at;
    if (auto v = m.get("categories")) {
      const auto cats = vocab("supply_chain_categories");
      for (const auto& [id, cc] : entries(r_, *v, "supply-chain categories")) {
        if (!known_name(r_, cc, id, cats, "supply-chain category")) continue;
        SupplyCategory cat;
        cat.id = id;
        double total = 0;
        bool all_shares = true;
        std::set<std::string> names;
        for (const Cursor& s : items(r_, cc, "suppliers")) {
          MapView sm(r_, s, {"name", "share", "on_time", "defect_rate", "qualified"}, {"name", "share", "qualified"});
          if (!sm.valid()) {
            all_shares = false;
            continue;
          }
          Supplier sup;
          sup.at = s.at;
          sup.name = str(sm, "name");
          if (!sup.name.empty() && !names.insert(sup.name).second)
            r_.error(*sm.get("name"), fmt::format("duplicate supplier '{}' in category '{}'", sup.name, id));
          std::optional<Fact> share;
          if (auto x = sm.get("share")) share = read_share(r_, *x);
          if (auto x = sm.get("on_time")) sup.on_time = read_share(r_, *x);
          if (auto x = sm.get("defect_rate")) sup.defect_rate = read_share(r_, *x);
          if (auto x = sm.get("qualified")) sup.qualified = read_bool(r_, *x).value_or(false);
          if (!share) {
            all_shares = false;
            continue;
          }
          sup.share = *share;
          total += share->quantity.si;
          cat.suppliers.push_back(std::move(sup));
        }
        if (all_shares && !cat.suppliers.empty() && std::fabs(total - 1.0) > 0.01)
          r_.error(cc, fmt::format("expected the shares of category '{}' to sum to 100% (± 1%), found {}%", id,
                                   core::shortest(std::round(total * 10000) / 100)));
        sc.categories.push_back(std::move(cat));
      }
    }
    if (auto v = m.get("partners")) sc.partners = read_int(r_, *v, 0, 1'000'000);
    if (auto v = m.get("partner_names"))
      for (const Cursor& n : items(r_, *v, "partner names"))
        if (auto s = read_string(r_, n)) sc.partner_names.push_back(*s);
    d_.supply_chain = sc;
  }

  void openness(const Cursor& c) {
    MapView m(r_, c, {"conforms", "not_applicable", "features"});
    if (!m.valid()) return;
    Openness o;
    o.at = c.at;
    if (auto v = m.get("conforms")) o.conforms = id_list(*v, "standards", "a standard");
    if (auto v = m.get("not_applicable")) {
      const auto stds = vocab("standards");
      for (const auto& [id, rc] : entries(r_, *v, "standards not applicable, with reasons")) {
        if (!known_name(r_, rc, id, stds, "standard")) continue;
        if (std::find(o.conforms.begin(), o.conforms.end(), id) != o.conforms.end()) {
          r_.error(rc, fmt::format("standard '{}' is listed both as conformed and as not applicable", id));
          continue;
        }
        if (auto s = read_string(r_, rc)) o.not_applicable[id] = *s;
      }
    }
    if (auto v = m.get("features")) o.features = id_list(*v, "platform_features", "a platform feature");
    d_.openness = o;
  }

  void evidence(const Cursor& c) {
    const fs::path base = fs::path(d_.file).parent_path();
    for (const Cursor& ec : items(r_, c, "evidence references")) {
      MapView m(r_, ec, {"import", "path", "file"});
      if (!m.valid()) continue;
      EvidenceRef ref;
      ref.at = ec.at;
      std::optional<Cursor> path_cursor;
      if (m.has("import") == m.has("file")) {
        r_.error(ec, "expected either {import: KIND, path: PATH} or {file: EVIDENCE.json}");
        continue;
      }
      if (auto v = m.get("import")) {
        ref.import_kind = read_enum(r_, *v, import_kinds(), "an import kind").value_or("");
        path_cursor = m.get("path");
        if (!path_cursor) {
          r_.error(ec, "missing required field 'path' (the file or folder to import)");
          continue;
        }
      } else {
        path_cursor = m.get("file");
        if (m.has("path")) r_.error(*m.get("path"), "expected 'path' only with 'import'");
      }
      auto p = read_string(r_, *path_cursor);
      if (!p) continue;
      const fs::path resolved = fs::path(*p).is_absolute() ? fs::path(*p) : base / *p;
      std::error_code ec2;
      if (!fs::exists(resolved, ec2)) {
        r_.error(*path_cursor, fmt::format("expected an existing file or folder, found no '{}'", resolved.string()));
        continue;
      }
      ref.path = resolved.string();
      if (ref.import_kind.empty()) {
        std::ifstream in(resolved, std::ios::binary);
        if (!in || fs::is_directory(resolved, ec2)) {
          r_.error(*path_cursor, fmt::format("expected a readable evidence JSON file, found '{}' unreadable", ref.path));
          continue;
        }
        std::ostringstream text;
        text << in.rdbuf();
        Reader file_reader(ref.path, r_.diagnostics());
        ref.records = read_evidence_document(file_reader, text.str());
      }
      d_.evidence.push_back(std::move(ref));
    }
  }

  Reader& r_;
  const catalog::Catalogs& cat_;
  Declaration& d_;
};

}  // namespace

Declaration parse_declaration(std::string_view text, const std::string& file, const catalog::Catalogs& catalogs) {
  core::Diagnostics diags;
  Reader r(file, diags);
  Declaration d;
  d.file = file;
  if (auto root = r.load(text, "a site declaration: a mapping with schema_version and system (docs/declaration.md)")) {
    Parser p(r, catalogs, d);
    p.run(*root);
  }
  if (!diags.empty()) throw core::InputError(diags.sorted());
  return d;
}

Declaration load_declaration(const std::string& path, const catalog::Catalogs& catalogs) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw core::InputError(Location{path}, "", "expected a declaration file, found a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::InputError(Location{path}, "", "cannot open the file (missing, or no permission to read it)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_declaration(ss.str(), path, catalogs);
}

}  // namespace aicq::declare

namespace aicq::declare {

void resolve_references(Declaration& d) {
  std::map<std::string, std::pair<const core::Evidence*, const EvidenceRef*>> by_metric;
  for (const auto& ref : d.evidence)
    for (const auto& e : ref.records) by_metric.emplace(e.metric, std::pair{&e, &ref});
  std::vector<core::Diagnostic> problems;
  // The record a reference names, or nullptr after reporting it with a suggestion.
  auto lookup = [&](const std::string& ref, const core::Location& at, const std::string& path) -> decltype(by_metric)::const_pointer {
    auto it = by_metric.find(ref);
    if (it != by_metric.end()) return &*it;
    std::vector<std::string> names;
    for (const auto& [name, _] : by_metric) names.push_back(name);
    problems.push_back({at, path,
                        fmt::format("expected a metric of the declaration's evidence files or imports, found '{}'{}{}", ref,
                                    did_you_mean(ref, names), names.empty() ? " (the declaration references no evidence)" : "")});
    return nullptr;
  };
  for (std::size_t i = 0; i < d.workloads.size(); ++i) {
    auto& w = d.workloads[i];
    const std::string path = fmt::format("workloads[{}].rate.evidence", i);
    if (w.rate_ref.empty()) continue;
    const auto* it = lookup(w.rate_ref, w.rate_ref_at, path);
    if (!it) continue;
    const core::Evidence& e = *it->second.first;
    const auto dim_ok = e.quantity.dim == dim::op_rate() || e.quantity.dim == dim::sample_rate() ||
                        e.quantity.dim == dim::token_rate() || e.quantity.dim == dim::query_rate();
    if (!dim_ok) {
      problems.push_back({w.rate_ref_at, path,
                          fmt::format("expected '{}' to be a rate (FLOP/s, samples/s, tokens/s or queries/s), found {}", w.rate_ref,
                                      core::dimension_name(e.quantity.dim))});
      continue;
    }
    if (e.quantity.dim != dim::op_rate() && !w.flop_per_unit) {
      problems.push_back({w.at, "",
                          fmt::format("workload '{}': the rate '{}' is in {} and needs 'flop_per_unit' to count as compute", w.name,
                                      w.rate_ref, e.quantity.canonical_unit())});
      continue;
    }
    if (e.quantity.dim == dim::op_rate() && w.flop_per_unit) {
      problems.push_back({w.at, "", fmt::format("workload '{}': expected no flop_per_unit with a rate in FLOPS ('{}')", w.name, w.rate_ref)});
      continue;
    }
    w.rate = Fact{e.quantity, e.text.empty() ? e.quantity.to_string() : e.text, w.rate_ref_at};
    w.rate_record = e;
    w.invalid_reason = it->second.second->invalid_reason;
  }
  for (std::size_t i = 0; i < d.models.size(); ++i) {
    auto& m = d.models[i];
    if (m.accuracy_ref.empty()) continue;
    const std::string path = fmt::format("models[{}].accuracy.evidence", i);
    const auto* it = lookup(m.accuracy_ref, m.accuracy_ref_at, path);
    if (!it) continue;
    const core::Evidence& e = *it->second.first;
    if (!e.quantity.dim.dimensionless() || e.quantity.si < 0 || e.quantity.si > 1) {
      problems.push_back({m.accuracy_ref_at, path,
                          fmt::format("expected '{}' to be an accuracy between 0 and 1, found {} {}", m.accuracy_ref,
                                      core::dimension_name(e.quantity.dim), core::shortest(e.quantity.canonical_value()))});
      continue;
    }
    m.accuracy = Fact{e.quantity, e.text.empty() ? core::shortest(e.quantity.si) : e.text, m.accuracy_ref_at};
    m.accuracy_record = e;
  }
  if (!problems.empty()) throw core::InputError(problems);
}

}  // namespace aicq::declare

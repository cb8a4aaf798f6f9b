#include "aicq/assess/profile.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <sstream>

#include "aicq/core/hash.hpp"
#include "aicq/core/indicators.hpp"
#include "aicq/declare/yaml_reader.hpp"

namespace aicq::assess {

using declare::Cursor;
using declare::MapView;
using declare::Reader;

double WeightSet::of(const std::string& id) const {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == id) return weights[i];
  return 0;
}

double Profile::global_weight(const std::string& indicator) const {
  const auto* info = core::find_indicator(indicator);
  if (!info) return 0;
  const std::string dim(info->dimension);
  auto it = indicator_weights.find(dim);
  if (it == indicator_weights.end()) return 0;
  return dimension_weights.of(dim) * it->second.of(indicator);
}

const CurveSpec& Profile::curve(const std::string& indicator) const { return curves.at(indicator); }

double Profile::blend(const std::string& indicator, const std::string& part) const {
  return blends.at(indicator).at(part);
}

namespace {

// Blends every profile must define, with their parts (methodology §6).
const std::map<std::string, std::vector<std::string>>& required_blends() {
  static const std::map<std::string, std::vector<std::string>> b = {
      {"ce.utilization", {"it_load_rate", "accelerator_utilization"}},
      {"co2.lifecycle", {"carbon_intensity", "strategy"}},
      {"acc.universality", {"reach", "scenarios", "access_modes"}},
      {"acc.inclusiveness", {"price_advantage", "billing"}},
      {"sus.supply_chain", {"multi_sourced", "diversity", "quality"}},
      {"sus.openness", {"standards", "features"}},
  };
  return b;
}

const std::vector<std::string>& required_curves() {
  static const std::vector<std::string> c = {"ce.theoretical",    "ce.measured",        "ce.utilization",
                                             "ie.model_compute",  "co2.lifecycle",      "co2.compute_carbon",
                                             "acc.inclusiveness", "sus.compatibility"};
  return c;
}

method::RandomIndexTable read_ri(const data::DataSource& src, const std::string& id, Reader& profile_reader,
                                 const Cursor& at, core::Diagnostics& diags) {
  const auto [text, file] = src.read("methods/random_index.yaml");
  Reader r(file, diags);
  std::vector<std::string> ids;
  method::RandomIndexTable found;
  auto root = r.load(text, "random-index tables");
  if (!root) return found;
  MapView top(r, *root, {"schema_version", "tables"}, {"schema_version", "tables"});
  if (!top.valid()) return found;
  if (auto t = top.get("tables")) {
    for (const Cursor& c : declare::items(r, *t, "random-index tables")) {
      MapView m(r, c, {"id", "reference", "values"}, {"id", "reference", "values"});
      if (!m.valid()) continue;
      method::RandomIndexTable table;
      if (auto v = m.get("id")) table.id = declare::read_string(r, *v).value_or("");
      if (auto v = m.get("values"))
        for (const auto& [n, vc] : declare::entries(r, *v, "RI by matrix order"))
          if (auto x = declare::read_number(r, vc, 0, 10, "a random index")) table.values[std::stoi(n)] = *x;
      ids.push_back(table.id);
      if (table.id == id) found = table;
    }
  }
  if (found.id.empty())
    profile_reader.error(at, fmt::format("expected a random-index table id (one of {}), found '{}'{}", declare::join_names(ids),
                                         id, declare::did_you_mean(id, ids)));
  return found;
}

class ProfileParser {
 public:
  ProfileParser(Reader& r, Profile& p, const data::DataSource& src, core::Diagnostics& diags)
      : r_(r), p_(p), src_(src), diags_(diags) {}

  void run(const Cursor& root) {
    MapView top(r_, root,
                {"schema_version", "id", "version", "description", "reference_precision", "random_index", "grades",
                 "weights", "curves", "blends", "reach_points", "level_points", "compatibility_coverage_base",
                 "hhi_diversity_scale", "defaults", "baseline", "intelligence_caps", "validity"},
                {"schema_version", "id", "version", "random_index", "grades", "weights", "curves", "blends",
                 "reach_points", "defaults", "baseline", "intelligence_caps"});
    if (!top.valid()) return;
    if (auto c = top.get("schema_version")) declare::read_int(r_, *c, 1, 1);
    p_.id = str(top, "id");
    p_.version = str(top, "version");
    p_.description = str(top, "description");
    if (auto c = top.get("reference_precision"))
      p_.reference_precision =
          declare::read_enum(r_, *c, {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8"}, "a precision").value_or("fp32");
    if (auto c = top.get("random_index")) {
      if (auto id = declare::read_string(r_, *c)) p_.random_index = read_ri(src_, *id, r_, *c, diags_);
    }
    if (auto c = top.get("grades")) grades(*c);
    if (auto c = top.get("weights")) weights(*c);
    if (auto c = top.get("curves")) curves(*c);
    if (auto c = top.get("blends")) blends(*c);
    if (auto c = top.get("reach_points")) {
      MapView m(r_, *c, {"internal", "regional", "national"}, {"internal", "regional", "national"});
      if (m.valid())
        for (const char* k : {"internal", "regional", "national"})
          if (auto v = m.get(k)) p_.reach_points[k] = declare::read_number(r_, *v, 0, 100, "points").value_or(0);
    }
    number(top, "level_points", p_.level_points, 0, 25, "points per level (≤ 25 so that level 4 is ≤ 100)");
    number(top, "compatibility_coverage_base", p_.compatibility_coverage_base, 0, 1, "a share");
    number(top, "hhi_diversity_scale", p_.hhi_diversity_scale, 0.01, 1, "a share");
    if (auto c = top.get("defaults")) defaults(*c);
    if (auto c = top.get("baseline")) baseline(*c);
    if (auto c = top.get("intelligence_caps")) caps(*c);
    if (auto c = top.get("validity")) {
      MapView m(r_, *c, {"max_efficiency"}, {"max_efficiency"});
      if (m.valid()) number(m, "max_efficiency", p_.max_efficiency, 1, 2, "the largest achieved ÷ peak accepted");
    }
  }

 private:
  std::string str(const MapView& m, std::string_view key) {
    if (auto c = m.get(key)) return declare::read_string(r_, *c).value_or("");
    return {};
  }

  void number(const MapView& m, std::string_view key, double& out, double min, double max, std::string_view what) {
    if (auto c = m.get(key))
      if (auto v = declare::read_number(r_, *c, min, max, what)) out = *v;
  }

  void grades(const Cursor& c) {
    MapView m(r_, c, {"bands", "floor"}, {"bands"});
    if (!m.valid()) return;
    if (auto b = m.get("bands")) {
      double last = 1e9;
      for (const Cursor& bc : declare::items(r_, *b, "grade bands")) {
        MapView bm(r_, bc, {"grade", "min", "en", "zh"}, {"grade", "min", "en", "zh"});
        if (!bm.valid()) continue;
        method::Band band;
        band.grade = str(bm, "grade");
        if (auto v = bm.get("min")) {
          auto x = declare::read_number(r_, *v, 0, 100, "the band's lowest score");
          if (x && *x >= last) r_.error(*v, fmt::format("expected bands from the highest down, found {} after {}", *x, last));
          band.min_score = x.value_or(0);
          last = band.min_score;
        }
        p_.band_names[band.grade] = {str(bm, "en"), str(bm, "zh")};
        p_.bands.push_back(band);
      }
      if (p_.bands.size() < 2) r_.error(*b, "expected at least two grade bands");
    }
    if (auto f = m.get("floor")) {
      MapView fm(r_, *f, {"enabled", "min_dimension_score", "cap"}, {"enabled", "min_dimension_score", "cap"});
      if (fm.valid()) {
        if (auto v = fm.get("enabled")) p_.floor.enabled = declare::read_bool(r_, *v).value_or(false);
        number(fm, "min_dimension_score", p_.floor.min_dimension_score, 0, 100, "a score");
        if (auto v = fm.get("cap")) {
          std::vector<std::string> grades;
          for (const auto& b : p_.bands) grades.push_back(b.grade);
          p_.floor.cap = declare::read_enum(r_, *v, grades, "a grade of the bands").value_or("");
        }
      }
    }
  }

  // Fixed weights {id: w, …} or {ahp: {order: [ids], matrix: [[…]]}} over exactly `ids`.
  std::optional<WeightSet> weight_set(const Cursor& c, const std::vector<std::string>& ids, const std::string& what) {
    if (!c.node.IsMap()) {
      r_.error(c, fmt::format("expected weights of {} as a mapping, found {}", what, declare::describe(c.node)));
      return std::nullopt;
    }
    WeightSet ws;
    const YAML::Node& node = c.node;  // const: yaml-cpp's non-const operator[] would add the key
    if (node["ahp"]) {
      MapView top(r_, c, {"ahp"}, {"ahp"});
      auto a = top.get("ahp");
      if (!a) return std::nullopt;
      MapView m(r_, *a, {"order", "matrix"}, {"order", "matrix"});
      if (!m.valid()) return std::nullopt;
      std::vector<std::string> order;
      if (auto o = m.get("order"))
        for (const Cursor& oc : declare::items(r_, *o, "ids"))
          if (auto s = declare::read_enum(r_, oc, ids, fmt::format("an id of {}", what))) order.push_back(*s);
      if (order.size() != ids.size()) {
        r_.error(*a, fmt::format("expected 'order' to list each of {} once", declare::join_names(ids)));
        return std::nullopt;
      }
      method::Matrix mat;
      if (auto mc = m.get("matrix")) {
        for (const Cursor& row : declare::items(r_, *mc, "matrix rows")) {
          std::vector<double> values;
          for (const Cursor& cell : declare::items(r_, row, "pairwise judgements")) {
            // Judgements may be written as fractions, "1/3", as in the AHP literature.
            double v = 0;
            const std::string text = cell.node.IsScalar() ? cell.node.Scalar() : "";
            if (const auto slash = text.find('/'); slash != std::string::npos) {
              try {
                v = std::stod(text.substr(0, slash)) / std::stod(text.substr(slash + 1));
              } catch (const std::exception&) {
                v = 0;
              }
              if (!(v > 0) || !std::isfinite(v)) r_.error(cell, fmt::format("expected a positive judgement such as 3 or 1/3, found '{}'", text));
            } else {
              v = declare::read_number(r_, cell, 1e-9, 1e9, "a positive judgement such as 3 or 1/3").value_or(0);
            }
            values.push_back(v);
          }
          mat.push_back(values);
        }
        try {
          const auto res = method::ahp(mat, p_.random_index);
          if (res.cr >= 0.10) {
            r_.error(*mc, fmt::format("the AHP matrix of {} is not consistent enough: CR = {:.4f} ≥ 0.10 (λmax {:.4f}, CI {:.4f}, "
                                      "RI {} from table '{}'); revise the judgements",
                                      what, res.cr, res.lambda_max, res.ci, res.ri, p_.random_index.id));
            return std::nullopt;
          }
          ws.ids = order;
          ws.weights = res.weights;
          ws.method = "ahp";
          ws.ahp = res;
          // Report in the canonical id order.
          return reorder(ws, ids);
        } catch (const method::MethodError& e) {
          r_.error(*mc, fmt::format("expected a positive reciprocal {}×{} matrix: {}", ids.size(), ids.size(), e.what()));
          return std::nullopt;
        }
      }
      return std::nullopt;
    }
    std::vector<double> w;
    for (const auto& [id, wc] : declare::entries(r_, c, fmt::format("weights of {}", what))) {
      if (!declare::known_name(r_, wc, id, ids, fmt::format("id in the weights of {}", what))) continue;
      ws.ids.push_back(id);
      w.push_back(declare::read_number(r_, wc, 0, 1e6, "a weight").value_or(0));
    }
    for (const auto& id : ids)
      if (std::find(ws.ids.begin(), ws.ids.end(), id) == ws.ids.end())
        r_.error(c, fmt::format("missing weight for '{}' among the weights of {}", id, what));
    if (ws.ids.size() != ids.size()) return std::nullopt;
    try {
      ws.weights = method::normalise(w);
    } catch (const method::MethodError& e) {
      r_.error(c, fmt::format("expected weights of {} with a positive sum: {}", what, e.what()));
      return std::nullopt;
    }
    ws.method = "fixed";
    return reorder(ws, ids);
  }

  static WeightSet reorder(const WeightSet& ws, const std::vector<std::string>& ids) {
    WeightSet out = ws;
    out.ids = ids;
    out.weights.clear();
    for (const auto& id : ids) out.weights.push_back(ws.of(id));
    return out;
  }

  void weights(const Cursor& c) {
    MapView m(r_, c, {"dimensions", "indicators"}, {"dimensions", "indicators"});
    if (!m.valid()) return;
    std::vector<std::string> dims;
    for (const auto& d : core::dimensions()) dims.emplace_back(d.id);
    if (auto d = m.get("dimensions"))
      if (auto ws = weight_set(*d, dims, "the dimensions")) p_.dimension_weights = *ws;
    if (auto ic = m.get("indicators")) {
      MapView im(r_, *ic, {"ce", "ie", "co2", "acc", "sus"}, {"ce", "ie", "co2", "acc", "sus"});
      if (!im.valid()) return;
      for (const auto& dim : dims) {
        std::vector<std::string> ids;
        for (const auto& i : core::indicators())
          if (i.dimension == dim) ids.emplace_back(i.id);
        if (auto v = im.get(dim))
          if (auto ws = weight_set(*v, ids, fmt::format("dimension '{}'", dim))) p_.indicator_weights[dim] = *ws;
      }
    }
  }

  void curves(const Cursor& c) {
    const auto& need = required_curves();
    for (const auto& [id, cc] : declare::entries(r_, c, "curves by indicator")) {
      if (!declare::known_name(r_, cc, id, need, "curve")) continue;
      MapView m(r_, cc, {"unit", "anchors", "reason"}, {"anchors", "reason"});
      if (!m.valid()) continue;
      CurveSpec spec;
      if (auto u = m.get("unit")) spec.unit = u->node.IsScalar() ? u->node.Scalar() : "";
      spec.reason = str(m, "reason");
      std::vector<method::Anchor> anchors;
      bool ok = true;
      if (auto a = m.get("anchors")) {
        for (const Cursor& pc : declare::items(r_, *a, "anchors [value, score]")) {
          const auto pair = declare::items(r_, pc, "[value, score]");
          if (pair.size() != 2) {
            r_.error(pc, "expected an anchor [value, score]");
            ok = false;
            continue;
          }
          auto x = declare::read_number(r_, pair[0], -1e300, 1e300, "the anchor's value");
          auto s = declare::read_number(r_, pair[1], 0, 100, "the anchor's score");
          ok &= x && s;
          if (x && s) anchors.push_back({*x, *s});
        }
        if (ok) {
          try {
            spec.curve = method::Curve(anchors);
          } catch (const method::MethodError& e) {
            r_.error(*a, fmt::format("expected a valid curve: {}", e.what()));
            ok = false;
          }
        }
      }
      if (ok) p_.curves[id] = spec;
    }
    for (const auto& id : need)
      if (!p_.curves.contains(id) && !static_cast<const YAML::Node&>(c.node)[id]) r_.error(c, fmt::format("missing the curve of '{}'", id));
  }

  void blends(const Cursor& c) {
    std::vector<std::string> names;
    for (const auto& [k, _] : required_blends()) names.push_back(k);
    for (const auto& [id, bc] : declare::entries(r_, c, "blends by indicator")) {
      if (!declare::known_name(r_, bc, id, names, "blend")) continue;
      const auto& parts = required_blends().at(id);
      std::map<std::string, double> b;
      double sum = 0;
      for (const auto& [part, pc] : declare::entries(r_, bc, "blend coefficients")) {
        if (!declare::known_name(r_, pc, part, parts, fmt::format("part of {}", id))) continue;
        b[part] = declare::read_number(r_, pc, 0, 1, "a blend coefficient").value_or(0);
        sum += b[part];
      }
      if (b.size() != parts.size()) {
        r_.error(bc, fmt::format("expected the coefficients {} of '{}'", declare::join_names(parts), id));
        continue;
      }
      if (std::fabs(sum - 1) > 1e-9) {
        r_.error(bc, fmt::format("expected the coefficients of '{}' to sum to 1, found {}", id, core::shortest(sum)));
        continue;
      }
      p_.blends[id] = b;
    }
    for (const auto& [id, _] : required_blends())
      if (!static_cast<const YAML::Node&>(c.node)[id]) r_.error(c, fmt::format("missing the blend of '{}'", id));
  }

  void defaults(const Cursor& c) {
    MapView m(r_, c, {"pue", "grid_factor", "lifetime", "it_load_rate", "platform_share"},
              {"pue", "grid_factor", "lifetime", "it_load_rate", "platform_share"});
    if (!m.valid()) return;
    auto sourced = [&](std::string_view key, double& out, std::string& source, double min, double max) {
      auto v = m.get(key);
      if (!v) return;
      MapView vm(r_, *v, {"value", "source"}, {"value", "source"});
      if (!vm.valid()) return;
      number(vm, "value", out, min, max, fmt::format("the default {}", key));
      source = str(vm, "source");
    };
    sourced("pue", p_.defaults.pue, p_.defaults.pue_source, 1, 5);
    sourced("it_load_rate", p_.defaults.it_load_rate, p_.defaults.it_load_rate_source, 0, 1);
    sourced("platform_share", p_.defaults.platform_share, p_.defaults.platform_share_source, 0, 5);
    if (auto v = m.get("grid_factor")) {
      MapView g(r_, *v, {"value", "year", "source"}, {"value", "year", "source"});
      if (g.valid()) {
        if (auto x = g.get("value"))
          if (auto f = declare::read_quantity(r_, *x, core::dim::carbon_intensity(), "0.5366 kgCO2e/kWh"))
            p_.defaults.grid_factor_kg_per_kwh = f->quantity.canonical_value();
        if (auto x = g.get("year")) p_.defaults.grid_factor_year = static_cast<int>(declare::read_int(r_, *x, 1990, 2100).value_or(0));
        p_.defaults.grid_factor_source = str(g, "source");
      }
    }
    if (auto v = m.get("lifetime"))
      if (auto f = declare::read_quantity(r_, *v, core::dim::time(), "5 y")) p_.defaults.lifetime_s = f->quantity.si;
  }

  void baseline(const Cursor& c) {
    MapView m(r_, c, {"compute_efficiency", "it_load_rate", "utilization", "pue", "grid_factor"},
              {"compute_efficiency", "it_load_rate", "utilization", "pue", "grid_factor"});
    if (!m.valid()) return;
    if (auto v = m.get("compute_efficiency"))
      if (auto f = declare::read_quantity(r_, *v, core::dim::op_efficiency(), "11.8 GFLOPS/W"))
        p_.baseline.compute_efficiency_flops_per_w = f->quantity.si;
    number(m, "it_load_rate", p_.baseline.it_load_rate, 0.01, 1, "a share");
    number(m, "utilization", p_.baseline.utilization, 0.01, 1, "a share");
    number(m, "pue", p_.baseline.pue, 1, 5, "the PUE");
    if (auto v = m.get("grid_factor"))
      if (auto f = declare::read_quantity(r_, *v, core::dim::carbon_intensity(), "0.5366 kgCO2e/kWh"))
        p_.baseline.grid_factor_kg_per_kwh = f->quantity.canonical_value();
  }

  std::vector<std::pair<double, int>> thresholds(const Cursor& c) {
    std::vector<std::pair<double, int>> out;
    double last = 1e300;
    for (const Cursor& t : declare::items(r_, c, "[time, level] thresholds")) {
      const auto pair = declare::items(r_, t, "[time, level]");
      if (pair.size() != 2) {
        r_.error(t, "expected a threshold [time, level]");
        continue;
      }
      auto f = declare::read_quantity(r_, pair[0], core::dim::time(), "10 min");
      auto l = declare::read_int(r_, pair[1], 0, 4);
      if (!f || !l) continue;
      if (f->quantity.si >= last) r_.error(pair[0], "expected thresholds from the loosest (longest) to the strictest");
      last = f->quantity.si;
      out.emplace_back(f->quantity.si, static_cast<int>(*l));
    }
    return out;
  }

  void caps(const Cursor& c) {
    MapView m(r_, c, {"fault_recovery", "checkpointing", "bytes_per_parameter"},
              {"fault_recovery", "checkpointing", "bytes_per_parameter"});
    if (!m.valid()) return;
    if (auto v = m.get("fault_recovery")) p_.caps.fault_recovery = thresholds(*v);
    if (auto v = m.get("checkpointing")) p_.caps.checkpointing = thresholds(*v);
    number(m, "bytes_per_parameter", p_.caps.bytes_per_parameter, 1, 64, "bytes of training state per parameter");
  }

  Reader& r_;
  Profile& p_;
  const data::DataSource& src_;
  core::Diagnostics& diags_;
};

}  // namespace

Profile parse_profile(std::string_view text, const std::string& file, const data::DataSource& src) {
  core::Diagnostics diags;
  Reader r(file, diags);
  Profile p;
  p.file = file;
  p.sha256 = core::sha256_hex(text);
  if (auto root = r.load(text, "an assessment profile (see data/profiles/default.yaml)")) {
    ProfileParser parser(r, p, src, diags);
    parser.run(*root);
  }
  if (!diags.empty()) throw core::InputError(diags.sorted());
  return p;
}

Profile load_profile(const std::string& path, const data::DataSource& src) {
  if (path.empty()) {
    const auto [text, name] = src.read("profiles/default.yaml");
    return parse_profile(text, name, src);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::InputError(core::Location{path}, "", "cannot open the profile (missing, or no permission to read it)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_profile(ss.str(), path, src);
}

}  // namespace aicq::assess

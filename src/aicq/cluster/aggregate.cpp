// The cluster result from the run folder's files (see aggregate.hpp).
#include "aicq/cluster/aggregate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "aicq/assess/assessment.hpp"
#include "aicq/cluster/collectives.hpp"
#include "aicq/assess/result.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/core/clock.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/core/version.hpp"
#include "aicq/hw/discovery.hpp"
#include "aicq/hw/peak.hpp"

namespace aicq::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_straggler(double value, double median, bool higher_is_better) {
  if (median == 0) return false;
  return higher_is_better ? value < (1 - kStragglerShortfall) * median : value > (1 + kStragglerShortfall) * median;
}

Spread spread_of(std::string probe_id, std::string measurement, std::string unit, bool higher_is_better,
                 std::vector<std::pair<std::string, double>> values) {
  Spread s;
  s.probe = std::move(probe_id);
  s.measurement = std::move(measurement);
  s.unit = std::move(unit);
  s.higher_is_better = higher_is_better;
  std::vector<double> v;
  for (const auto& [node, x] : values) v.push_back(x);
  s.stats = probe::statistics(v);
  for (const auto& [node, x] : values)
    if (is_straggler(x, s.stats.median, higher_is_better))
      s.stragglers.push_back({node, x, higher_is_better ? 1 - x / s.stats.median : x / s.stats.median - 1});
  s.values = std::move(values);
  return s;
}

std::vector<Spread> spreads(const std::vector<NodeRecord>& nodes) {
  struct Key {
    std::string probe, measurement, unit;
    bool higher = true;
  };
  std::vector<Key> order;
  std::map<std::string, std::vector<std::pair<std::string, double>>> values;
  const auto add = [&](const Key& k, const std::string& node, double v) {
    const std::string id = k.probe + "/" + k.measurement;
    if (!values.contains(id)) order.push_back(k);
    values[id].emplace_back(node, v);
  };
  for (const auto& n : nodes) {
    if (!n.has_result() || !n.result.contains("measurement")) continue;
    const json& m = n.result["measurement"];
    // The measured peaks first: a node with a lower clock or FMA rate shows up here before anywhere else.
    if (m.contains("peaks") && m["peaks"].contains("peaks"))
      for (const auto& p : m["peaks"]["peaks"])
        if (p.value("kind", "") == "measured" && p.contains("flops") && p["flops"].is_number())
          add({"hw.peak", p.value("precision", "?"), "FLOP/s", true}, n.node, p["flops"].get<double>());
    if (!m.contains("probes")) continue;
    for (const auto& p : m["probes"]) {
      if (p.value("status", "") != "ok" || !p.contains("measurements")) continue;
      for (const auto& x : p["measurements"]) {
        if (!x.contains("stats") || !x["stats"].contains("median") || !x["stats"]["median"].is_number()) continue;
        if (x.contains("details") && x["details"].is_object() && x["details"].value("valid", true) == false) continue;
        add({p.value("id", "?"), x.value("id", "?"), x.value("unit", ""), x.value("higher_is_better", true)}, n.node,
            x["stats"]["median"].get<double>());
      }
    }
  }
  std::vector<Spread> out;
  for (const auto& k : order) out.push_back(spread_of(k.probe, k.measurement, k.unit, k.higher, values[k.probe + "/" + k.measurement]));
  return out;
}

// -------------------------------------------------------------------------------------------------------------------
// Evidence

namespace {

int kind_rank(core::EvidenceKind k) {
  switch (k) {
    case core::EvidenceKind::estimated: return 0;
    case core::EvidenceKind::declared: return 1;
    case core::EvidenceKind::imported: return 2;
    case core::EvidenceKind::measured: return 3;
  }
  return 0;
}

// One metric across the nodes that have it, in node order.
struct Across {
  std::vector<std::pair<const NodeRecord*, const core::Evidence*>> at;
  [[nodiscard]] double sum() const {
    double s = 0;
    for (const auto& [n, e] : at) s += e->quantity.si;
    return s;
  }
  [[nodiscard]] core::EvidenceKind weakest() const {
    core::EvidenceKind k = core::EvidenceKind::measured;
    for (const auto& [n, e] : at)
      if (kind_rank(e->kind) < kind_rank(k)) k = e->kind;
    return k;
  }
  [[nodiscard]] std::vector<double> values() const {
    std::vector<double> v;
    for (const auto& [n, e] : at) v.push_back(e->quantity.si);
    return v;
  }
  [[nodiscard]] bool all_equal() const {
    for (const auto& [n, e] : at)
      if (e->quantity.si != at.front().second->quantity.si) return false;
    return true;
  }
};

class Emit {
 public:
  Emit(std::string time, std::vector<core::Evidence>& out) : time_(std::move(time)), out_(out) {}
  core::Evidence& add(const std::string& metric, double si, const core::Evidence& like, core::EvidenceKind kind,
                      std::string method, std::string note = {}) {
    core::Evidence e;
    e.metric = metric;
    e.quantity.si = si;
    e.quantity.dim = like.quantity.dim;
    e.quantity.currency = like.quantity.currency;
    e.text = e.quantity.to_string();
    e.kind = kind;
    e.source.tool = "aicq";
    e.source.tool_version = core::version();
    e.source.time = time_;
    e.source.method = std::move(method);
    e.source.reference = like.source.reference;
    e.source.catalog = like.source.catalog;
    e.quality = like.quality;
    e.note = note.empty() ? like.note : std::move(note);
    out_.push_back(std::move(e));
    return out_.back();
  }
  core::Evidence& copy(const core::Evidence& e) {
    out_.push_back(e);
    return out_.back();
  }

 private:
  std::string time_;
  std::vector<core::Evidence>& out_;
};

std::string names_of(const std::vector<const NodeRecord*>& nodes, std::size_t at_most = 8) {
  std::vector<std::string> n;
  for (std::size_t i = 0; i < nodes.size() && i < at_most; ++i) n.push_back(nodes[i]->node);
  std::string s = fmt::format("{}", fmt::join(n, ", "));
  if (nodes.size() > at_most) s += fmt::format(" and {} more", nodes.size() - at_most);
  return s;
}

bool ends_with(const std::string& s, std::string_view suffix) { return s.size() >= suffix.size() && s.ends_with(suffix); }

}  // namespace

std::vector<core::Evidence> cluster_evidence(const std::vector<NodeRecord>& nodes, const std::string& time,
                                             std::vector<std::string>& notes) {
  std::vector<core::Evidence> out;
  Emit emit(time, out);
  using K = core::EvidenceKind;

  std::vector<const NodeRecord*> with;
  for (const auto& n : nodes)
    if (n.has_result()) with.push_back(&n);
  if (with.empty()) return out;

  // metric → its records across the nodes, in first-seen order.
  std::vector<std::string> order;
  std::map<std::string, Across> by_metric;
  for (const auto* n : with)
    for (const auto& e : n->evidence) {
      if (!by_metric.contains(e.metric)) order.push_back(e.metric);
      by_metric[e.metric].at.emplace_back(n, &e);
    }
  std::set<std::string> done;
  const auto get = [&](const std::string& m) -> const Across* {
    const auto it = by_metric.find(m);
    return it == by_metric.end() ? nullptr : &it->second;
  };

  // 1. Inventory: nodes alike (same CPU packages and accelerators per node, same models) form one group.
  const std::string inv = "inventory.node.";
  std::vector<std::string> signatures;
  std::map<std::string, std::vector<const NodeRecord*>> group_nodes;
  for (const auto* n : with) {
    std::string sig;
    for (const auto& e : n->evidence)
      if (e.metric.starts_with(inv) && ends_with(e.metric, ".count_per_unit"))
        sig += fmt::format("{}={}({});", e.metric.substr(inv.size()), core::shortest(e.quantity.si), e.note);
    if (!group_nodes.contains(sig)) signatures.push_back(sig);
    group_nodes[sig].push_back(n);
  }
  for (std::size_t g = 0; g < signatures.size(); ++g) {
    const auto& members = group_nodes[signatures[g]];
    const std::string group = signatures.size() == 1 ? "node" : fmt::format("node{}", g + 1);
    const std::string gp = "inventory." + group + ".";
    // The group's records: every inventory.node.* suffix its members have.
    std::vector<std::string> suffixes;
    std::map<std::string, Across> in_group;
    for (const auto* n : members)
      for (const auto& e : n->evidence)
        if (e.metric.starts_with(inv)) {
          const std::string suffix = e.metric.substr(inv.size());
          if (!in_group.contains(suffix)) suffixes.push_back(suffix);
          in_group[suffix].at.emplace_back(n, &e);
          done.insert(e.metric);
        }
    for (const auto& suffix : suffixes) {
      const Across& a = in_group[suffix];
      const core::Evidence& first = *a.at.front().second;
      if (suffix == "count") {
        emit.add(gp + "count", static_cast<double>(members.size()), first, K::measured,
                 "nodes of the cluster run with a node result (aicq run --mpi)", names_of(members));
      } else if (suffix.starts_with("cpu.peak.") && first.kind == K::measured) {
        // Measured per node (clock × FMA rate): the group's peak per package is the mean, so that count × per unit ×
        // peak equals the sum of the nodes' measured peaks.
        const double mean = a.sum() / static_cast<double>(a.at.size());
        emit.add(gp + suffix, mean, first, a.weakest(),
                 fmt::format("mean over {} nodes of the peak per CPU package each measured ({})", a.at.size(), first.source.method));
        if (a.at.size() != members.size())
          notes.push_back(fmt::format("{}{}: measured on {} of {} nodes", gp, suffix, a.at.size(), members.size()));
      } else if (a.all_equal()) {
        emit.add(gp + suffix, first.quantity.si, first, a.weakest(), first.source.method);
      } else {
        const auto st = probe::statistics(a.values());
        emit.add(gp + suffix, st.median, first, a.weakest(),
                 fmt::format("median over {} nodes (min {}, max {}): the nodes differ", a.at.size(), core::shortest(st.min),
                             core::shortest(st.max)));
        notes.push_back(fmt::format("{}{}: the nodes differ (min {}, max {}): the median is used", gp, suffix,
                                    core::shortest(st.min), core::shortest(st.max)));
      }
    }
  }
  if (signatures.size() > 1)
    for (std::size_t g = 0; g < signatures.size(); ++g)
      notes.push_back(fmt::format("inventory group node{}: {}", g + 1, names_of(group_nodes[signatures[g]], 1000)));

  // 2. Workloads: achieved, devices and peak per device summed over the nodes whose measurement is valid.
  for (const auto& m : order) {
    if (!ends_with(m, ".achieved") || done.contains(m)) continue;
    const std::string p = m.substr(0, m.size() - 9);
    const Across& ach = by_metric[m];
    const Across *dev = get(p + ".devices"), *ppd = get(p + ".peak_per_device"), *inval = get(p + ".invalid");
    for (const auto* s : {".achieved", ".devices", ".peak_per_device", ".invalid"}) done.insert(p + s);
    std::set<const NodeRecord*> invalid_nodes;
    if (inval)
      for (const auto& [n, e] : inval->at) invalid_nodes.insert(n);
    double achieved = 0, devices = 0, peak_total = 0;
    std::vector<const NodeRecord*> used, left_out;
    for (const auto& [n, e] : ach.at) {
      const core::Evidence *d = nullptr, *k = nullptr;
      if (dev)
        for (const auto& [dn, de] : dev->at)
          if (dn == n) d = de;
      if (ppd)
        for (const auto& [pn, pe] : ppd->at)
          if (pn == n) k = pe;
      if (invalid_nodes.contains(n) || (dev && !d) || (ppd && !k)) {
        left_out.push_back(n);
        continue;
      }
      achieved += e->quantity.si;
      if (d) devices += d->quantity.si;
      if (d && k) peak_total += d->quantity.si * k->quantity.si;
      used.push_back(n);
    }
    const core::Evidence& first = *ach.at.front().second;
    if (used.empty()) {
      // Invalid everywhere: kept, marked, not scored (as on one machine).
      emit.add(m, ach.sum(), first, ach.weakest(), fmt::format("sum over {} nodes, every one invalid", ach.at.size()));
      if (inval) emit.add(p + ".invalid", 1, *inval->at.front().second, K::measured, "validity gate on every node");
      if (dev) emit.add(p + ".devices", dev->sum(), *dev->at.front().second, dev->weakest(), "sum over the nodes");
      if (ppd) emit.add(p + ".peak_per_device", ppd->sum() / static_cast<double>(ppd->at.size()), *ppd->at.front().second,
                        ppd->weakest(), "mean over the nodes");
      continue;
    }
    emit.add(m, achieved, first, K::measured,
             fmt::format("sum over {} nodes of each node's median ({})", used.size(), first.source.method), first.note);
    if (dev) emit.add(p + ".devices", devices, *dev->at.front().second, dev->weakest(), fmt::format("sum over {} nodes", used.size()));
    if (ppd && devices > 0)
      emit.add(p + ".peak_per_device", peak_total / devices, *ppd->at.front().second, ppd->weakest(),
               fmt::format("Σ over {} nodes of devices × peak per device, ÷ Σ devices", used.size()));
    if (!left_out.empty())
      notes.push_back(fmt::format("{}: {} left out of the sum ({})", p, names_of(left_out),
                                  invalid_nodes.empty() ? "incomplete records" : "invalid there"));
  }

  // 3. Models (ie.model_compute): the same model on every node (matched by what ran), throughput and devices summed.
  {
    std::vector<std::string> model_keys;
    std::map<std::string, std::vector<std::pair<const NodeRecord*, std::string>>> model_prefixes;  // key → (node, prefix)
    for (const auto& m : order) {
      if (!m.starts_with("models[m") || !ends_with(m, ".throughput")) continue;
      const std::string p = m.substr(0, m.size() - 11);
      for (const auto& [n, e] : by_metric[m].at) {
        if (!model_prefixes.contains(e->note)) model_keys.push_back(e->note);
        model_prefixes[e->note].emplace_back(n, p);
      }
    }
    int row = 0;
    for (const auto& key : model_keys) {
      const std::string np = fmt::format("models[m{}]", row++);
      double thr = 0, dev = 0, peak_total = 0;
      const core::Evidence *fpu = nullptr, *thr_like = nullptr, *dev_like = nullptr, *ppd_like = nullptr, *acc = nullptr, *ref = nullptr;
      for (const auto& [n, p] : model_prefixes[key]) {
        std::map<std::string, const core::Evidence*> f;
        for (const auto& e : n->evidence)
          if (e.metric.starts_with(p + ".")) f[e.metric.substr(p.size() + 1)] = &e;
        if (!f.contains("throughput") || !f.contains("devices") || !f.contains("peak_per_device")) continue;
        thr += f["throughput"]->quantity.si;
        dev += f["devices"]->quantity.si;
        peak_total += f["devices"]->quantity.si * f["peak_per_device"]->quantity.si;
        thr_like = f["throughput"];
        dev_like = f["devices"];
        ppd_like = f["peak_per_device"];
        if (f.contains("flop_per_unit")) fpu = f["flop_per_unit"];
        if (f.contains("accuracy") && (!acc || f["accuracy"]->quantity.si < acc->quantity.si)) acc = f["accuracy"];
        if (f.contains("reference_accuracy")) ref = f["reference_accuracy"];
      }
      if (!thr_like || dev <= 0) continue;
      const std::size_t k = model_prefixes[key].size();
      emit.add(np + ".throughput", thr, *thr_like, K::measured, fmt::format("sum over {} nodes", k));
      emit.add(np + ".devices", dev, *dev_like, dev_like->kind, fmt::format("sum over {} nodes", k));
      emit.add(np + ".peak_per_device", peak_total / dev, *ppd_like, ppd_like->kind, "Σ devices × peak per device ÷ Σ devices");
      if (fpu) emit.copy(*fpu).metric = np + ".flop_per_unit";
      if (acc) emit.add(np + ".accuracy", acc->quantity.si, *acc, acc->kind, fmt::format("the lowest over {} nodes", k));
      if (ref) emit.copy(*ref).metric = np + ".reference_accuracy";
    }
    for (const auto& m : order)
      if (m.starts_with("models[m")) done.insert(m);
  }

  // 4. Compatibility rows: one per runtime and layer; a runtime fails the cluster where it fails on any node.
  {
    std::vector<std::string> keys;
    std::map<std::string, std::pair<const core::Evidence*, double>> worst;
    std::map<std::string, std::string> layer_of;
    for (const auto& m : order) {
      if (!m.starts_with("compatibility[m")) continue;
      done.insert(m);
      const std::string layer = m.substr(m.rfind('.') + 1);
      for (const auto& [n, e] : by_metric[m].at) {
        const std::string key = layer + "|" + e->note.substr(0, e->note.find(':'));
        if (!worst.contains(key)) {
          keys.push_back(key);
          worst[key] = {e, e->quantity.si};
          layer_of[key] = layer;
        } else if (e->quantity.si < worst[key].second) {
          worst[key] = {e, e->quantity.si};
        }
      }
    }
    int row = 0;
    for (const auto& key : keys)
      emit.add(fmt::format("compatibility[m{}].{}", row++, layer_of[key]), worst[key].second, *worst[key].first, K::measured,
               "the lowest result over the nodes (pass 1, partial 0.5, fail 0)", worst[key].first->note);
  }

  // 5. Power and energy per probe: summed when every node with a result measured them (Q3 asks for every node).
  for (const auto& m : order) {
    if (done.contains(m) || !m.starts_with("probe.") || !(ends_with(m, ".power.mean") || ends_with(m, ".energy"))) continue;
    done.insert(m);
    const Across& a = by_metric[m];
    if (a.at.size() != with.size()) {
      notes.push_back(fmt::format("{}: measured on {} of {} nodes, left out (a cluster's power needs every node)", m,
                                  a.at.size(), with.size()));
      continue;
    }
    auto& e = emit.add(m, a.sum(), *a.at.front().second, a.weakest(), fmt::format("sum over {} nodes", a.at.size()));
    for (const auto& [n, x] : a.at)
      if (x->quality && e.quality && static_cast<int>(*x->quality) < static_cast<int>(*e.quality)) e.quality = x->quality;
  }

  // 6. Memory and storage figures (reported, not scored): rates summed, other values as the median.
  for (const auto& m : order) {
    if (done.contains(m) || !m.starts_with("probe.")) continue;
    const Across& a = by_metric[m];
    if (ends_with(m, ".rate")) {
      done.insert(m);
      emit.add(m, a.sum(), *a.at.front().second, a.weakest(), fmt::format("sum over {} nodes (aggregate)", a.at.size()));
    } else if (ends_with(m, ".value")) {
      done.insert(m);
      emit.add(m, probe::statistics(a.values()).median, *a.at.front().second, a.weakest(),
               fmt::format("median over {} nodes", a.at.size()));
    }
  }

  // 7. Resilience: the slowest node bounds a synchronous checkpoint and a restart.
  for (const auto& [m, worst_is_max] : {std::pair<std::string, bool>{"resilience.checkpoint.write_bandwidth", false},
                                        std::pair<std::string, bool>{"resilience.recovery.time", true}}) {
    const Across* a = get(m);
    if (!a) continue;
    done.insert(m);
    const auto st = probe::statistics(a->values());
    emit.add(m, worst_is_max ? st.max : st.min, *a->at.front().second, a->weakest(),
             fmt::format("the {} over {} nodes: the slowest node bounds the cluster", worst_is_max ? "largest" : "lowest", a->at.size()));
  }

  // 8. Anything else: kept when every node agrees, otherwise named.
  std::vector<std::string> differing;
  for (const auto& m : order) {
    if (done.contains(m)) continue;
    const Across& a = by_metric[m];
    if (a.all_equal() && a.at.size() == with.size()) emit.copy(*a.at.front().second);
    else differing.push_back(m);
  }
  if (!differing.empty())
    notes.push_back(fmt::format("left out, the nodes differ and aicq has no rule to combine them: {}", fmt::join(differing, ", ")));
  return out;
}

// -------------------------------------------------------------------------------------------------------------------
// Reading the run folder

namespace {

json read_json_file(const fs::path& p, std::vector<std::string>& problems) {
  std::ifstream in(p);
  if (!in) return nullptr;
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::parse_error& e) {
    problems.push_back(fmt::format("{}: {}", p.string(), e.what()));
    return nullptr;
  }
}

std::string file_sha256(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return core::sha256_hex(ss.str());
}

std::vector<int> int_list(const json& j) {
  std::vector<int> v;
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_number_integer()) v.push_back(x.get<int>());
  return v;
}

}  // namespace

ClusterFolder read_folder(const std::string& dir) {
  ClusterFolder f;
  f.dir = dir;
  const fs::path d(dir);
  std::error_code ec;
  if (!fs::is_directory(d, ec)) throw core::InputError(core::Location{dir}, "", "no such folder");
  if (!fs::exists(d / "job.json") && !fs::is_directory(d / "ranks") && !fs::is_directory(d / "nodes"))
    throw core::InputError(core::Location{dir}, "",
                           "not a folder of `aicq run --mpi`: it holds no job.json, ranks/ or nodes/");
  f.job = read_json_file(d / "job.json", f.problems);
  if (fs::is_directory(d / "ranks", ec))
    for (const auto& e : fs::directory_iterator(d / "ranks", ec)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("rank-") || !name.ends_with(".json")) continue;
      json r = read_json_file(e.path(), f.problems);
      if (!r.is_object() || !r.contains("rank") || !r["rank"].is_number_integer()) continue;
      const int rank = r["rank"].get<int>();  // before the move: the right of `=` is evaluated first
      f.ranks[rank] = std::move(r);
    }
  f.collectives = read_json_file(d / "collectives.json", f.problems);

  // Nodes expected (job.json), then any folder under nodes/ the job did not list.
  std::vector<NodeRecord> nodes;
  if (f.job.is_object() && f.job.contains("nodes"))
    for (const auto& n : f.job["nodes"]) {
      NodeRecord r;
      r.node = n.value("node", "");
      r.host = n.value("host", "");
      r.leader = n.value("leader", -1);
      r.ranks = int_list(n.value("ranks", json::array()));
      if (!r.node.empty()) nodes.push_back(std::move(r));
    }
  if (fs::is_directory(d / "nodes", ec))
    for (const auto& e : fs::directory_iterator(d / "nodes", ec)) {
      if (!e.is_directory()) continue;
      const std::string name = e.path().filename().string();
      if (std::none_of(nodes.begin(), nodes.end(), [&](const NodeRecord& r) { return r.node == name; })) {
        NodeRecord r;
        r.node = name;
        nodes.push_back(std::move(r));
      }
    }
  for (auto& n : nodes) {
    const fs::path nd = d / "nodes" / n.node;
    n.record = read_json_file(nd / "node.json", f.problems);
    if (!n.record.is_object()) n.record = json::object();
    if (n.host.empty()) n.host = n.record.value("host", n.node);
    if (n.leader < 0) n.leader = n.record.value("leader", -1);
    if (n.ranks.empty()) n.ranks = int_list(n.record.value("ranks", json::array()));
    n.duration_s = n.record.value("duration_s", 0.0);
    if (fs::exists(nd / "result.json")) {
      try {
        auto loaded = assess::load_result((nd / "result.json").string());
        n.result = std::move(loaded.doc);
        n.evidence = std::move(loaded.evidence);
        n.result_sha256 = file_sha256(nd / "result.json");
      } catch (const std::exception& e) {
        f.problems.push_back(fmt::format("{}: {}", (nd / "result.json").string(), e.what()));
      }
    }
    const std::string recorded = n.record.value("status", "");
    if (n.has_result()) {
      n.status = recorded.empty() || recorded == "failed" ? n.result.value("status", "complete") : recorded;
      n.reason = n.record.value("reason", "");
      if (n.status == "interrupted" && n.reason.empty()) n.reason = "the node run was stopped before it finished";
    } else if (!recorded.empty()) {
      n.status = "failed";
      n.reason = n.record.value("reason", "the node run left no result");
    } else {
      n.status = "missing";
      const auto leader = f.ranks.find(n.leader);
      n.reason = leader == f.ranks.end()
                     ? fmt::format("no node result, and no word from its leader rank {}", n.leader)
                     : fmt::format("no node result: its leader rank {} was last seen in phase '{}' ({})", n.leader,
                                   leader->second.value("phase", "?"), leader->second.value("state", "?"));
    }
  }
  std::sort(nodes.begin(), nodes.end(), [](const NodeRecord& a, const NodeRecord& b) {
    return a.leader != b.leader ? (a.leader >= 0 && (b.leader < 0 || a.leader < b.leader)) : a.node < b.node;
  });
  f.nodes = std::move(nodes);
  return f;
}

// -------------------------------------------------------------------------------------------------------------------
// Assembly

namespace {

// What became of a rank, from its file (or its absence).
json rank_entry(int rank, const json* file, const json& expected) {
  json r = {{"rank", rank}};
  if (expected.is_object()) {
    r["host"] = expected.value("host", "");
    r["node"] = expected.value("node", "");
  }
  if (!file) {
    r["state"] = "missing";
    r["why"] = "no rank file: the rank never wrote one (it did not start, or the folder is not shared with its host)";
    return r;
  }
  const json& f = *file;
  r["host"] = f.value("host", r.value("host", ""));
  r["node"] = f.value("node", r.value("node", ""));
  r["pid"] = f.value("pid", 0);
  r["phase"] = f.value("phase", "");
  r["state"] = f.value("state", "running");
  if (f.contains("waits")) r["waits"] = f["waits"];
  if (f.contains("allocator")) r["allocator"] = f["allocator"].value("summary", "");
  const std::string state = r["state"];
  if (state == "finished") return r;
  if (state == "timeout") {
    r["why"] = fmt::format("timed out in {}", f.contains("timeout") ? f["timeout"].value("what", "?") : r["phase"].get<std::string>());
  } else if (state == "failed") {
    r["why"] = f.value("error", "failed");
  } else if (f.contains("signal")) {
    r["why"] = fmt::format("stopped by {} in phase '{}' (the launcher ending the job, or Ctrl-C)", f["signal"].value("name", "a signal"),
                           f["signal"].value("phase", r["phase"].get<std::string>()));
  } else {
    r["why"] = fmt::format("no word since phase '{}'{}: the rank died or was killed without notice", r["phase"].get<std::string>(),
                           f.value("held", false) ? " (held there by AICQ_TEST_MPI_HOLD)" : "");
  }
  return r;
}

json peaks_of(const NodeRecord& n) {
  json p = json::object();
  if (!n.has_result()) return p;
  const json& m = n.result.value("measurement", json::object());
  if (m.contains("peaks") && m["peaks"].contains("peaks"))
    for (const auto& x : m["peaks"]["peaks"])
      if (x.contains("flops") && x["flops"].is_number()) p[x.value("precision", "?")] = x["flops"];
  return p;
}

}  // namespace

json assemble(const ClusterFolder& folder, const AssembleInputs& in, const assess::Profile& profile, const catalog::Catalogs& cat) {
  const json& job = folder.job;
  const std::string created = !in.created.empty()                                   ? in.created
                              : job.is_object() && job.contains("started")           ? job["started"].get<std::string>()
                                                                                     : core::utc_iso8601();
  std::vector<std::string> notes;

  // Evidence: the cluster's from its nodes, the collectives' figures (reported), the declaration's.
  std::vector<core::Evidence> evidence = in.site.evidence;
  for (auto& e : cluster_evidence(folder.nodes, created, notes))
    if (!(in.site.declares_inventory && e.metric.starts_with("inventory."))) evidence.push_back(std::move(e));
  std::vector<probe::ProbeResult> collective;
  json collective_json = json::array();
  json diagnosis = json::array();
  if (folder.collectives.is_object()) {
    for (const auto& p : folder.collectives.value("probes", json::array())) {
      try {
        collective.push_back(probe::probe_result_from_json(p));
        collective_json.push_back(p);
      } catch (const std::exception& e) {
        notes.push_back(fmt::format("collectives.json: a probe record could not be read: {}", e.what()));
      }
    }
    diagnosis = folder.collectives.value("diagnosis", json::array());
  }
  for (auto& e : measure::evidence_of(hw::Host{}, hw::Peaks{}, collective, false, created)) evidence.push_back(std::move(e));
  for (auto& e : evidence) e = core::normalised(e);
  const assess::Assessment a = assess::assess(evidence, profile, cat);

  // Ranks and what became of each.
  std::map<int, json> expected_rank;
  int expected_ranks = 0;
  if (job.is_object()) {
    expected_ranks = job.value("ranks", 0);
    for (const auto& r : job.value("rank_table", json::array())) expected_rank[r.value("rank", -1)] = r;
  }
  for (const auto& [r, f] : folder.ranks) expected_ranks = std::max(expected_ranks, r + 1);
  json ranks = json::array(), missing_ranks = json::array();
  bool all_finished = expected_ranks > 0;
  for (int r = 0; r < expected_ranks; ++r) {
    const auto it = folder.ranks.find(r);
    const json entry = rank_entry(r, it == folder.ranks.end() ? nullptr : &it->second,
                                  expected_rank.contains(r) ? expected_rank[r] : json());
    if (entry["state"] != "finished") {
      all_finished = false;
      missing_ranks.push_back(entry);
    }
    ranks.push_back(entry);
  }

  // Nodes: figures, and the ones without a result.
  json nodes = json::array(), missing_nodes = json::array();
  std::map<std::string, std::pair<int, int>> host_results;  // host → (nodes, nodes with a result)
  bool nodes_complete = true, any_invalid = false;
  json peak_sum = json::object();
  for (const auto& n : folder.nodes) {
    json j = {{"node", n.node}, {"host", n.host}, {"ranks", n.ranks}, {"leader", n.leader}, {"status", n.status}};
    if (!n.reason.empty()) j["reason"] = n.reason;
    if (n.duration_s > 0) j["duration_s"] = n.duration_s;
    if (n.record.contains("affinity")) j["affinity"] = n.record["affinity"];
    if (n.record.contains("threads")) j["threads"] = n.record["threads"];
    auto& hr = host_results[n.host];
    ++hr.first;
    if (n.has_result()) {
      ++hr.second;
      j["result"] = fmt::format("nodes/{}/result.json", n.node);
      j["result_sha256"] = n.result_sha256;
      j["peaks"] = peaks_of(n);
      for (const auto& [prec, v] : j["peaks"].items()) {
        if (!peak_sum.contains(prec)) peak_sum[prec] = {{"flops", 0.0}, {"nodes", 0}};
        peak_sum[prec]["flops"] = peak_sum[prec]["flops"].get<double>() + v.get<double>();
        peak_sum[prec]["nodes"] = peak_sum[prec]["nodes"].get<int>() + 1;
      }
      json figures = json::object();
      for (const auto& p : n.result.value("measurement", json::object()).value("probes", json::array()))
        for (const auto& x : p.value("measurements", json::array()))
          if (x.contains("stats") && x["stats"].contains("median"))
            figures[p.value("id", "?") + "/" + x.value("id", "?")] = {{"value", x["stats"]["median"]}, {"unit", x.value("unit", "")}};
      j["figures"] = figures;
      if (n.status == "invalid") any_invalid = true;
      if (n.status != "complete" && n.status != "invalid") nodes_complete = false;
    } else {
      nodes_complete = false;
      missing_nodes.push_back({{"node", n.node}, {"host", n.host}, {"ranks", n.ranks}, {"why", n.reason}});
    }
    nodes.push_back(j);
  }
  json missing_hosts = json::array();
  for (const auto& [host, c] : host_results)
    if (c.second == 0) missing_hosts.push_back(host);
  const std::size_t present = static_cast<std::size_t>(std::count_if(folder.nodes.begin(), folder.nodes.end(),
                                                                     [](const NodeRecord& n) { return n.has_result(); }));
  for (auto& [prec, v] : peak_sum.items())
    if (v["nodes"].get<std::size_t>() != present)
      notes.push_back(fmt::format("peak {}: measured on {} of {} nodes with a result", prec, v["nodes"].get<int>(), present));

  // Spread and stragglers.
  json spread = json::array(), stragglers = json::array();
  for (const auto& s : spreads(folder.nodes)) {
    json vals = json::object();
    for (const auto& [node, v] : s.values) vals[node] = v;
    json st = json::array();
    for (const auto& x : s.stragglers) {
      st.push_back({{"node", x.node}, {"value", x.value}, {"shortfall", x.shortfall}});
      stragglers.push_back({{"node", x.node}, {"probe", s.probe}, {"measurement", s.measurement}, {"unit", s.unit},
                            {"value", x.value}, {"median", s.stats.median}, {"shortfall", x.shortfall}});
    }
    spread.push_back({{"probe", s.probe}, {"measurement", s.measurement}, {"unit", s.unit}, {"higher_is_better", s.higher_is_better},
                      {"nodes", s.stats.n}, {"min", s.stats.min}, {"median", s.stats.median}, {"max", s.stats.max},
                      {"mean", s.stats.mean}, {"cv", s.stats.cv}, {"values", vals}, {"stragglers", st}});
  }

  // Timeouts: the ranks' own records and the assembling rank's.
  json timeouts = json::array();
  for (const auto& [r, f] : folder.ranks)
    if (f.contains("timeout")) {
      json t = f["timeout"];
      t["rank"] = r;
      timeouts.push_back(std::move(t));
    }
  for (const auto& t : in.timeouts) timeouts.push_back(t);

  const bool collectives_done = folder.collectives.is_object() && folder.collectives.value("finished", false);
  const bool collectives_expected = !job.is_object() || job.value("ranks", 0) >= 2;
  // "interrupted": the job did not run to its end (a rank missing or not finished, a timeout, the collectives cut
  // short, a node run stopped). A job that ran to its end with a node run that failed is "complete", as a machine
  // with a failed probe is; cluster.complete says whether every node has its result.
  const bool node_interrupted = std::any_of(folder.nodes.begin(), folder.nodes.end(), [](const NodeRecord& n) { return n.status == "interrupted"; });
  const bool job_ended_early = !all_finished || !timeouts.empty() || (collectives_expected && !collectives_done) || node_interrupted;
  const bool complete = !job_ended_early && nodes_complete && missing_hosts.empty();
  const std::string status = job_ended_early ? "interrupted" : any_invalid ? "invalid" : "complete";

  json cluster = {{"files_schema", kClusterFilesSchema},
                  {"dir", fs::absolute(folder.dir).string()},
                  {"complete", complete},
                  {"ranks_expected", expected_ranks},
                  {"nodes_expected", folder.nodes.size()},
                  {"nodes_with_result", present},
                  {"ranks", ranks},
                  {"nodes", nodes},
                  {"missing", {{"ranks", missing_ranks}, {"hosts", missing_hosts}, {"nodes", missing_nodes}}},
                  {"peaks", peak_sum},
                  {"spread", spread},
                  {"stragglers", stragglers},
                  {"straggler_rule", fmt::format("a node more than {:.0f}% worse than the median of the nodes: below {} × median "
                                                 "for rates, above {} × median for times",
                                                 100 * kStragglerShortfall, 1 - kStragglerShortfall, 1 + kStragglerShortfall)},
                  {"timeouts", timeouts},
                  {"notes", notes},
                  {"problems", folder.problems}};
  if (job.is_object()) {
    cluster["job"] = {{"started", job.value("started", "")},
                      {"launcher", job.value("launcher", json::object())},
                      {"mpi", job.value("mpi", json::object())},
                      {"options", job.value("options", json::object())}};
  }
  if (folder.collectives.is_object()) {
    cluster["collectives"] = {{"allocator", folder.collectives.value("allocator", json::object())},
                              {"nccl", folder.collectives.value("nccl", json::object())},
                              {"finished", collectives_done}};
    if (folder.collectives.contains("skipped")) cluster["collectives"]["skipped"] = folder.collectives["skipped"];
    if (!collectives_done) notes.push_back("the collective phase did not finish: its figures are those measured before it stopped");
  } else if (collectives_expected) {
    cluster["collectives"] = {{"finished", false}, {"why", "no collectives.json: the job ended before the collective phase"}};
  }
  cluster["notes"] = notes;

  // The single-machine document around it.
  json measurement = {{"suite", job.is_object() ? job.value("options", json::object()).value("suite", "") : ""},
                      {"cluster", true},
                      {"probes", collective_json},
                      {"diagnosis", diagnosis}};
  json peaks = json::array();
  for (const auto& [prec, v] : peak_sum.items())
    peaks.push_back({{"precision", prec}, {"flops", v["flops"]}, {"kind", "measured"},
                     {"method", fmt::format("sum of the peaks measured on {} nodes", v["nodes"].get<int>())}});
  measurement["peaks"] = {{"peaks", peaks}};
  if (folder.collectives.is_object() && folder.collectives.contains("nccl")) measurement["probes"].push_back(folder.collectives["nccl"]);

  assess::ResultContext rc;
  rc.status = status;
  rc.system = in.site.system;
  std::string first_host = folder.nodes.empty() ? "?" : folder.nodes.front().host;
  if (!rc.system.contains("name"))
    rc.system["name"] = fmt::format("{} ({} node{})", first_host, folder.nodes.size(), folder.nodes.size() == 1 ? "" : "s");
  rc.inputs = in.site.inputs;
  json node_inputs = json::array();
  for (const auto& n : folder.nodes)
    if (n.has_result()) node_inputs.push_back({{"path", fmt::format("nodes/{}/result.json", n.node)}, {"sha256", n.result_sha256}});
  rc.inputs["node_results"] = node_inputs;
  rc.evidence = evidence;
  rc.created = created;
  rc.argv = in.argv.empty() && job.is_object() ? job.value("argv", std::vector<std::string>{}) : in.argv;
  rc.host = first_host;
  rc.measurement = measurement;
  json doc = assess::result_json(a, profile, cat, rc);
  doc["schema_version"] = kClusterResultSchemaVersion;
  doc["cluster"] = cluster;
  return doc;
}

json assemble_to_folder(const std::string& dir, const AssembleInputs& in, const assess::Profile& profile, const catalog::Catalogs& cat) {
  const ClusterFolder f = read_folder(dir);
  json doc = assemble(f, in, profile, cat);
  core::write_file_atomic((fs::path(dir) / "result.json").string(), core::canonical_json(doc));
  return doc;
}

// -------------------------------------------------------------------------------------------------------------------
// Terminal

namespace {

std::string with_prefix(double v, const std::string& unit) {
  static const std::pair<double, const char*> p[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  if (unit == "s") {
    if (v < 1e-3) return fmt::format("{:.3g} µs", v * 1e6);
    if (v < 1) return fmt::format("{:.3g} ms", v * 1e3);
  }
  for (const auto& [f, s] : p)
    if (std::abs(v) >= f) return fmt::format("{:.4g} {}{}", v / f, s, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

}  // namespace

std::string summary(const json& result) {
  if (!result.contains("cluster")) return "";
  const json& c = result["cluster"];
  std::string out = fmt::format("cluster: {} node(s) with a result of {}, {} rank(s){}\n", c.value("nodes_with_result", 0),
                                c.value("nodes_expected", 0), c.value("ranks_expected", 0),
                                c.value("complete", false) ? "" : " — INCOMPLETE");
  for (const auto& n : c.value("nodes", json::array())) {
    std::string peaks;
    const json node_peaks = n.value("peaks", json::object());
    for (const auto& [prec, v] : node_peaks.items())
      peaks += fmt::format(" {} {}", prec, with_prefix(v.get<double>(), "FLOP/s"));
    out += fmt::format("  node {:<20} ranks {:<10} {:<11}{}{}\n", n.value("node", ""),
                       fmt::format("{}", fmt::join(n.value("ranks", std::vector<int>{}), ",")), n.value("status", ""),
                       n.contains("duration_s") ? fmt::format(" {:.1f} s", n["duration_s"].get<double>()) : "", peaks);
  }
  const json summed = c.value("peaks", json::object());
  for (const auto& [prec, v] : summed.items())
    out += fmt::format("  summed peak {}: {} over {} node(s)\n", prec, with_prefix(v["flops"].get<double>(), "FLOP/s"),
                       v["nodes"].get<int>());
  const auto& st = c.value("stragglers", json::array());
  if (c.value("nodes_with_result", 0) >= 2)
    out += st.empty() ? "  stragglers: none (no node more than 10% worse than the median in any measurement)\n"
                      : fmt::format("  stragglers ({}):\n", c.value("straggler_rule", ""));
  for (const auto& s : st)
    out += fmt::format("    {} {}/{}: {} vs median {} ({:.1f}% worse)\n", s.value("node", ""), s.value("probe", ""),
                       s.value("measurement", ""), with_prefix(s["value"].get<double>(), s.value("unit", "")),
                       with_prefix(s["median"].get<double>(), s.value("unit", "")), 100 * s["shortfall"].get<double>());
  for (const auto& p : result.value("measurement", json::object()).value("probes", json::array())) {
    if (p.value("status", "") != "ok" && p.value("status", "") != "invalid") {
      out += fmt::format("  {}: {}{}\n", p.value("id", ""), p.value("status", ""),
                         p.contains("reason") ? ": " + p["reason"].get<std::string>() : "");
      continue;
    }
    for (const auto& m : p.value("measurements", json::array())) {
      if (m.value("id", "") == "latency")
        out += fmt::format("  {} latency ({}): {}\n", p.value("id", ""), size_label(m["details"].value("bytes", 0.0)),
                           with_prefix(m["stats"]["median"].get<double>(), "s"));
    }
    const auto& ms = p.value("measurements", json::array());
    if (!ms.empty()) {
      const auto& last = ms.back();
      if (last.contains("details") && last["details"].contains("busbw_Bps"))
        out += fmt::format("  {} busbw at {}: {} (algbw {})\n", p.value("id", ""),
                           size_label(last["details"]["bytes"].get<double>()),
                           with_prefix(last["details"]["busbw_Bps"].get<double>(), "B/s"),
                           with_prefix(last["details"]["algbw_Bps"].get<double>(), "B/s"));
    }
  }
  const json coll = c.value("collectives", json::object());
  if (coll.contains("skipped")) out += fmt::format("  collectives: skipped: {}\n", coll["skipped"].get<std::string>());
  else if (!coll.value("finished", false)) out += fmt::format("  collectives: {}\n", coll.value("why", "did not finish"));
  const json& alloc = coll.value("allocator", json::object());
  if (alloc.contains("summary")) out += fmt::format("  allocator on the ranks: {}\n", alloc["summary"].get<std::string>());
  const json& miss = c["missing"];
  for (const auto& r : miss.value("ranks", json::array()))
    out += fmt::format("  missing rank {} ({}, node {}): {}\n", r.value("rank", -1), r.value("host", "?"), r.value("node", "?"),
                       r.value("why", ""));
  for (const auto& n : miss.value("nodes", json::array()))
    out += fmt::format("  missing node {} (host {}): {}\n", n.value("node", ""), n.value("host", ""), n.value("why", ""));
  if (!miss.value("hosts", json::array()).empty())
    out += fmt::format("  hosts without any result: {}\n", fmt::join(miss["hosts"].get<std::vector<std::string>>(), ", "));
  for (const auto& t : c.value("timeouts", json::array()))
    out += fmt::format("  timeout: rank {} in {} after {:.0f} s\n", t.value("rank", -1), t.value("what", "?"), t.value("after_s", 0.0));
  return out;
}

}  // namespace aicq::cluster

// aicq compare RESULT… [--criteria dimensions|indicators] [--weights profile|entropy] [--missing error|exclude]
// Rank systems: TOPSIS, bidirectional projection beside it, the criteria table and a sensitivity check.
#include <fmt/format.h>
#include <numeric>
#include <ostream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/core/indicators.hpp"
#include "aicq/method/method.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::cli {

namespace {

struct CompareOptions {
  std::vector<std::string> results;
  std::string criteria = "dimensions", weights = "profile", missing = "error", profile, lang, output;
};

int run_compare(const CompareOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  const assess::Profile profile = assess::load_profile(o.profile, data::DataSource(g.data_dir));
  std::vector<std::string> criteria;
  std::vector<double> profile_weights;
  if (o.criteria == "dimensions") {
    for (const auto& d : core::dimensions()) {
      criteria.emplace_back(d.id);
      profile_weights.push_back(profile.dimension_weights.of(std::string(d.id)));
    }
  } else {
    for (const auto& i : core::indicators()) {
      criteria.emplace_back(i.id);
      profile_weights.push_back(profile.global_weight(std::string(i.id)));
    }
  }
  std::vector<std::string> names;
  method::Matrix x;
  std::vector<std::string> excluded;
  std::vector<core::Diagnostic> problems;
  for (const auto& file : o.results) {
    const auto r = assess::load_result(file);
    std::vector<double> row;
    std::vector<std::string> lacking;
    for (const auto& c : criteria) {
      const nlohmann::json& node = o.criteria == "dimensions" ? r.doc["dimensions"][c] : r.doc["indicators"][c];
      if (node.contains("score")) row.push_back(node["score"].get<double>());
      else lacking.push_back(c);
    }
    const std::string name = r.doc.value("/system/name"_json_pointer, file);
    if (!lacking.empty()) {
      if (o.missing == "exclude") {
        excluded.push_back(fmt::format("{} ({}: no score for {})", name, file, fmt::join(lacking, ", ")));
        continue;
      }
      core::Diagnostic d;
      d.where.file = file;
      d.path = o.criteria;
      d.message = fmt::format("system '{}' has no score for {}: it cannot be ranked on them (use --missing exclude to leave it out)",
                              name, fmt::join(lacking, ", "));
      problems.push_back(std::move(d));
      continue;
    }
    names.push_back(name);
    x.push_back(row);
  }
  if (!problems.empty()) throw core::InputError(problems);
  if (x.size() < 2)
    throw core::InputError(core::Location{"compare"}, "", fmt::format("expected at least two systems to rank, found {}", x.size()));
  std::vector<double> w = profile_weights;
  std::string weight_source =
      o.criteria == "dimensions"
          ? fmt::format("profile '{}' ({})", profile.id, profile.dimension_weights.method)
          : fmt::format("profile '{}' (dimension weight × indicator weight within it)", profile.id);
  if (o.weights == "entropy") {
    w = method::entropy_weights(x);
    weight_source = "entropy weights over the compared systems";
  }
  const std::vector<bool> benefit(criteria.size(), true);  // every criterion is a score: higher is better
  const auto t = method::topsis(x, w, benefit);
  const auto proj = method::projection_ranking(t);
  const auto sens = method::sensitivity(x, w, benefit);

  std::ostringstream out;
  out << fmt::format("Ranking of {} systems on {} ({}; weights: {})\n\n", x.size(), o.criteria,
                     "TOPSIS, vector normalisation; bidirectional projection beside it", weight_source);
  out << fmt::format("  {:<6} {:<40} {:>10} {:>12}", "TOPSIS", "system", "closeness", "projection");
  for (const auto& c : criteria) out << fmt::format(" {:>9}", c.size() > 9 ? c.substr(c.find('.') + 1, 9) : c);
  out << "\n";
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return t.rank[a] < t.rank[b] || (t.rank[a] == t.rank[b] && a < b); });
  for (auto i : order) {
    out << fmt::format("  {:<6} {:<40} {:>10.4f} {:>5} ({:.4f})", t.rank[i], names[i].substr(0, 40), t.closeness[i], proj.rank[i],
                       proj.values[i]);
    for (double v : x[i]) out << fmt::format(" {:>9.1f}", v);
    out << "\n";
  }
  out << "\n  weights:";
  for (std::size_t j = 0; j < criteria.size(); ++j) out << fmt::format(" {} {:.3f}", criteria[j], w[j]);
  out << "\n";
  if (sens.stable()) {
    out << "  sensitivity: the TOPSIS ranking holds when any one weight moves by ±20% (others renormalised)\n";
  } else {
    out << "  sensitivity: the TOPSIS ranking changes when a weight moves by ±20%:\n";
    for (const auto& c : sens.cases)
      if (c.changed) out << fmt::format("    {} × {}: ranks {}\n", criteria[c.criterion], c.factor, fmt::join(c.rank, " "));
  }
  for (const auto& e : excluded) out << "  excluded: " << e << "\n";
  (void)lang;
  io.out << out.str();

  if (!o.output.empty()) {
    nlohmann::json j;
    j["criteria"] = criteria;
    j["weights"] = w;
    j["weights_source"] = weight_source;
    for (std::size_t i = 0; i < x.size(); ++i)
      j["systems"].push_back({{"name", names[i]}, {"scores", x[i]}, {"topsis_closeness", t.closeness[i]},
                              {"topsis_rank", t.rank[i]}, {"projection", proj.values[i]}, {"projection_rank", proj.rank[i]}});
    j["sensitivity_stable"] = sens.stable();
    j["excluded"] = excluded;
    core::write_file_atomic(o.output, core::canonical_json(j));
  }
  return kOk;
}

}  // namespace

Action add_compare(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<CompareOptions>();
  app.add_option("results", o->results, "result files")->required();
  app.add_option("--criteria", o->criteria, "dimensions or indicators")->check(CLI::IsMember({"dimensions", "indicators"}));
  app.add_option("--weights", o->weights, "profile or entropy")->check(CLI::IsMember({"profile", "entropy"}));
  app.add_option("--missing", o->missing, "error or exclude")->check(CLI::IsMember({"error", "exclude"}));
  app.add_option("--profile", o->profile, "profile file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("-o", o->output, "output file (JSON)");
  return [o, &g](Io io) { return run_compare(*o, g, io); };
}

}  // namespace aicq::cli

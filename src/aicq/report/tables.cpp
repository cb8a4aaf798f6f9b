#include "aicq/report/tables.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "aicq/core/diagnostics.hpp"
#include "aicq/core/indicators.hpp"
#include "aicq/report/messages.hpp"

namespace aicq::report {

using nlohmann::json;

namespace {

// Inserts thousands separators into the integer part of a plain decimal number text.
std::string group_thousands(const std::string& s) {
  const std::size_t start = (!s.empty() && s[0] == '-') ? 1 : 0;
  const std::size_t dot = std::min(s.find('.'), s.size());
  std::string out = s.substr(0, start);
  const std::size_t digits = dot - start;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i > 0 && (digits - i) % 3 == 0) out += ',';
    out += s[start + i];
  }
  out += s.substr(dot);
  return out;
}

std::string strip_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Text from a result put into a Markdown table cell: no line breaks, no table or inline syntax, no raw HTML.
std::string md_text(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '\\': out += "\\\\"; break;
      case '*': out += "\\*"; break;
      case '_': out += "\\_"; break;
      case '`': out += "\\`"; break;
      case '[': out += "\\["; break;
      case ']': out += "\\]"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\n':
      case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string system_name(const ResultDoc& r) {
  const std::string n = r.doc.value("/system/name"_json_pointer, std::string());
  return n.empty() ? r.file : n;
}

const json& indicator_of(const ResultDoc& r, const std::string& id) {
  static const json empty = json::object();
  const auto it = r.doc.find("indicators");
  if (it == r.doc.end() || !it->is_object()) return empty;
  const auto jt = it->find(id);
  return jt == it->end() ? empty : *jt;
}

bool scored(const json& x) { return str(x, "status") == "scored" && x.contains("score") && x["score"].is_number(); }

std::string md_grade(const json& overall, Lang lang) {
  if (!overall.contains("score")) return std::string(msg(Msg::no_overall, lang));
  const bool is_final = str(overall, "grade_status") == "final";
  const std::string name = overall.value(json::json_pointer(lang == Lang::zh ? "/grade_name/zh" : "/grade_name/en"), std::string());
  return fmt::format("{}: {} · {}: {} {} ({}) · {}: {}%", msg(Msg::overall, lang), format_fixed(overall["score"].get<double>(), lang, 1),
                     msg(Msg::grade, lang), md_text(str(overall, "grade")), md_text(name),
                     msg(is_final ? Msg::final_ : Msg::provisional, lang), msg(Msg::coverage, lang),
                     format_fixed(100 * overall.value("coverage", 0.0), lang, 1));
}

std::string md_value(const json& x, Lang lang) {
  return x.contains("value") && x["value"].is_number() ? format_number(x["value"].get<double>(), lang) : "—";
}

}  // namespace

std::string format_number(double v, Lang lang, int significant) {
  (void)lang;  // en and zh both group with "," and use "." for decimals
  if (!std::isfinite(v)) return "—";
  if (v == 0) return "0";
  const double a = std::fabs(v);
  significant = std::clamp(significant, 1, 17);
  if (a >= 1e15 || a < 1e-3) {  // "5.4e+16": mantissa without trailing zeros
    const std::string e = fmt::format("{:.{}e}", v, significant - 1);
    const std::size_t x = e.find('e');
    return strip_zeros(e.substr(0, x)) + e.substr(x);
  }
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::clamp(significant - 1 - magnitude, 0, 6);
  std::string s = strip_zeros(fmt::format("{:.{}f}", v, decimals));
  if (s == "-0") s = "0";
  return group_thousands(s);
}

std::string format_fixed(double v, Lang lang, int decimals) {
  (void)lang;
  if (!std::isfinite(v)) return "—";
  std::string s = fmt::format("{:.{}f}", v, std::clamp(decimals, 0, 12));
  if (s.starts_with('-') && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return group_thousands(s);
}

std::string full_precision(double v) {
  if (!std::isfinite(v)) return "";
  return fmt::format("{}", v);
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Ranking rank_systems(const std::vector<ResultDoc>& results, const std::map<std::string, double>& dimension_weights) {
  Ranking k;
  std::vector<double> w;
  for (const auto& d : core::dimensions()) {
    const std::string id(d.id);
    k.criteria.push_back(id);
    const auto it = dimension_weights.find(id);
    w.push_back(it == dimension_weights.end() ? 0.0 : it->second);
  }
  std::vector<core::Diagnostic> problems;
  for (const auto& r : results) {
    std::vector<double> row;
    std::vector<std::string> lacking;
    for (const auto& c : k.criteria) {
      const json& node = r.doc.value("dimensions", json::object()).value(c, json::object());
      if (node.contains("score") && node["score"].is_number()) row.push_back(node["score"].get<double>());
      else lacking.push_back(c);
    }
    if (!lacking.empty()) {
      core::Diagnostic d;
      d.where.file = r.file;
      d.path = "dimensions";
      d.message = fmt::format("system '{}' has no score for {}: it cannot be ranked on the five dimensions", system_name(r),
                              fmt::join(lacking, ", "));
      problems.push_back(std::move(d));
      continue;
    }
    k.names.push_back(system_name(r));
    k.scores.push_back(std::move(row));
  }
  if (!problems.empty()) throw core::InputError(problems);
  if (k.scores.size() < 2)
    throw core::InputError(core::Location{"report"}, "", fmt::format("expected at least two systems to compare, found {}", k.scores.size()));
  try {
    k.weights = method::normalise(w);
    const auto t = method::topsis(k.scores, k.weights, std::vector<bool>(k.criteria.size(), true));
    k.closeness = t.closeness;
    k.rank = t.rank;
  } catch (const method::MethodError& e) {
    throw core::InputError(core::Location{"profile"}, "weights.dimensions", e.what());
  }
  return k;
}

std::string markdown(const std::vector<ResultDoc>& results, const Ranking* ranking, Lang lang) {
  std::string out;
  if (results.size() == 1) {
    const ResultDoc& r = results.front();
    out += fmt::format("# {}: {}\n\n", msg(Msg::report_title, lang), md_text(system_name(r)));
    out += md_grade(r.doc.value("overall", json::object()), lang) + "\n\n";
    out += fmt::format("| {} | {} | {} | {} | {} | {} |\n|---|---|---:|---|---:|---|\n", msg(Msg::dimension, lang),
                       msg(Msg::indicator, lang), msg(Msg::value, lang), msg(Msg::unit, lang), msg(Msg::score, lang),
                       msg(Msg::evidence, lang));
    for (const auto& i : core::indicators()) {
      const std::string id(i.id);
      const json& x = indicator_of(r, id);
      const std::string dim = fmt::format("{}", name_of(std::string(i.dimension), lang));
      const std::string ind = fmt::format("`{}` {}", id, name_of(id, lang));
      if (scored(x)) {
        const std::string kind = str(x, "kind");
        out += fmt::format("| {} | {} | {} | {} | {} | {} {} |\n", dim, ind, md_value(x, lang), md_text(str(x, "unit")),
                           format_fixed(x["score"].get<double>(), lang, 1), kind_badge(kind), kind_name(kind, lang));
      } else {
        out += fmt::format("| {} | {} | — | {} | — | {}: {} |\n", dim, ind, md_text(str(x, "unit")), msg(Msg::missing, lang),
                           md_text(str(x, "reason")));
      }
    }
    return out;
  }
  out += fmt::format("# {}\n\n", msg(Msg::comparison_title, lang));
  if (ranking != nullptr) {
    out += fmt::format("## {}\n\n| {} | {} | {} | {} | {} |", msg(Msg::sec_ranking, lang), msg(Msg::rank, lang), msg(Msg::system, lang),
                       msg(Msg::closeness, lang), msg(Msg::overall, lang), msg(Msg::grade, lang));
    for (const auto& c : ranking->criteria) out += fmt::format(" {} |", name_of(c, lang));
    out += "\n|---:|---|---:|---:|---|";
    for (std::size_t j = 0; j < ranking->criteria.size(); ++j) out += "---:|";
    out += "\n";
    std::vector<std::size_t> order(ranking->rank.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ranking->rank[a] < ranking->rank[b]; });
    for (const std::size_t i : order) {
      const json& o = results[i].doc.value("overall", json::object());
      const std::string overall = o.contains("score") ? format_fixed(o["score"].get<double>(), lang, 1) : "—";
      const std::string grade = o.contains("grade") ? fmt::format("{} ({})", md_text(str(o, "grade")),
                                                                   msg(str(o, "grade_status") == "final" ? Msg::final_ : Msg::provisional, lang))
                                                     : "—";
      out += fmt::format("| {} | {} | {} | {} | {} |", ranking->rank[i], md_text(ranking->names[i]), format_fixed(ranking->closeness[i], lang, 4),
                         overall, grade);
      for (const double v : ranking->scores[i]) out += fmt::format(" {} |", format_fixed(v, lang, 1));
      out += "\n";
    }
    out += "\n";
  }
  out += fmt::format("## {}\n\n{}\n\n| {} |", msg(Msg::sec_across, lang), msg(Msg::across_note, lang), msg(Msg::indicator, lang));
  for (const auto& r : results) out += fmt::format(" {} |", md_text(system_name(r)));
  out += "\n|---|";
  for (std::size_t j = 0; j < results.size(); ++j) out += "---:|";
  out += "\n";
  for (const auto& i : core::indicators()) {
    const std::string id(i.id);
    double best = -1;
    for (const auto& r : results)
      if (const json& x = indicator_of(r, id); scored(x)) best = std::max(best, x["score"].get<double>());
    out += fmt::format("| `{}` {} |", id, name_of(id, lang));
    for (const auto& r : results) {
      const json& x = indicator_of(r, id);
      if (!scored(x)) {
        out += fmt::format(" {} |", msg(Msg::missing, lang));
        continue;
      }
      const double s = x["score"].get<double>();
      const std::string unit = str(x, "unit");
      const std::string value = md_value(x, lang) + (unit.empty() ? "" : " " + md_text(unit));
      if (s == best) out += fmt::format(" **{}** ★ ({}) |", format_fixed(s, lang, 1), value);
      else out += fmt::format(" {} ({}) |", format_fixed(s, lang, 1), value);
    }
    out += "\n";
  }
  return out;
}

std::string csv(const std::vector<ResultDoc>& results, Lang lang) {
  const bool several = results.size() > 1;
  std::string out = several ? "system,file," : "";
  out += "indicator,dimension,name,status,value,unit,score,kind,weight,reason\r\n";
  for (const auto& r : results) {
    for (const auto& i : core::indicators()) {
      const std::string id(i.id);
      const json& x = indicator_of(r, id);
      const bool is_scored = scored(x);
      auto number = [&](const char* key) {
        return x.contains(key) && x[key].is_number() ? full_precision(x[key].get<double>()) : std::string();
      };
      std::vector<std::string> fields;
      if (several) {
        fields.push_back(system_name(r));
        fields.push_back(r.file);
      }
      fields.push_back(id);
      fields.emplace_back(i.dimension);
      fields.push_back(name_of(id, lang));
      fields.push_back(str(x, "status"));
      fields.push_back(is_scored ? number("value") : "");
      fields.push_back(str(x, "unit"));
      fields.push_back(is_scored ? number("score") : "");
      fields.push_back(is_scored ? str(x, "kind") : "");
      fields.push_back(number("weight"));
      fields.push_back(is_scored ? "" : str(x, "reason"));
      for (std::size_t f = 0; f < fields.size(); ++f) out += (f ? "," : "") + csv_field(fields[f]);
      out += "\r\n";
    }
  }
  return out;
}

}  // namespace aicq::report

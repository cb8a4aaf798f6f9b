#include "aicq/report/terminal.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <sstream>
#include <stdexcept>

#include "aicq/core/indicators.hpp"
#include "aicq/core/units.hpp"

namespace aicq::report {

using nlohmann::json;

Lang lang_from_env() {
  const char* l = std::getenv("LANG");
  return (l && std::string_view(l).starts_with("zh")) ? Lang::zh : Lang::en;
}

Lang parse_lang(const std::string& s) {
  if (s == "zh") return Lang::zh;
  if (s == "en") return Lang::en;
  throw std::invalid_argument("expected --lang zh or en, found '" + s + "'");
}

namespace {

// One table of labels; every printer takes its words from here.
struct Labels {
  const char* title;
  const char* indicator;
  const char* value;
  const char* score;
  const char* evidence;
  const char* missing;
  const char* overall;
  const char* grade;
  const char* coverage;
  const char* final_;
  const char* provisional;
  const char* profile;
  const char* kinds;
  const char* inputs;
  const char* formula;
  const char* details;
  const char* curve;
  const char* notes;
  const char* not_scored;
};

const Labels& labels(Lang l) {
  static const Labels en{"aicq assessment", "indicator", "value", "score", "evidence", "missing", "Overall", "grade",
                         "coverage", "final", "provisional", "profile",
                         "evidence kinds: [M] measured  [I] imported  [D] declared  [E] estimated", "Inputs", "Formula",
                         "Intermediate values", "Curve (value → score)", "Notes", "not scored"};
  static const Labels zh{"aicq 评估结果", "指标", "数值", "得分", "证据", "缺失", "总分", "等级", "覆盖率", "最终", "暂定",
                         "评估配置", "证据类型：[M] 实测  [I] 导入  [D] 声明  [E] 估算", "输入", "公式", "中间值",
                         "评分曲线（数值 → 得分）", "说明", "未评分"};
  return l == Lang::zh ? zh : en;
}

std::string num(double v, int digits = 4) { return fmt::format("{:.{}g}", v, digits); }

// Display width of UTF-8 text: CJK characters take two columns.
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    w += n == 3 ? 2 : 1;
    i += n;
  }
  return w;
}

std::string pad(const std::string& s, std::size_t w) {
  const std::size_t have = width(s);
  return have >= w ? s : s + std::string(w - have, ' ');
}

// An evidence value in its canonical unit, shown with a readable prefix ("10.2 kW", "5 y").
std::string evidence_value(double v, const std::string& unit) {
  if (unit.empty()) return num(v, 6);
  try {
    return core::quantity_in(v, unit).to_string();
  } catch (const core::UnitError&) {
    return fmt::format("{} {}", num(v, 6), unit);
  }
}

}  // namespace

std::string kind_badge(const std::string& kind) {
  if (kind == "measured") return "[M]";
  if (kind == "imported") return "[I]";
  if (kind == "declared") return "[D]";
  if (kind == "estimated") return "[E]";
  return "[ ]";
}

std::string name_of(const std::string& id, Lang lang) {
  if (const auto* i = core::find_indicator(id)) return std::string(lang == Lang::zh ? i->zh : i->en);
  if (const auto* d = core::find_dimension(id)) return std::string(lang == Lang::zh ? d->zh : d->en);
  return id;
}

std::string format_value(double v, const std::string& unit) {
  if (unit.empty()) return num(v, 3);
  return fmt::format("{} {}", num(v, 4), unit);
}

std::string summary(const json& r, Lang lang) {
  const Labels& L = labels(lang);
  std::ostringstream out;
  const std::string system = r.value("/system/name"_json_pointer, std::string("?"));
  out << fmt::format("{} — {}\n", L.title, system);
  out << fmt::format("{} {} {} (sha256 {}…) · aicq {} · {}\n", L.profile, r.value("/profile/id"_json_pointer, std::string()),
                     r.value("/profile/version"_json_pointer, std::string()),
                     r.value("/profile/sha256"_json_pointer, std::string()).substr(0, 12),
                     r.value("/tool/version"_json_pointer, std::string()), r.value("status", std::string()));
  out << "\n";
  out << fmt::format("  {} {} {} {}\n", pad(L.indicator, 52), pad(L.value, 22), pad(L.score, 7), L.evidence);
  for (const auto& d : core::dimensions()) {
    const std::string did(d.id);
    const json& dim = r["dimensions"][did];
    const std::string dscore = dim.contains("score") ? num(dim["score"].get<double>(), 3) : L.missing;
    out << fmt::format("{} {} {}\n", pad(fmt::format("{} {}", did, name_of(did, lang)), 77), pad(dscore, 7),
                       fmt::format("{} {:.0f}%", L.coverage, 100 * dim.value("coverage", 0.0)));
    for (const auto& i : core::indicators()) {
      if (i.dimension != d.id) continue;
      const std::string iid(i.id);
      const json& x = r["indicators"][iid];
      const std::string label = fmt::format("  {} {}", iid, name_of(iid, lang));
      if (x.value("status", std::string()) != "scored") {
        out << fmt::format("{} {}: {}\n", pad(label, 54), L.missing, x.value("reason", std::string()));
        continue;
      }
      const std::string value = x.contains("value") ? format_value(x["value"].get<double>(), x.value("unit", std::string())) : "-";
      out << fmt::format("{} {} {} {} {}\n", pad(label, 54), pad(value, 22), pad(num(x["score"].get<double>(), 3), 7),
                         kind_badge(x.value("kind", std::string())), x.value("kind", std::string()));
    }
  }
  const json& o = r["overall"];
  out << "\n";
  if (o.contains("score")) {
    const bool is_final = o.value("grade_status", std::string()) == "final";
    const std::string grade_name = o.value(nlohmann::json::json_pointer(lang == Lang::zh ? "/grade_name/zh" : "/grade_name/en"), std::string());
    out << fmt::format("{} {}   {} {} {} ({})   {} {:.1f}%\n", L.overall, num(o["score"].get<double>(), 3), L.grade,
                       o.value("grade", std::string()), grade_name, is_final ? L.final_ : L.provisional, L.coverage,
                       100 * o.value("coverage", 0.0));
    if (!o.value("floor_capped_by", json::array()).empty() && o.value("grade", std::string()) != o.value("grade_uncapped", std::string()))
      out << fmt::format("  floor rule: capped from {} by {}\n", o.value("grade_uncapped", std::string()),
                         o["floor_capped_by"].dump());
  } else {
    out << fmt::format("{} {}   {} {:.1f}%\n", L.overall, L.missing, L.coverage, 100 * o.value("coverage", 0.0));
  }
  out << L.kinds << "\n";
  return out.str();
}

std::string explanation(const json& r, const std::string& id, const json& curve, Lang lang) {
  const Labels& L = labels(lang);
  const json& x = r["indicators"][id];
  std::ostringstream out;
  out << fmt::format("{} — {}\n", id, name_of(id, lang));
  if (x.value("status", std::string()) == "scored") {
    out << fmt::format("  {} {}   {} {}   {} {}\n", L.value,
                       x.contains("value") ? format_value(x["value"].get<double>(), x.value("unit", std::string())) : "-", L.score,
                       num(x["score"].get<double>(), 4), L.evidence, x.value("kind", std::string()));
    out << fmt::format("  weight in the overall score: {:.4g}\n", x.value("weight", 0.0));
  } else {
    out << fmt::format("  {}: {}\n", L.missing, x.value("reason", std::string()));
  }
  out << fmt::format("\n{}\n  {}\n", L.formula, x.value("formula", std::string()));
  out << fmt::format("\n{}\n", L.inputs);
  const json& inputs = x.value("inputs", json::array());
  for (const auto& m : inputs) {
    for (const auto& e : r["evidence"]) {
      if (e.value("metric", std::string()) != m.get<std::string>()) continue;
      std::string where;
      const json& s = e.value("source", json::object());
      if (s.contains("file")) {
        where = s["file"].get<std::string>();
        if (s.value("line", 0) > 0) where += fmt::format(":{}", s.value("line", 0));
        if (s.value("column", 0) > 0) where += fmt::format(":{}", s.value("column", 0));
      }
      if (s.contains("catalog")) where += fmt::format(" catalog {}", s["catalog"].get<std::string>());
      if (s.contains("method")) where += fmt::format(" ({})", s["method"].get<std::string>());
      out << fmt::format("  {} {} = {}   {}\n", kind_badge(e.value("kind", std::string())), m.get<std::string>(),
                         evidence_value(e["value"].get<double>(), e.value("unit", std::string())), where);
      break;
    }
  }
  if (inputs.empty()) out << "  (none)\n";
  out << fmt::format("\n{}\n", L.details);
  for (auto it = x["details"].begin(); it != x["details"].end(); ++it)
    out << fmt::format("  {} = {}\n", it.key(), it.value().is_number() ? num(it.value().get<double>(), 6) : it.value().dump());
  if (!curve.is_null() && curve.contains("anchors")) {
    const std::string unit = curve.value("unit", std::string());
    out << fmt::format("\n{}{}\n  ", L.curve, unit.empty() ? "" : " [" + unit + "]");
    for (const auto& a : curve["anchors"]) out << fmt::format("{} → {}   ", num(a[0].get<double>()), num(a[1].get<double>()));
    out << "\n";
    if (curve.contains("reason")) out << fmt::format("  {}\n", curve["reason"].get<std::string>());
  }
  const json& notes = x.value("notes", json::array());
  if (!notes.empty()) {
    out << fmt::format("\n{}\n", L.notes);
    for (const auto& n : notes) out << "  - " << n.get<std::string>() << "\n";
  }
  return out.str();
}

}  // namespace aicq::report

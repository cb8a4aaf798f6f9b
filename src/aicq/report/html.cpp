#include "aicq/report/html.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <set>

#include "aicq/core/indicators.hpp"
#include "aicq/core/units.hpp"
#include "aicq/core/version.hpp"
#include "aicq/data/embedded.hpp"
#include "aicq/report/messages.hpp"

namespace aicq::report {

using nlohmann::json;

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string json_for_script(const json& j) {
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' && (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else out += c;
  }
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------------------------
// Small helpers

std::string T(Msg m, Lang l) { return std::string(msg(m, l)); }
std::string E(Msg m, Lang l) { return escape_html(msg(m, l)); }

template <typename... Args>
std::string tr(Msg m, Lang l, Args&&... args) {
  return fmt::format(fmt::runtime(msg(m, l)), std::forward<Args>(args)...);
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string ptr_str(const json& j, const char* pointer) {
  const json::json_pointer p(pointer);
  return j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : std::string();
}

const json& member(const json& j, const std::string& key) {
  static const json empty = json::object();
  if (!j.is_object()) return empty;
  const auto it = j.find(key);
  return it == j.end() ? empty : *it;
}

bool is_num(const json& j, const char* key) { return j.is_object() && j.contains(key) && j[key].is_number(); }

bool scored(const json& x) { return str(x, "status") == "scored" && is_num(x, "score"); }

std::string system_name(const ResultDoc& r) {
  const std::string n = ptr_str(r.doc, "/system/name");
  return n.empty() ? r.file : n;
}

std::string lang_tag(Lang l) { return l == Lang::zh ? "zh-CN" : "en"; }

std::string percent(double share, Lang l) { return format_fixed(100 * share, l, share >= 0.9995 || share <= 0.0005 ? 0 : 1) + "%"; }

// "2026-11-29T13:07:23Z" → "2026-11-29 13:07:23 UTC"; anything else as written.
std::string readable_time(std::string t) {
  if (t.size() == 20 && t[10] == 'T' && t[19] == 'Z') {
    t[10] = ' ';
    t.pop_back();
    t += " UTC";
  }
  return t;
}

std::string shell_quote(const std::string& a) {
  if (!a.empty() && a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-") == std::string::npos)
    return a;
  std::string out = "'";
  for (const char c : a) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// A number with its full precision in a tooltip.
std::string num_html(double v, Lang l, int significant = 4) {
  return fmt::format("<span class=\"num\" title=\"{}\">{}</span>", escape_html(full_precision(v)), escape_html(format_number(v, l, significant)));
}

// An evidence value in its canonical unit with a readable prefix ("10.2 kW"), as the terminal explanation shows it.
std::string evidence_value(double v, const std::string& unit, Lang l) {
  if (unit.empty()) return format_number(v, l, 6);
  try {
    return core::quantity_in(v, unit).to_string();
  } catch (const core::UnitError&) {
    return format_number(v, l, 6) + " " + unit;
  }
}

std::string kind_class(const std::string& kind) {
  static const std::set<std::string> known{"measured", "imported", "declared", "estimated"};
  return known.contains(kind) ? kind : "other";
}

std::string kind_span(const std::string& kind, Lang l) {
  const std::string badge = kind_badge(kind);
  const std::string letter = badge.size() == 3 ? badge.substr(1, 1) : "?";
  return fmt::format("<span class=\"kind kind-{0}\" data-kind=\"{0}\"><b>{1}</b> {2}</span>", kind_class(kind), escape_html(letter),
                     escape_html(kind_name(kind, l)));
}

std::string grade_class(const std::string& g) {
  static const std::set<std::string> known{"L1", "L2", "L3", "L4", "L5"};
  return known.contains(g) ? g : "other";
}

std::string grade_badge(const json& overall, Lang l) {
  if (!is_num(overall, "score")) return "";
  const std::string g = str(overall, "grade");
  const std::string name = ptr_str(overall, l == Lang::zh ? "/grade_name/zh" : "/grade_name/en");
  return fmt::format("<span class=\"grade g-{}\" data-grade=\"{}\">{}{}</span>", grade_class(g), escape_html(g), escape_html(g),
                     name.empty() ? "" : " · " + escape_html(name));
}

std::string status_chip(const json& overall, Lang l) {
  const bool is_final = str(overall, "grade_status") == "final";
  return fmt::format("<span class=\"chip {}\" data-grade-status=\"{}\">{}</span>", is_final ? "final" : "provisional",
                     is_final ? "final" : "provisional", E(is_final ? Msg::final_ : Msg::provisional, l));
}

std::string score_cell(double s, Lang l) {
  const double w = std::clamp(s, 0.0, 100.0);
  return fmt::format("<td class=\"score\" data-score=\"{}\"><span class=\"bar\"><span style=\"width:{:.1f}%\"></span></span><span class=\"v\">{}</span></td>",
                     escape_html(full_precision(s)), w, escape_html(format_fixed(s, l, 1)));
}

std::string dimension_label(const std::string& id, Lang l) {
  return fmt::format("<code>{}</code> {}", escape_html(id), escape_html(name_of(id, l)));
}

// Any JSON value from a result as HTML: numbers formatted (full precision on hover), objects as key/value
// tables, arrays of objects as tables, everything escaped.
std::string render_value(const json& v, Lang l) {
  switch (v.type()) {
    case json::value_t::number_float:
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return num_html(v.get<double>(), l, 6);
    case json::value_t::string: return escape_html(v.get<std::string>());
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::null: return "—";
    case json::value_t::array: {
      if (v.empty()) return "<span class=\"muted\">" + E(Msg::none, l) + "</span>";
      const bool scalars = std::all_of(v.begin(), v.end(), [](const json& e) { return !e.is_structured(); });
      if (scalars) {
        std::string out;
        for (const auto& e : v) out += (out.empty() ? "" : ", ") + render_value(e, l);
        return out;
      }
      const bool objects = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_object(); });
      if (objects) {
        std::vector<std::string> cols;
        for (const auto& e : v)
          for (auto it = e.begin(); it != e.end(); ++it)
            if (std::find(cols.begin(), cols.end(), it.key()) == cols.end()) cols.push_back(it.key());
        std::string out = "<table class=\"sub\"><thead><tr>";
        for (const auto& c : cols) out += "<th>" + escape_html(c) + "</th>";
        out += "</tr></thead><tbody>";
        for (const auto& e : v) {
          out += "<tr>";
          for (const auto& c : cols) out += "<td>" + (e.contains(c) ? render_value(e[c], l) : std::string()) + "</td>";
          out += "</tr>";
        }
        return out + "</tbody></table>";
      }
      std::string out = "<ol class=\"sub\">";
      for (const auto& e : v) out += "<li>" + render_value(e, l) + "</li>";
      return out + "</ol>";
    }
    case json::value_t::object: {
      if (v.empty()) return "<span class=\"muted\">" + E(Msg::none, l) + "</span>";
      std::string out = "<table class=\"kv\">";
      for (auto it = v.begin(); it != v.end(); ++it)
        out += "<tr><th>" + escape_html(it.key()) + "</th><td>" + render_value(it.value(), l) + "</td></tr>";
      return out + "</table>";
    }
    default: return escape_html(v.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

std::string echarts_js() {
  for (const auto& f : data::web_files())
    if (f.path == "dist/echarts.min.js") return std::string(f.content);
  return {};
}

std::string echarts_licence() {
  for (const auto& f : data::web_files())
    if (f.path == "LICENSE") return std::string(f.content);
  return {};
}

constexpr const char* kFont =
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', "
    "'PingFang SC', 'Microsoft YaHei', 'Helvetica Neue', Arial, sans-serif";

constexpr const char* kCss = R"css(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#ffffff;--soft:#f8fafc;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font-size:15px;line-height:1.5}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:28px;margin:2px 0 6px;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:21px;margin:36px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:22px 0 8px}
h4{font-size:13px;margin:14px 0 4px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.9em;background:#f1f5f9;padding:0 4px;border-radius:4px;overflow-wrap:anywhere}
.top{display:flex;flex-wrap:wrap;gap:24px;justify-content:space-between;align-items:flex-start;border-bottom:1px solid var(--line);padding-bottom:18px}
.top .title{flex:1 1 520px;min-width:0}
.kicker{margin:0;color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.06em}
.sub{margin:0;color:var(--muted)}
.scorebox{flex:0 0 auto;text-align:right;min-width:220px}
.big{font-size:52px;font-weight:700;line-height:1}
.of{color:var(--muted);font-size:18px;margin-left:4px}
.grade{display:inline-block;padding:3px 12px;border-radius:999px;color:#fff;font-weight:700;font-size:15px;white-space:nowrap}
.scorebox .grade{margin-top:8px}
.g-L5{background:#15803d}.g-L4{background:#2563eb}.g-L3{background:#0d9488}.g-L2{background:#b45309}.g-L1{background:#b91c1c}.g-other{background:#6b7280}
.chip{display:inline-block;padding:3px 10px;border-radius:999px;font-size:13px;font-weight:600;margin-left:6px;border:1px solid}
.chip.final{color:#15803d;border-color:#15803d;background:#f0fdf4}
.chip.provisional{color:#b45309;border-color:#b45309;background:#fffbeb;border-style:dashed}
.coverage{color:var(--muted);font-size:13px;margin-top:6px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:16px 0 0;font-size:14px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.note{padding:10px 14px;border-radius:8px;background:var(--soft);border-left:4px solid var(--accent);margin:16px 0}
.note.warn{border-left-color:#b45309;background:#fffbeb}
nav.toc{margin:18px 0 0;font-size:14px}
nav.toc a{color:var(--accent);text-decoration:none;margin-right:14px;white-space:nowrap}
.two{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.two>.chart{flex:1 1 520px}
.two>table{flex:1 1 340px}
.chart{width:100%;min-width:320px;height:420px}
#carbon-chart.chart{height:300px}
.hint{color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
td.num,th.num,td.score{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.bar{display:inline-block;width:56px;height:8px;border-radius:4px;background:#e5e7eb;margin-right:8px;vertical-align:middle;overflow:hidden}
.bar>span{display:block;height:100%;background:var(--accent)}
.score .v{display:inline-block;min-width:2.8em;text-align:right}
td code{white-space:nowrap;overflow-wrap:normal}
td code.formula{white-space:normal;overflow-wrap:anywhere}
#curves td:first-child,#formulas td:first-child{width:22%}
#curves td:nth-child(3){min-width:180px}
tr.dimrow th,tr.dimrow td{background:#eef2ff;font-weight:600;border-top:2px solid #c7d2fe}
tr.missing td{color:var(--muted)}
.miss{display:inline-block;font-weight:600;color:#9f1239;background:#fff1f2;border:1px dashed #fda4af;border-radius:4px;padding:0 6px;margin-right:6px}
td.none{color:var(--muted);text-align:right}
tr.more td{border-bottom:1px solid var(--line);padding-top:0}
details>summary{cursor:pointer;color:var(--accent);font-size:13px}
details[open]>summary{margin-bottom:6px}
.kind{display:inline-block;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid}
.kind b{font-weight:800}
.kind-measured{color:#166534;background:#dcfce7;border-color:#86efac}
.kind-imported{color:#1e40af;background:#dbeafe;border-color:#93c5fd}
.kind-declared{color:#92400e;background:#fef3c7;border-color:#fcd34d}
.kind-estimated{color:#6b21a8;background:#f3e8ff;border-color:#d8b4fe;border-style:dashed}
.kind-other{color:#374151;background:#f3f4f6;border-color:#d1d5db}
.legend{display:flex;flex-wrap:wrap;gap:10px;align-items:center;font-size:13px;color:var(--muted);margin-bottom:8px}
table.kv{width:auto;font-size:13px}
table.kv th{color:var(--muted);font-weight:500;white-space:nowrap;padding:2px 10px 2px 0;border:0}
table.kv td{padding:2px 0;border:0;overflow-wrap:anywhere}
table.sub{font-size:12.5px;width:auto;margin:2px 0}
table.sub th,table.sub td{padding:2px 8px;overflow-wrap:normal}
.num{white-space:nowrap}
table.inputs{font-size:12.5px}
table.inputs td{padding:2px 8px}
.muted{color:var(--muted)}
td.best{background:#f0fdf4;font-weight:700}
.star{color:#ca8a04}
.cellvalue{display:block;color:var(--muted);font-size:12px;font-weight:400}
ol.improve li{margin:4px 0}
footer{margin-top:40px;padding-top:14px;border-top:1px solid var(--line);color:var(--muted);font-size:13px}
footer pre{white-space:pre-wrap;font-size:11px;max-height:360px;overflow:auto;background:var(--soft);padding:10px}
#across-table thead th{white-space:normal;min-width:120px}
#across-table td{white-space:normal}
#across-table td:first-child{width:24%}
#systems td:nth-child(4){white-space:nowrap}
.compare #radar.chart{height:500px}
@media print{.chart{break-inside:avoid}details{display:block}nav.toc{display:none}}
)css";

// The script that draws the charts from the data block. Every chart renders without animation and marks its
// element data-rendered="true" on ECharts' "finished" event. No tooltip: text is drawn on the canvas only.
constexpr const char* kInitJs = R"js(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('aicq-data').textContent);
  var nf = new Intl.NumberFormat(data.locale, {maximumFractionDigits: 1});
  var nf1 = new Intl.NumberFormat(data.locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  var palette = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  window.aicqCharts = {};
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fmt(v) { return isNum(v) ? nf.format(v) : ''; }
  function fmt1(v) { return isNum(v) ? nf1.format(v) : ''; }
  function make(id, option, after) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, {renderer: 'canvas'});
    chart.on('finished', function () { el.setAttribute('data-rendered', 'true'); });
    option.animation = false;
    option.textStyle = {fontFamily: data.font};
    chart.setOption(option);
    if (after) after(chart);
    window.aicqCharts[id] = chart;
    window.addEventListener('resize', function () { chart.resize(); if (after) after(chart); });
  }
  // ECharts draws a missing radar value at the centre, which reads as 0. A series with missing values is
  // therefore drawn here instead: its present points, and lines only between neighbouring present ones.
  function drawIncomplete(chart) {
    var radar = chart.getModel().getComponent('radar', 0);
    var cs = radar && radar.coordinateSystem;
    if (!cs) return;
    var elements = [];
    var single = data.radar.series.length === 1;
    data.radar.series.forEach(function (s, k) {
      if (s.value.every(isNum)) return;
      var color = palette[k % palette.length];
      var pts = s.value.map(function (v, i) { return isNum(v) ? cs.dataToPoint(v, i) : null; });
      for (var i = 0; i < pts.length; i++) {
        var a = pts[i], b = pts[(i + 1) % pts.length];
        if (a && b && a !== b) elements.push({type: 'line', silent: true, z: 90, shape: {x1: a[0], y1: a[1], x2: b[0], y2: b[1]}, style: {stroke: color, lineWidth: 2}});
      }
      pts.forEach(function (p, i) {
        if (!p) return;
        elements.push({type: 'circle', silent: true, z: 100, shape: {cx: p[0], cy: p[1], r: 4}, style: {fill: color}});
        if (single) elements.push({type: 'text', silent: true, z: 100, x: p[0] + 6, y: p[1] - 18,
          style: {text: fmt1(s.value[i]), fill: '#1e3a8a', font: 'bold 12px ' + data.font}});
      });
    });
    if (elements.length) chart.setOption({graphic: {elements: elements}}, {replaceMerge: ['graphic']});
  }
  if (data.radar) {
    var single = data.radar.series.length === 1;
    var incomplete = data.radar.series.some(function (s) { return !s.value.every(isNum); });
    make('radar', {
      color: palette,
      legend: single ? {show: false} : {bottom: 0, type: 'scroll', data: data.radar.series.map(function (s) { return s.name; })},
      radar: {
        indicator: data.radar.indicators,
        radius: single ? '64%' : '68%',
        center: ['50%', single ? '52%' : '47%'],
        splitNumber: 5,
        axisName: {color: '#1f2937', fontSize: 13, lineHeight: 16},
        splitArea: {areaStyle: {color: ['#ffffff', '#f1f5f9']}},
        axisLine: {lineStyle: {color: '#cbd5e1'}},
        splitLine: {lineStyle: {color: '#cbd5e1'}}
      },
      series: [{
        type: 'radar',
        symbolSize: 6,
        data: data.radar.series.map(function (s) {
          if (!s.value.every(isNum))
            return {name: s.name, value: s.value, symbol: 'none', lineStyle: {opacity: 0}, areaStyle: {opacity: 0}, label: {show: false}, silent: true};
          return {name: s.name, value: s.value, areaStyle: {opacity: single ? 0.22 : 0.07}, lineStyle: {width: 2},
                  label: {show: single, color: '#1e3a8a', fontWeight: 'bold', formatter: function (p) { return fmt1(p.value); }}};
        })
      }]
    }, incomplete ? drawIncomplete : null);
  }
  if (data.carbon) {
    make('carbon-chart', {
      grid: {left: 12, right: 96, top: 12, bottom: 36, containLabel: true},
      xAxis: {type: 'value', name: data.carbon.unit, nameLocation: 'middle', nameGap: 26,
              axisLabel: {formatter: function (v) { return fmt(v); }}},
      yAxis: {type: 'category', inverse: true, data: data.carbon.labels, axisLabel: {color: '#1f2937'}},
      series: [{type: 'bar', barMaxWidth: 26,
                data: data.carbon.values.map(function (v, i) { return {value: v, itemStyle: {color: data.carbon.colors[i]}}; }),
                label: {show: true, position: 'right', formatter: function (p) { return fmt1(p.value); }}}]
    });
  }
  if (data.telemetry) {
    make('telemetry-chart', {
      color: palette,
      legend: {top: 0, type: 'scroll'},
      grid: {left: 12, right: 24, top: 36, bottom: 24, containLabel: true},
      xAxis: {type: 'time'},
      yAxis: {type: 'value', scale: true},
      series: data.telemetry.series.map(function (s) {
        return {type: 'line', name: s.unit ? s.name + ' [' + s.unit + ']' : s.name, showSymbol: false, data: s.points};
      })
    });
  }
})();
)js";

// The page around a body: styles, the data block, ECharts inlined and its licence kept.
std::string page(const std::string& title, Lang l, const std::string& body, const json& chart_data, bool comparison = false) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"" + lang_tag(l) + "\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Defence in depth: the page may not load anything, even if a string slipped through.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
         "style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"aicq " + escape_html(core::version()) + "\">\n";
  out += "<title>" + escape_html(title) + "</title>\n<style>body{font-family:" + std::string(kFont) + "}" + kCss + "</style>\n</head>\n<body" + (comparison ? " class=\"compare\"" : "") + ">\n<main>\n";
  out += body;
  out += "<footer>\n<p>" + escape_html(tr(Msg::generated_by, l, core::version())) + "</p>\n";
  out += "<details id=\"licence\"><summary>" + E(Msg::licence, l) + "</summary>\n<pre>" + escape_html(echarts_licence()) +
         "</pre></details>\n</footer>\n</main>\n";
  json d = chart_data;
  d["locale"] = lang_tag(l);
  d["font"] = kFont;
  out += "<script type=\"application/json\" id=\"aicq-data\">" + json_for_script(d) + "</script>\n";
  out += "<!-- Apache ECharts, Apache License 2.0: the full licence text is in the footer (details#licence). -->\n";
  out += "<script id=\"echarts-lib\">\n" + echarts_js() + "\n</script>\n";
  out += "<script>" + std::string(kInitJs) + "</script>\n</body>\n</html>\n";
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Sections of the single report

std::string header(const ResultDoc& r, Lang l) {
  const json& doc = r.doc;
  const json& o = member(doc, "overall");
  const json& sys = member(doc, "system");
  std::string out = "<header class=\"top\">\n<div class=\"title\">\n";
  out += "<p class=\"kicker\">" + E(Msg::report_title, l) + "</p>\n";
  out += "<h1 id=\"system-name\">" + escape_html(system_name(r)) + "</h1>\n";
  std::vector<std::string> sub;
  if (!str(sys, "operator").empty()) sub.push_back(escape_html(str(sys, "operator")));
  const json& loc = member(sys, "location");
  std::vector<std::string> place;
  for (const char* k : {"city", "region", "country"})
    if (!str(loc, k).empty()) place.push_back(escape_html(str(loc, k)));
  if (!place.empty()) sub.push_back(fmt::format("{}", fmt::join(place, ", ")));
  if (!sub.empty()) out += "<p class=\"sub\">" + fmt::format("{}", fmt::join(sub, " · ")) + "</p>\n";
  if (!str(sys, "description").empty()) out += "<p>" + escape_html(str(sys, "description")) + "</p>\n";
  out += "</div>\n<div class=\"scorebox\">\n";
  if (is_num(o, "score")) {
    out += "<div><span class=\"big\" id=\"overall-score\">" + escape_html(format_fixed(o["score"].get<double>(), l, 1)) +
           "</span><span class=\"of\">/ 100</span></div>\n";
    out += "<div>" + grade_badge(o, l) + status_chip(o, l) + "</div>\n";
  } else {
    out += "<div><span class=\"big\" id=\"overall-score\">—</span></div>\n<div>" + status_chip(o, l) + "</div>\n";
  }
  out += "<div class=\"coverage\">" + E(Msg::coverage, l) + " " + escape_html(percent(o.value("coverage", 0.0), l)) + "</div>\n";
  out += "</div>\n</header>\n";

  // Date, tool, profile, status, boundary
  out += "<dl class=\"meta\">\n";
  auto row = [&](Msg m, const std::string& html_value) { out += "<dt>" + E(m, l) + "</dt><dd>" + html_value + "</dd>\n"; };
  row(Msg::assessed, escape_html(readable_time(ptr_str(doc, "/provenance/created"))));
  const json& tool = member(doc, "tool");
  row(Msg::tool, escape_html(fmt::format("{} {} (git {}{})", str(tool, "name").empty() ? "aicq" : str(tool, "name"), str(tool, "version"),
                                         str(tool, "git_revision"), tool.value("git_dirty", false) ? ", dirty" : "")));
  const json& prof = member(doc, "profile");
  row(Msg::profile, escape_html(fmt::format("{} {} (sha256 {}…)", str(prof, "id"), str(prof, "version"), str(prof, "sha256").substr(0, 12))));
  const std::string status = str(doc, "status");
  const Msg sm = status == "complete" ? Msg::status_complete : status == "interrupted" ? Msg::status_interrupted : Msg::status_invalid;
  row(Msg::result_status, status.empty() ? "—" : E(sm, l));
  if (!str(sys, "boundary").empty()) row(Msg::boundary, escape_html(str(sys, "boundary")));
  out += "</dl>\n";

  if (!is_num(o, "score")) out += "<p class=\"note warn\">" + E(Msg::no_overall, l) + "</p>\n";
  else if (str(o, "grade_status") == "final") out += "<p class=\"note\">" + E(Msg::final_note, l) + "</p>\n";
  else out += "<p class=\"note warn\" id=\"provisional-note\">" + E(Msg::provisional_note, l) + "</p>\n";
  const json& capped = member(o, "floor_capped_by");
  if (capped.is_array() && !capped.empty() && str(o, "grade") != str(o, "grade_uncapped")) {
    std::vector<std::string> dims;
    for (const auto& d : capped)
      if (d.is_string()) dims.push_back(name_of(d.get<std::string>(), l));
    out += "<p class=\"note warn\">" + escape_html(tr(Msg::floor_capped, l, str(o, "grade_uncapped"), fmt::join(dims, ", "))) + "</p>\n";
  }
  return out;
}

std::string toc(const std::vector<std::pair<std::string, Msg>>& entries, Lang l) {
  std::string out = "<nav class=\"toc\" aria-label=\"" + E(Msg::contents, l) + "\">";
  for (const auto& [id, m] : entries) out += "<a href=\"#" + id + "\">" + E(m, l) + "</a>";
  return out + "</nav>\n";
}

json radar_data(const std::vector<const ResultDoc*>& results, Lang l) {
  json radar;
  for (const auto& d : core::dimensions()) {
    const std::string id(d.id);
    bool missing_somewhere = false;
    for (const ResultDoc* r : results)
      if (!is_num(member(member(r->doc, "dimensions"), id), "score")) missing_somewhere = true;
    std::string name = name_of(id, l);
    if (missing_somewhere) name += l == Lang::zh ? "\n（" + T(Msg::missing, l) + "）" : "\n(" + T(Msg::missing, l) + ")";
    radar["indicators"].push_back({{"name", name}, {"max", 100}, {"id", id}});
  }
  for (const ResultDoc* r : results) {
    json values = json::array();
    for (const auto& d : core::dimensions()) {
      const json& dim = member(member(r->doc, "dimensions"), std::string(d.id));
      if (is_num(dim, "score")) values.push_back(dim["score"].get<double>());
      else values.push_back("-");  // ECharts' empty value: no point, never 0
    }
    radar["series"].push_back({{"name", system_name(*r)}, {"value", values}});
  }
  return radar;
}

std::string dimensions_section(const ResultDoc& r, Lang l) {
  std::string out = "<section id=\"dimensions\">\n<h2>" + E(Msg::sec_dimensions, l) + "</h2>\n<div class=\"two\">\n";
  out += "<div id=\"radar\" class=\"chart\" role=\"img\" aria-label=\"" + E(Msg::sec_dimensions, l) + "\"></div>\n";
  out += "<table class=\"dims\"><thead><tr><th>" + E(Msg::dimension, l) + "</th><th class=\"num\">" + E(Msg::score, l) +
         "</th><th class=\"num\">" + E(Msg::coverage, l) + "</th><th class=\"num\">" + E(Msg::weight, l) + "</th></tr></thead><tbody>\n";
  for (const auto& d : core::dimensions()) {
    const std::string id(d.id);
    const json& dim = member(member(r.doc, "dimensions"), id);
    out += "<tr data-dimension=\"" + escape_html(id) + "\"><td>" + dimension_label(id, l) + "</td>";
    if (is_num(dim, "score")) out += score_cell(dim["score"].get<double>(), l);
    else out += "<td class=\"none\" data-score=\"\"><span class=\"miss\">" + E(Msg::missing, l) + "</span></td>";
    out += "<td class=\"num\">" + escape_html(percent(dim.value("coverage", 0.0), l)) + "</td>";
    out += "<td class=\"num\">" + (is_num(dim, "weight") ? num_html(dim["weight"].get<double>(), l, 3) : "—") + "</td></tr>\n";
  }
  out += "</tbody></table>\n</div>\n<p class=\"hint\">" + E(Msg::radar_note, l) + "</p>\n</section>\n";
  return out;
}

std::string inputs_table(const json& x, const std::map<std::string, const json*>& evidence, Lang l) {
  const json& inputs = member(x, "inputs");
  if (!inputs.is_array() || inputs.empty()) return "<p class=\"muted\">" + E(Msg::none, l) + "</p>";
  std::string out = "<table class=\"inputs\"><thead><tr><th>id</th><th class=\"num\">" + E(Msg::value, l) + "</th><th>" +
                    E(Msg::evidence, l) + "</th><th>" + E(Msg::source, l) + "</th></tr></thead><tbody>";
  for (const auto& m : inputs) {
    if (!m.is_string()) continue;
    const std::string metric = m.get<std::string>();
    out += "<tr><td><code>" + escape_html(metric) + "</code></td>";
    const auto it = evidence.find(metric);
    if (it == evidence.end()) {
      out += "<td></td><td></td><td></td></tr>";
      continue;
    }
    const json& e = *it->second;
    const std::string text = str(e, "text");
    out += "<td class=\"num\" title=\"" + escape_html(text) + "\">" +
           (is_num(e, "value") ? escape_html(evidence_value(e["value"].get<double>(), str(e, "unit"), l)) : escape_html(text)) + "</td>";
    out += "<td>" + kind_span(str(e, "kind"), l) + "</td>";
    const json& s = member(e, "source");
    std::string where;
    if (!str(s, "file").empty()) where = fmt::format("{}:{}:{}", str(s, "file"), s.value("line", 0), s.value("column", 0));
    if (!str(s, "catalog").empty()) where += (where.empty() ? "" : " · ") + std::string("catalog ") + str(s, "catalog");
    if (!str(s, "method").empty()) where += (where.empty() ? "" : " · ") + str(s, "method");
    out += "<td>" + escape_html(where) + "</td></tr>";
  }
  return out + "</tbody></table>";
}

std::string indicators_section(const ResultDoc& r, Lang l) {
  std::map<std::string, const json*> evidence;
  const json& ev = member(r.doc, "evidence");
  if (ev.is_array())
    for (const auto& e : ev)
      if (!str(e, "metric").empty()) evidence.emplace(str(e, "metric"), &e);  // the first record of a metric, as explain shows

  std::string out = "<section id=\"indicators\">\n<h2>" + E(Msg::sec_indicators, l) + "</h2>\n";
  out += "<div class=\"legend\">" + E(Msg::kinds_legend, l) + ":";
  for (const char* k : {"measured", "imported", "declared", "estimated"}) out += " " + kind_span(k, l);
  out += "</div>\n";
  out += "<table class=\"indicators\"><thead><tr><th>" + E(Msg::indicator, l) + "</th><th class=\"num\">" + E(Msg::value, l) + "</th><th>" +
         E(Msg::unit, l) + "</th><th class=\"num\">" + E(Msg::score, l) + "</th><th>" + E(Msg::evidence, l) + "</th></tr></thead>\n<tbody>\n";
  for (const auto& d : core::dimensions()) {
    const std::string did(d.id);
    const json& dim = member(member(r.doc, "dimensions"), did);
    out += "<tr class=\"dimrow\"><th colspan=\"3\">" + dimension_label(did, l) + "</th>";
    if (is_num(dim, "score")) out += score_cell(dim["score"].get<double>(), l);
    else out += "<td class=\"none\" data-score=\"\"><span class=\"miss\">" + E(Msg::missing, l) + "</span></td>";
    out += "<td>" + E(Msg::coverage, l) + " " + escape_html(percent(dim.value("coverage", 0.0), l)) + "</td></tr>\n";
    for (const auto& i : core::indicators()) {
      if (i.dimension != d.id) continue;
      const std::string id(i.id);
      const json& x = member(member(r.doc, "indicators"), id);
      const std::string unit = str(x, "unit");
      const std::string label = "<td><code>" + escape_html(id) + "</code> " + escape_html(name_of(id, l)) + "</td>";
      if (scored(x)) {
        out += "<tr class=\"ind scored\" id=\"ind-" + escape_html(id) + "\" data-indicator=\"" + escape_html(id) + "\" data-status=\"scored\">" + label;
        out += "<td class=\"num\">" + (is_num(x, "value") ? num_html(x["value"].get<double>(), l) : "—") + "</td>";
        out += "<td>" + escape_html(unit) + "</td>" + score_cell(x["score"].get<double>(), l);
        out += "<td>" + kind_span(str(x, "kind"), l) + "</td></tr>\n";
      } else {
        out += "<tr class=\"ind missing\" id=\"ind-" + escape_html(id) + "\" data-indicator=\"" + escape_html(id) + "\" data-status=\"missing\">" + label;
        out += "<td colspan=\"2\" class=\"reason\"><span class=\"miss\">" + E(Msg::missing, l) + "</span>" + escape_html(str(x, "reason")) + "</td>";
        out += "<td class=\"score none\" data-score=\"\">—</td><td>—</td></tr>\n";
      }
      const char* colon = l == Lang::zh ? "：" : ": ";
      const char* comma = l == Lang::zh ? "、" : ", ";
      out += "<tr class=\"more\"><td colspan=\"5\"><details><summary>" + E(Msg::details, l) + colon + E(Msg::formula, l) + comma +
             E(Msg::inputs, l) + comma + E(Msg::intermediate, l) + "</summary>\n";
      out += "<h4>" + E(Msg::formula, l) + "</h4><p><code class=\"formula\">" + escape_html(str(x, "formula")) + "</code></p>\n";
      out += "<h4>" + E(Msg::weight_global, l) + "</h4><p>" + (is_num(x, "weight") ? num_html(x["weight"].get<double>(), l, 4) : "—") + "</p>\n";
      out += "<h4>" + E(Msg::inputs, l) + "</h4>" + inputs_table(x, evidence, l) + "\n";
      out += "<h4>" + E(Msg::intermediate, l) + "</h4>" + render_value(member(x, "details"), l) + "\n";
      const json& notes = member(x, "notes");
      if (notes.is_array() && !notes.empty()) {
        out += "<h4>" + E(Msg::notes, l) + "</h4><ul>";
        for (const auto& n : notes) out += "<li>" + (n.is_string() ? escape_html(n.get<std::string>()) : render_value(n, l)) + "</li>";
        out += "</ul>\n";
      }
      out += "</details></td></tr>\n";
    }
  }
  out += "</tbody></table>\n</section>\n";
  return out;
}

struct CarbonStage {
  const char* key;
  Msg label;
  const char* colour;
};

constexpr CarbonStage kStages[] = {
    {"embodied", Msg::carbon_embodied, "#7c3aed"},
    {"transport", Msg::carbon_transport, "#0891b2"},
    {"operational_location_based", Msg::carbon_operational_location, "#dc2626"},
    {"operational_market_based", Msg::carbon_operational_market, "#f97316"},
    {"end_of_life", Msg::carbon_end_of_life, "#65a30d"},
};

std::string carbon_section(const ResultDoc& r, Lang l, json& chart) {
  const json& det = member(member(member(r.doc, "indicators"), "co2.lifecycle"), "details");
  const json& fp = member(det, "footprint_kgco2e");
  std::string out = "<section id=\"carbon\">\n<h2>" + E(Msg::sec_carbon, l) + "</h2>\n";
  std::vector<std::pair<std::string, double>> rows;  // label, kgCO2e
  std::vector<std::string> colours;
  bool any = false;
  for (const auto& s : kStages)
    if (is_num(fp, s.key)) {
      rows.emplace_back(T(s.label, l), fp[s.key].get<double>());
      colours.emplace_back(s.colour);
      any = any || fp[s.key].get<double>() > 0;
    }
  for (auto it = fp.begin(); it != fp.end(); ++it) {  // stages this renderer does not know yet, by their id
    if (!it.value().is_number()) continue;
    if (std::any_of(std::begin(kStages), std::end(kStages), [&](const CarbonStage& s) { return it.key() == s.key; })) continue;
    rows.emplace_back(it.key(), it.value().get<double>());
    colours.emplace_back("#6b7280");
    any = any || it.value().get<double>() > 0;
  }
  if (!any) return out + "<p class=\"muted\" id=\"carbon-none\">" + E(Msg::carbon_none, l) + "</p>\n</section>\n";
  out += "<div class=\"two\">\n<div id=\"carbon-chart\" class=\"chart\" role=\"img\" aria-label=\"" + E(Msg::sec_carbon, l) + "\"></div>\n";
  out += "<table><thead><tr><th>" + E(Msg::carbon_stage, l) + "</th><th class=\"num\">" + E(Msg::carbon_amount, l) + "</th></tr></thead><tbody>";
  json labels = json::array(), values = json::array();
  for (const auto& [label, kg] : rows) {
    out += "<tr><td>" + escape_html(label) + "</td><td class=\"num\">" + num_html(kg / 1000, l, 4) + "</td></tr>";
    labels.push_back(label);
    values.push_back(kg / 1000);
  }
  if (is_num(det, "footprint_total_kgco2e"))
    out += "<tr><th>" + E(Msg::carbon_total, l) + "</th><th class=\"num\">" + num_html(det["footprint_total_kgco2e"].get<double>() / 1000, l, 4) +
           "</th></tr>";
  out += "</tbody></table>\n</div>\n<p class=\"hint\">" + E(Msg::carbon_note, l) + "</p>\n</section>\n";
  chart["carbon"] = {{"labels", labels}, {"values", values}, {"colors", colours}, {"unit", "tCO2e"}};
  return out;
}

std::string id_list(const std::vector<std::string>& ids, Lang l) {
  std::vector<std::string> parts;
  for (const auto& id : ids) parts.push_back(id + " " + name_of(id, l));
  return fmt::format("{}", fmt::join(parts, l == Lang::zh ? "、" : ", "));
}

std::string improve_section(const ResultDoc& r, const ProfileView* profile, Lang l) {
  const Improvements im = improvements(r.doc, profile);
  std::string out = "<section id=\"improve\">\n<h2>" + E(Msg::sec_improve, l) + "</h2>\n";
  if (im.curves == Improvements::Curves::no_profile) out += "<p class=\"note warn\">" + E(Msg::curves_no_profile, l) + "</p>\n";
  if (im.curves == Improvements::Curves::other_profile)
    out += "<p class=\"note warn\" id=\"curves-unavailable\">" +
           escape_html(tr(Msg::curves_unavailable, l, im.profile_sha256.substr(0, 12) + "…", im.result_sha256.substr(0, 12) + "…")) + "</p>\n";
  if (im.curves == Improvements::Curves::available) {
    out += "<p class=\"hint\">" + E(Msg::improve_intro, l) + "</p>\n";
    if (im.items.empty()) out += "<p>" + E(Msg::improve_nothing, l) + "</p>\n";
    else {
      out += "<table id=\"improve-list\"><thead><tr><th>#</th><th>" + E(Msg::indicator, l) + "</th><th class=\"num\">" + E(Msg::improve_now, l) +
             "</th><th class=\"num\">" + E(Msg::improve_next, l) + "</th><th class=\"num\">" + E(Msg::improve_indicator_points, l) +
             "</th><th class=\"num\">" + E(Msg::improve_overall_points, l) + "</th></tr></thead><tbody>\n";
      int n = 0;
      for (const auto& it : im.items) {
        const std::string unit = str(member(member(r.doc, "indicators"), it.indicator), "unit");
        const std::string u = unit.empty() ? "" : " " + escape_html(unit);
        out += fmt::format(
            "<tr data-indicator=\"{}\"><td>{}</td><td><code>{}</code> {}</td><td class=\"num\">{}{} → {}</td><td class=\"num\">{}{} → {}</td>"
            "<td class=\"num\">+{}</td><td class=\"num\" data-points=\"{}\"><b>+{}</b></td></tr>\n",
            escape_html(it.indicator), ++n, escape_html(it.indicator), escape_html(name_of(it.indicator, l)), num_html(it.value, l), u,
            escape_html(format_fixed(it.curve_score, l, 1)), num_html(it.next_value, l), u, escape_html(format_fixed(it.next_score, l, 1)),
            escape_html(format_fixed(it.indicator_points, l, 1)), escape_html(full_precision(it.overall_points)),
            escape_html(format_fixed(it.overall_points, l, 2)));
      }
      out += "</tbody></table>\n";
    }
    if (!im.at_top.empty()) out += "<p>" + escape_html(tr(Msg::improve_top, l, id_list(im.at_top, l))) + "</p>\n";
    if (!im.linear.empty()) out += "<p>" + escape_html(tr(Msg::improve_linear, l, id_list(im.linear, l))) + "</p>\n";
  }
  if (!im.missing.empty()) out += "<p id=\"improve-missing\">" + escape_html(tr(Msg::improve_missing, l, id_list(im.missing, l))) + "</p>\n";
  return out + "</section>\n";
}

// A number with its unit, scaled by an SI prefix where the unit takes one ("3.69e10 FLOP/s" → "36.9 GFLOP/s").
std::string with_unit(double v, const std::string& unit) {
  if (unit == "1") return fmt::format("{:.4g}", v);
  if (unit == "s") {
    if (std::abs(v) < 1e-3) return fmt::format("{:.4g} µs", v * 1e6);
    if (std::abs(v) < 1) return fmt::format("{:.4g} ms", v * 1e3);
    return fmt::format("{:.4g} s", v);
  }
  static const std::pair<double, const char*> prefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& [f, p] : prefixes)
    if (std::abs(v) >= f) return fmt::format("{:.4g} {}{}", v / f, p, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

// What `aicq run` measured (result member "measurement"): the machine and its peaks, every probe's
// measurements with their spread and share of peak, and the gap diagnosis. Rendered only when present.
// The AI workloads of ai.train / ai.infer: every measurement that carries its model (details.model).
std::string models_table(const json& m, Lang l) {
  std::string rows;
  for (const auto& p : member(m, "probes"))
    for (const auto& x : member(p, "measurements")) {
      const json& md = member(member(x, "details"), "model");
      if (!md.is_object() || !is_num(md, "throughput")) continue;
      const double thr = md["throughput"].get<double>();
      const std::string unit = str(md, "unit").empty() ? "sample" : str(md, "unit");
      std::string acc, ret;
      if (is_num(md, "accuracy")) {
        acc = fmt::format("{:.2f}%", 100 * md["accuracy"].get<double>());
        if (is_num(md, "reference_accuracy") && md["reference_accuracy"].get<double>() > 0) {
          acc += fmt::format(" ({:.2f}%)", 100 * md["reference_accuracy"].get<double>());
          ret = fmt::format("{:.4f}", md["accuracy"].get<double>() / md["reference_accuracy"].get<double>());
        }
      }
      const json& valid = member(member(x, "details"), "valid");
      rows += "<tr><td>" + escape_html(fmt::format("{} ({}, {})", str(md, "name"), str(md, "task"), str(x, "precision"))) +
              "</td><td class=\"num\">" + escape_html(fmt::format("{:.5g} {}s/s", thr, unit)) + "</td><td class=\"num\">" +
              (is_num(md, "flop_per_unit") ? escape_html(with_unit(md["flop_per_unit"].get<double>(), "FLOP")) : "") +
              "</td><td class=\"num\">" +
              (is_num(x, "fraction_of_peak") ? fmt::format("{:.1f}%", 100 * x["fraction_of_peak"].get<double>()) : "") +
              "</td><td class=\"num\">" + escape_html(acc) + "</td><td class=\"num\">" + escape_html(ret) +
              (valid.is_boolean() && !valid.get<bool>() ? " ✗" : "") + "</td></tr>\n";
    }
  if (rows.empty()) return "";
  return "<h3>" + E(Msg::models_heading, l) + "</h3>\n<table id=\"models\"><thead><tr><th>" + E(Msg::model_col, l) + "</th><th>" +
         E(Msg::throughput_col, l) + "</th><th>" + E(Msg::flop_per_unit_col, l) + "</th><th>" + E(Msg::mfu_col, l) + "</th><th>" +
         E(Msg::accuracy_col, l) + "</th><th>" + E(Msg::retention_col, l) + "</th></tr></thead><tbody>\n" + rows + "</tbody></table>\n";
}

// resilience.checkpoint and resilience.recovery: their measurements with the figures behind them.
std::string resilience_table(const json& m, Lang l) {
  std::string rows;
  for (const auto& p : member(m, "probes")) {
    const std::string id = str(p, "id");
    if (id.rfind("resilience.", 0) != 0) continue;
    for (const auto& x : member(p, "measurements")) {
      const json& st = member(x, "stats");
      if (!is_num(st, "median")) continue;
      rows += "<tr><td>" + escape_html(id) + "</td><td><b>" + escape_html(str(x, "id")) + "</b></td><td class=\"num\">" +
              escape_html(with_unit(st["median"].get<double>(), str(x, "unit"))) + "</td></tr>\n";
      // The figures behind it (steps lost, projections, …): the scalar details.
      const json& d = member(x, "details");
      if (!d.is_object()) continue;
      for (const auto& [k, v] : d.items())
        if (v.is_number() || v.is_boolean() || v.is_string())
          rows += "<tr><td></td><td class=\"muted\">" + escape_html(k) + "</td><td class=\"num\">" +
                  escape_html(v.is_string() ? v.get<std::string>() : v.dump()) + "</td></tr>\n";
    }
  }
  if (rows.empty()) return "";
  return "<h3>" + E(Msg::resilience_heading, l) + "</h3>\n<table id=\"resilience\"><tbody>\n" + rows + "</tbody></table>\n";
}

std::string probes_section(const ResultDoc& r, Lang l) {
  if (!r.doc.contains("measurement") || !r.doc["measurement"].is_object()) return "";
  const json& m = r.doc["measurement"];
  std::string out = "<section id=\"probes\">\n<h2>" + E(Msg::sec_probes, l) + "</h2>\n<p class=\"hint\">" + E(Msg::probes_note, l) + "</p>\n";
  const json& host = member(m, "host");
  const json& cpu = member(host, "cpu");
  if (cpu.is_object())
    out += "<p id=\"machine\"><b>" + E(Msg::machine, l) + "</b>: " +
           escape_html(fmt::format("{} — {} ({}), {} cores, {} threads{}", str(host, "hostname"), str(cpu, "model_name"),
                                   str(cpu, "microarch").empty() ? "?" : str(cpu, "microarch"), member(cpu, "cores").dump(),
                                   member(cpu, "threads").dump(), member(cpu, "hypervisor") == true ? ", virtual machine" : "")) +
           "</p>\n";
  const json& peaks = member(member(m, "peaks"), "peaks");
  if (peaks.is_array() && !peaks.empty()) {
    out += "<h3>" + E(Msg::peaks_heading, l) + "</h3>\n<table id=\"peaks\"><tbody>\n";
    for (const auto& p : peaks)
      out += "<tr><td>" + escape_html(str(p, "precision")) + "</td><td class=\"num\">" +
             escape_html(with_unit(member(p, "flops").is_number() ? p["flops"].get<double>() : 0, str(p, "precision") == "int8" ? "OP/s" : "FLOP/s")) +
             "</td><td>" + escape_html(str(p, "kind")) + "</td><td>" + escape_html(str(p, "method")) + "</td></tr>\n";
    out += "</tbody></table>\n";
  }
  out += "<table id=\"measurements\"><thead><tr><th>" + E(Msg::probe_col, l) + "</th><th>" + E(Msg::measurement_col, l) + "</th><th>" +
         E(Msg::median_col, l) + "</th><th>" + E(Msg::cv_col, l) + "</th><th>" + E(Msg::repetitions_col, l) + "</th><th>" +
         E(Msg::of_peak_col, l) + "</th><th>" + E(Msg::power_col, l) + "</th><th>" + E(Msg::status_col, l) + "</th></tr></thead><tbody>\n";
  for (const auto& p : member(m, "probes")) {
    const std::string status = str(p, "status");
    const json& power = member(p, "power");
    const std::string pw = power.is_object() && member(power, "mean_power_w").is_number()
                               ? fmt::format("{:.4g} W ({})", power["mean_power_w"].get<double>(), str(power, "quality"))
                               : "";
    const json& ms = member(p, "measurements");
    if (!ms.is_array() || ms.empty()) {
      out += "<tr><td>" + escape_html(str(p, "id")) + "</td><td colspan=\"6\">" + escape_html(str(p, "reason")) + "</td><td>" +
             escape_html(status) + "</td></tr>\n";
      continue;
    }
    for (const auto& x : ms) {
      const json& st = member(x, "stats");
      const bool has = st.is_object() && is_num(st, "median");
      out += "<tr><td>" + escape_html(str(p, "id")) + "</td><td>" + escape_html(str(x, "id")) + "</td><td class=\"num\">" +
             (has ? escape_html(with_unit(st["median"].get<double>(), str(x, "unit"))) : "") + "</td><td class=\"num\">" +
             (has && is_num(st, "cv") ? fmt::format("{:.1f}%", 100 * st["cv"].get<double>()) : "") + "</td><td class=\"num\">" +
             (has ? member(st, "n").dump() : "") + "</td><td class=\"num\">" +
             (is_num(x, "fraction_of_peak") ? fmt::format("{:.1f}%", 100 * x["fraction_of_peak"].get<double>()) : "") + "</td><td>" +
             escape_html(pw) + "</td><td>" + escape_html(status == "ok" ? status : status + ": " + str(p, "reason")) + "</td></tr>\n";
    }
  }
  out += "</tbody></table>\n";
  out += models_table(m, l);
  out += resilience_table(m, l);
  out += "<h3>" + E(Msg::diagnosis_heading, l) + "</h3>\n";
  const json& findings = member(m, "diagnosis");
  if (!findings.is_array() || findings.empty()) return out + "<p class=\"muted\">" + E(Msg::diagnosis_none, l) + "</p>\n</section>\n";
  out += "<table id=\"diagnosis\"><tbody>\n";
  for (const auto& f : findings) {
    const std::string cost = is_num(f, "cost_fraction") ? fmt::format("{:.0f}% — {}", 100 * f["cost_fraction"].get<double>(), str(f, "cost_method"))
                                                        : str(f, "cost_method");
    out += "<tr><td><b>" + escape_html(str(f, "id")) + "</b><br>" + escape_html(str(f, "what")) + "<br><span class=\"muted\">" +
           escape_html(str(f, "evidence")) + "</span></td><td>" + E(Msg::cost_col, l) + ": " + escape_html(cost) + "<br>" +
           E(Msg::fix_col, l) + ": " + escape_html(str(f, "fix")) + "</td></tr>\n";
  }
  return out + "</tbody></table>\n</section>\n";
}

// A cluster result (`aicq run --mpi`, `aicq assemble`): the nodes, the stragglers, what is missing.
std::string cluster_section(const ResultDoc& r, Lang l) {
  if (!r.doc.contains("cluster") || !r.doc["cluster"].is_object()) return "";
  const json& c = r.doc["cluster"];
  std::string out = "<section id=\"cluster\">\n<h2>" + E(Msg::sec_cluster, l) + "</h2>\n<p>" +
                    escape_html(fmt::format("{} / {} nodes, {} ranks{}", member(c, "nodes_with_result").dump(),
                                            member(c, "nodes_expected").dump(), member(c, "ranks_expected").dump(),
                                            member(c, "complete") == true ? "" : " — incomplete")) +
                    "</p>\n<table id=\"cluster-nodes\"><thead><tr><th>" + E(Msg::node_col, l) + "</th><th>" + E(Msg::host, l) +
                    "</th><th>" + E(Msg::ranks_col, l) + "</th><th>" + E(Msg::status_col, l) + "</th><th>" + E(Msg::node_peaks_col, l) +
                    "</th></tr></thead><tbody>\n";
  for (const auto& n : member(c, "nodes")) {
    std::string peaks;
    const json& np = member(n, "peaks");
    if (np.is_object())
      for (const auto& [prec, v] : np.items())
        if (v.is_number()) peaks += (peaks.empty() ? "" : ", ") + prec + " " + with_unit(v.template get<double>(), "FLOP/s");
    std::string ranks;
    for (const auto& k : member(n, "ranks")) ranks += (ranks.empty() ? "" : ",") + k.dump();
    out += "<tr><td>" + escape_html(str(n, "node")) + "</td><td>" + escape_html(str(n, "host")) + "</td><td>" + escape_html(ranks) +
           "</td><td>" + escape_html(str(n, "status") + (str(n, "reason").empty() ? "" : ": " + str(n, "reason"))) + "</td><td>" +
           escape_html(peaks) + "</td></tr>\n";
  }
  out += "</tbody></table>\n<h3>" + E(Msg::stragglers_heading, l) + "</h3>\n<p class=\"hint\">" + escape_html(str(c, "straggler_rule")) + "</p>\n";
  const json& st = member(c, "stragglers");
  if (!st.is_array() || st.empty()) {
    out += "<p class=\"muted\">—</p>\n";
  } else {
    out += "<table id=\"stragglers\"><tbody>\n";
    for (const auto& s : st) {
      const double v = is_num(s, "value") ? s["value"].get<double>() : 0, m = is_num(s, "median") ? s["median"].get<double>() : 0;
      out += "<tr><td>" + escape_html(str(s, "node")) + "</td><td>" + escape_html(str(s, "probe") + " " + str(s, "measurement")) +
             "</td><td class=\"num\">" + escape_html(with_unit(v, str(s, "unit")) + " / " + with_unit(m, str(s, "unit"))) +
             "</td><td class=\"num\">" + (is_num(s, "shortfall") ? fmt::format("−{:.1f}%", 100 * s["shortfall"].get<double>()) : "") +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  const json& miss = member(c, "missing");
  std::string missing;
  for (const auto& k : member(miss, "ranks"))
    missing += "<li>" + escape_html(fmt::format("rank {} ({}): {}", member(k, "rank").dump(), str(k, "host"), str(k, "why"))) + "</li>\n";
  for (const auto& k : member(miss, "nodes"))
    missing += "<li>" + escape_html(fmt::format("node {} ({}): {}", str(k, "node"), str(k, "host"), str(k, "why"))) + "</li>\n";
  if (!missing.empty()) out += "<h3>" + E(Msg::missing_heading, l) + "</h3>\n<ul id=\"cluster-missing\">\n" + missing + "</ul>\n";
  return out + "</section>\n";
}

std::string telemetry_section(const ResultDoc& r, Lang l, json& chart) {
  if (!r.doc.contains("telemetry")) return "";
  const json& t = r.doc["telemetry"];
  std::string out = "<section id=\"telemetry\">\n<h2>" + E(Msg::sec_telemetry, l) + "</h2>\n<p class=\"hint\">" + E(Msg::telemetry_note, l) + "</p>\n";
  // A chart for series written as {name, unit, points: [[time, value], …]}; everything is also shown as data.
  json series = json::array();
  const json& s = member(t, "series");
  if (s.is_array())
    for (const auto& e : s) {
      const json& pts = member(e, "points");
      if (str(e, "name").empty() || !pts.is_array()) continue;
      json points = json::array();
      for (const auto& p : pts)
        if (p.is_array() && p.size() == 2 && p[1].is_number() && (p[0].is_number() || p[0].is_string())) points.push_back(p);
      if (!points.empty()) series.push_back({{"name", str(e, "name")}, {"unit", str(e, "unit")}, {"points", points}});
    }
  if (!series.empty()) {
    out += "<div id=\"telemetry-chart\" class=\"chart\" role=\"img\" aria-label=\"" + E(Msg::sec_telemetry, l) + "\"></div>\n";
    chart["telemetry"] = {{"series", series}};
  }
  out += "<details><summary>" + E(Msg::details, l) + "</summary>" + render_value(t, l) + "</details>\n</section>\n";
  return out;
}

std::string method_section(const ResultDoc& r, const ProfileView* profile, Lang l) {
  const json& doc = r.doc;
  const bool curves_ok = profile != nullptr && profile->sha256 == ptr_str(doc, "/profile/sha256");
  std::string out = "<section id=\"method\">\n<h2>" + E(Msg::sec_method, l) + "</h2>\n<p>" + E(Msg::method_intro, l) + "</p>\n";

  // Weights, as the result records them
  const json& w = member(doc, "weights");
  out += "<h3>" + E(Msg::method_weights, l) + "</h3>\n<table id=\"weights\"><thead><tr><th>" + E(Msg::dimension, l) + " / " + E(Msg::indicator, l) +
         "</th><th class=\"num\">" + E(Msg::weight_in_dimension, l) + "</th><th class=\"num\">" + E(Msg::weight_global, l) + "</th><th>" +
         E(Msg::method_weights_method, l) + "</th></tr></thead><tbody>\n";
  const json& dw = member(w, "dimensions");
  for (const auto& d : core::dimensions()) {
    const std::string did(d.id);
    const json& wd = member(member(dw, "weights"), did);
    out += "<tr class=\"dimrow\"><th>" + dimension_label(did, l) + "</th><td></td><td class=\"num\">" +
           (wd.is_number() ? num_html(wd.get<double>(), l, 4) : "—") + "</td><td>" + escape_html(str(dw, "method")) + "</td></tr>\n";
    const json& iw = member(member(w, "indicators"), did);
    for (const auto& i : core::indicators()) {
      if (i.dimension != d.id) continue;
      const std::string id(i.id);
      const json& wi = member(member(iw, "weights"), id);
      const json& x = member(member(doc, "indicators"), id);
      out += "<tr><td>&nbsp;&nbsp;<code>" + escape_html(id) + "</code> " + escape_html(name_of(id, l)) + "</td><td class=\"num\">" +
             (wi.is_number() ? num_html(wi.get<double>(), l, 4) : "—") + "</td><td class=\"num\">" +
             (is_num(x, "weight") ? num_html(x["weight"].get<double>(), l, 4) : "—") + "</td><td>" + escape_html(str(iw, "method")) + "</td></tr>\n";
    }
  }
  out += "</tbody></table>\n";
  // AHP consistency figures and anything else a weight set records besides method and weights
  auto extras = [&](const json& set, const std::string& title) {
    if (!set.is_object()) return;
    json rest = json::object();
    for (auto it = set.begin(); it != set.end(); ++it)
      if (it.key() != "method" && it.key() != "weights") rest[it.key()] = it.value();
    if (!rest.empty()) out += "<h4>" + escape_html(title) + "</h4>" + render_value(rest, l) + "\n";
  };
  extras(dw, T(Msg::dimension, l));
  for (const auto& d : core::dimensions()) extras(member(member(w, "indicators"), std::string(d.id)), name_of(std::string(d.id), l));

  // Curves
  out += "<h3>" + E(Msg::method_curves, l) + "</h3>\n";
  if (!curves_ok) {
    if (profile == nullptr) out += "<p class=\"note warn\">" + E(Msg::curves_no_profile, l) + "</p>\n";
    else
      out += "<p class=\"note warn\">" +
             escape_html(tr(Msg::curves_unavailable, l, profile->sha256.substr(0, 12) + "…", ptr_str(doc, "/profile/sha256").substr(0, 12) + "…")) +
             "</p>\n";
  } else {
    out += "<table id=\"curves\"><thead><tr><th>" + E(Msg::indicator, l) + "</th><th>" + E(Msg::unit, l) + "</th><th>" + E(Msg::curve_anchors, l) +
           "</th><th>" + E(Msg::curve_direction, l) + "</th><th>" + E(Msg::curve_reason, l) + "</th></tr></thead><tbody>\n";
    for (const auto& i : core::indicators()) {
      const auto it = profile->curves.find(std::string(i.id));
      if (it == profile->curves.end()) continue;
      std::vector<std::string> anchors;
      for (const auto& a : it->second.curve.anchors())
        anchors.push_back(escape_html(format_number(a.x, l, 6)) + "&nbsp;→&nbsp;" + escape_html(format_number(a.score, l, 6)));
      out += "<tr><td><code>" + escape_html(it->first) + "</code> " + escape_html(name_of(it->first, l)) + "</td><td>" + escape_html(it->second.unit) +
             "</td><td>" + fmt::format("{}", fmt::join(anchors, ", ")) + "</td><td>" +
             E(it->second.curve.direction() == method::Direction::higher_better ? Msg::higher_better : Msg::lower_better, l) + "</td><td>" +
             escape_html(it->second.reason) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }

  // Formulas, as the result records them
  out += "<h3>" + E(Msg::method_formulas, l) + "</h3>\n<table id=\"formulas\"><tbody>\n";
  for (const auto& i : core::indicators()) {
    const std::string id(i.id);
    out += "<tr><td><code>" + escape_html(id) + "</code> " + escape_html(name_of(id, l)) + "</td><td><code class=\"formula\">" +
           escape_html(str(member(member(doc, "indicators"), id), "formula")) + "</code></td></tr>\n";
  }
  out += "</tbody></table>\n";

  // Grade bands
  if (curves_ok && !profile->bands.empty()) {
    out += "<h3>" + E(Msg::method_grades, l) + "</h3>\n<table id=\"bands\"><thead><tr><th>" + E(Msg::grade_band, l) + "</th><th class=\"num\">" +
           E(Msg::min_score, l) + "</th><th>" + E(Msg::grade_name, l) + "</th></tr></thead><tbody>\n";
    for (std::size_t b = 0; b < profile->bands.size(); ++b) {
      const auto& band = profile->bands[b];
      const bool last = b + 1 == profile->bands.size();
      out += "<tr><td><span class=\"grade g-" + grade_class(band.grade) + "\">" + escape_html(band.grade) + "</span></td><td class=\"num\">" +
             (last ? "—" : escape_html(format_number(band.min_score, l, 4))) + "</td><td>" + escape_html(l == Lang::zh ? band.zh : band.en) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  return out + "</section>\n";
}

std::string signature_status(const json& doc, Lang l) {
  const json& s = member(doc, "signature");
  if (!doc.contains("signature")) return "<span id=\"signature-status\">" + E(Msg::unsigned_, l) + "</span>";
  return "<span id=\"signature-status\">" + escape_html(tr(Msg::signed_by, l, str(s, "key_id").empty() ? "?" : str(s, "key_id"))) + "</span>";
}

std::string repro_section(const ResultDoc& r, Lang l) {
  const json& doc = r.doc;
  std::string out = "<section id=\"repro\">\n<h2>" + E(Msg::sec_repro, l) + "</h2>\n<dl class=\"meta\">\n";
  auto row = [&](Msg m, const std::string& html_value) { out += "<dt>" + E(m, l) + "</dt><dd>" + html_value + "</dd>\n"; };
  std::vector<std::string> argv;
  const json& a = member(member(doc, "provenance"), "argv");
  if (a.is_array())
    for (const auto& e : a)
      if (e.is_string()) argv.push_back(shell_quote(e.get<std::string>()));
  row(Msg::command, "<code>" + escape_html(fmt::format("{}", fmt::join(argv, " "))) + "</code>");
  row(Msg::host, escape_html(ptr_str(doc, "/provenance/host")));
  row(Msg::assessed, escape_html(readable_time(ptr_str(doc, "/provenance/created"))));
  const json& tool = member(doc, "tool");
  row(Msg::tool_revision, escape_html(fmt::format("{} {}, git {}", str(tool, "name"), str(tool, "version"), str(tool, "git_revision"))) +
                              (tool.value("git_dirty", false) ? " " + E(Msg::git_dirty, l) : ""));
  row(Msg::profile_sha256, escape_html(fmt::format("{} {}", str(member(doc, "profile"), "id"), str(member(doc, "profile"), "version"))) +
                               " <code>" + escape_html(ptr_str(doc, "/profile/sha256")) + "</code>");
  row(Msg::data_fingerprint, "<code>" + escape_html(ptr_str(doc, "/data/vocabularies_sha256")) + "</code>");
  const json& ev = member(doc, "evidence");
  row(Msg::evidence_count, escape_html(format_number(ev.is_array() ? static_cast<double>(ev.size()) : 0.0, l, 12)));
  const json& decl = member(member(doc, "inputs"), "declaration");
  if (!str(decl, "path").empty())
    row(Msg::declaration, escape_html(str(decl, "path")) + " <code>" + escape_html(str(decl, "sha256")) + "</code>");
  const json& files = member(member(doc, "inputs"), "evidence_files");
  if (files.is_array() && !files.empty()) {
    std::string list;
    for (const auto& f : files)
      list += "<div>" + escape_html(str(f, "path")) + " <code>" + escape_html(str(f, "sha256")) + "</code></div>";
    row(Msg::evidence_files, list);
  }
  row(Msg::result_file, escape_html(r.file) + (r.sha256.empty() ? "" : " <code>" + escape_html(r.sha256) + "</code>"));
  row(Msg::signature, signature_status(doc, l));
  return out + "</dl>\n</section>\n";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

Improvements improvements(const json& r, const ProfileView* profile) {
  Improvements im;
  im.result_sha256 = ptr_str(r, "/profile/sha256");
  if (profile == nullptr) im.curves = Improvements::Curves::no_profile;
  else if (profile->sha256 != im.result_sha256) {
    im.curves = Improvements::Curves::other_profile;
    im.profile_sha256 = profile->sha256;
  } else im.curves = Improvements::Curves::available;

  const json& dims = member(r, "dimensions");
  double present_weight = 0;  // Σ weights of the dimensions present (the overall score renormalises over them)
  for (const auto& d : core::dimensions()) {
    const json& dim = member(dims, std::string(d.id));
    if (is_num(dim, "score") && is_num(dim, "weight")) present_weight += dim["weight"].get<double>();
  }
  for (const auto& i : core::indicators()) {
    const std::string id(i.id);
    const json& x = member(member(r, "indicators"), id);
    if (!scored(x)) {
      im.missing.push_back(id);
      continue;
    }
    if (im.curves != Improvements::Curves::available) continue;
    const auto c = profile->curves.find(id);
    if (c == profile->curves.end() || !is_num(x, "value")) {
      im.linear.push_back(id);
      continue;
    }
    const method::Curve& curve = c->second.curve;
    const double v = x["value"].get<double>();
    const auto next = curve.next_anchor(v);
    if (!next) {
      im.at_top.push_back(id);
      continue;
    }
    const double now = curve(v);
    // The curve's share in the indicator's score: its blend coefficient where the curve is one part of a blend
    // with another part present; otherwise the factor the score applies to the curve (e.g. compatibility's
    // layer coverage, model-compute's accuracy retention), at most 1.
    double share = 1;
    const json& det = member(x, "details");
    const auto blend_share = [&](const char* part, const char* curve_detail, const char* other_detail) {
      const auto b = profile->blends.find(id);
      if (b == profile->blends.end() || !b->second.contains(part)) return 1.0;
      return (det.contains(curve_detail) && det.contains(other_detail)) ? b->second.at(part) : 1.0;
    };
    if (id == "co2.lifecycle") share = blend_share("carbon_intensity", "ci_op_score", "strategy_score");
    else if (id == "acc.inclusiveness") share = blend_share("price_advantage", "price_advantage", "billing_share");
    else if (now > 0) share = std::clamp(x["score"].get<double>() / now, 0.0, 1.0);
    Improvement it;
    it.indicator = id;
    it.value = v;
    it.curve_score = now;
    it.next_value = next->x;
    it.next_score = next->score;
    it.indicator_points = share * (next->score - now);
    const double coverage = member(dims, std::string(i.dimension)).value("coverage", 0.0);
    const double weight = x.value("weight", 0.0);
    it.overall_points = (coverage > 0 && present_weight > 0) ? it.indicator_points * weight / (coverage * present_weight) : 0;
    im.items.push_back(it);
  }
  std::stable_sort(im.items.begin(), im.items.end(), [](const Improvement& a, const Improvement& b) { return a.overall_points > b.overall_points; });
  return im;
}

std::string html(const ResultDoc& r, const ProfileView* profile, Lang l) {
  json chart;
  chart["radar"] = radar_data({&r}, l);
  std::string body = header(r, l);
  std::vector<std::pair<std::string, Msg>> entries{{"dimensions", Msg::sec_dimensions}, {"indicators", Msg::sec_indicators},
                                                   {"carbon", Msg::sec_carbon},         {"improve", Msg::sec_improve}};
  if (r.doc.contains("measurement")) entries.emplace_back("probes", Msg::sec_probes);
  if (r.doc.contains("cluster")) entries.emplace_back("cluster", Msg::sec_cluster);
  if (r.doc.contains("telemetry")) entries.emplace_back("telemetry", Msg::sec_telemetry);
  entries.emplace_back("method", Msg::sec_method);
  entries.emplace_back("repro", Msg::sec_repro);
  body += toc(entries, l);
  body += dimensions_section(r, l);
  body += indicators_section(r, l);
  body += carbon_section(r, l, chart);
  body += improve_section(r, profile, l);
  body += probes_section(r, l);
  body += cluster_section(r, l);
  body += telemetry_section(r, l, chart);
  body += method_section(r, profile, l);
  body += repro_section(r, l);
  return page(system_name(r) + " — aicq", l, body, chart);
}

std::string html_comparison(const std::vector<ResultDoc>& results, const Ranking& ranking, Lang l) {
  json chart;
  std::vector<const ResultDoc*> ptrs;
  for (const auto& r : results) ptrs.push_back(&r);
  chart["radar"] = radar_data(ptrs, l);

  std::string body = "<header class=\"top\">\n<div class=\"title\">\n<p class=\"kicker\">aicq</p>\n<h1>" + E(Msg::comparison_title, l) + "</h1>\n<p class=\"sub\">";
  std::vector<std::string> names;
  for (const auto& r : results) names.push_back(escape_html(system_name(r)));
  body += fmt::format("{}", fmt::join(names, " · ")) + "</p>\n</div>\n</header>\n";
  body += toc({{"systems", Msg::sec_systems}, {"dimensions", Msg::sec_dimensions}, {"ranking", Msg::sec_ranking}, {"across", Msg::sec_across}}, l);

  // Systems
  body += "<section id=\"systems\">\n<h2>" + E(Msg::sec_systems, l) + "</h2>\n<table><thead><tr><th>" + E(Msg::system, l) + "</th><th>" +
          E(Msg::assessed, l) + "</th><th class=\"num\">" + E(Msg::overall, l) + "</th><th>" + E(Msg::grade, l) + "</th><th class=\"num\">" +
          E(Msg::coverage, l) + "</th><th>" + E(Msg::profile, l) + "</th><th>" + E(Msg::signature, l) + "</th></tr></thead><tbody>\n";
  for (const auto& r : results) {
    const json& o = member(r.doc, "overall");
    body += "<tr><td><b>" + escape_html(system_name(r)) + "</b><span class=\"cellvalue\">" + escape_html(r.file) + "</span></td><td>" +
            escape_html(readable_time(ptr_str(r.doc, "/provenance/created"))) + "</td><td class=\"num\">" +
            (is_num(o, "score") ? escape_html(format_fixed(o["score"].get<double>(), l, 1)) : "—") + "</td><td>" + grade_badge(o, l) +
            status_chip(o, l) + "</td><td class=\"num\">" + escape_html(percent(o.value("coverage", 0.0), l)) + "</td><td>" +
            escape_html(fmt::format("{} {}", ptr_str(r.doc, "/profile/id"), ptr_str(r.doc, "/profile/version"))) + " <code>" +
            escape_html(ptr_str(r.doc, "/profile/sha256").substr(0, 12)) + "…</code></td><td>" + signature_status(r.doc, l) + "</td></tr>\n";
  }
  body += "</tbody></table>\n</section>\n";

  // Radar overlay and the dimension scores
  body += "<section id=\"dimensions\">\n<h2>" + E(Msg::sec_dimensions, l) + "</h2>\n";
  body += "<div id=\"radar\" class=\"chart\" role=\"img\" aria-label=\"" + E(Msg::sec_dimensions, l) + "\"></div>\n</section>\n";

  // Ranking
  std::vector<std::string> weights;
  for (std::size_t j = 0; j < ranking.criteria.size(); ++j)
    weights.push_back(fmt::format("{} {}", ranking.criteria[j], format_number(ranking.weights[j], l, 3)));
  body += "<section id=\"ranking\">\n<h2>" + E(Msg::sec_ranking, l) + "</h2>\n<p class=\"hint\">" +
          escape_html(tr(Msg::ranking_note, l, fmt::format("({})", fmt::join(weights, ", ")))) + "</p>\n";
  body += "<table id=\"ranking-table\"><thead><tr><th class=\"num\">" + E(Msg::rank, l) + "</th><th>" + E(Msg::system, l) + "</th><th class=\"num\">" +
          E(Msg::closeness, l) + "</th>";
  for (const auto& c : ranking.criteria) body += "<th class=\"num\">" + escape_html(name_of(c, l)) + "</th>";
  body += "</tr></thead><tbody>\n";
  std::vector<std::size_t> order(ranking.rank.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ranking.rank[a] < ranking.rank[b]; });
  for (const std::size_t i : order) {
    body += fmt::format("<tr data-rank=\"{}\" data-closeness=\"{}\"><td class=\"num\"><b>{}</b></td><td>{}</td><td class=\"num\">{}</td>", ranking.rank[i],
                        escape_html(full_precision(ranking.closeness[i])), ranking.rank[i], escape_html(ranking.names[i]),
                        escape_html(format_fixed(ranking.closeness[i], l, 4)));
    for (const double v : ranking.scores[i]) body += score_cell(v, l);
    body += "</tr>\n";
  }
  body += "</tbody></table>\n</section>\n";

  // Every indicator across systems
  body += "<section id=\"across\">\n<h2>" + E(Msg::sec_across, l) + "</h2>\n<p class=\"hint\">" + E(Msg::across_note, l) + "</p>\n";
  body += "<table id=\"across-table\"><thead><tr><th>" + E(Msg::indicator, l) + "</th>";
  for (const auto& r : results) body += "<th class=\"num\">" + escape_html(system_name(r)) + "</th>";
  body += "</tr></thead><tbody>\n";
  for (const auto& d : core::dimensions()) {
    body += "<tr class=\"dimrow\"><th colspan=\"" + std::to_string(results.size() + 1) + "\">" + dimension_label(std::string(d.id), l) + "</th></tr>\n";
    for (const auto& i : core::indicators()) {
      if (i.dimension != d.id) continue;
      const std::string id(i.id);
      double best = -1;
      for (const auto& r : results)
        if (const json& x = member(member(r.doc, "indicators"), id); scored(x)) best = std::max(best, x["score"].get<double>());
      body += "<tr data-indicator=\"" + escape_html(id) + "\"><td><code>" + escape_html(id) + "</code> " + escape_html(name_of(id, l)) + "</td>";
      for (const auto& r : results) {
        const json& x = member(member(r.doc, "indicators"), id);
        if (!scored(x)) {
          body += "<td class=\"none\" data-status=\"missing\"><span class=\"miss\">" + E(Msg::missing, l) + "</span><span class=\"cellvalue\">" +
                  escape_html(str(x, "reason")) + "</span></td>";
          continue;
        }
        const double s = x["score"].get<double>();
        const bool is_best = s == best;
        const std::string unit = str(x, "unit");
        body += fmt::format("<td class=\"num{}\" data-score=\"{}\"{}>{}{}<span class=\"cellvalue\">{}{} {}</span></td>", is_best ? " best" : "",
                            escape_html(full_precision(s)), is_best ? " data-best=\"true\"" : "",
                            is_best ? "<span class=\"star\" title=\"" + E(Msg::best, l) + "\">★</span> " : "",
                            escape_html(format_fixed(s, l, 1)), is_num(x, "value") ? num_html(x["value"].get<double>(), l) : "—",
                            unit.empty() ? "" : " " + escape_html(unit), kind_span(str(x, "kind"), l));
      }
      body += "</tr>\n";
    }
  }
  body += "</tbody></table>\n</section>\n";
  return page(T(Msg::comparison_title, l) + " — aicq", l, body, chart, true);
}

}  // namespace aicq::report

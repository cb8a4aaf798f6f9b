// Importers of tool outputs: fio (JSON), lm-eval (results JSON), nvidia-smi (--query-gpu CSV), prometheus-text.
//
// Evidence metric ids (exact values as the file states them, converted to base units only):
//   fio.<job>.<read|write>.iops        1/s; .bw B/s (bw_bytes, or bw KiB/s × 1024 in the old schema);
//                                      .lat_mean .clat_mean .clat_p99 s (the *_ns keys, or µs in the old schema)
//                                      a job name seen twice gets "#2", "#3" …
//   lm_eval.<task>.<metric>.<filter>   ratio, from results.<task>."<metric>,<filter>" (stderr keys too; "N/A" skipped)
//   nvidia_smi.gpu[<index>].power.mean W (quality Q1), .utilization.mean ratio, .window s, .samples count;
//                                      several --query-gpu blocks in one file: nvidia_smi.block[<k>].gpu[<index>]…
//   prometheus.<name>{<labels>}        one per series; gauges: mean over their samples, counters: the last value and
//                                      .delta (last − first) when sampled more than once. Labels sorted, `Hostname`
//                                      read as `hostname`; dcgm-exporter's descriptive labels (UUID, device, modelName,
//                                      pci_bus_id, DCGM_FI_DRIVER_VERSION) left out of the id.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/ingest/formats.hpp"

namespace aicq::ingest {
namespace {

using core::InputError;
using core::Location;
using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Quantity qty(double si, const core::Dimension& d, const std::string& path, int line, std::string_view what) {
  if (!std::isfinite(si)) throw InputError(Location{path, line, 0}, "", fmt::format("expected {} as a finite number, found one that overflows", what));
  core::Quantity q;
  q.si = si;
  q.dim = d;
  return q;
}

std::string single_path(const std::vector<std::string>& paths, std::string_view importer) {
  if (paths.size() != 1) throw InputError(Location{std::string(importer)}, "PATH", fmt::format("expected exactly one file for {}, found {}", importer, paths.size()));
  return paths.front();
}

// ---------------------------------------------------------------------------------------------------------------
// JSON inputs: size-limited, read through LineReader (NUL bytes refused, hash kept), text before the object skipped.
struct JsonDoc {
  json value;
  std::string text;      // from the first '{' line on
  int first_line = 1;    // line number of text[0]
  std::string sha256;
};

JsonDoc read_json(const std::string& path, bool allow_preamble, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxJsonBytes)
      throw InputError(Location{path}, "", fmt::format("expected {} of at most {} bytes (JSON is read whole), found {} bytes", what, kMaxJsonBytes, size));
  }
  LineReader in(path);
  JsonDoc d;
  std::string line;
  bool started = false;
  while (in.next(line)) {
    if (!started) {
      if (!line.empty() && line.front() == '{') {
        started = true;
        d.first_line = in.line_number();
      } else if (!allow_preamble && !trim(line).empty()) {
        throw InputError(Location{path, in.line_number(), 1}, "", fmt::format("expected {} (a JSON object), found '{}'", what, trim(line).substr(0, 60)));
      } else {
        continue;
      }
    }
    d.text += line;
    d.text += '\n';
    if (d.text.size() > kMaxJsonBytes) throw InputError(Location{path, in.line_number(), 0}, "", fmt::format("expected {} of at most {} bytes", what, kMaxJsonBytes));
  }
  d.sha256 = in.sha256();
  if (!started) throw InputError(Location{path, in.line_number(), 0}, "", fmt::format("expected {} (a JSON object starting with '{{' at a line start), found none in {}", what, path));
  try {
    d.value = json::parse(d.text);
  } catch (const json::parse_error& e) {
    const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, d.text.size());
    const auto nl = static_cast<int>(std::count(d.text.begin(), d.text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    const auto bol = d.text.rfind('\n', at == 0 ? 0 : at - 1);
    const int col = static_cast<int>(at - (bol == std::string::npos || at == 0 ? 0 : bol + 1)) + 1;
    throw InputError(Location{path, d.first_line + nl, col}, "", fmt::format("expected {} as valid JSON: {}", what, e.what()));
  } catch (const json::exception& e) {
    throw InputError(Location{path, d.first_line, 0}, "", fmt::format("expected {} as valid JSON: {}", what, e.what()));
  }
  if (!d.value.is_object()) throw InputError(Location{path, d.first_line, 1}, "", fmt::format("expected {} as a JSON object", what));
  return d;
}

// Line of the next occurrence of "key" (quoted) at or after `from`; moves `from` past it. 0 when not found.
int line_of(const JsonDoc& d, std::size_t& from, std::string_view key) {
  const std::string quoted = fmt::format("\"{}\"", key);
  const auto at = d.text.find(quoted, from);
  if (at == std::string::npos) return 0;
  from = at + quoted.size();
  return d.first_line + static_cast<int>(std::count(d.text.begin(), d.text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

std::optional<double> finite_number(const json& v) {
  if (!v.is_number()) return std::nullopt;
  const double x = v.get<double>();
  if (!std::isfinite(x)) return std::nullopt;
  return x;
}

// ---------------------------------------------------------------------------------------------------------------
// fio
Imported import_fio(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "fio");
  const JsonDoc d = read_json(path, true, "fio --output-format=json output");
  Imported r;
  r.tool = "fio";
  if (d.value.contains("fio version") && d.value["fio version"].is_string()) r.tool_version = d.value["fio version"].get<std::string>();
  if (!d.value.contains("jobs") || !d.value["jobs"].is_array())
    throw InputError(Location{path, d.first_line, 1}, "", "expected a fio JSON object with a \"jobs\" array, found none (wrong file?)");
  std::map<std::string, int> seen;
  std::size_t pos = 0;
  std::size_t skipped = 0;
  for (const auto& job : d.value["jobs"]) {
    if (!job.is_object() || !job.contains("jobname") || !job["jobname"].is_string())
      throw InputError(Location{path, d.first_line, 0}, "", "expected each fio job to be an object with a \"jobname\"");
    std::string name = job["jobname"].get<std::string>();
    const int job_line = line_of(d, pos, "jobname");
    if (const int n = ++seen[name]; n > 1) name += fmt::format("#{}", n);
    for (const char* dir : {"read", "write"}) {
      std::size_t p = pos;
      const int dir_line = line_of(d, p, dir);
      if (!job.contains(dir) || !job[dir].is_object()) continue;
      const json& s = job[dir];
      const int ln = dir_line ? dir_line : job_line;
      auto num = [&](const json& parent, const char* key) -> std::optional<double> {
        if (!parent.contains(key)) return std::nullopt;
        const auto v = finite_number(parent[key]);
        if (!v) throw InputError(Location{path, ln, 0}, "", fmt::format("expected {}.{}.{} as a finite number", name, dir, key));
        return v;
      };
      const auto io = num(s, "io_bytes");
      if (io && *io == 0) {
        ++skipped;
        continue;
      }
      const std::string id = fmt::format("fio.{}.{}", name, dir);
      auto add = [&](const std::string& m, core::Quantity q, std::string text) {
        r.evidence.push_back(imported(id + "." + m, std::move(q), std::move(text), path, ln, d.sha256, r.tool, r.tool_version));
      };
      if (const auto v = num(s, "iops")) add("iops", qty(*v, core::dim::frequency(), path, ln, "iops"), fmt::format("{} IOPS", core::shortest(*v)));
      if (const auto v = num(s, "bw_bytes"))
        add("bw", qty(*v, core::dim::byte_rate(), path, ln, "bw_bytes"), fmt::format("{} B/s", core::shortest(*v)));
      else if (const auto k = num(s, "bw"))
        add("bw", qty(*k * 1024, core::dim::byte_rate(), path, ln, "bw"), fmt::format("{} KiB/s", core::shortest(*k)));
      const bool ns = s.contains("clat_ns") || s.contains("lat_ns");
      const double scale = ns ? 1e-9 : 1e-6;
      const char* unit = ns ? "ns" : "us";
      for (const auto& [key, m] : {std::pair{ns ? "lat_ns" : "lat", "lat_mean"}, std::pair{ns ? "clat_ns" : "clat", "clat_mean"}}) {
        if (!s.contains(key) || !s[key].is_object()) continue;
        if (const auto v = num(s[key], "mean")) add(m, qty(*v * scale, core::dim::time(), path, ln, "a latency"), fmt::format("{} {}", core::shortest(*v), unit));
        if (std::string_view(m) == "clat_mean" && s[key].contains("percentile") && s[key]["percentile"].is_object()) {
          const json& pc = s[key]["percentile"];
          if (pc.contains("99.000000"))
            if (const auto v = num(pc, "99.000000")) add("clat_p99", qty(*v * scale, core::dim::time(), path, ln, "a latency"), fmt::format("{} {}", core::shortest(*v), unit));
        }
      }
    }
  }
  if (skipped) r.notes.push_back(fmt::format("{} job directions with io_bytes 0 (no I/O that way) not imported", skipped));
  if (r.evidence.empty()) r.notes.push_back("no job did any read or write I/O");
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// lm-eval
Imported import_lm_eval(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "lm-eval");
  const JsonDoc d = read_json(path, false, "an lm-evaluation-harness results file");
  if (!d.value.contains("results") || !d.value["results"].is_object())
    throw InputError(Location{path, d.first_line, 1}, "", "expected an lm-eval results file with a \"results\" object, found none (wrong file?)");
  Imported r;
  r.tool = "lm-evaluation-harness";
  if (d.value.contains("git_hash") && d.value["git_hash"].is_string()) r.tool_version = "git " + d.value["git_hash"].get<std::string>();
  std::string partial;
  if (d.value.contains("config") && d.value["config"].is_object()) {
    const json& c = d.value["config"];
    if (c.contains("model") && c["model"].is_string()) r.notes.push_back("model: " + c["model"].get<std::string>());
    if (c.contains("model_args") && c["model_args"].is_string()) r.notes.push_back("model_args: " + c["model_args"].get<std::string>());
    if (c.contains("limit") && !c["limit"].is_null()) {
      partial = fmt::format("partial evaluation (limit={}): not comparable with a full one", c["limit"].dump());
      r.notes.push_back(partial);
    }
  }
  std::size_t na = 0;
  std::size_t pos = 0;
  line_of(d, pos, "results");
  const json* hib = d.value.contains("higher_is_better") && d.value["higher_is_better"].is_object() ? &d.value["higher_is_better"] : nullptr;
  const json* versions = d.value.contains("versions") && d.value["versions"].is_object() ? &d.value["versions"] : nullptr;
  for (const auto& [task, metrics] : d.value["results"].items()) {
    if (!metrics.is_object()) continue;
    std::size_t tpos = pos;
    const int task_line = line_of(d, tpos, task);
    for (const auto& [key, v] : metrics.items()) {
      const auto comma = key.find(',');
      if (comma == std::string::npos) continue;  // alias, name, sample_len …
      std::size_t kpos = tpos;
      const int kl = line_of(d, kpos, key);
      const int ln = kl ? kl : task_line;
      const std::string metric = key.substr(0, comma), filter = key.substr(comma + 1);
      if (v.is_string()) {
        ++na;
        continue;
      }
      const auto x = finite_number(v);
      if (!x) throw InputError(Location{path, ln, 0}, "", fmt::format("expected results.{}.\"{}\" as a finite number or \"N/A\", found {}", task, key, v.dump()));
      r.evidence.push_back(imported(fmt::format("lm_eval.{}.{}.{}", task, metric, filter), qty(*x, core::dim::ratio(), path, ln, key), v.dump(), path, ln,
                                    d.sha256, r.tool, r.tool_version));
      std::string note;
      if (hib && hib->contains(task) && (*hib)[task].is_object() && (*hib)[task].contains(metric) && (*hib)[task][metric].is_boolean())
        note = (*hib)[task][metric].get<bool>() ? "higher is better" : "lower is better";
      if (versions && versions->contains(task)) note += (note.empty() ? "" : ", ") + fmt::format("task version {}", (*versions)[task].dump());
      if (!partial.empty()) note += (note.empty() ? "" : ", ") + partial;
      r.evidence.back().note = note;
    }
  }
  if (na) r.notes.push_back(fmt::format("{} values given as \"N/A\" (stderr not computed) skipped", na));
  if (d.value.contains("n-samples") && d.value["n-samples"].is_object())
    for (const auto& [task, ns] : d.value["n-samples"].items())
      if (ns.is_object() && ns.contains("original") && ns.contains("effective") && ns["original"] != ns["effective"])
        r.notes.push_back(fmt::format("{}: {} of {} samples evaluated (partial)", task, ns["effective"].dump(), ns["original"].dump()));
  if (r.evidence.empty()) throw InputError(Location{path, d.first_line, 1}, "", "expected at least one \"<metric>,<filter>\" number in results, found none");
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// nvidia-smi --query-gpu CSV
std::vector<std::pair<std::string_view, int>> split_csv(std::string_view s) {
  std::vector<std::pair<std::string_view, int>> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ',') {
      std::string_view f = s.substr(start, i - start);
      std::size_t lead = 0;
      while (lead < f.size() && f[lead] == ' ') ++lead;
      out.emplace_back(trim(f), static_cast<int>(start + lead) + 1);
      start = i + 1;
    }
  return out;
}

bool is_field_name(std::string_view f) {
  const auto sp = f.find(" [");
  const std::string_view name = sp == std::string_view::npos ? f : f.substr(0, sp);
  if (sp != std::string_view::npos && f.back() != ']') return false;
  return !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._") == std::string_view::npos;
}

// "2022/09/28 15:36:51.68" → seconds since the epoch (UTC assumed; only differences are used).
std::optional<double> smi_time(std::string_view t) {
  int y = 0, mo = 0, dd = 0, h = 0, mi = 0;
  double sec = 0;
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    if (at + len > t.size()) return false;
    auto [p, ec] = std::from_chars(t.data() + at, t.data() + at + len, out);
    return ec == std::errc() && p == t.data() + at + len;
  };
  if (t.size() < 19 || t[4] != '/' || t[7] != '/' || t[10] != ' ' || t[13] != ':' || t[16] != ':') return std::nullopt;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, dd) || !num(11, 2, h) || !num(14, 2, mi)) return std::nullopt;
  auto [p, ec] = std::from_chars(t.data() + 17, t.data() + t.size(), sec);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  // days from civil (Howard Hinnant)
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const double days = era * 146097.0 + doe - 719468.0;
  return days * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
}

struct GpuAcc {
  double power_sum = 0, util_sum = 0;
  std::size_t power_n = 0, util_n = 0, rows = 0;
  std::optional<double> t_first, t_last;
  int first_line = 0;
};

Imported import_nvidia_smi(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "nvidia-smi");
  LineReader in(path);
  Imported r;
  r.tool = "nvidia-smi";
  std::string line;
  std::vector<std::string> header;  // field names without units
  std::vector<std::string> units;
  int header_line = 0;
  int blocks = 0;
  std::map<std::pair<int, std::string>, GpuAcc> acc;
  std::vector<int> block_lines;
  std::size_t missing = 0;
  auto col = [&](std::string_view name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    return std::nullopt;
  };
  while (in.next(line)) {
    const int ln = in.line_number();
    const auto f = split_csv(line);
    if (!header.empty() && f.size() == header.size() && !(f.size() == 1 && f[0].first.empty())) {
      const auto idx = col("index"), uuid = col("uuid"), bus = col("pci.bus_id"), pw = col("power.draw"), ut = col("utilization.gpu"), ts = col("timestamp");
      std::string gpu = idx ? std::string(f[*idx].first) : uuid ? std::string(f[*uuid].first) : bus ? std::string(f[*bus].first) : "0";
      if (acc.size() >= 4096 && !acc.contains({blocks, gpu})) throw InputError(Location{path, ln, 1}, "", "expected at most 4096 GPUs, found more (wrong file?)");
      GpuAcc& a = acc[{blocks, gpu}];
      if (a.rows == 0) a.first_line = ln;
      ++a.rows;
      auto value = [&](std::size_t c, std::string_view what) -> std::optional<double> {
        std::string_view v = f[c].first;
        if (v.empty() || v.front() == '[' || v == "N/A") {
          ++missing;
          return std::nullopt;
        }
        if (!units[c].empty() && v.size() > units[c].size() + 1 && v.substr(v.size() - units[c].size()) == units[c] && v[v.size() - units[c].size() - 1] == ' ')
          v = trim(v.substr(0, v.size() - units[c].size() - 1));
        try {
          return number_at(v, path, ln, what);
        } catch (const InputError&) {
          throw InputError(Location{path, ln, f[c].second}, "", fmt::format("expected {} as a number in {}, found '{}'", what, units[c].empty() ? "the header's unit" : units[c], f[c].first));
        }
      };
      if (pw) {
        if (const auto v = value(*pw, "power.draw")) {
          a.power_sum += *v;
          ++a.power_n;
        }
      }
      if (ut) {
        if (const auto v = value(*ut, "utilization.gpu")) {
          a.util_sum += *v;
          ++a.util_n;
        }
      }
      if (ts) {
        const auto t = smi_time(f[*ts].first);
        if (!t) throw InputError(Location{path, ln, f[*ts].second}, "", fmt::format("expected a timestamp as YYYY/MM/DD HH:MM:SS.fff, found '{}'", f[*ts].first));
        if (!a.t_first) a.t_first = t;
        a.t_last = t;
      }
      continue;
    }
    header.clear();
    // A header: every field a query name (with an optional [unit]), power.draw or utilization.gpu among them.
    if (f.size() >= 2 && std::all_of(f.begin(), f.end(), [](const auto& x) { return is_field_name(x.first); })) {
      std::vector<std::string> names, us;
      for (const auto& [x, c] : f) {
        const auto sp = x.find(" [");
        names.emplace_back(sp == std::string_view::npos ? x : x.substr(0, sp));
        us.emplace_back(sp == std::string_view::npos ? std::string_view{} : x.substr(sp + 2, x.size() - sp - 3));
      }
      if (std::find(names.begin(), names.end(), "power.draw") != names.end() || std::find(names.begin(), names.end(), "utilization.gpu") != names.end()) {
        header = names;
        units = us;
        header_line = ln;
        ++blocks;
        block_lines.push_back(ln);
        for (std::size_t i = 0; i < names.size(); ++i) {
          if (names[i] == "power.draw" && units[i] != "W" && !units[i].empty())
            throw InputError(Location{path, ln, f[i].second}, "", fmt::format("expected power.draw in [W], found [{}]", units[i]));
          if (names[i] == "utilization.gpu" && units[i] != "%" && !units[i].empty())
            throw InputError(Location{path, ln, f[i].second}, "", fmt::format("expected utilization.gpu in [%], found [{}]", units[i]));
        }
      }
    }
  }
  const std::string sha = in.sha256();
  if (blocks == 0)
    throw InputError(Location{path, in.line_number(), 0}, "",
                     fmt::format("expected an nvidia-smi --query-gpu=…,power.draw|utilization.gpu… --format=csv header, found none in {}", path));
  if (acc.empty()) throw InputError(Location{path, header_line, 1}, "", fmt::format("expected rows after the nvidia-smi CSV header, found none in {} (truncated?)", path));
  if (blocks > 1) r.notes.push_back(fmt::format("{} --query-gpu CSV blocks (header lines {}): each reported on its own", blocks, fmt::join(block_lines, ", ")));
  for (const auto& [key, a] : acc) {
    const std::string id = blocks > 1 ? fmt::format("nvidia_smi.block[{}].gpu[{}]", key.first, key.second) : fmt::format("nvidia_smi.gpu[{}]", key.second);
    const int ln = a.first_line;
    auto add = [&](const std::string& m, core::Quantity q, std::string text) {
      r.evidence.push_back(imported(id + "." + m, std::move(q), std::move(text), path, ln, sha, r.tool, r.tool_version));
    };
    if (a.power_n) {
      const double mean = a.power_sum / static_cast<double>(a.power_n);
      add("power.mean", qty(mean, core::dim::power(), path, ln, "power"), fmt::format("mean of {} power.draw samples", a.power_n));
      r.evidence.back().quality = core::PowerQuality::q1;
      r.evidence.back().note = "component sensor (GPU board), mean over the capture";
    }
    if (a.util_n)
      add("utilization.mean", qty(a.util_sum / static_cast<double>(a.util_n) / 100.0, core::dim::ratio(), path, ln, "utilization"),
          fmt::format("mean of {} utilization.gpu samples", a.util_n));
    if (a.t_first && a.t_last) add("window", qty(*a.t_last - *a.t_first, core::dim::time(), path, ln, "window"), "last timestamp − first");
    add("samples", qty(static_cast<double>(a.rows), core::dim::ratio(), path, ln, "samples"), std::to_string(a.rows));
  }
  if (missing) r.notes.push_back(fmt::format("{} values [N/A] or [Not Supported]: missing, not counted", missing));
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Prometheus text exposition format
struct Known {
  std::string_view name;
  core::Dimension (*dim)();
  double factor;
  bool counter;
  bool power;  // a power or energy reading: quality Q1
};

const Known* known(std::string_view name) {
  static const Known table[] = {
      {"DCGM_FI_DEV_POWER_USAGE", &core::dim::power, 1.0, false, true},
      {"DCGM_FI_DEV_GPU_UTIL", &core::dim::ratio, 0.01, false, false},
      {"DCGM_FI_PROF_SM_ACTIVE", &core::dim::ratio, 1.0, false, false},
      {"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", &core::dim::energy, 1e-3, true, true},
      {"node_cpu_seconds_total", &core::dim::time, 1.0, true, false},
  };
  for (const auto& k : table)
    if (k.name == name) return &k;
  if (name.starts_with("node_rapl_") && name.ends_with("_joules_total")) {
    static const Known rapl{"node_rapl_*_joules_total", &core::dim::energy, 1.0, true, true};
    return &rapl;
  }
  return nullptr;
}

struct Series {
  const Known* k = nullptr;
  std::string name;
  double first = 0, last = 0, sum = 0;
  std::string first_text;
  std::size_t n = 0;
  int first_line = 0, last_line = 0;
};

Imported import_prometheus(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "prometheus-text");
  LineReader in(path);
  Imported r;
  r.tool = "Prometheus text exposition";
  std::string line;
  std::map<std::string, Series> series;
  std::map<std::string, std::size_t> other;
  std::size_t samples = 0;
  auto fail = [&](int ln, std::size_t col, std::string msg) { return InputError(Location{path, ln, static_cast<int>(col) + 1}, "", std::move(msg)); };
  auto name_char = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
  };
  while (in.next(line)) {
    const int ln = in.line_number();
    const std::string_view s = line;
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i == s.size()) continue;
    if (s[i] == '#') {
      const auto t = trim(s.substr(i + 1));
      if (t.starts_with("TYPE ")) {
        const auto rest = trim(t.substr(5));
        const auto sp = rest.find(' ');
        const auto type = sp == std::string_view::npos ? std::string_view{} : trim(rest.substr(sp + 1));
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
          throw fail(ln, i, fmt::format("expected '# TYPE NAME counter|gauge|histogram|summary|untyped', found '{}'", s.substr(i)));
      }
      continue;
    }
    const std::size_t n0 = i;
    if (!name_char(s[i], true)) throw fail(ln, i, fmt::format("expected a metric name, found '{}'", s.substr(i, 20)));
    while (i < s.size() && name_char(s[i], false)) ++i;
    const std::string_view name = s.substr(n0, i - n0);
    std::vector<std::pair<std::string, std::string>> labels;
    if (i < s.size() && s[i] == '{') {
      ++i;
      while (true) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        const std::size_t l0 = i;
        if (i >= s.size() || !name_char(s[i], true) || s[i] == ':') throw fail(ln, i, "expected a label name or '}'");
        while (i < s.size() && name_char(s[i], false) && s[i] != ':') ++i;
        std::string lname(s.substr(l0, i - l0));
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i >= s.size() || s[i] != '=') throw fail(ln, i, fmt::format("expected '=' after label {}", lname));
        ++i;
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i >= s.size() || s[i] != '"') throw fail(ln, i, fmt::format("expected a quoted value for label {}", lname));
        ++i;
        std::string value;
        while (true) {
          if (i >= s.size()) throw fail(ln, i, fmt::format("expected the closing '\"' of label {}", lname));
          if (s[i] == '"') {
            ++i;
            break;
          }
          if (s[i] == '\\') {
            if (i + 1 >= s.size()) throw fail(ln, i, "expected an escape after '\\'");
            const char e = s[i + 1];
            if (e == 'n') value += '\n';
            else if (e == '\\' || e == '"') value += e;
            else throw fail(ln, i, fmt::format("expected \\\\, \\\" or \\n in a label value, found '\\{}'", e));
            i += 2;
            continue;
          }
          value += s[i++];
        }
        if (lname == "Hostname") lname = "hostname";
        labels.emplace_back(std::move(lname), std::move(value));
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        throw fail(ln, i, "expected ',' or '}' after a label");
      }
    }
    if (i >= s.size() || (s[i] != ' ' && s[i] != '\t')) throw fail(ln, i, fmt::format("expected a space and the value after {}", name));
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t v0 = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    const std::string_view vtext = s.substr(v0, i - v0);
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i < s.size()) {
      const std::string_view ts = trim(s.substr(i));
      long long t = 0;
      const char* b = ts.data() + (ts.starts_with('-') ? 1 : 0);
      auto [p, ec] = std::from_chars(b, ts.data() + ts.size(), t);
      if (ec != std::errc() || p != ts.data() + ts.size()) throw fail(ln, i, fmt::format("expected an integer timestamp (ms) or the end of the line, found '{}'", ts));
    }
    if (vtext.empty()) throw fail(ln, v0, "expected a sample value");
    ++samples;
    const Known* k = known(name);
    if (!k) {
      // Other names only counted; their values must still be numbers (NaN and ±Inf allowed by the format).
      if (vtext != "NaN" && vtext != "+Inf" && vtext != "-Inf" && vtext != "Inf") {
        double x = 0;
        const char* b = vtext.data() + (vtext.starts_with('+') ? 1 : 0);
        auto [p, ec] = std::from_chars(b, vtext.data() + vtext.size(), x);
        if (ec != std::errc() || p != vtext.data() + vtext.size()) throw fail(ln, v0, fmt::format("expected a number as the value of {}, found '{}'", name, vtext));
      }
      if (other.size() < 100000 || other.contains(std::string(name))) ++other[std::string(name)];
      continue;
    }
    double x = 0;
    try {
      x = number_at(vtext, path, ln, fmt::format("the value of {}", name));
    } catch (const InputError&) {
      throw fail(ln, v0, fmt::format("expected the value of {} as a finite number, found '{}'", name, vtext));
    }
    const bool dcgm = name.starts_with("DCGM_");
    std::sort(labels.begin(), labels.end());
    std::string id = fmt::format("prometheus.{}", name);
    std::string lab;
    for (const auto& [ln_, lv] : labels) {
      if (dcgm && (ln_ == "UUID" || ln_ == "device" || ln_ == "modelName" || ln_ == "pci_bus_id" || ln_ == "DCGM_FI_DRIVER_VERSION")) continue;
      lab += fmt::format("{}{}=\"{}\"", lab.empty() ? "" : ",", ln_, lv);
    }
    if (!lab.empty()) id += "{" + lab + "}";
    auto it = series.find(id);
    if (it == series.end()) {
      if (series.size() >= 100000) throw fail(ln, 0, "expected at most 100000 series of known metrics, found more");
      it = series.emplace(id, Series{k, std::string(name), x, x, 0, std::string(vtext), 0, ln, ln}).first;
    }
    Series& se = it->second;
    se.last = x;
    se.sum += x;
    ++se.n;
    se.last_line = ln;
  }
  const std::string sha = in.sha256();
  if (samples == 0) throw InputError(Location{path, in.line_number(), 0}, "", fmt::format("expected Prometheus text exposition samples ('name{{labels}} value'), found none in {}", path));
  for (const auto& [id, se] : series) {
    const Known& k = *se.k;
    if (k.counter) {
      r.evidence.push_back(imported(id, qty(se.last * k.factor, k.dim(), path, se.last_line, se.name), se.n == 1 ? se.first_text : fmt::format("last of {} samples", se.n), path,
                                    se.last_line, sha, r.tool, ""));
      r.evidence.back().note = "counter: cumulative value";
      if (k.power) r.evidence.back().quality = core::PowerQuality::q1;
      if (se.n > 1) {
        if (se.last >= se.first) {
          r.evidence.push_back(imported(id + ".delta", qty((se.last - se.first) * k.factor, k.dim(), path, se.last_line, se.name),
                                        fmt::format("last − first of {} samples (lines {}–{})", se.n, se.first_line, se.last_line), path, se.last_line, sha, r.tool, ""));
          if (k.power) r.evidence.back().quality = core::PowerQuality::q1;
        } else {
          r.notes.push_back(fmt::format("{}: the counter went down (reset or wrap) between lines {} and {}: no delta", id, se.first_line, se.last_line));
        }
      }
    } else {
      const double mean = se.sum / static_cast<double>(se.n);
      r.evidence.push_back(imported(id, qty(mean * k.factor, k.dim(), path, se.first_line, se.name), se.n == 1 ? se.first_text : fmt::format("mean of {} samples", se.n), path,
                                    se.first_line, sha, r.tool, ""));
      if (k.power) r.evidence.back().quality = core::PowerQuality::q1;
    }
  }
  std::size_t other_samples = 0;
  for (const auto& [n, c] : other) other_samples += c;
  if (!other.empty()) r.notes.push_back(fmt::format("{} samples of {} metric names without a unit aicq knows not imported", other_samples, other.size()));
  return r;
}

}  // namespace

void add_tool_importers(std::vector<Importer>& out) {
  out.push_back({"fio", "fio --output-format=json (old µs/KiB schema and new ns/bw_bytes schema; text before the JSON skipped): per job IOPS, bandwidth, mean/p99 latency",
                 "storage performance", &import_fio});
  out.push_back({"lm-eval", "lm-evaluation-harness results JSON: results.<task>.\"<metric>,<filter>\", higher_is_better, config (limit → partial evaluation)",
                 "model quality (model-compute efficiency)", &import_lm_eval});
  out.push_back({"nvidia-smi", "nvidia-smi --query-gpu=…,power.draw,utilization.gpu,timestamp --format=csv: per GPU mean power (Q1), mean utilization, window",
                 "IT power (GPU), utilization", &import_nvidia_smi});
  out.push_back({"prometheus-text",
                 "Prometheus text exposition: DCGM_FI_DEV_POWER_USAGE (W), DCGM_FI_DEV_GPU_UTIL (0–100), DCGM_FI_PROF_SM_ACTIVE (0–1), "
                 "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ), node_cpu_seconds_total (s), node_rapl_*_joules_total (J); other names counted",
                 "IT power and energy, utilization", &import_prometheus});
}

}  // namespace aicq::ingest

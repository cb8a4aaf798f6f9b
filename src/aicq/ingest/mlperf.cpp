// MLPerf importers: Inference LoadGen logs (`mlperf`), Inference power runs (`mlperf-power`) and Training
// `:::MLLOG` result files (`mlperf-training`).
//
// Metric ids (stable; the benchmark part is present only when the path names it):
//   mlperf[.<benchmark>].<Scenario>.<figure>
//     <benchmark> is the folder above the scenario folder in the official layout
//     …/<benchmark>/<Scenario>/performance/run_1/ (e.g. "resnet50", "llama2-70b-99"; '.' becomes '_'); a file
//     outside that layout gives ids without it: mlperf.Offline.samples_per_second.
//     <Scenario> is the LoadGen scenario as the log states it: Offline, Server, SingleStream, MultiStream, ….
//     <figure> comes from the summary key (the detail log's "result_<figure>" key reads the same way):
//       samples_per_second, scheduled_samples_per_second, completed_samples_per_second, tokens_per_second,
//       completed_tokens_per_second, …                                          (samples/s, tokens/s, queries/s)
//       min_latency, max_latency, mean_latency, p50_latency, p90_latency, p99_9_latency ("99.90 percentile"),
//       early_stopping_p90_estimate (SingleStream), early_stopping_p99_estimate (MultiStream), …   (s, from ns × 1e-9)
//   mlperf[.<benchmark>].<Scenario>.power.{average, energy, window, samples_per_joule, tokens_per_joule,
//       energy_per_query}   (mlperf-power: W, J, s, samples/J, tokens/J, J/query)
//   mlperf.training.<benchmark>.run_<k>.time_to_train   (one per converged run; k from result_<k>.txt)
//   mlperf.training.<benchmark>.time_to_train           (MLPerf's score: only with the rules' number of runs)
//
// What MLPerf itself does, followed here:
// - Power (inference submission checker): mean of the analyzer's total Watts (spl.txt field 4) over the samples
//   with power_begin < time < power_end and Watts > 0; Offline/Server efficiency = performance metric ÷ average
//   power (samples/J); SingleStream/MultiStream = average power × (power_end − power_begin) ÷ result_query_count
//   (J/query; MLPerf prints mJ). The checker adds timezone offsets from the power server/client logs; without
//   them the timestamps are taken as the same clock (true of both fixture runs).
// - Training (mlperf_logging result_summarizer): time to train = run_stop.time_ms − run_start.time_ms; the score is
//   the mean after dropping the fastest and the slowest run (4 each way for unet3d); a non-converged run counts as
//   a slowest one; more non-converged runs than that make the result invalid. Runs needed per benchmark: the
//   table of mlperf_logging/benchmark_meta.py (_ALL_RESULT_FILE_COUNTS).
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/ingest/formats.hpp"
#include "aicq/ingest/importer.hpp"

namespace aicq::ingest {

namespace {

namespace fs = std::filesystem;
using core::InputError;
using core::Location;

constexpr std::string_view kInferenceTool = "MLPerf Inference LoadGen";
constexpr std::string_view kPowerTool = "MLPerf Inference LoadGen + power analyzer (PTDaemon spl.txt)";
constexpr std::string_view kTrainingTool = "MLPerf Training (mlperf_logging)";
constexpr std::size_t kMaxNotes = 64;          // notes kept per file: hostile inputs cannot grow memory
constexpr std::size_t kMaxNoteBytes = 600;
constexpr std::size_t kMaxFigures = 1024;      // distinct figures per file (LoadGen writes a few dozen)

[[noreturn]] void fail(const std::string& path, int line, const std::string& message, int column = 0) {
  throw InputError(Location{path, line, column}, "", message);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

/// Printable excerpt of a line for messages.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) ? '?' : c;
  if (s.size() > 60) out += "…";
  return out;
}

/// Lower-case id part: letters and digits kept, every other run of characters becomes one '_'.
std::string slug(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (is_alnum(c)) {
      out += to_lower(c);
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

/// A name kept as written for a metric id part (benchmark, scenario): letters, digits, '-' and '_'.
std::string id_part(std::string_view s) {
  std::string out;
  for (char c : s) out += (is_alnum(c) || c == '-' || c == '_') ? c : '_';
  return out;
}

void add_note(std::vector<std::string>& notes, std::string note) {
  if (notes.size() >= kMaxNotes) return;
  if (note.size() > kMaxNoteBytes) note = note.substr(0, kMaxNoteBytes) + "…";
  notes.push_back(std::move(note));
}

// --- figures ----------------------------------------------------------------------------------------------

struct FigureKind {
  std::string name;
  core::Dimension dim;
  double factor = 1;  // value × factor = base units
  std::string_view unit;
};

/// "90.00 percentile latency" → "p90_latency", "99.90 percentile latency" → "p99_9_latency",
/// "90th percentile latency" → "p90_latency", "Early stopping 90th percentile estimate" →
/// "early_stopping_p90_estimate", "Mean First Token latency" → "mean_first_token_latency".
std::string latency_name(std::string_view phrase) {
  std::vector<std::string> words;
  std::string w;
  for (char c : phrase) {
    if (c == ' ' || c == '_' || c == '\t') {
      if (!w.empty()) words.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string word = lower(words[i]);
    if (i + 1 < words.size() && lower(words[i + 1]) == "percentile" && !word.empty() && is_digit(word.front())) {
      std::string num;
      std::size_t j = 0;
      while (j < word.size() && (is_digit(word[j]) || word[j] == '.')) num += word[j++];
      if (const auto dot = num.find('.'); dot != std::string::npos) {
        while (!num.empty() && num.back() == '0') num.pop_back();
        if (!num.empty() && num.back() == '.') num.pop_back();
      }
      for (auto& c : num)
        if (c == '.') c = '_';
      word = "p" + num;
      ++i;  // "percentile" is implied by the p
    }
    if (!out.empty()) out += '_';
    out += word;
  }
  return slug(out);
}

/// The figure a summary key (or a detail key turned into words) states, or none when aicq does not import it.
std::optional<FigureKind> figure_of(std::string_view key) {
  key = trim(key);
  bool ns = false;
  if (key.ends_with("(ns)")) {
    ns = true;
    key = trim(key.substr(0, key.size() - 4));
  }
  const std::string lk = lower(key);
  if (!ns && lk.ends_with("samples per second")) return FigureKind{slug(key), core::dim::sample_rate(), 1, "samples/s"};
  if (!ns && lk.ends_with("tokens per second")) return FigureKind{slug(key), core::dim::token_rate(), 1, "tokens/s"};
  if (!ns && lk.ends_with("queries per second")) return FigureKind{slug(key), core::dim::query_rate(), 1, "queries/s"};
  // LoadGen states every latency in ns; the early-stopping estimates carry no "(ns)" in the summary.
  if (ns || (lk.starts_with("early stopping") && lk.find("percentile") != std::string::npos))
    return FigureKind{latency_name(key), core::dim::time(), 1e-9, "ns"};
  return std::nullopt;
}

/// The figure of a detail-log key: "result_samples_per_second", "result_90.00_percentile_latency_ns",
/// "early_stopping_latency_ss" (SingleStream, ns) and "early_stopping_latency_ms" (MultiStream — not ms: ns).
std::optional<FigureKind> figure_of_detail_key(std::string_view key) {
  if (key == "early_stopping_latency_ss") return FigureKind{"early_stopping_p90_estimate", core::dim::time(), 1e-9, "ns"};
  if (key == "early_stopping_latency_ms") return FigureKind{"early_stopping_p99_estimate", core::dim::time(), 1e-9, "ns"};
  if (!key.starts_with("result_")) return std::nullopt;
  key.remove_prefix(7);
  std::string phrase(key);
  if (phrase.ends_with("_ns")) phrase = phrase.substr(0, phrase.size() - 3) + " (ns)";
  for (auto& c : phrase)
    if (c == '_') c = ' ';
  auto f = figure_of(phrase);
  // Detail keys of rates that the summary has no words for ("result_qps_with_loadgen_overhead") are not imported.
  return f;
}

struct Figure {
  FigureKind kind;
  double value = 0;      // as the log states it, in its unit
  std::string raw;       // the number as written
  std::string key;       // the key as written
  int line = 0;
};

// --- one LoadGen file (summary or detail log) ---------------------------------------------------------------

struct LoadgenLog {
  enum class Kind { summary, detail } kind = Kind::summary;
  std::string path;
  std::string sha256;
  std::vector<Figure> figures;
  std::map<std::string, std::size_t> by_name;
  std::string sut, scenario, mode, loadgen_version;
  int scenario_line = 0;
  Verdict verdict;
  int verdict_line = 0;
  std::vector<std::string> failed_checks;
  std::vector<std::string> notes;
  std::optional<std::string> power_begin, power_end;
  int power_begin_line = 0, power_end_line = 0;
  std::optional<double> query_count;

  void add(Figure f) {
    if (const auto it = by_name.find(f.kind.name); it != by_name.end())
      fail(path, f.line,
           fmt::format("expected each figure once per run, found '{}' again (first at line {}): two runs in one file?", f.key,
                       figures[it->second].line));
    if (figures.size() >= kMaxFigures)
      fail(path, f.line, fmt::format("expected at most {} figures in one LoadGen file, found more (wrong file?)", kMaxFigures));
    by_name.emplace(f.kind.name, figures.size());
    figures.push_back(std::move(f));
  }
  [[nodiscard]] const Figure* find(const std::string& name) const {
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &figures[it->second];
  }
};

bool is_rule(std::string_view t) { return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c == '='; }); }

/// Reads the rest of a summary whose "MLPerf Results Summary" header has been read.
void read_summary(LineReader& r, LoadgenLog& log) {
  enum class Section { results, stats, params } section = Section::results;
  enum class Block { none, recommendations, early_stopping } block = Block::none;
  bool after_result = false;
  bool closed = false;
  std::string line;
  while (r.next(line)) {
    const std::string_view t = trim(line);
    const bool indented = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    if (t.empty()) {
      block = Block::none;
      continue;
    }
    if (is_rule(t)) continue;
    if (t.find("error encountered") != std::string_view::npos || t.find("errors encountered") != std::string_view::npos) {
      closed = true;
      continue;
    }
    if (t == "Additional Stats") {
      section = Section::stats;
      block = Block::none;
      continue;
    }
    if (t == "Test Parameters Used") {
      section = Section::params;
      block = Block::none;
      continue;
    }
    if (t == "MLPerf Results Summary")
      fail(r.path(), r.line_number(), "expected one summary per file, found a second 'MLPerf Results Summary' header");
    if (section == Section::params) continue;  // the settings of the run, not results
    if (t == "Recommendations:") {
      block = Block::recommendations;
      continue;
    }
    if (t == "Early Stopping Result:") {
      block = Block::early_stopping;
      continue;
    }
    if (block != Block::none && (indented || t.front() == '*')) {
      std::string_view text = t;
      const bool bullet = text.front() == '*';
      if (bullet) text = trim(text.substr(1));
      const std::string label = block == Block::recommendations ? "LoadGen recommendation" : "LoadGen early stopping";
      if (bullet || log.notes.empty() || !log.notes.back().starts_with(label)) {
        add_note(log.notes, fmt::format("{} (line {}): {}", label, r.line_number(), text));
      } else if (log.notes.back().size() < kMaxNoteBytes) {
        log.notes.back() += fmt::format(" {}", text);
      }
      continue;
    }
    block = Block::none;
    const auto colon = t.find(':');
    if (colon == std::string_view::npos) continue;  // "8 warnings encountered. See detailed log." and the like
    const std::string_view key = trim(t.substr(0, colon));
    const std::string_view value = trim(t.substr(colon + 1));
    if (section == Section::results && key == "SUT name") {
      log.sut = std::string(value);
    } else if (section == Section::results && key == "Scenario") {
      log.scenario = std::string(value);
      log.scenario_line = r.line_number();
    } else if (section == Section::results && key == "Mode") {
      log.mode = std::string(value);
    } else if (section == Section::results && key == "Result is") {
      if (value == "VALID") {
        log.verdict.state = Verdict::State::valid;
      } else if (value == "INVALID") {
        log.verdict.state = Verdict::State::invalid;
      } else {
        fail(r.path(), r.line_number(), fmt::format("expected 'Result is : VALID' or 'Result is : INVALID', found '{}'", excerpt(value)));
      }
      log.verdict_line = r.line_number();
      after_result = true;
    } else if (section == Section::results && after_result && indented && (iequals(value, "yes") || iequals(value, "no"))) {
      if (iequals(value, "no") && log.failed_checks.size() < kMaxNotes) log.failed_checks.push_back(fmt::format("{}: {}", key, value));
    } else if (auto kind = figure_of(key)) {
      Figure f;
      f.value = number_at(value, r.path(), r.line_number(), fmt::format("'{}' as a number", key));
      f.kind = std::move(*kind);
      f.raw = std::string(value);
      f.key = std::string(key);
      f.line = r.line_number();
      log.add(std::move(f));
    }
  }
  const int last = r.line_number();
  if (log.scenario.empty()) fail(r.path(), last, "expected a 'Scenario : …' line in the MLPerf summary, found none");
  if (log.verdict_line == 0) fail(r.path(), last, "expected a 'Result is : VALID|INVALID' line in the MLPerf summary, found none (truncated file?)");
  if (!closed)
    fail(r.path(), last,
         "expected the summary to end with LoadGen's '… errors encountered …' line, found the end of the file first (truncated file?)");
}

/// A JSON number or a number in a JSON string, as a double; none for other types.
std::optional<double> json_number(const nlohmann::json& v, const std::string& path, int line, std::string_view what) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(path, line, fmt::format("expected {} as a finite number, found {}", what, v.dump()));
    return d;
  }
  if (v.is_string()) return number_at(v.get_ref<const std::string&>(), path, line, what);
  return std::nullopt;
}

/// The JSON object of an `:::MLLOG {…}` line (`at` is where ":::MLLOG" starts).
nlohmann::json mllog_object(const std::string& line, std::size_t at, const std::string& path, int line_no) {
  std::size_t start = at + 8;
  while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
  const std::string_view js = std::string_view(line).substr(start);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(js);
  } catch (const nlohmann::json::parse_error& e) {
    const bool at_end = e.byte >= js.size();
    fail(path, line_no,
         fmt::format("expected a complete JSON object after ':::MLLOG', found {} ({})",
                     at_end ? "the line ending inside it (truncated line?)" : "malformed JSON", e.what()),
         static_cast<int>(start + std::min<std::size_t>(e.byte, js.size()) + 1));
  } catch (const nlohmann::json::exception& e) {  // number overflow (1e999) and the like
    fail(path, line_no, fmt::format("expected a JSON object of finite values after ':::MLLOG', found {}", e.what()), static_cast<int>(start + 1));
  }
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string())
    fail(path, line_no, "expected an ':::MLLOG' JSON object with a \"key\" string, found another JSON value", static_cast<int>(start + 1));
  return j;
}

std::string json_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

/// Reads the rest of a detail log whose first `:::MLLOG` line is `first` (line 1 of the reader's count so far).
void read_detail(LineReader& r, const std::string& first, LoadgenLog& log) {
  bool have_validity = false;
  std::string line = first;
  do {
    const std::string_view t = trim(line);
    if (t.empty()) continue;
    const auto at = line.find(":::MLLOG");
    if (at == std::string::npos || !trim(std::string_view(line).substr(0, at)).empty())
      fail(r.path(), r.line_number(),
           fmt::format("expected ':::MLLOG {{json}}' lines (a LoadGen detail log), found '{}'", excerpt(t)));
    const nlohmann::json j = mllog_object(line, at, r.path(), r.line_number());
    const std::string& key = j["key"].get_ref<const std::string&>();
    const auto vit = j.find("value");
    if (vit == j.end()) continue;
    const nlohmann::json& v = *vit;
    const int n = r.line_number();
    if (key == "loadgen_version") {
      log.loadgen_version = json_text(v);
    } else if (key == "sut_name") {
      log.sut = json_text(v);
    } else if (key == "effective_scenario") {
      log.scenario = json_text(v);
      log.scenario_line = n;
    } else if (key == "effective_test_mode") {
      log.mode = json_text(v);
    } else if (key == "result_validity") {
      const std::string s = json_text(v);
      if (s == "VALID") {
        log.verdict.state = Verdict::State::valid;
      } else if (s == "INVALID") {
        log.verdict.state = Verdict::State::invalid;
      } else {
        fail(r.path(), n, fmt::format("expected result_validity \"VALID\" or \"INVALID\", found {}", excerpt(v.dump())));
      }
      log.verdict_line = n;
      have_validity = true;
    } else if ((key.ends_with("_met") && (key.starts_with("result_") || key.starts_with("early_stopping"))) && v.is_boolean()) {
      if (!v.get<bool>() && log.failed_checks.size() < kMaxNotes) log.failed_checks.push_back(fmt::format("{}: false", key));
    } else if (key == "power_begin") {
      log.power_begin = json_text(v);
      log.power_begin_line = n;
    } else if (key == "power_end") {
      log.power_end = json_text(v);
      log.power_end_line = n;
    } else if (key == "result_query_count") {
      log.query_count = json_number(v, r.path(), n, "result_query_count");
    } else if (key == "early_stopping_result" && v.is_string() && !v.get_ref<const std::string&>().empty()) {
      add_note(log.notes, fmt::format("LoadGen early stopping (line {}): {}", n, v.get_ref<const std::string&>()));
    } else if (auto kind = figure_of_detail_key(key)) {
      const auto d = json_number(v, r.path(), n, key);
      if (!d) fail(r.path(), n, fmt::format("expected {} as a number, found {}", key, excerpt(v.dump())));
      Figure f;
      f.value = *d;
      f.kind = std::move(*kind);
      f.raw = json_text(v);
      f.key = key;
      f.line = n;
      log.add(std::move(f));
    }
  } while (r.next(line));
  const int last = r.line_number();
  if (log.scenario.empty()) fail(r.path(), last, "expected an 'effective_scenario' entry in the LoadGen detail log, found none (truncated file?)");
  if (!have_validity) fail(r.path(), last, "expected a 'result_validity' entry in the LoadGen detail log, found none (truncated file?)");
}

/// Reads one LoadGen file, summary or detail log, told apart by content (a file may be a pipe: one pass only).
LoadgenLog read_loadgen(const std::string& path) {
  LineReader r(path);
  LoadgenLog log;
  log.path = path;
  std::string line;
  bool any = false;
  while (r.next(line)) {
    const std::string_view t = trim(line);
    if (t.empty()) continue;
    any = true;
    if (t.starts_with(":::MLLOG")) {
      log.kind = LoadgenLog::Kind::detail;
      read_detail(r, line, log);
      break;
    }
    if (is_rule(t)) continue;
    if (t == "MLPerf Results Summary") {
      log.kind = LoadgenLog::Kind::summary;
      read_summary(r, log);
      break;
    }
    fail(path, r.line_number(),
         fmt::format("expected an MLPerf LoadGen summary ('MLPerf Results Summary') or detail log (':::MLLOG {{json}}' lines), found '{}'",
                     excerpt(t)));
  }
  if (!any) fail(path, r.line_number(), "expected an MLPerf LoadGen summary or detail log, found an empty file");
  r.drain();
  log.sha256 = r.sha256();
  return log;
}

/// The first non-empty line of a file, for telling formats apart before the real read.
std::string first_line(const std::string& path) {
  LineReader r(path);
  std::string line;
  while (r.next(line))
    if (!trim(line).empty()) return std::string(trim(line));
  return "";
}

/// The benchmark named by the official layout …/<benchmark>/<Scenario>/performance/run_1/…, or "".
std::string benchmark_from_path(const std::string& path, const std::string& scenario) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::path(path), ec);
  if (ec) p = fs::path(path);
  std::vector<std::string> parts;
  for (const auto& c : p) parts.push_back(c.string());
  for (std::size_t i = parts.size(); i-- > 1;)
    if (parts[i] == scenario && !parts[i - 1].empty() && parts[i - 1] != "/") return id_part(parts[i - 1]);
  return "";
}

struct RunFiles {
  std::optional<std::string> summary, detail, spl;
  std::optional<std::string> smi;  // an nvidia-smi --query-gpu CSV with power.draw and timestamp (GPU power only)
};

/// Folder: its mlperf_log_summary.txt / mlperf_log_detail.txt / spl.txt. Files: told apart by content.
RunFiles find_run_files(const std::vector<std::string>& paths, bool want_spl) {
  RunFiles f;
  auto put = [](std::optional<std::string>& slot, const std::string& p, std::string_view what) {
    if (slot) throw InputError(Location{p}, "", fmt::format("expected one {} per run, found a second one (the first is {})", what, *slot));
    slot = p;
  };
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      bool found = false;
      for (const auto& [name, slot, what] : {std::tuple{"mlperf_log_summary.txt", &f.summary, "summary"},
                                             std::tuple{"mlperf_log_detail.txt", &f.detail, "detail log"},
                                             std::tuple{"spl.txt", &f.spl, "analyzer log (spl.txt)"}}) {
        if (std::string_view(name) == "spl.txt" && !want_spl) continue;
        const fs::path q = fs::path(p) / name;
        if (fs::is_regular_file(q, ec)) {
          put(*slot, q.string(), what);
          found = true;
        }
      }
      if (!found)
        throw InputError(Location{p}, "",
                         fmt::format("expected an MLPerf run folder (…/performance/run_1/) holding mlperf_log_summary.txt and/or "
                                     "mlperf_log_detail.txt{}, found neither",
                                     want_spl ? " (and spl.txt)" : ""));
      continue;
    }
    const std::string first = first_line(p);
    if (first.starts_with("Time,")) {
      put(f.spl, p, "analyzer log (spl.txt)");
    } else if (want_spl && first.find("power.draw") != std::string::npos && first.find("timestamp") != std::string::npos) {
      put(f.smi, p, "power series (nvidia-smi CSV)");
    } else if (first.starts_with(":::MLLOG")) {
      put(f.detail, p, "detail log");
    } else if (is_rule(first) || first == "MLPerf Results Summary") {
      put(f.summary, p, "summary");
    } else {
      throw InputError(Location{p, first.empty() ? 0 : 1, 0}, "",
                       fmt::format("expected an MLPerf detail log (':::MLLOG {{json}}'), summary or analyzer log ('Time,…,Watts,…'), found {}",
                                   first.empty() ? std::string("an empty file") : "'" + excerpt(first) + "'"));
    }
  }
  return f;
}

/// Half a unit of the last digit a number is printed with: "368024.35" → 0.005, "445908" → 0.5.
double print_tolerance(const std::string& raw) {
  const auto dot = raw.find('.');
  int decimals = 0;
  if (dot != std::string::npos)
    for (std::size_t i = dot + 1; i < raw.size() && is_digit(raw[i]); ++i) ++decimals;
  return 0.5 * std::pow(10.0, -decimals);
}

std::string verdict_reason(const LoadgenLog& log) {
  std::string reason;
  for (const auto& c : log.failed_checks) reason += (reason.empty() ? "" : "; ") + c;
  return reason;
}

struct InferenceRun {
  std::optional<LoadgenLog> summary, detail;
  std::string scenario, benchmark, prefix;
  Imported out;
};

/// Reads a run (summary and/or detail log) into evidence; shared by `mlperf` and `mlperf-power`.
InferenceRun read_inference_run(const std::vector<std::string>& files) {
  InferenceRun run;
  for (const auto& p : files) {
    LoadgenLog log = read_loadgen(p);
    auto& slot = log.kind == LoadgenLog::Kind::summary ? run.summary : run.detail;
    if (slot)
      throw InputError(Location{log.path}, "",
                       fmt::format("expected one summary and at most one detail log, found two {}s ({} and {})",
                                   log.kind == LoadgenLog::Kind::summary ? "summarie" : "detail log", slot->path, log.path));
    slot = std::move(log);
  }
  if (!run.summary && !run.detail) throw InputError(Location{"mlperf"}, "", "expected an MLPerf summary or detail log, found none");
  Imported& out = run.out;
  out.tool = std::string(kInferenceTool);
  const LoadgenLog& main = run.summary ? *run.summary : *run.detail;
  if (run.detail) out.tool_version = run.detail->loadgen_version;
  run.scenario = main.scenario;
  const std::string scen = id_part(run.scenario);
  if (run.summary && run.detail && run.summary->scenario != run.detail->scenario)
    add_note(out.notes, fmt::format("the summary states scenario {} ({}:{}) but the detail log {} ({}:{}); ids use the summary's",
                                    run.summary->scenario, run.summary->path, run.summary->scenario_line, run.detail->scenario,
                                    run.detail->path, run.detail->scenario_line));
  run.benchmark = benchmark_from_path(main.path, run.scenario);
  run.prefix = "mlperf." + (run.benchmark.empty() ? "" : run.benchmark + ".") + scen + ".";

  auto emit = [&](const LoadgenLog& log, const Figure& f) {
    core::Quantity q;
    q.si = f.value * f.kind.factor;
    q.dim = f.kind.dim;
    out.evidence.push_back(imported(run.prefix + f.kind.name, q, fmt::format("{} {}", f.raw, f.kind.unit), log.path, f.line, log.sha256,
                                    out.tool, out.tool_version));
  };
  if (run.summary)
    for (const auto& f : run.summary->figures) emit(*run.summary, f);
  if (run.detail) {
    for (const auto& f : run.detail->figures) {
      const Figure* s = run.summary ? run.summary->find(f.kind.name) : nullptr;
      if (!s) {
        emit(*run.detail, f);
        continue;
      }
      // The summary prints some figures rounded (Server: 2 decimals): agree within its last printed digit.
      const double tol = print_tolerance(s->raw);
      if (std::fabs(s->value - f.value) > tol + 1e-12 * std::fabs(f.value))
        add_note(out.notes, fmt::format("the summary and the detail log disagree on {}: {} ({}:{}) against {} ({}:{}); the summary's is imported",
                                        f.kind.name, s->raw, run.summary->path, s->line, f.raw, run.detail->path, f.line));
    }
  }
  // Verdict: the summary's "Result is", else the detail log's result_validity; a disagreement counts as invalid.
  out.verdict = main.verdict;
  out.verdict.reason = verdict_reason(main);
  if (run.summary && run.detail && run.summary->verdict.state != run.detail->verdict.state) {
    add_note(out.notes, fmt::format("the summary says {} ({}:{}) but the detail log says {} ({}:{})",
                                    run.summary->verdict.state == Verdict::State::valid ? "VALID" : "INVALID", run.summary->path,
                                    run.summary->verdict_line, run.detail->verdict.state == Verdict::State::valid ? "VALID" : "INVALID",
                                    run.detail->path, run.detail->verdict_line));
    out.verdict.state = Verdict::State::invalid;
    if (out.verdict.reason.empty()) out.verdict.reason = "summary and detail log disagree on validity";
  }
  if (out.verdict.state == Verdict::State::invalid && out.verdict.reason.empty()) out.verdict.reason = "LoadGen result INVALID";
  add_note(out.notes, fmt::format("SUT {}, scenario {}, mode {}{}", main.sut.empty() ? "(not stated)" : main.sut, run.scenario,
                                  main.mode.empty() ? "(not stated)" : main.mode,
                                  run.benchmark.empty() ? ", benchmark not named by the path (ids without it)" : ", benchmark " + run.benchmark));
  if (!main.mode.empty() && main.mode != "PerformanceOnly")
    add_note(out.notes, fmt::format("a {} run: its figures are not an official performance result", main.mode));
  for (const auto* log : {&run.summary, &run.detail})
    if (*log)
      for (const auto& n : (*log)->notes) add_note(out.notes, n);
  return run;
}

Imported import_mlperf(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  bool spl_hint = false;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      const RunFiles f = find_run_files({p}, false);
      for (const auto* q : {&f.summary, &f.detail})
        if (*q) files.push_back(**q);
      if (fs::is_regular_file(fs::path(p) / "spl.txt", ec)) spl_hint = true;
    } else {
      files.push_back(p);
    }
  }
  if (files.size() > 2)
    throw InputError(Location{files[2]}, "", "expected one run: its summary and/or detail log, found more than two files");
  InferenceRun run = read_inference_run(files);
  if (run.out.evidence.empty()) add_note(run.out.notes, "no figure stated in the files");
  if (spl_hint) add_note(run.out.notes, "the folder holds the power analyzer's spl.txt: `aicq import mlperf-power` reads the power figures");
  return std::move(run.out);
}

// --- power ---------------------------------------------------------------------------------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// "MM-DD-YYYY HH:MM:SS.ffffff" (PTDaemon and LoadGen's power_begin/power_end) → microseconds, or none.
std::optional<std::int64_t> parse_timestamp_us(std::string_view s) {
  s = trim(s);
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<unsigned> {
    if (pos + len > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!is_digit(s[i])) return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
  };
  if (s.size() < 19 || s[2] != '-' || s[5] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') return std::nullopt;
  const auto mo = num(0, 2), d = num(3, 2), y = num(6, 4), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (!mo || !d || !y || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  std::int64_t frac_us = 0;
  if (s.size() > 19) {
    if (s[19] != '.' || s.size() == 20 || s.size() > 26) return std::nullopt;
    const std::size_t digits = s.size() - 20;
    const auto f = num(20, digits);
    if (!f) return std::nullopt;
    frac_us = *f;
    for (std::size_t i = digits; i < 6; ++i) frac_us *= 10;
  }
  const std::int64_t days = days_from_civil(*y, *mo, *d);
  return ((days * 24 + *h) * 60 + *mi) * 60'000'000LL + static_cast<std::int64_t>(*se) * 1'000'000LL + frac_us;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto c = s.find(',', start);
    out.push_back(s.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

struct PowerWindow {
  long double sum = 0;
  std::int64_t n = 0;
  int first_line = 0;
  int analyzer_lines = 0;
  int channel_mismatches = 0;
  int channel_lines = 0;
  std::size_t fields = 0;  // of the first sample line: every line of one analyzer log has as many
  bool before = false, after = false;  // samples on both sides: the log covers the window
  std::string sha256;
};

PowerWindow read_spl(const std::string& path, std::int64_t begin_us, std::int64_t end_us) {
  LineReader r(path);
  PowerWindow w;
  std::string line;
  while (r.next(line)) {
    // As MLPerf's checker: only "Time…" lines are samples.
    if (!line.starts_with("Time")) continue;
    const auto f = split_commas(line);
    if (f.size() < 4 || f[0] != "Time" || f[2] != "Watts")
      fail(path, r.line_number(), fmt::format("expected an analyzer sample 'Time,MM-DD-YYYY HH:MM:SS.fff,Watts,<W>,…', found '{}'", excerpt(line)));
    if (w.fields == 0) w.fields = f.size();
    if (f.size() != w.fields)
      fail(path, r.line_number(),
           fmt::format("expected {} comma-separated fields as in the first sample line, found {} (truncated line?)", w.fields, f.size()));
    const auto t = parse_timestamp_us(f[1]);
    if (!t) fail(path, r.line_number(), fmt::format("expected a time 'MM-DD-YYYY HH:MM:SS.fff', found '{}'", excerpt(f[1])), 6);
    const double watts = number_at(f[3], path, r.line_number(), "the analyzer's Watts");
    ++w.analyzer_lines;
    // v4.1 multi-channel analyzers: ChN,Watts,<W>,… whose sum is the total.
    double channels = 0;
    bool any_channel = false;
    for (std::size_t i = 4; i + 2 < f.size(); ++i)
      if (f[i].starts_with("Ch") && f[i + 1] == "Watts") {
        channels += number_at(f[i + 2], path, r.line_number(), fmt::format("{} Watts", f[i]));
        any_channel = true;
      }
    if (any_channel) {
      ++w.channel_lines;
      if (std::fabs(channels - watts) > std::max(0.5, 1e-3 * std::fabs(watts))) ++w.channel_mismatches;
    }
    if (*t <= begin_us) w.before = true;
    if (*t >= end_us) w.after = true;
    if (*t > begin_us && *t < end_us && watts > 0) {
      w.sum += static_cast<long double>(watts);
      ++w.n;
      if (w.first_line == 0) w.first_line = r.line_number();
    }
  }
  if (w.analyzer_lines == 0)
    fail(path, r.line_number(), "expected the power analyzer's log (spl.txt: lines 'Time,MM-DD-YYYY HH:MM:SS.fff,Watts,<W>,…'), found none");
  w.sha256 = r.sha256();
  return w;
}

/// "YYYY/MM/DD HH:MM:SS[.fff]" (nvidia-smi's timestamp) → microseconds, or none.
std::optional<std::int64_t> parse_smi_timestamp_us(std::string_view s) {
  s = trim(s);
  if (s.size() < 19 || s[4] != '/' || s[7] != '/') return std::nullopt;
  // Same fields as LoadGen's form, in another order: rewrite to MM-DD-YYYY and reuse its parser.
  std::string t = std::string(s.substr(5, 2)) + "-" + std::string(s.substr(8, 2)) + "-" + std::string(s.substr(0, 4)) +
                  std::string(s.substr(10));
  return parse_timestamp_us(t);
}

/// GPU board power from an nvidia-smi CSV (`--query-gpu=index,power.draw,timestamp --format=csv`): per GPU the
/// mean of its samples inside the window, summed over the GPUs. Units are read from the header and the values
/// ("[W]", "250.00 W"); "[N/A]" and "[Not Supported]" samples are skipped.
PowerWindow read_smi_power(const std::string& path, std::int64_t begin_us, std::int64_t end_us, int& gpus) {
  LineReader r(path);
  PowerWindow w;
  std::string line;
  if (!r.next(line)) fail(path, 1, "expected an nvidia-smi CSV header with power.draw and timestamp, found an empty file");
  std::vector<std::string> header;
  for (auto f : split_commas(line)) header.emplace_back(trim(f));
  auto column = [&](std::string_view prefix) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i].starts_with(prefix)) return i;
    return std::nullopt;
  };
  const auto power_col = column("power.draw"), time_col = column("timestamp"), index_col = column("index");
  if (!power_col || !time_col) fail(path, 1, "expected an nvidia-smi CSV header with power.draw and timestamp columns");
  if (header[*power_col] != "power.draw [W]" && header[*power_col] != "power.draw")
    fail(path, 1, fmt::format("expected power.draw in W ('power.draw [W]'), found '{}'", excerpt(header[*power_col])));
  std::map<std::string, std::pair<long double, std::int64_t>> per_gpu;  // index → (sum W, samples) in the window
  while (r.next(line)) {
    if (trim(line).empty()) continue;
    const auto f = split_commas(line);
    if (f.size() != header.size())
      fail(path, r.line_number(), fmt::format("expected {} comma-separated fields as in the header, found {} (truncated line?)", header.size(), f.size()));
    ++w.analyzer_lines;
    std::string_view v = trim(f[*power_col]);
    if (v.starts_with("[")) continue;  // [N/A], [Not Supported]
    if (v.ends_with(" W")) v.remove_suffix(2);
    const double watts = number_at(v, path, r.line_number(), "power.draw in W");
    const auto t = parse_smi_timestamp_us(f[*time_col]);
    if (!t) fail(path, r.line_number(), fmt::format("expected a timestamp 'YYYY/MM/DD HH:MM:SS.fff', found '{}'", excerpt(f[*time_col])));
    if (*t <= begin_us) w.before = true;
    if (*t >= end_us) w.after = true;
    if (*t > begin_us && *t < end_us) {
      auto& g = per_gpu[index_col ? std::string(trim(f[*index_col])) : std::string("0")];
      g.first += static_cast<long double>(watts);
      ++g.second;
      ++w.n;
      if (w.first_line == 0) w.first_line = r.line_number();
    }
  }
  if (w.analyzer_lines == 0) fail(path, r.line_number(), "expected nvidia-smi samples after the header, found none");
  // The window's mean power: the sum over GPUs of each GPU's mean (GPUs may be sampled unevenly).
  // Stored as sum = total × n so that the caller's sum ÷ n is the total, as for the analyzer's log.
  long double total = 0;
  for (const auto& [id, g] : per_gpu) total += g.first / static_cast<long double>(g.second);
  w.sum = total * static_cast<long double>(w.n);
  gpus = static_cast<int>(per_gpu.size());
  w.sha256 = r.sha256();
  return w;
}

Imported import_mlperf_power(const std::vector<std::string>& paths) {
  const RunFiles files = find_run_files(paths, true);
  const std::string where = paths.empty() ? std::string("mlperf-power") : paths.front();
  if (!files.detail)
    throw InputError(Location{where}, "", "expected the run's LoadGen detail log (mlperf_log_detail.txt: it holds power_begin/power_end), found none");
  if (!files.spl && !files.smi)
    throw InputError(Location{where}, "", "expected the power analyzer's log (spl.txt) or an nvidia-smi power CSV, found neither");
  if (files.spl && files.smi)
    throw InputError(Location{*files.smi}, "", fmt::format("expected one power series, found both {} and {}", *files.spl, *files.smi));
  const bool from_smi = files.smi.has_value();
  std::vector<std::string> logs;
  if (files.summary) logs.push_back(*files.summary);
  logs.push_back(*files.detail);
  InferenceRun run = read_inference_run(logs);
  const LoadgenLog& det = *run.detail;
  if (!det.power_begin || !det.power_end)
    fail(det.path, 0, "expected power_begin and power_end in the LoadGen detail log (a power run), found none");
  const auto b = parse_timestamp_us(*det.power_begin), e = parse_timestamp_us(*det.power_end);
  if (!b) fail(det.path, det.power_begin_line, fmt::format("expected power_begin as 'MM-DD-YYYY HH:MM:SS.fff', found '{}'", excerpt(*det.power_begin)));
  if (!e) fail(det.path, det.power_end_line, fmt::format("expected power_end as 'MM-DD-YYYY HH:MM:SS.fff', found '{}'", excerpt(*det.power_end)));
  if (*e <= *b) fail(det.path, det.power_end_line, fmt::format("expected power_end after power_begin ({}), found {}", *det.power_begin, *det.power_end));
  int gpus = 0;
  const PowerWindow w = from_smi ? read_smi_power(*files.smi, *b, *e, gpus) : read_spl(*files.spl, *b, *e);
  if (w.n == 0)
    fail(from_smi ? *files.smi : *files.spl, 0,
         fmt::format("expected analyzer samples between power_begin {} and power_end {} ({}), found none: another run's spl.txt, or "
                     "clocks in different time zones?",
                     *det.power_begin, *det.power_end, det.path));

  Imported out;
  out.tool = std::string(kPowerTool);
  out.tool_version = det.loadgen_version;
  out.verdict = run.out.verdict;
  out.notes = run.out.notes;
  // Only the analyzer's own log of a VALID run is an MLPerf power result (Q3: integrated wall meter). GPU board
  // sensors cover the accelerators alone: Q1 (component sensors), never official.
  const bool official = !from_smi && out.verdict.state == Verdict::State::valid;
  const core::PowerQuality quality = from_smi ? core::PowerQuality::q1 : (official ? core::PowerQuality::q3 : core::PowerQuality::q2);
  if (from_smi)
    add_note(out.notes, fmt::format("unofficial: GPU board power of {} GPU(s) from nvidia-smi (Q1, accelerators only, not the whole "
                                    "system); the efficiency figures are per joule of GPU energy",
                                    gpus));
  else if (!official)
    add_note(out.notes, "unofficial: the run is not a VALID LoadGen result, so its power figures are Q2, not MLPerf power results");

  const long double avg = w.sum / static_cast<long double>(w.n);
  const double avg_w = static_cast<double>(avg);
  const double window_s = static_cast<double>(*e - *b) / 1e6;
  const double energy_j = static_cast<double>(avg * static_cast<long double>(*e - *b) / 1e6L);
  const std::string& spl = from_smi ? *files.smi : *files.spl;
  const std::string p = run.prefix + "power.";
  auto rec = [&](const std::string& name, double si, core::Dimension dim, std::string text, const std::string& path, int line,
                 const std::string& sha, bool with_quality) {
    core::Quantity q;
    q.si = si;
    q.dim = dim;
    core::Evidence ev = imported(p + name, q, std::move(text), path, line, sha, out.tool, out.tool_version);
    if (with_quality) ev.quality = quality;
    ev.source.method = from_smi ? "sum over GPUs of each GPU's mean power.draw over power_begin < t < power_end (nvidia-smi)"
                                : "mean of the analyzer's total Watts over power_begin < t < power_end (Watts > 0), as the MLPerf submission checker";
    if (!official) ev.note = "unofficial";
    out.evidence.push_back(std::move(ev));
  };
  rec("average", avg_w, core::dim::power(),
      from_smi ? fmt::format("sum of {} GPUs' means, {} samples", gpus, w.n) : fmt::format("mean of {} analyzer samples", w.n), spl,
      w.first_line, w.sha256, true);
  rec("window", window_s, core::dim::time(), fmt::format("{} … {}", *det.power_begin, *det.power_end), det.path, det.power_begin_line,
      det.sha256, false);
  rec("energy", energy_j, core::dim::energy(), "average power × window", spl, w.first_line, w.sha256, true);

  const std::string scen = lower(run.scenario);
  auto rate = [&](const char* name) -> std::pair<const Figure*, const LoadgenLog*> {
    if (run.summary)
      if (const Figure* f = run.summary->find(name)) return {f, &*run.summary};
    if (const Figure* f = det.find(name)) return {f, &det};
    return {nullptr, nullptr};
  };
  if (scen == "offline" || scen == "server" || scen == "interactive") {
    auto [sps, src] = rate(scen == "offline" ? "samples_per_second" : "scheduled_samples_per_second");
    if (!sps) std::tie(sps, src) = rate("samples_per_second");
    if (sps)
      rec("samples_per_joule", sps->value / avg_w, core::dim::sample_rate() / core::dim::power(),
          fmt::format("{} samples/s ÷ {} W", sps->raw, core::shortest(avg_w)), src->path, sps->line, src->sha256, false);
    auto [tps, tsrc] = rate("tokens_per_second");
    if (!tps && scen != "offline") std::tie(tps, tsrc) = rate("completed_tokens_per_second");
    if (tps)
      rec("tokens_per_joule", tps->value / avg_w, core::dim::token_rate() / core::dim::power(),
          fmt::format("{} tokens/s ÷ {} W", tps->raw, core::shortest(avg_w)), tsrc->path, tps->line, tsrc->sha256, false);
    if (!sps && !tps) add_note(out.notes, "no samples or tokens per second in the logs: no efficiency computed");
  } else if (scen == "singlestream" || scen == "multistream") {
    if (!det.query_count || *det.query_count <= 0) {
      add_note(out.notes, "no result_query_count in the detail log (LoadGen before v2.0): no energy per query computed");
    } else {
      rec("energy_per_query", energy_j / *det.query_count, core::dim::energy() / core::Dimension::of(core::Base::query),
          fmt::format("{} J ÷ {} queries", core::shortest(energy_j), core::shortest(*det.query_count)), spl, w.first_line, w.sha256, true);
    }
  } else {
    add_note(out.notes, fmt::format("scenario {}: no efficiency rule known", run.scenario));
  }
  add_note(out.notes, fmt::format("{} of {} {} samples fall in the window of {} s; power_begin/power_end and the power series read as one "
                                  "clock (no timezone offsets applied)",
                                  w.n, w.analyzer_lines, from_smi ? "nvidia-smi" : "analyzer", core::shortest(window_s)));
  if (!w.before || !w.after) add_note(out.notes, "the analyzer log does not cover the whole window (samples missing at its start or end)");
  if (w.channel_mismatches > 0)
    add_note(out.notes, fmt::format("{} of {} analyzer lines have channel Watts that do not add up to the total", w.channel_mismatches, w.channel_lines));
  return out;
}

// --- training ------------------------------------------------------------------------------------------------

struct TrainingRun {
  std::string path, sha256, index;
  std::optional<double> start_ms, stop_ms;
  int start_line = 0, stop_line = 0;
  std::string status, benchmark, org, division, platform;
  int mllog_lines = 0;
};

/// Runs MLPerf needs per benchmark (mlperf_logging benchmark_meta.py, _ALL_RESULT_FILE_COUNTS['training']).
std::optional<int> required_runs(std::string_view b) {
  static constexpr std::array<std::pair<std::string_view, int>, 18> kCounts{{{"bert", 10},
                                                                             {"dlrm", 5},
                                                                             {"dlrm_dcnv2", 10},
                                                                             {"gnmt", 10},
                                                                             {"gpt3", 3},
                                                                             {"maskrcnn", 5},
                                                                             {"minigo", 10},
                                                                             {"resnet", 5},
                                                                             {"ssd", 5},
                                                                             {"retinanet", 5},
                                                                             {"stable_diffusion", 10},
                                                                             {"transformer", 10},
                                                                             {"ncf", 10},
                                                                             {"rnnt", 10},
                                                                             {"unet3d", 40},
                                                                             {"gnn", 10},
                                                                             {"rgat", 10},
                                                                             {"llama2_70b_lora", 10}}};
  for (const auto& [name, n] : kCounts)
    if (name == b) return n;
  return std::nullopt;
}

std::string run_index(const std::string& path, std::size_t ordinal) {
  const std::string stem = fs::path(path).stem().string();
  if (stem.starts_with("result_") && stem.size() > 7 && std::all_of(stem.begin() + 7, stem.end(), is_digit)) return stem.substr(7);
  return std::to_string(ordinal);
}

TrainingRun read_training(const std::string& path, std::size_t ordinal) {
  LineReader r(path);
  TrainingRun run;
  run.path = path;
  run.index = run_index(path, ordinal);
  std::string line;
  while (r.next(line)) {
    // Slurm/MPI prefixes (" 0: ", "[1,0]<stdout>:") come before the marker; other output lines are not log lines.
    const auto at = line.find(":::MLLOG");
    if (at == std::string::npos) continue;
    const int n = r.line_number();
    const nlohmann::json j = mllog_object(line, at, path, n);
    ++run.mllog_lines;
    const std::string& key = j["key"].get_ref<const std::string&>();
    auto time_ms = [&]() -> double {
      const auto it = j.find("time_ms");
      const auto d = it == j.end() ? std::nullopt : json_number(*it, path, n, "time_ms");
      if (!d) fail(path, n, fmt::format("expected a numeric time_ms in the {} entry, found none", key));
      return *d;
    };
    const auto vit = j.find("value");
    auto value_text = [&]() { return vit == j.end() ? std::string() : json_text(*vit); };
    if (key == "run_start" && !run.start_ms) {
      run.start_ms = time_ms();
      run.start_line = n;
    } else if (key == "run_stop" && !run.stop_ms) {
      run.stop_ms = time_ms();
      run.stop_line = n;
      const auto md = j.find("metadata");
      if (md != j.end() && md->is_object()) {
        const auto st = md->find("status");
        if (st != md->end() && st->is_string()) run.status = st->get<std::string>();
      }
      if (run.status.empty()) fail(path, n, "expected run_stop metadata with a \"status\" (success or aborted), found none");
    } else if (key == "submission_benchmark") {
      run.benchmark = value_text();
    } else if (key == "submission_org") {
      run.org = value_text();
    } else if (key == "submission_division") {
      run.division = value_text();
    } else if (key == "submission_platform") {
      run.platform = value_text();
    }
  }
  if (run.mllog_lines == 0)
    fail(path, r.line_number(), "expected an MLPerf Training result (':::MLLOG {json}' lines), found none: wrong file?");
  if (!run.start_ms) fail(path, r.line_number(), "expected a run_start entry, found none (truncated file?)");
  if (!run.stop_ms) fail(path, r.line_number(), "expected a run_stop entry, found none (truncated file, or the run is still going?)");
  if (*run.stop_ms < *run.start_ms)
    fail(path, run.stop_line, fmt::format("expected run_stop after run_start (line {}), found it earlier", run.start_line));
  run.sha256 = r.sha256();
  return run;
}

Imported import_mlperf_training(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && name.starts_with("result_") && name.ends_with(".txt")) found.push_back(e.path().string());
      }
      if (found.empty()) throw InputError(Location{p}, "", "expected MLPerf Training result files (result_*.txt) in the folder, found none");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<TrainingRun> runs;
  for (std::size_t i = 0; i < files.size(); ++i) runs.push_back(read_training(files[i], i));

  Imported out;
  out.tool = std::string(kTrainingTool);
  std::string benchmark = runs.front().benchmark;
  for (const auto& r : runs)
    if (r.benchmark != benchmark)
      throw InputError(Location{r.path}, "",
                       fmt::format("expected runs of one benchmark, found '{}' here and '{}' in {}", r.benchmark, benchmark, runs.front().path));
  if (benchmark.empty()) add_note(out.notes, "no submission_benchmark entry: ids use 'unknown'");
  const std::string bench = benchmark.empty() ? std::string("unknown") : id_part(benchmark);
  const std::string prefix = "mlperf.training." + bench + ".";
  {
    const auto& f = runs.front();
    add_note(out.notes, fmt::format("benchmark {}, submitter {}, division {}, platform {}", benchmark.empty() ? "(not stated)" : benchmark,
                                    f.org.empty() ? "(not stated)" : f.org, f.division.empty() ? "(not stated)" : f.division,
                                    f.platform.empty() ? "(not stated)" : f.platform));
  }

  std::vector<double> converged_s;
  int not_converged = 0;
  for (const auto& r : runs) {
    const double ms = *r.stop_ms - *r.start_ms;
    if (r.status == "success") {
      core::Quantity q;
      q.si = ms / 1000.0;
      q.dim = core::dim::time();
      core::Evidence ev = imported(prefix + "run_" + r.index + ".time_to_train", q,
                                   fmt::format("run_stop − run_start = {} ms", core::shortest(ms)), r.path, r.stop_line, r.sha256,
                                   out.tool, out.tool_version);
      ev.source.method = "run_stop.time_ms − run_start.time_ms";
      out.evidence.push_back(std::move(ev));
      converged_s.push_back(ms / 1000.0);
    } else {
      ++not_converged;
      add_note(out.notes, fmt::format("run {} ({}:{}) ended with status '{}': not converged, no time to train", r.index, r.path, r.stop_line,
                                      r.status));
    }
  }

  const int total = static_cast<int>(runs.size());
  const int max_dropped = bench == "unet3d" ? 4 : 1;
  const auto needed = required_runs(bench);
  if (not_converged > max_dropped) {
    out.verdict.state = Verdict::State::invalid;
    out.verdict.reason = fmt::format("{} of {} runs did not converge (MLPerf allows {})", not_converged, total, max_dropped);
    return out;
  }
  if (!needed) {
    out.verdict.state = not_converged == 0 ? Verdict::State::valid : Verdict::State::none;
    out.verdict.reason = fmt::format("benchmark '{}' has no run count in MLPerf's rules known to aicq: no official score", benchmark);
    add_note(out.notes, out.verdict.reason);
    return out;
  }
  if (total < *needed) {
    out.verdict.state = not_converged == 0 ? Verdict::State::valid : Verdict::State::invalid;
    out.verdict.reason = fmt::format("{} run{} given, MLPerf scores {} with {}: each run reported, no official score", total,
                                     total == 1 ? "" : "s", benchmark, *needed);
    if (not_converged > 0) out.verdict.reason += "; a run did not converge";
    add_note(out.notes, out.verdict.reason);
    return out;
  }
  // Olympic mean as mlperf_logging's result_summarizer: sort the converged times, drop max_dropped fastest and
  // (max_dropped − non-converged) slowest, mean of the rest.
  std::sort(converged_s.begin(), converged_s.end());
  const auto lo = static_cast<std::size_t>(max_dropped);
  const auto hi_drop = static_cast<std::size_t>(max_dropped - not_converged);
  if (converged_s.size() <= lo + hi_drop) {
    out.verdict.state = Verdict::State::invalid;
    out.verdict.reason = "too few converged runs left after dropping the fastest and slowest";
    return out;
  }
  long double sum = 0;
  for (std::size_t i = lo; i < converged_s.size() - hi_drop; ++i) sum += static_cast<long double>(converged_s[i]);
  const std::size_t counted = converged_s.size() - hi_drop - lo;
  core::Quantity q;
  q.si = static_cast<double>(sum / static_cast<long double>(counted));
  q.dim = core::dim::time();
  core::Evidence ev = imported(prefix + "time_to_train", q,
                               fmt::format("mean of {} of {} runs (fastest {} and slowest {} dropped)", counted, total, lo, max_dropped),
                               runs.front().path, runs.front().stop_line, runs.front().sha256, out.tool, out.tool_version);
  ev.source.method = "MLPerf olympic mean: drop the fastest and the slowest runs (a non-converged run counts as a slowest), mean of the rest";
  std::string files_list;
  for (const auto& r : runs) files_list += (files_list.empty() ? "" : ", ") + r.path;
  ev.note = "from " + files_list;
  out.evidence.push_back(std::move(ev));
  out.verdict.state = Verdict::State::valid;
  out.verdict.reason = fmt::format("{} runs, {} converged", total, total - not_converged);
  return out;
}

}  // namespace

void add_mlperf_importers(std::vector<Importer>& out) {
  out.push_back({"mlperf",
                 "MLPerf Inference run: a run folder (…/performance/run_1/) with mlperf_log_summary.txt and/or mlperf_log_detail.txt, or those files",
                 "ce.measured, ie.model_compute (throughput and latency per scenario)", import_mlperf});
  out.push_back({"mlperf-power",
                 "MLPerf Inference power run: RUN_DIR [SPL_FILE], or the detail log and spl.txt (average W over power_begin…power_end); or an nvidia-smi --query-gpu=index,power.draw,timestamp CSV instead of spl.txt (GPU power only, Q1, unofficial)",
                 "energy efficiency (samples per joule, energy per query), measured IT power", import_mlperf_power});
  out.push_back({"mlperf-training", "MLPerf Training result_*.txt files or their folder (:::MLLOG lines; rank prefixes and CRLF accepted)",
                 "ce.measured (time to train)", import_mlperf_training});
}

}  // namespace aicq::ingest

// Importers of HPC benchmark outputs: hpcc (hpccoutf.txt), hpl (HPL.out), stream (stream.c 5.10), nccl-tests.
//
// Evidence metric ids (exact values as the file states them, converted to base units only):
//   hpcc.<key>                 a summary-section key, e.g. hpcc.HPL_Tflops (FLOP/s), hpcc.StarSTREAM_Triad (B/s),
//                              hpcc.PTRANS_GBs (B/s), hpcc.MPIRandomAccess_GUPs (updates/s, as 1/s), hpcc.HPL_N (count)
//   hpcc.hpl.residual          the HPL part's scaled residual (from its "…= R ...... PASSED" line)
//   hpl.run[i].achieved        FLOP/s (Gflops × 1e9); .n .nb .p .q .processes (P×Q) counts; .time s; .residual
//   hpl.best.achieved          the best run among those whose residual check PASSED
//   stream.<fn>.best_rate      B/s (MB/s × 1e6: stream.c's MB is 10^6 B); .avg_time .min_time .max_time s
//   stream.array_size, stream.bytes_per_element, stream.threads
//   nccl.size[<bytes>].<oop|ip>.<time|algbw|busbw|wrong>   time s, bandwidths B/s (GB = 1e9 B, nccl-tests'
//                              getBw: count·typesize / 1.0E9 / sec), wrong a count
//   nccl.avg_busbw             "# Avg bus bandwidth" (B/s); nccl.largest.busbw the out-of-place busbw at the largest size
//
// Units: HPCC's GB is 10^9 B (its STREAM: curGBs = 1e-9 · bytes / time; PTRANS and b_eff "GBytes" are taken as
// the same decimal GB), Gflops 10^9 FLOP/s, Tflops 10^12 FLOP/s, GUPs 10^9 updates/s, _usec 10^-6 s.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

core::Quantity qty(double si, const core::Dimension& d, const std::string& path, int line, std::string_view what) {
  if (!std::isfinite(si))
    throw InputError(Location{path, line, 0}, "", fmt::format("expected {} within the range of a double, found a value that overflows", what));
  core::Quantity q;
  q.si = si;
  q.dim = d;
  return q;
}

std::string single_path(const std::vector<std::string>& paths, std::string_view importer) {
  if (paths.size() != 1)
    throw InputError(Location{importer.empty() ? "" : std::string(importer)}, "PATH",
                     fmt::format("expected exactly one file for {}, found {}", importer, paths.size()));
  return paths.front();
}

// ---------------------------------------------------------------------------------------------------------------
// HPL result tables (HPL.out, and the HPL part of hpccoutf.txt), header-keyed.
struct HplRun {
  int line = 0;
  double gflops = 0;
  std::string gflops_text;
  double n = 0, nb = 0, p = 0, q = 0, time = 0;
  std::string time_text, variant;
  std::optional<bool> passed;
  double residual = 0;
  std::string residual_text;
  int residual_line = 0;
};

class HplParser {
 public:
  explicit HplParser(std::string path) : path_(std::move(path)) {}

  void feed(const std::string& raw, int line) {
    const std::string_view s = trim(raw);
    if (starts_with(s, "HPLinpack ")) {
      const auto t = split_ws(s);
      if (t.size() >= 2) version_ = std::string(t[1]);
      return;
    }
    if (starts_with(s, "T/V")) {
      header_ = {};
      const auto t = split_ws(s);
      for (std::size_t i = 0; i < t.size(); ++i) header_[std::string(t[i])] = i;
      if (!header_.contains("Gflops")) {
        header_.clear();
        return;
      }
      for (const char* need : {"N", "NB", "P", "Q", "Time"})
        if (!header_.contains(need))
          throw InputError(Location{path_, line, 1}, "", fmt::format("expected an HPL result header with a '{}' column, found '{}'", need, s));
      header_line_ = line;
      return;
    }
    if (s.find("||Ax-b||_oo") != std::string_view::npos && s.find("......") != std::string_view::npos) {
      const auto eq = s.find('=');
      const auto dots = s.find("......");
      if (eq == std::string_view::npos || dots < eq)
        throw InputError(Location{path_, line, 1}, "", "expected the residual check as '…= VALUE ...... PASSED|FAILED'");
      const std::string_view value = trim(s.substr(eq + 1, dots - eq - 1));
      const std::string_view word = trim(s.substr(dots + 6));
      HplRun* r = nullptr;
      for (auto& run : runs_)
        if (!run.passed) r = &run;
      if (!r) {
        notes_.push_back(fmt::format("line {}: a residual check without a result row before it; ignored", line));
        return;
      }
      if (starts_with(word, "PASSED"))
        r->passed = true;
      else if (starts_with(word, "FAILED"))
        r->passed = false;
      else
        throw InputError(Location{path_, line, static_cast<int>(dots + 7)}, "", fmt::format("expected PASSED or FAILED after the residual, found '{}'", word));
      r->residual = number_at(value, path_, line, "the scaled residual");
      r->residual_text = std::string(value);
      r->residual_line = line;
      return;
    }
    if (header_.empty() || s.empty() || s.front() != 'W') return;
    const auto t = split_ws(s);
    std::size_t need = 0;
    for (const auto& [k, v] : header_) need = std::max(need, v + 1);
    if (t.size() < need) return;  // not a result row (for example a "WARNING" line)
    // A variant code: W, then R or C, then digits and letters (WR11C2R4, WC00L2L4 …).
    if (t[0].size() < 4 || (t[0][1] != 'R' && t[0][1] != 'C')) return;
    if (runs_.size() >= kMaxRuns)
      throw InputError(Location{path_, line, 1}, "", fmt::format("expected at most {} HPL result rows, found more (wrong file?)", kMaxRuns));
    HplRun r;
    r.line = line;
    r.variant = std::string(t[0]);
    auto col = [&](const char* name, std::string_view what) { return number_at(t[header_.at(name)], path_, line, what); };
    r.n = col("N", "N (the matrix order)");
    r.nb = col("NB", "NB (the block size)");
    r.p = col("P", "P (process rows)");
    r.q = col("Q", "Q (process columns)");
    r.time = col("Time", "Time (seconds)");
    r.time_text = std::string(t[header_.at("Time")]);
    r.gflops = col("Gflops", "Gflops");
    r.gflops_text = std::string(t[header_.at("Gflops")]);
    runs_.push_back(std::move(r));
  }

  [[nodiscard]] const std::vector<HplRun>& runs() const { return runs_; }
  [[nodiscard]] int header_line() const { return header_line_; }
  [[nodiscard]] const std::string& version() const { return version_; }
  [[nodiscard]] const std::vector<std::string>& notes() const { return notes_; }

 private:
  static constexpr std::size_t kMaxRuns = 100000;
  std::string path_;
  std::map<std::string, std::size_t> header_;
  int header_line_ = 0;
  std::vector<HplRun> runs_;
  std::string version_;
  std::vector<std::string> notes_;
};

Verdict hpl_verdict(const std::vector<HplRun>& runs) {
  Verdict v;
  std::vector<std::string> bad;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].passed)
      bad.push_back(fmt::format("run[{}] (line {}) has no residual check (truncated output?)", i, runs[i].line));
    else if (!*runs[i].passed)
      bad.push_back(fmt::format("run[{}] residual {} FAILED (line {})", i, runs[i].residual_text, runs[i].residual_line));
  }
  if (bad.empty()) {
    v.state = Verdict::State::valid;
    v.reason = runs.size() == 1 ? "residual check PASSED" : fmt::format("all {} residual checks PASSED", runs.size());
  } else {
    v.state = Verdict::State::invalid;
    v.reason = bad.front();
    for (std::size_t i = 1; i < bad.size(); ++i) v.reason += "; " + bad[i];
  }
  return v;
}

Imported import_hpl(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "hpl");
  LineReader in(path);
  HplParser p(path);
  std::string line;
  while (in.next(line)) p.feed(line, in.line_number());
  const std::string sha = in.sha256();
  if (p.runs().empty()) {
    if (p.header_line() > 0)
      throw InputError(Location{path, p.header_line(), 1}, "",
                       fmt::format("expected an HPL result row (WR… N NB P Q Time Gflops) after this header, found none in {} (truncated?)", path));
    throw InputError(Location{path, in.line_number(), 0}, "", fmt::format("expected an HPL.out result table, found none in {}", path));
  }
  Imported r;
  r.tool = "HPL";
  r.tool_version = p.version();
  r.notes = p.notes();
  r.verdict = hpl_verdict(p.runs());
  auto add = [&](std::string metric, core::Quantity q, std::string text, int ln) {
    r.evidence.push_back(imported(std::move(metric), std::move(q), std::move(text), path, ln, sha, r.tool, r.tool_version));
  };
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < p.runs().size(); ++i) {
    const HplRun& run = p.runs()[i];
    const std::string id = fmt::format("hpl.run[{}]", i);
    add(id + ".achieved", qty(run.gflops * 1e9, core::dim::op_rate(), path, run.line, "Gflops"), run.gflops_text + " Gflops", run.line);
    add(id + ".n", qty(run.n, core::dim::ratio(), path, run.line, "N"), core::shortest(run.n), run.line);
    add(id + ".nb", qty(run.nb, core::dim::ratio(), path, run.line, "NB"), core::shortest(run.nb), run.line);
    add(id + ".p", qty(run.p, core::dim::ratio(), path, run.line, "P"), core::shortest(run.p), run.line);
    add(id + ".q", qty(run.q, core::dim::ratio(), path, run.line, "Q"), core::shortest(run.q), run.line);
    add(id + ".processes", qty(run.p * run.q, core::dim::ratio(), path, run.line, "P×Q"),
        fmt::format("{} × {}", core::shortest(run.p), core::shortest(run.q)), run.line);
    add(id + ".time", qty(run.time, core::dim::time(), path, run.line, "Time"), run.time_text + " s", run.line);
    if (run.passed) {
      add(id + ".residual", qty(run.residual, core::dim::ratio(), path, run.residual_line, "the residual"), run.residual_text, run.residual_line);
      r.evidence.back().note = *run.passed ? "PASSED" : "FAILED";
    }
    for (auto& e : r.evidence)
      if (e.metric.starts_with(id + ".")) e.note = e.note.empty() ? run.variant : e.note + ", " + run.variant;
    if (run.passed && *run.passed && (!best || run.gflops > p.runs()[*best].gflops)) best = i;
  }
  if (best) {
    const HplRun& run = p.runs()[*best];
    add("hpl.best.achieved", qty(run.gflops * 1e9, core::dim::op_rate(), path, run.line, "Gflops"), run.gflops_text + " Gflops", run.line);
    r.evidence.back().note = fmt::format("best valid run: run[{}] of {}", *best, p.runs().size());
  } else {
    r.notes.push_back("no run passed its residual check: no best run");
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// HPCC summary section.

std::optional<std::pair<core::Dimension, double>> hpcc_unit(std::string_view key) {
  auto ends = [&](std::string_view s) { return key.size() >= s.size() && key.substr(key.size() - s.size()) == s; };
  if (key == "HPL_Tflops") return std::pair{core::dim::op_rate(), 1e12};
  if (ends("_Gflops")) return std::pair{core::dim::op_rate(), 1e9};
  if (key == "PTRANS_GBs" || ends("Bandwidth_GBytes")) return std::pair{core::dim::byte_rate(), 1e9};
  if (ends("STREAM_Copy") || ends("STREAM_Scale") || ends("STREAM_Add") || ends("STREAM_Triad")) return std::pair{core::dim::byte_rate(), 1e9};
  if (ends("_GUPs")) return std::pair{core::dim::frequency(), 1e9};
  if (ends("Latency_usec")) return std::pair{core::dim::time(), 1e-6};
  if (key == "HPL_time" || key == "PTRANS_time" || key == "MPIRandomAccess_time" || key == "MPIRandomAccess_LCG_time")
    return std::pair{core::dim::time(), 1.0};
  if (key == "CommWorldProcs" || key == "HPL_N" || key == "HPL_NB" || key == "HPL_nprow" || key == "HPL_npcol" || key == "DGEMM_N" ||
      key == "PTRANS_n" || key == "STREAM_VectorSize" || key == "STREAM_Threads" || key == "FFT_N" || key == "MPIFFT_N" ||
      key == "MPIFFT_Procs" || key == "MPIRandomAccess_Errors" || key == "HPLMaxProcs" || key == "HPLMinProcs" || key == "Success" ||
      key == "PTRANS_residual" || key == "MPIFFT_maxErr")
    return std::pair{core::dim::ratio(), 1.0};
  return std::nullopt;
}

Imported import_hpcc(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "hpcc");
  LineReader in(path);
  HplParser hpl(path);
  std::string line;
  int begin = 0, end = 0;
  struct Kv {
    std::string key, value;
    int line;
  };
  std::vector<Kv> kvs;
  std::map<std::string, std::string> all;
  while (in.next(line)) {
    const int ln = in.line_number();
    const std::string_view s = trim(line);
    if (begin == 0) {
      if (s == "Begin of Summary section.") {
        begin = ln;
        continue;
      }
      hpl.feed(line, ln);
      continue;
    }
    if (end != 0) continue;
    if (s == "End of Summary section.") {
      end = ln;
      continue;
    }
    if (s.empty()) continue;
    const auto eq = s.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw InputError(Location{path, ln, 1}, "", fmt::format("expected a 'key=value' line in the HPCC summary section, found '{}'", s.substr(0, 80)));
    if (kvs.size() >= 10000)
      throw InputError(Location{path, ln, 1}, "", "expected at most 10000 keys in the HPCC summary section, found more (wrong file?)");
    kvs.push_back({std::string(s.substr(0, eq)), std::string(trim(s.substr(eq + 1))), ln});
    all[kvs.back().key] = kvs.back().value;
  }
  const std::string sha = in.sha256();
  if (begin == 0)
    throw InputError(Location{path, in.line_number(), 0}, "",
                     fmt::format("expected an HPCC summary section ('Begin of Summary section.'), found none in {}", path));
  if (end == 0)
    throw InputError(Location{path, in.line_number(), 0}, "",
                     fmt::format("expected 'End of Summary section.' after line {}, found the end of {} (truncated?)", begin, path));
  Imported r;
  r.tool = "HPCC";
  if (all.contains("VersionMajor") && all.contains("VersionMinor") && all.contains("VersionMicro"))
    r.tool_version = fmt::format("{}.{}.{}{}", all["VersionMajor"], all["VersionMinor"], all["VersionMicro"],
                                 all.contains("VersionRelease") ? all["VersionRelease"] : "");
  std::size_t skipped = 0;
  for (const auto& kv : kvs) {
    const auto u = hpcc_unit(kv.key);
    if (!u) {
      ++skipped;
      continue;
    }
    const double v = number_at(kv.value, path, kv.line, kv.key);
    r.evidence.push_back(imported("hpcc." + kv.key, qty(v * u->second, u->first, path, kv.line, kv.key), kv.value, path, kv.line, sha, r.tool,
                                  r.tool_version));
  }
  r.notes.push_back(fmt::format("{} summary keys without a figure aicq uses (sizes, machine constants, flags) not imported", skipped));
  // Verdict: the HPL part's residual check; failing that, the residual recomputed from the summary.
  if (!hpl.runs().empty()) {
    r.verdict = hpl_verdict(hpl.runs());
    const HplRun& run = hpl.runs().back();
    if (run.passed)
      r.evidence.push_back(imported("hpcc.hpl.residual", qty(run.residual, core::dim::ratio(), path, run.residual_line, "the residual"),
                                    run.residual_text, path, run.residual_line, sha, r.tool, r.tool_version));
  } else if (all.contains("HPL_RnormI") && all.contains("HPL_AnormI") && all.contains("HPL_XnormI") && all.contains("HPL_BnormI") &&
             all.contains("HPL_eps") && all.contains("HPL_N")) {
    auto num = [&](const char* k) {
      for (const auto& kv : kvs)
        if (kv.key == k) return number_at(kv.value, path, kv.line, k);
      return 0.0;
    };
    const double res = num("HPL_RnormI") / (num("HPL_eps") * (num("HPL_AnormI") * num("HPL_XnormI") + num("HPL_BnormI")) * num("HPL_N"));
    r.verdict.state = std::isfinite(res) && res < 16.0 ? Verdict::State::valid : Verdict::State::invalid;
    r.verdict.reason = fmt::format("HPL scaled residual {} recomputed from the summary (HPL's default threshold 16)", core::shortest(res));
  } else {
    r.notes.push_back("no HPL residual check found: no verdict");
  }
  for (const auto& n : hpl.notes()) r.notes.push_back(n);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// STREAM 5.10 (stream.c).
Imported import_stream(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "stream");
  LineReader in(path);
  Imported r;
  r.tool = "STREAM";
  std::string line;
  int header = 0, table_end = 0;
  std::optional<bool> validates;
  int validates_line = 0;
  std::string fail_text;
  struct Row {
    std::string fn;
    std::vector<std::string> cells;
    int line;
  };
  std::vector<Row> rows;
  std::vector<core::Evidence> meta;
  auto add_meta = [&](std::string metric, double v, std::string text, int ln) {
    meta.push_back(imported(std::move(metric), qty(v, core::dim::ratio(), path, ln, "a count"), std::move(text), path, ln, "", r.tool, ""));
  };
  while (in.next(line)) {
    const int ln = in.line_number();
    const std::string_view s = trim(line);
    if (starts_with(s, "STREAM version $Revision:")) {
      const auto t = split_ws(s.substr(25));
      if (!t.empty()) r.tool_version = std::string(t[0]);
    } else if (starts_with(s, "Array size =")) {
      const auto t = split_ws(s.substr(12));
      if (!t.empty()) add_meta("stream.array_size", number_at(t[0], path, ln, "the array size"), std::string(t[0]), ln);
    } else if (starts_with(s, "This system uses ") && s.find("bytes per array element") != std::string_view::npos) {
      const auto t = split_ws(s.substr(17));
      if (!t.empty()) add_meta("stream.bytes_per_element", number_at(t[0], path, ln, "the bytes per element"), std::string(t[0]), ln);
    } else if (starts_with(s, "Number of Threads counted =") || starts_with(s, "Number of Threads requested =")) {
      const auto v = trim(s.substr(s.find('=') + 1));
      if (starts_with(s, "Number of Threads counted") || std::none_of(meta.begin(), meta.end(), [](const auto& e) { return e.metric == "stream.threads"; })) {
        std::erase_if(meta, [](const auto& e) { return e.metric == "stream.threads"; });
        add_meta("stream.threads", number_at(v, path, ln, "the thread count"), std::string(v), ln);
      }
    } else if (starts_with(s, "Function") && s.find("Best Rate MB/s") != std::string_view::npos) {
      if (header != 0)
        throw InputError(Location{path, ln, 1}, "", fmt::format("expected one STREAM result table, found a second one (the first at line {}): split the runs", header));
      const auto t = split_ws(s);
      const std::vector<std::string_view> want{"Function", "Best", "Rate", "MB/s", "Avg", "time", "Min", "time", "Max", "time"};
      if (t != want) throw InputError(Location{path, ln, 1}, "", fmt::format("expected the STREAM 5.10 header '{}', found '{}'", "Function Best Rate MB/s Avg time Min time Max time", s));
      header = ln;
    } else if (header != 0 && table_end == 0) {
      const auto t = split_ws(s);
      if (!t.empty() && (t[0] == "Copy:" || t[0] == "Scale:" || t[0] == "Add:" || t[0] == "Triad:")) {
        if (t.size() != 5) throw InputError(Location{path, ln, 1}, "", fmt::format("expected '{} RATE AVG MIN MAX', found '{}'", t[0], s));
        std::string fn(t[0].substr(0, t[0].size() - 1));
        std::transform(fn.begin(), fn.end(), fn.begin(), [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
        rows.push_back({fn, {std::string(t[1]), std::string(t[2]), std::string(t[3]), std::string(t[4])}, ln});
      } else if (!rows.empty()) {
        table_end = ln;
      }
    }
    if (starts_with(s, "Solution Validates")) {
      if (!validates) validates = true;
      validates_line = ln;
    } else if (starts_with(s, "Failed Validation")) {
      validates = false;
      validates_line = ln;
      if (fail_text.empty()) fail_text = std::string(s);
    }
  }
  const std::string sha = in.sha256();
  if (header == 0) throw InputError(Location{path, in.line_number(), 0}, "", fmt::format("expected a STREAM result table ('Function    Best Rate MB/s …'), found none in {}", path));
  if (rows.empty()) throw InputError(Location{path, header, 1}, "", fmt::format("expected Copy/Scale/Add/Triad rows after this header, found none in {} (truncated?)", path));
  for (auto& e : meta) {
    e.source.sha256 = sha;
    e.source.tool_version = r.tool_version;
    r.evidence.push_back(std::move(e));
  }
  for (const auto& row : rows) {
    const std::string id = "stream." + row.fn;
    const double rate = number_at(row.cells[0], path, row.line, "the best rate (MB/s)");
    r.evidence.push_back(imported(id + ".best_rate", qty(rate * 1e6, core::dim::byte_rate(), path, row.line, "the rate"), row.cells[0] + " MB/s", path,
                                  row.line, sha, r.tool, r.tool_version));
    const char* names[] = {"avg_time", "min_time", "max_time"};
    for (std::size_t k = 0; k < 3; ++k)
      r.evidence.push_back(imported(id + "." + names[k], qty(number_at(row.cells[k + 1], path, row.line, names[k]), core::dim::time(), path, row.line, "a time"),
                                    row.cells[k + 1] + " s", path, row.line, sha, r.tool, r.tool_version));
  }
  if (rows.size() < 4) r.notes.push_back(fmt::format("only {} of the 4 kernels in the table (truncated?)", rows.size()));
  if (!validates) {
    r.verdict = {Verdict::State::invalid, "no 'Solution Validates' line (truncated output?)"};
  } else if (*validates) {
    r.verdict = {Verdict::State::valid, fmt::format("Solution Validates (line {})", validates_line)};
  } else {
    r.verdict = {Verdict::State::invalid, fmt::format("{} (line {})", fail_text, validates_line)};
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// nccl-tests (*_perf) tables.
Imported import_nccl(const std::vector<std::string>& paths) {
  const std::string path = single_path(paths, "nccl-tests");
  LineReader in(path);
  Imported r;
  r.tool = "nccl-tests";
  std::string line;
  std::vector<std::string> header;
  int header_line = 0;
  std::optional<bool> ok;
  std::string ok_text;
  int ok_line = 0;
  std::optional<std::pair<std::string, int>> avg;
  bool validation_off = false;
  struct Row {
    std::vector<std::string> cells;
    int line;
  };
  std::vector<Row> rows;
  std::string test_name;
  while (in.next(line)) {
    const int ln = in.line_number();
    const std::string_view s = trim(line);
    if (s.empty()) continue;
    if (s.front() == '#') {
      const std::string_view body = trim(s.substr(1));
      const auto t = split_ws(body);
      if (std::find(t.begin(), t.end(), "size") != t.end() && std::find(t.begin(), t.end(), "busbw") != t.end() &&
          std::find(t.begin(), t.end(), "time") != t.end()) {
        if (header_line != 0 && !rows.empty())
          throw InputError(Location{path, ln, 1}, "", fmt::format("expected one nccl-tests table, found a second header (the first at line {}): split the runs", header_line));
        header.assign(t.begin(), t.end());
        header_line = ln;
      } else if (starts_with(body, "Out of bounds values")) {
        const auto c = body.find(':');
        const std::string_view v = c == std::string_view::npos ? std::string_view{} : trim(body.substr(c + 1));
        const auto vt = split_ws(v);
        if (vt.size() < 2) throw InputError(Location{path, ln, 1}, "", fmt::format("expected '# Out of bounds values : N OK|FAILED', found '{}'", s));
        ok = vt[1] == "OK" && vt[0] == "0";
        ok_text = std::string(v);
        ok_line = ln;
      } else if (starts_with(body, "Avg bus bandwidth")) {
        const auto c = body.find(':');
        if (c == std::string_view::npos) throw InputError(Location{path, ln, 1}, "", fmt::format("expected '# Avg bus bandwidth : VALUE', found '{}'", s));
        avg = std::pair{std::string(trim(body.substr(c + 1))), ln};
      } else if (starts_with(body, "nThread") && body.find("validation: 0") != std::string_view::npos) {
        validation_off = true;
      } else if (starts_with(body, "Collective test starting:")) {
        test_name = std::string(trim(body.substr(25)));
      }
      continue;
    }
    if (header.empty()) continue;
    const auto t = split_ws(s);
    if (t.empty() || t[0].find_first_not_of("0123456789") != std::string_view::npos) continue;  // NCCL INFO and other lines
    if (t.size() != header.size())
      throw InputError(Location{path, ln, 1}, "", fmt::format("expected {} columns as the header at line {} names, found {}", header.size(), header_line, t.size()));
    if (rows.size() >= 100000) throw InputError(Location{path, ln, 1}, "", "expected at most 100000 nccl-tests rows, found more (wrong file?)");
    rows.push_back({std::vector<std::string>(t.begin(), t.end()), ln});
  }
  const std::string sha = in.sha256();
  if (header_line == 0) throw InputError(Location{path, in.line_number(), 0}, "", fmt::format("expected an nccl-tests table ('#  size  count  type … busbw'), found none in {}", path));
  if (rows.empty()) throw InputError(Location{path, header_line, 1}, "", fmt::format("expected nccl-tests result rows after this header, found none in {} (truncated?)", path));
  if (!test_name.empty()) r.notes.push_back("test: " + test_name);
  // Column indexes: the first time/algbw/busbw/#wrong are out-of-place, the second in-place.
  std::map<std::string, std::vector<std::size_t>> cols;
  for (std::size_t i = 0; i < header.size(); ++i) cols[header[i]].push_back(i);
  if (!cols.contains("size") || !cols.contains("busbw") || !cols.contains("algbw"))
    throw InputError(Location{path, header_line, 1}, "", "expected the columns size, algbw and busbw in the nccl-tests header");
  std::size_t wrong_total = 0;
  double largest = -1;
  const Row* largest_row = nullptr;
  for (const auto& row : rows) {
    const std::string& size_text = row.cells[cols["size"][0]];
    const double size = number_at(size_text, path, row.line, "the size in bytes");
    const std::string base = fmt::format("nccl.size[{}]", size_text);
    const char* place[] = {"oop", "ip"};
    for (std::size_t k = 0; k < 2; ++k) {
      auto cell = [&](const char* name) -> const std::string* {
        auto it = cols.find(name);
        if (it == cols.end() || it->second.size() <= k) return nullptr;
        return &row.cells[it->second[k]];
      };
      if (const auto* c = cell("time"); c && *c != "N/A")
        r.evidence.push_back(imported(fmt::format("{}.{}.time", base, place[k]), qty(number_at(*c, path, row.line, "the time (us)") * 1e-6, core::dim::time(), path, row.line, "time"),
                                      *c + " us", path, row.line, sha, r.tool, ""));
      for (const char* bw : {"algbw", "busbw"})
        if (const auto* c = cell(bw); c && *c != "N/A")
          r.evidence.push_back(imported(fmt::format("{}.{}.{}", base, place[k], bw), qty(number_at(*c, path, row.line, bw) * 1e9, core::dim::byte_rate(), path, row.line, bw),
                                        *c + " GB/s", path, row.line, sha, r.tool, ""));
      if (const auto* c = cell("#wrong"); c && *c != "N/A") {
        const double w = number_at(*c, path, row.line, "#wrong");
        if (w > 0) ++wrong_total;
        r.evidence.push_back(imported(fmt::format("{}.{}.wrong", base, place[k]), qty(w, core::dim::ratio(), path, row.line, "#wrong"), *c, path, row.line, sha, r.tool, ""));
      }
    }
    if (size > largest) {
      largest = size;
      largest_row = &row;
    }
  }
  if (largest_row) {
    const std::string& c = largest_row->cells[cols["busbw"][0]];
    if (c != "N/A") {
      r.evidence.push_back(imported("nccl.largest.busbw", qty(number_at(c, path, largest_row->line, "busbw") * 1e9, core::dim::byte_rate(), path, largest_row->line, "busbw"),
                                    c + " GB/s", path, largest_row->line, sha, r.tool, ""));
      r.evidence.back().note = fmt::format("out-of-place, size {} B", largest_row->cells[cols["size"][0]]);
    }
  }
  if (avg) {
    r.evidence.push_back(imported("nccl.avg_busbw", qty(number_at(avg->first, path, avg->second, "the average bus bandwidth (GB/s)") * 1e9, core::dim::byte_rate(), path, avg->second, "busbw"),
                                  avg->first + " GB/s", path, avg->second, sha, r.tool, ""));
  } else {
    r.notes.push_back("no '# Avg bus bandwidth' line (truncated output?)");
  }
  if (validation_off) r.notes.push_back("the run did not check its results (validation: 0; #wrong N/A)");
  if (!ok) {
    r.verdict = {Verdict::State::invalid, "no '# Out of bounds values' line (truncated output?)"};
  } else if (!*ok || wrong_total > 0) {
    r.verdict = {Verdict::State::invalid, fmt::format("Out of bounds values : {} (line {}){}", ok_text, ok_line,
                                                      wrong_total ? fmt::format(", {} rows with #wrong > 0", wrong_total) : "")};
  } else {
    r.verdict = {Verdict::State::valid, fmt::format("Out of bounds values : {} (line {})", ok_text, ok_line)};
  }
  return r;
}

}  // namespace

void add_hpc_importers(std::vector<Importer>& out) {
  out.push_back({"hpcc", "HPCC hpccoutf.txt: the summary section (key=value) and the HPL part's residual check",
                 "measured compute (HPL, DGEMM, FFT), memory bandwidth (STREAM, PTRANS), interconnect (b_eff)", &import_hpcc});
  out.push_back({"hpl", "HPL.out: result rows (T/V N NB P Q Time Gflops, header-keyed) and residual checks; the best PASSED run marked",
                 "measured compute efficiency (achieved FLOP/s)", &import_hpl});
  out.push_back({"stream", "STREAM 5.10 stream.c output: Copy/Scale/Add/Triad best rate (MB = 10^6 B) and times, 'Solution Validates'",
                 "memory bandwidth", &import_stream});
  out.push_back({"nccl-tests", "nccl-tests *_perf output: per-size time/algbw/busbw (GB = 10^9 B), out-of-bounds check, average bus bandwidth",
                 "interconnect bandwidth", &import_nccl});
}

}  // namespace aicq::ingest

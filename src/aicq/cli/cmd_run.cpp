// aicq run [--suite S] [--only P,…] [--site FILE] [--out DIR] …: measure this machine and assess it (see
// docs/cli.md). Wiring only: the pipeline is measure::run.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <optional>
#include <ostream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/cluster_cli.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/cli/run_control.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/clock.hpp"
#include "aicq/core/units.hpp"
#include "aicq/ingest/importer.hpp"
#include "aicq/measure/session.hpp"
#include "aicq/report/html.hpp"
#include "aicq/report/terminal.hpp"
#include "aicq/server/utilization.hpp"
#include "aicq/store/store.hpp"

namespace aicq::cli {

namespace {

struct RunCliOptions {
  std::string suite = "standard", only, site, out, profile, lang, db, scratch, interval = "1s", utilization_since = "30d",
              checkpoint_size;
  int threads = 0;
  bool require_valid = false, no_diagnosis = false, no_telemetry = false;
  bool tiny = false;  // tests: smallest sizes
  bool mpi = false, result_only = false;  // --mpi: a cluster run (cluster_cli.cpp); --result-only: no report, no store
  std::string mpi_timeout = "10m";
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    const std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string self_exe() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

int run_run(const RunCliOptions& o, const GlobalOptions& g, Io io, const std::vector<std::string>& argv) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  measure::RunOptions ro;
  ro.suite = *probe::suite_from(o.suite);
  ro.only = split_commas(o.only);
  measure::select_probes(ro.only, ro.suite);  // unknown ids are bad input, before any work
  const double interval = duration_option(o.interval, "--interval");
  if (interval < 0.1)
    throw core::InputError(core::Location{o.interval}, "--interval", "expected at least 100ms");
  ro.interval_s = interval;
  ro.threads = o.threads;
  ro.diagnosis = !o.no_diagnosis;
  ro.telemetry = !o.no_telemetry;
  ro.require_valid = o.require_valid;
  ro.tiny = o.tiny;
  ro.self_exe = self_exe();
  ro.argv = argv;
  ro.scratch_dir = o.scratch;
  if (!o.checkpoint_size.empty()) {
    core::Quantity q;
    try {
      q = core::parse_quantity(o.checkpoint_size, core::dim::bytes(), "'4 GiB'");
    } catch (const core::UnitError& e) {
      throw core::InputError(core::Location{o.checkpoint_size}, "--checkpoint-size",
                             fmt::format("expected a size such as '4 GiB', found '{}': {}", o.checkpoint_size, e.what()));
    }
    if (!(q.si >= 1024 * 1024) || q.si > 1e15)
      throw core::InputError(core::Location{o.checkpoint_size}, "--checkpoint-size",
                             fmt::format("expected a size from 1 MiB to 1 PB, found {}", o.checkpoint_size));
    ro.checkpoint_bytes = q.si;
  }

  if (o.mpi) return run_mpi(ro, argv, MpiCliOptions{o.out, o.site, o.profile, o.lang, o.db, o.mpi_timeout, o.result_only}, g, io);
  ResultStore store = o.result_only ? ResultStore{} : open_result_store(o.db);
  const data::DataSource src(g.data_dir);
  const catalog::Catalogs cat = catalog::Catalogs::load(src);
  const assess::Profile profile = assess::load_profile(o.profile, src);
  measure::SiteFacts site;
  if (!o.site.empty()) {
    SiteInputs s = read_site(o.site, cat);
    site.evidence = std::move(s.evidence);
    site.system = declare::to_json(s.declaration)["system"];
    site.inputs["declaration"] = {{"path", o.site}, {"sha256", ingest::file_sha256(o.site)}};
    site.declares_inventory = !s.declaration.inventory.empty();
  }
  // Utilization over real operation: what `aicq monitor` recorded in the store over the window (never the run's
  // own load, which is not recorded there). Declared figures win; Prometheus series come in through a
  // declaration referencing `aicq utilization --prometheus URL -o FILE`.
  const double utilization_s = duration_option(o.utilization_since, "--utilization-since");
  if (store.db && utilization_s > 0) {
    try {
      const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      const auto report = server::store_utilization(*store.db, utilization_s, now);
      for (auto& e : server::utilization_evidence(report)) {
        const bool declared = std::any_of(site.evidence.begin(), site.evidence.end(), [&](const core::Evidence& d) { return d.metric == e.metric; });
        if (declared) continue;
        io.out << fmt::format("utilization from the store ({} over the last {}): {} = {}\n", store.db->path(), o.utilization_since, e.metric, e.text);
        site.evidence.push_back(std::move(e));
      }
    } catch (const std::exception& e) {
      io.err << fmt::format("aicq: warning: no utilization from the store: {}\n", e.what());
    }
  }
  ro.out_dir = o.out.empty() ? fmt::format("aicq-results/{}-{}", core::utc_compact(), host_name()) : o.out;

  // Progress: one rewritten line on a terminal, plain lines otherwise.
  const bool tty = &io.out == &std::cout && ::isatty(STDOUT_FILENO);
  std::string last_step;
  measure::Sink sink;
  sink.line = [&](const std::string& s) {
    if (tty) io.out << "\r\033[K";
    io.out << s << "\n" << std::flush;
  };
  sink.progress = [&](const probe::Progress& p) {
    const std::string rep = p.repetition == 0 ? "warm-up" : fmt::format("rep {}/{}", p.repetition, p.repetitions);
    const std::string est = p.estimate_s > 0 ? fmt::format(" of ~{:.0f} s", p.estimate_s) : "";
    const std::string text = fmt::format("    {} {} {} {:.1f} s{}", p.probe, p.step, rep, p.elapsed_s, est);
    if (tty) io.out << "\r\033[K" << text << std::flush;
    else if (p.step != last_step || p.repetition <= 1) io.out << text << "\n";
    last_step = p.step;
  };

  measure::RunOutcome outcome;
  {
    StopSignals signals;
    outcome = measure::run(ro, site, profile, cat, StopSignals::flag(), sink);
  }
  const std::filesystem::path out(ro.out_dir);
  const std::string result_file = (out / "result.json").string();
  // The HTML report and the terminal summary beside the result.
  const std::string summary = report::summary(outcome.result, lang);
  core::write_file_atomic((out / "summary.txt").string(), summary);
  const report::ProfileView pv = profile_view(profile);
  if (!o.result_only)
    core::write_file_atomic((out / "report.html").string(),
                            report::html(report::ResultDoc{result_file, outcome.result, ingest::file_sha256(result_file)}, &pv, lang));
  io.out << "\n" << summary;
  io.out << fmt::format("result: {}\n", result_file);
  if (!o.result_only) io.out << fmt::format("report: {}\n", (out / "report.html").string());

  const bool recorded = record_result(store, outcome.result, result_file, io.out, io.err);

  if (outcome.status == "interrupted") {
    io.err << "aicq: interrupted: the result holds every measurement that finished\n";
    return kInterrupted;
  }
  if (outcome.status == "invalid") {
    io.err << "aicq: a probe's validity gate failed (--require-valid): see the result's measurement.probes\n";
    return kCheckFailed;
  }
  return recorded ? kOk : kWorkFailure;
}

}  // namespace

Action add_run(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<RunCliOptions>();
  app.add_option("--suite", o->suite, "suite")->check(CLI::IsMember({"quick", "standard", "full"}));
  app.add_option("--only", o->only, "probes");
  app.add_option("--site", o->site, "site declaration");
  app.add_option("--out", o->out, "result folder");
  app.add_option("--profile", o->profile, "profile file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("--db", o->db, "store file");
  app.add_option("--threads", o->threads, "threads")->check(CLI::Range(1, 4096));
  app.add_option("--scratch", o->scratch, "scratch folder");
  app.add_option("--interval", o->interval, "sampling interval");
  app.add_option("--utilization-since", o->utilization_since, "window of monitor samples");
  app.add_option("--checkpoint-size", o->checkpoint_size, "synthetic checkpoint state");
  app.add_flag("--require-valid", o->require_valid, "exit 3 on an invalid probe");
  app.add_flag("--no-diagnosis", o->no_diagnosis, "skip the gap diagnosis");
  app.add_flag("--no-telemetry", o->no_telemetry, "no sampling");
  app.add_flag("--tiny", o->tiny, "smallest sizes (tests)");
  app.add_flag("--mpi", o->mpi, "a cluster run across the ranks of an MPI job");
  app.add_option("--mpi-timeout", o->mpi_timeout, "longest a collective step may take");
  app.add_flag("--result-only", o->result_only, "result.json, raw/ and summary.txt only");
  return [o, &g, &app](Io io) {
    std::vector<std::string> argv{"aicq", "run"};
    for (const auto* opt : app.get_options()) {
      if (opt->count() == 0 || opt->get_lnames().empty()) continue;
      argv.push_back("--" + opt->get_lnames().front());
      if (opt->get_expected_max() != 0)  // flags expect no value (their results read "true")
        for (const auto& v : opt->results()) argv.push_back(v);
    }
    return run_run(*o, g, io, argv);
  };
}

}  // namespace aicq::cli

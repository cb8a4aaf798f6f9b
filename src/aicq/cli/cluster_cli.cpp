// aicq run --mpi: wiring of the cluster run (cluster::run_mpi) and of its outputs on rank 0.
#include "aicq/cli/cluster_cli.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <ostream>
#include <set>

#include "aicq/cli/run_control.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/cluster/aggregate.hpp"
#include "aicq/cluster/cluster_run.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/ingest/importer.hpp"
#include "aicq/report/html.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::cli {

namespace fs = std::filesystem;

std::vector<std::string> node_arguments(const std::vector<std::string>& argv) {
  static const std::set<std::string> with_value = {"--mpi-timeout", "--out", "--site", "--db", "--scratch", "--utilization-since"};
  static const std::set<std::string> flags = {"--mpi", "--result-only"};
  std::vector<std::string> out;
  for (std::size_t i = argv.size() >= 2 ? 2 : argv.size(); i < argv.size(); ++i) {
    if (flags.contains(argv[i])) continue;
    if (with_value.contains(argv[i])) {
      ++i;
      continue;
    }
    out.push_back(argv[i]);
  }
  return out;
}

int run_mpi(const measure::RunOptions& ro, const std::vector<std::string>& argv, const MpiCliOptions& o, const GlobalOptions& g,
            Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  const double timeout = duration_option(o.timeout, "--mpi-timeout");
  if (timeout < 1) throw core::InputError(core::Location{o.timeout}, "--mpi-timeout", "expected at least 1s");
  if (ro.self_exe.empty()) throw core::WorkError("--mpi: the aicq binary's path is unknown (/proc/self/exe), so the node runs cannot start");
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

  cluster::MpiRunOptions mo;
  mo.run = ro;
  mo.run.out_dir = o.out;
  mo.node_args = node_arguments(argv);
  mo.data_dir = g.data_dir.empty() ? "" : fs::absolute(g.data_dir).string();
  mo.scratch = ro.scratch_dir.empty() ? "" : fs::absolute(ro.scratch_dir).string();
  mo.timeout_s = timeout;
  mo.site_path = o.site.empty() ? "" : fs::absolute(o.site).string();
  mo.profile_path = o.profile.empty() ? "" : fs::absolute(o.profile).string();

  const report::ProfileView pv = profile_view(profile);
  cluster::MpiRunHooks hooks;
  hooks.line = [&](const std::string& s) { io.out << s << "\n" << std::flush; };
  hooks.written = [&](const nlohmann::json& result, const std::string& dir) {
    const fs::path d(dir);
    const std::string result_file = (d / "result.json").string();
    core::write_file_atomic((d / "summary.txt").string(), report::summary(result, lang) + "\n" + cluster::summary(result));
    if (!o.result_only)
      core::write_file_atomic((d / "report.html").string(),
                              report::html(report::ResultDoc{result_file, result, ingest::file_sha256(result_file)}, &pv, lang));
  };
  cluster::MpiOutcome outcome;
  {
    StopSignals signals;
    outcome = cluster::run_mpi(mo, site, profile, cat, StopSignals::flag(), hooks);
  }
  if (outcome.rank != 0) return kOk;

  const fs::path out(outcome.dir);
  io.out << "\n" << report::summary(outcome.result, lang) << cluster::summary(outcome.result);
  io.out << fmt::format("result: {}\n", (out / "result.json").string());
  if (!o.result_only) io.out << fmt::format("report: {}\n", (out / "report.html").string());
  bool recorded = true;
  if (!o.result_only) {
    ResultStore store = open_result_store(o.db);
    recorded = record_result(store, outcome.result, (out / "result.json").string(), io.out, io.err);
  }
  if (outcome.status == "interrupted") {
    io.err << "aicq: interrupted: the cluster result holds every measurement that finished\n";
    return kInterrupted;
  }
  if (outcome.status == "invalid") {
    io.err << "aicq: a probe's validity gate failed on a node (--require-valid): see cluster.nodes in the result\n";
    return kCheckFailed;
  }
  if (!outcome.result["cluster"].value("complete", false)) {
    io.err << "aicq: not every node has its result: see cluster.missing (and DIR/nodes/NODE/log.txt)\n";
    return kWorkFailure;
  }
  return recorded ? kOk : kWorkFailure;
}

}  // namespace aicq::cli

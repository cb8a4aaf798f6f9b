// aicq assemble DIR [--site FILE] [--profile FILE] [--lang zh|en] [--db FILE] [--require-complete]: the cluster
// result of an `aicq run --mpi` folder, from the files present (see docs/cli.md and docs/cluster.md). Wiring
// only: the assembly is cluster::assemble.
#include <filesystem>
#include <fmt/format.h>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/cluster/aggregate.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/ingest/importer.hpp"
#include "aicq/report/html.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::cli {

namespace {

namespace fs = std::filesystem;

struct AssembleOptions {
  std::string dir, site, profile, lang, db;
  bool require_complete = false;
  std::vector<std::string> argv;
};

int run_assemble(const AssembleOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  ResultStore store = open_result_store(o.db);
  const cluster::ClusterFolder folder = cluster::read_folder(o.dir);
  const nlohmann::json& options = folder.job.is_object() ? folder.job.value("options", nlohmann::json::object()) : nlohmann::json::object();
  // The declaration and profile of the run, unless given again here.
  std::string site_path = o.site, profile_path = o.profile;
  if (site_path.empty() && !options.value("site", "").empty()) {
    site_path = options["site"].get<std::string>();
    if (!fs::exists(site_path)) {
      io.err << fmt::format("aicq: warning: the run's declaration {} is gone: assembled without it (give --site)\n", site_path);
      site_path.clear();
    } else {
      io.out << fmt::format("declaration of the run: {}\n", site_path);
    }
  }
  if (profile_path.empty() && !options.value("profile", "").empty() && fs::exists(options["profile"].get<std::string>()))
    profile_path = options["profile"].get<std::string>();
  const data::DataSource src(g.data_dir);
  const catalog::Catalogs cat = catalog::Catalogs::load(src);
  const assess::Profile profile = assess::load_profile(profile_path, src);
  cluster::AssembleInputs in;
  if (!site_path.empty()) {
    SiteInputs s = read_site(site_path, cat);
    in.site.evidence = std::move(s.evidence);
    in.site.system = declare::to_json(s.declaration)["system"];
    in.site.inputs["declaration"] = {{"path", site_path}, {"sha256", ingest::file_sha256(site_path)}};
    in.site.declares_inventory = !s.declaration.inventory.empty();
  }
  const nlohmann::json result = cluster::assemble(folder, in, profile, cat);
  const fs::path d(o.dir);
  const std::string result_file = (d / "result.json").string();
  core::write_file_atomic(result_file, core::canonical_json(result));
  core::write_file_atomic((d / "summary.txt").string(), report::summary(result, lang) + "\n" + cluster::summary(result));
  const report::ProfileView pv = profile_view(profile);
  core::write_file_atomic((d / "report.html").string(),
                          report::html(report::ResultDoc{result_file, result, ingest::file_sha256(result_file)}, &pv, lang));
  for (const auto& p : folder.problems) io.err << "aicq: warning: " << p << "\n";
  io.out << report::summary(result, lang) << cluster::summary(result);
  io.out << fmt::format("result: {}\nreport: {}\n", result_file, (d / "report.html").string());
  const bool recorded = record_result(store, result, result_file, io.out, io.err);
  const bool complete = result["cluster"].value("complete", false);
  if (!complete)
    io.err << "aicq: the cluster result is incomplete: the ranks and hosts missing are named in cluster.missing\n";
  if (o.require_complete && !complete) return kCheckFailed;
  return recorded ? kOk : kWorkFailure;
}

}  // namespace

Action add_assemble(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<AssembleOptions>();
  app.add_option("dir", o->dir, "run folder")->required();
  app.add_option("--site", o->site, "site declaration");
  app.add_option("--profile", o->profile, "profile file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("--db", o->db, "store file");
  app.add_flag("--require-complete", o->require_complete, "exit 3 when ranks or hosts are missing");
  return [o, &g](Io io) { return run_assemble(*o, g, io); };
}

}  // namespace aicq::cli

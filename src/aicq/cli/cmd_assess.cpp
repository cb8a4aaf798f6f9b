// aicq assess SITE.yaml [-o result.json] [--profile FILE] [--lang zh|en] [--db FILE]: the five-dimension assessment,
// recorded in the store.
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/ingest/importer.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/report/terminal.hpp"
#include "aicq/store/store.hpp"

namespace aicq::cli {

namespace {

struct AssessOptions {
  std::string site, output, profile, lang, db;
  std::vector<std::string> argv;
};

int run_assess(const AssessOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  auto [db, store_error] = open_result_store(o.db);
  const data::DataSource src(g.data_dir);
  const catalog::Catalogs cat = catalog::Catalogs::load(src);
  const assess::Profile profile = assess::load_profile(o.profile, src);
  SiteInputs site = read_site(o.site, cat);
  // Assess exactly what the result will hold, so that `rescore` reproduces it to the bit.
  for (auto& e : site.evidence) e = core::normalised(e);
  const assess::Assessment a = assess::assess(site.evidence, profile, cat);

  assess::ResultContext ctx;
  ctx.system = declare::to_json(site.declaration)["system"];
  ctx.inputs["declaration"] = {{"path", o.site}, {"sha256", ingest::file_sha256(o.site)}};
  for (const auto& ref : site.declaration.evidence)
    ctx.inputs["evidence_files"].push_back(
        {{"path", ref.path}, {"import", ref.import_kind}, {"sha256", ref.import_kind.empty() ? ingest::file_sha256(ref.path) : ""}});
  ctx.evidence = site.evidence;
  ctx.created = utc_now();
  ctx.argv = o.argv;
  ctx.host = host_name();
  const nlohmann::json result = assess::result_json(a, profile, cat, ctx);
  if (!o.output.empty()) core::write_file_atomic(o.output, core::canonical_json(result));
  io.out << report::summary(result, lang);
  if (!o.output.empty()) io.out << fmt::format("result: {}\n", o.output);
  else io.out << "(write the result with -o FILE)\n";
  std::int64_t id = 0;
  if (db) {
    try {
      id = db->record(result, o.output.empty() ? std::string() : std::filesystem::absolute(o.output).string());
    } catch (const std::exception& e) {
      store_error = e.what();
    }
  }
  if (!store_error.empty()) {
    io.err << fmt::format("aicq: warning: the result was not recorded in the store: {}\n", store_error);
    if (!o.output.empty()) io.err << fmt::format("aicq: the result file was written: {}\n", o.output);
    else io.err << "aicq: the result was not written to a file either (no -o FILE)\n";
    return kWorkFailure;
  }
  io.out << fmt::format("recorded: result {} in {} (aicq show {})\n", id, db->path(), id);
  return kOk;
}

}  // namespace

Action add_assess(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<AssessOptions>();
  app.add_option("site", o->site, "site declaration")->required();
  app.add_option("-o", o->output, "result file");
  app.add_option("--profile", o->profile, "profile file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  app.add_option("--db", o->db, "store file");
  return [o, &g](Io io) {
    o->argv = {"aicq", "assess", o->site};
    return run_assess(*o, g, io);
  };
}

}  // namespace aicq::cli

// aicq assess SITE.yaml [-o result.json] [--profile FILE] [--lang zh|en]: the five-dimension assessment.
#include <fmt/format.h>
#include <fstream>
#include <ostream>
#include <sstream>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/core/hash.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::cli {

namespace {

struct AssessOptions {
  std::string site, output, profile, lang;
  std::vector<std::string> argv;
};

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return core::sha256_hex(ss.str());
}

int run_assess(const AssessOptions& o, const GlobalOptions& g, Io io) {
  const report::Lang lang = o.lang.empty() ? report::lang_from_env() : report::parse_lang(o.lang);
  const data::DataSource src(g.data_dir);
  const catalog::Catalogs cat = catalog::Catalogs::load(src);
  const assess::Profile profile = assess::load_profile(o.profile, src);
  SiteInputs site = read_site(o.site, cat);
  // Assess exactly what the result will hold, so that `rescore` reproduces it to the bit.
  for (auto& e : site.evidence) e = core::normalised(e);
  const assess::Assessment a = assess::assess(site.evidence, profile, cat);

  assess::ResultContext ctx;
  ctx.system = declare::to_json(site.declaration)["system"];
  ctx.inputs["declaration"] = {{"path", o.site}, {"sha256", file_sha256(o.site)}};
  for (const auto& ref : site.declaration.evidence)
    ctx.inputs["evidence_files"].push_back(
        {{"path", ref.path}, {"import", ref.import_kind}, {"sha256", ref.import_kind.empty() ? file_sha256(ref.path) : ""}});
  ctx.evidence = site.evidence;
  ctx.created = utc_now();
  ctx.argv = o.argv;
  ctx.host = host_name();
  const nlohmann::json result = assess::result_json(a, profile, cat, ctx);
  if (!o.output.empty()) core::write_file_atomic(o.output, core::canonical_json(result));
  io.out << report::summary(result, lang);
  if (!o.output.empty()) io.out << fmt::format("result: {}\n", o.output);
  else io.out << "(write the result with -o FILE)\n";
  return kOk;
}

}  // namespace

Action add_assess(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<AssessOptions>();
  app.add_option("site", o->site, "site declaration")->required();
  app.add_option("-o", o->output, "result file");
  app.add_option("--profile", o->profile, "profile file");
  app.add_option("--lang", o->lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
  return [o, &g](Io io) {
    o->argv = {"aicq", "assess", o->site};
    return run_assess(*o, g, io);
  };
}

}  // namespace aicq::cli

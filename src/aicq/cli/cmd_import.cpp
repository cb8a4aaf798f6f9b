// aicq import KIND PATH… [-o evidence.json] | aicq import --list: standard tools' outputs as evidence.
#include <fmt/format.h>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/version.hpp"
#include "aicq/declare/yaml_reader.hpp"
#include "aicq/ingest/importer.hpp"

namespace aicq::cli {

namespace {

struct ImportOptions {
  std::string kind;
  std::vector<std::string> paths;
  std::string output;
  bool list = false;
};

int run_import(const ImportOptions& o, Io io) {
  if (o.list) {
    for (const auto& i : ingest::importers()) io.out << fmt::format("{:<16} {}\n{:<16} feeds: {}\n", i.name, i.reads, "", i.feeds);
    return kOk;
  }
  std::vector<std::string> names;
  for (const auto& i : ingest::importers()) names.emplace_back(i.name);
  const ingest::Importer* imp = ingest::find_importer(o.kind);
  if (!imp)
    throw core::InputError(core::Location{o.kind}, "KIND",
                           fmt::format("expected an importer (one of {}), found '{}'{}", declare::join_names(names, 20), o.kind,
                                       declare::did_you_mean(o.kind, names)));
  if (o.paths.empty()) throw core::InputError(core::Location{o.kind}, "PATH", "expected at least one file or folder to import");
  const ingest::Imported r = imp->run(o.paths);
  io.out << fmt::format("{} ({}{}): {} record{}", o.kind, r.tool, r.tool_version.empty() ? "" : " " + r.tool_version,
                        r.evidence.size(), r.evidence.size() == 1 ? "" : "s");
  if (r.verdict.state == ingest::Verdict::State::valid) io.out << fmt::format(", VALID{}", r.verdict.reason.empty() ? "" : " (" + r.verdict.reason + ")");
  if (r.verdict.state == ingest::Verdict::State::invalid) io.out << fmt::format(", INVALID: {} — kept, not scored", r.verdict.reason);
  io.out << "\n";
  for (const auto& e : r.evidence)
    io.out << fmt::format("  {:<48} {:>22}  {}:{}\n", e.metric, e.quantity.to_string(8), e.source.at.file, e.source.at.line);
  for (const auto& n : r.notes) io.out << "  note: " << n << "\n";
  if (!o.output.empty()) {
    nlohmann::json doc;
    doc["schema"] = std::string(core::kEvidenceSchema);
    doc["tool"] = {{"name", "aicq"}, {"version", core::version()}, {"git_revision", core::git_revision()}};
    doc["evidence"] = nlohmann::json::array();
    for (const auto& e : r.evidence) doc["evidence"].push_back(core::to_json(e));
    core::write_file_atomic(o.output, doc.dump(2) + "\n");
  }
  return kOk;
}

}  // namespace

Action add_import(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<ImportOptions>();
  app.add_flag("--list", o->list, "list the importers");
  app.add_option("kind", o->kind, "importer");
  app.add_option("paths", o->paths, "files or folders");
  app.add_option("-o", o->output, "evidence JSON file");
  return [o](Io io) {
    if (!o->list && o->kind.empty()) throw core::InputError(core::Location{"import"}, "KIND", "expected an importer name or --list");
    return run_import(*o, io);
  };
}

}  // namespace aicq::cli

// aicq validate FILE… [--format text|json] [-o FILE]: check site declarations.
#include <fmt/format.h>
#include <map>
#include <ostream>
#include <sstream>

#include "aicq/catalog/catalog.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/cli/site_inputs.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/version.hpp"
#include "aicq/declare/declaration.hpp"

namespace aicq::cli {

namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  std::string format = "text";
  std::string output;
};

// Declared peak of a group per precision: units × devices per unit × per-device peak.
std::map<std::string, double> group_peak(const declare::DeviceGroup& g, const catalog::Catalogs& cat) {
  std::map<std::string, double> out;
  for (const auto* spec : {g.accelerators ? &*g.accelerators : nullptr, g.cpus ? &*g.cpus : nullptr}) {
    if (!spec) continue;
    std::map<std::string, double> per_device;
    if (const auto* hm = cat.hardware.find(spec->model))
      for (const auto& [p, q] : hm->peak) per_device[p] = q.si;
    for (const auto& [p, f] : spec->peak) per_device[p] = f.quantity.si;
    for (const auto& [p, v] : per_device) out[p] += static_cast<double>(g.count) * spec->count * v;
  }
  return out;
}

std::string component_text(const declare::ComponentSpec& c) {
  return fmt::format("{} × {}", c.count, c.model.empty() ? std::string("explicit peak") : c.model);
}

void summary(const declare::Declaration& d, const catalog::Catalogs& cat, std::size_t evidence_count, std::ostream& out) {
  out << fmt::format("{}: valid (declaration schema {})\n", d.file, d.schema_version);
  std::string where = d.system.country;
  for (const auto* s : {&d.system.region, &d.system.city})
    if (!s->empty()) where += (where.empty() ? "" : ", ") + *s;
  out << fmt::format("  system     {}{}{}\n", d.system.name,
                     d.system.operator_name.empty() ? "" : " — " + d.system.operator_name,
                     where.empty() ? "" : " (" + where + ")");
  if (!d.system.boundary.empty()) out << fmt::format("  boundary   {}\n", d.system.boundary);
  if (!d.inventory.empty()) {
    out << fmt::format("  inventory  {:<18} {:<8} {:>7}  {:<60} {}\n", "group", "kind", "units", "compute per unit", "rated power/unit");
    std::map<std::string, double> total_peak;
    double rated = 0;
    bool rated_complete = true;
    for (const auto& g : d.inventory) {
      std::string devices;
      if (g.accelerators) devices = component_text(*g.accelerators);
      if (g.cpus) devices += (devices.empty() ? "" : " + ") + component_text(*g.cpus);
      out << fmt::format("             {:<18} {:<8} {:>7}  {:<60} {}\n", g.id, g.kind, g.count, devices.empty() ? "-" : devices,
                         g.rated_power ? g.rated_power->quantity.to_string(4) : "not declared");
      for (const auto& [p, v] : group_peak(g, cat)) total_peak[p] += v;
      if (g.rated_power) rated += g.rated_power->quantity.si * static_cast<double>(g.count);
      else rated_complete = false;
    }
    std::string peaks;
    for (const auto& p : catalog::precisions()) {
      auto it = total_peak.find(p);
      if (it == total_peak.end()) continue;
      core::Quantity q;
      q.dim = core::dim::op_rate();
      q.si = it->second;
      peaks += fmt::format("{}{} {}", peaks.empty() ? "" : ", ", p, q.to_string(4));
    }
    if (!peaks.empty()) out << fmt::format("  peak       {} (declared, dense)\n", peaks);
    core::Quantity p;
    p.dim = core::dim::power();
    p.si = rated;
    out << fmt::format("  rated IT   {}{}\n", p.to_string(4), rated_complete ? "" : " (some groups declare no rated power)");
  }
  const std::vector<std::pair<std::string, bool>> sections = {
      {"facility", d.facility.has_value()},       {"carbon", d.carbon.has_value()},
      {"utilization", d.utilization.has_value()}, {"workloads", !d.workloads.empty()},
      {"models", !d.models.empty()},              {"intelligence", d.intelligence.has_value()},
      {"access", d.access.has_value()},           {"pricing", d.pricing.has_value()},
      {"compatibility", !d.compatibility.empty()}, {"supply_chain", d.supply_chain.has_value()},
      {"openness", d.openness.has_value()}};
  std::string present, absent;
  for (const auto& [name, has] : sections) (has ? present : absent) += (has ? (present.empty() ? "" : ", ") : (absent.empty() ? "" : ", ")) + name;
  out << fmt::format("  sections   {}\n", present.empty() ? "none besides system and inventory" : present);
  if (!absent.empty()) out << fmt::format("  absent     {} (their indicators will be missing)\n", absent);
  const std::size_t referenced = declare::referenced_evidence(d).size();
  std::size_t imports = 0;
  for (const auto& ref : d.evidence) imports += ref.import_kind.empty() ? 0u : 1u;
  out << fmt::format("  evidence   {} declared facts", evidence_count - referenced);
  if (referenced > 0) out << fmt::format(", {} records from evidence files", referenced);
  if (imports > 0) out << fmt::format(", {} tool output(s) to import (read by `aicq import` when it lands)", imports);
  out << "\n";
}

// The evidence JSON document (core::kEvidenceSchema): every record at the top level, so that any producer's
// document reads the same way; the parsed declarations beside them.
nlohmann::json evidence_document(const std::vector<std::pair<declare::Declaration, std::vector<core::Evidence>>>& all) {
  nlohmann::json doc;
  doc["schema"] = std::string(core::kEvidenceSchema);
  doc["tool"] = {{"name", "aicq"}, {"version", core::version()}, {"git_revision", core::git_revision()}};
  doc["evidence"] = nlohmann::json::array();
  doc["declarations"] = nlohmann::json::array();
  for (const auto& [d, ev] : all) {
    for (const auto& e : ev) doc["evidence"].push_back(core::to_json(e));
    doc["declarations"].push_back({{"file", d.file}, {"declaration", declare::to_json(d)}});
  }
  return doc;
}

int run_validate(const ValidateOptions& o, const GlobalOptions& g, Io io) {
  if (!o.output.empty() && o.files.size() != 1)
    throw core::InputError(core::Location{"-o"}, "", "expected one FILE with -o, found several");
  const catalog::Catalogs cat = catalog::Catalogs::load(data::DataSource(g.data_dir));
  std::vector<std::pair<declare::Declaration, std::vector<core::Evidence>>> all;
  std::vector<core::Diagnostic> problems;
  for (const auto& f : o.files) {
    try {
      SiteInputs site = read_site(f, cat);
      all.emplace_back(std::move(site.declaration), std::move(site.evidence));
    } catch (const core::InputError& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) io.err << p.to_string() << "\n";
    io.err << fmt::format("aicq validate: {} problem{} found; nothing written\n", problems.size(), problems.size() == 1 ? "" : "s");
    return kBadInput;
  }
  std::ostringstream text;
  if (o.format == "json") {
    text << evidence_document(all).dump(2) << "\n";
  } else {
    for (const auto& [d, ev] : all) summary(d, cat, ev.size(), text);
  }
  if (o.output.empty()) io.out << text.str();
  else core::write_file_atomic(o.output, text.str());
  return kOk;
}

}  // namespace

Action add_validate(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ValidateOptions>();
  app.add_option("files", o->files, "declaration files")->required();
  app.add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("-o", o->output, "output file");
  return [o, &g](Io io) { return run_validate(*o, g, io); };
}

}  // namespace aicq::cli

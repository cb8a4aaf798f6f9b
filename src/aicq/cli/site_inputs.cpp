#include "aicq/cli/site_inputs.hpp"

#include <chrono>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include "aicq/ingest/importer.hpp"

namespace aicq::cli {

SiteInputs read_site(const std::string& path, const catalog::Catalogs& catalogs) {
  SiteInputs s;
  s.declaration = declare::load_declaration(path, catalogs);
  // Tool outputs the declaration references are read by their importers now, so that their figures are
  // evidence of this assessment (and workloads may take their rate from them).
  for (auto& ref : s.declaration.evidence) {
    if (ref.import_kind.empty()) continue;
    const ingest::Importer* imp = ingest::find_importer(ref.import_kind);
    if (!imp) throw core::InputError(ref.at, "evidence.import", fmt::format("no importer '{}' in this build", ref.import_kind));
    const ingest::Imported imported = imp->run({ref.path});
    ref.records = imported.evidence;
    if (imported.verdict.state == ingest::Verdict::State::invalid)
      ref.invalid_reason = imported.verdict.reason.empty() ? "invalid" : imported.verdict.reason;
  }
  declare::resolve_references(s.declaration);
  s.evidence = declare::declared_evidence(s.declaration, catalogs);
  const auto referenced = declare::referenced_evidence(s.declaration);
  s.evidence.insert(s.evidence.end(), referenced.begin(), referenced.end());
  return s;
}

std::string utc_now() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace aicq::cli

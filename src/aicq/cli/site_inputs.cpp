#include "aicq/cli/site_inputs.hpp"

#include <chrono>
#include <fmt/chrono.h>
#include <unistd.h>

namespace aicq::cli {

SiteInputs read_site(const std::string& path, const catalog::Catalogs& catalogs) {
  SiteInputs s;
  s.declaration = declare::load_declaration(path, catalogs);
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

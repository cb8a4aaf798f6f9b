#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "aicq/core/diagnostics.hpp"
#include "aicq/data/embedded.hpp"

namespace aicq::data {

std::pair<std::string, std::string> DataSource::read(std::string_view path) const {
  if (!dir_.empty()) {
    const std::filesystem::path p = std::filesystem::path(dir_) / std::string(path);
    if (std::filesystem::exists(p)) {
      std::ifstream in(p, std::ios::binary);
      if (!in) throw core::InputError(core::Location{p.string()}, "", "cannot read the file");
      std::ostringstream ss;
      ss << in.rdbuf();
      return {ss.str(), p.string()};
    }
  }
  for (const auto& f : data_files())
    if (f.path == path) return {std::string(f.content), fmt::format("<embedded>/data/{}", path)};
  throw core::InputError(core::Location{std::string(path)}, "",
                         fmt::format("no such data file (neither embedded nor in --data-dir '{}')", dir_));
}

std::optional<std::string_view> doc(std::string_view name) {
  for (const auto& f : doc_files())
    if (f.path == name) return f.content;
  return std::nullopt;
}

}  // namespace aicq::data

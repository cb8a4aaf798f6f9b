// Files embedded in the binary at build time (cmake/EmbedFiles.cmake), so one binary works anywhere
// (conventions: paths). `data/` files are keyed by their path under data/, e.g. "hardware/cpus.yaml".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aicq::data {

struct EmbeddedFile {
  std::string_view path;
  std::string_view content;
};

/// Everything under data/ (profiles, hardware catalog, vocabularies, defaults).
const std::vector<EmbeddedFile>& data_files();
/// Documentation the binary prints: "cli.md" (the command reference that is also --help).
const std::vector<EmbeddedFile>& doc_files();
/// Web assets inlined into HTML reports: "dist/echarts.min.js" and its "LICENSE" (defined in aicq::report).
const std::vector<EmbeddedFile>& web_files();
/// SQL migrations of the store, by file name "YYYYMMDD-feature.sql" (defined in aicq::store).
const std::vector<EmbeddedFile>& migration_files();

/// Where data files are read from: a --data-dir override first (a file present there wins), else the
/// embedded copy.
class DataSource {
 public:
  DataSource() = default;
  explicit DataSource(std::string override_dir) : dir_(std::move(override_dir)) {}

  /// The file's text and the name to cite in messages ("<embedded>/hardware/cpus.yaml" or the real path).
  /// Throws core::InputError when the file exists nowhere.
  [[nodiscard]] std::pair<std::string, std::string> read(std::string_view path) const;
  [[nodiscard]] const std::string& override_dir() const { return dir_; }

 private:
  std::string dir_;
};

/// The embedded documentation file, or nullopt.
std::optional<std::string_view> doc(std::string_view name);

}  // namespace aicq::data

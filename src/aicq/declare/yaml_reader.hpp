// Reading user YAML (and JSON, which yaml-cpp reads too) into typed values with every error located:
// file:line:column, the field path, what was expected and what was found. Reading goes on after an error so
// that a user sees every problem of a file at once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"

namespace aicq::declare {

/// A value read from a file with where it was written.
struct Fact {
  core::Quantity quantity;
  std::string text;  // as written
  core::Location at;
};

/// A node of the document with its field path and position.
struct Cursor {
  YAML::Node node;
  std::string path;
  core::Location at;      // of the value, or of its key when the value is empty
  core::Location key_at;  // of its key, for entries of a mapping (else the same as `at`)
};

/// Reading context: the file name, the diagnostics sink.
class Reader {
 public:
  Reader(std::string file, core::Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  /// Parse text as YAML. Checks first that it is text (UTF-8, no NUL bytes) and not empty; reports a syntax
  /// error with its position. Returns the root cursor, or nullopt after recording the diagnostic.
  std::optional<Cursor> load(std::string_view text, std::string_view empty_hint);

  [[nodiscard]] core::Location location(const YAML::Mark& m) const;
  void error(const core::Location& at, const std::string& path, std::string message);
  void error(const Cursor& c, std::string message) { error(c.at, c.path, std::move(message)); }
  /// An error about the name of a mapping entry (unknown id, …): located at the key.
  void key_error(const Cursor& c, std::string message) { error(c.key_at, c.path, std::move(message)); }
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::size_t error_count() const { return diags_.size(); }
  /// The sink, to read another file (e.g. a referenced evidence file) into the same report.
  [[nodiscard]] core::Diagnostics& diagnostics() { return diags_; }

 private:
  std::string file_;
  core::Diagnostics& diags_;
};

/// "a mapping", "a list", "nothing", "'abc'" — what a node holds, for "found …".
std::string describe(const YAML::Node& n);

/// A mapping whose keys are checked against the fields it may have: unknown keys (with "did you mean"),
/// duplicate keys and missing required keys are reported when it is built.
class MapView {
 public:
  MapView(Reader& r, const Cursor& c, std::initializer_list<std::string_view> known,
          std::initializer_list<std::string_view> required = {});
  /// True when the node is a mapping.
  [[nodiscard]] bool valid() const { return valid_; }
  /// The field's value, if present (and not null).
  [[nodiscard]] std::optional<Cursor> get(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return get(key).has_value(); }
  [[nodiscard]] const Cursor& cursor() const { return c_; }

 private:
  Reader& r_;
  Cursor c_;
  bool valid_ = false;
  std::vector<std::pair<std::string, Cursor>> fields_;
};

/// Iterates a mapping whose keys are free-form names (e.g. categories), checking duplicates.
std::vector<std::pair<std::string, Cursor>> entries(Reader& r, const Cursor& c, std::string_view what);
/// Iterates a list; a non-list is an error.
std::vector<Cursor> items(Reader& r, const Cursor& c, std::string_view what);

std::optional<std::string> read_string(Reader& r, const Cursor& c);
std::optional<bool> read_bool(Reader& r, const Cursor& c);
std::optional<std::int64_t> read_int(Reader& r, const Cursor& c, std::int64_t min, std::int64_t max);
/// A plain number (no unit) in [min, max].
std::optional<double> read_number(Reader& r, const Cursor& c, double min, double max, std::string_view what);

/// Bounds of a quantity in base units (SI), inclusive or not, with the words used in the message.
struct Range {
  std::optional<double> min;
  bool min_inclusive = true;
  std::optional<double> max;
  bool max_inclusive = true;
  static Range positive() { return {0.0, false, std::nullopt, true}; }
  static Range non_negative() { return {0.0, true, std::nullopt, true}; }
  static Range share() { return {0.0, true, 1.0, true}; }
};

/// A quantity of the expected dimension written as text with a unit ("10.2 kW"); `example` shows how.
std::optional<Fact> read_quantity(Reader& r, const Cursor& c, const core::Dimension& expected,
                                  std::string_view example, Range range = Range::positive());
/// A share or fraction: a number in [0, 1] or a percentage "45%" in [0%, 100%].
std::optional<Fact> read_share(Reader& r, const Cursor& c);
/// One of a fixed set of ids, with "did you mean" on a miss.
std::optional<std::string> read_enum(Reader& r, const Cursor& c, const std::vector<std::string>& allowed,
                                     std::string_view what);
/// An ISO 8601 calendar date "YYYY-MM-DD" that exists.
std::optional<std::string> read_date(Reader& r, const Cursor& c);

/// True when `name` (the key of a mapping entry) is one of `allowed`; otherwise reports
/// "unknown WHAT 'name' (did you mean …?); expected one of …" at the key and returns false.
bool known_name(Reader& r, const Cursor& entry, const std::string& name, const std::vector<std::string>& allowed,
                std::string_view what);

/// "; did you mean 'x'?" when one candidate is close to `word`, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b, c" for messages.
std::string join_names(const std::vector<std::string>& names, std::size_t max = 12);

}  // namespace aicq::declare

// Errors about user input, located to the character, and the error types that map to exit codes.
//
// Contract (conventions: exit codes): InputError → exit 2 (bad input: a file, flag or value the user gave);
// WorkError → exit 1 (a failure while working: a sensor, a library, the disk). Every InputError carries one
// or more diagnostics "file:line:column: field.path: expected …, found …" so that all problems in a file are
// reported at once.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace aicq::core {

struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

struct Diagnostic {
  Location where;
  std::string path;     // field path, e.g. "inventory[2].rated_power"; empty for file-level problems
  std::string message;  // "expected …, found …"

  /// "file:line:column: path: message"
  [[nodiscard]] std::string to_string() const;
};

/// Collects diagnostics while reading a file; reading goes on after an error so that all are reported.
class Diagnostics {
 public:
  void add(Location where, std::string path, std::string message);
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] std::size_t size() const { return items_.size(); }
  /// Sorted by file, line, column (stable for equal positions).
  [[nodiscard]] std::vector<Diagnostic> sorted() const;
  [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

/// Bad input (exit 2).
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(Location where, std::string path, std::string message);
  [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

/// A failure while working (exit 1): the message names the call and what failed.
class WorkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace aicq::core

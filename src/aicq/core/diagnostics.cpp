#include "aicq/core/diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace aicq::core {

std::string Diagnostic::to_string() const {
  std::string s = where.file;
  if (where.line > 0) s += fmt::format(":{}", where.line);
  if (where.line > 0 && where.column > 0) s += fmt::format(":{}", where.column);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  s += message;
  return s;
}

void Diagnostics::add(Location where, std::string path, std::string message) {
  items_.push_back(Diagnostic{std::move(where), std::move(path), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> v = items_;
  std::stable_sort(v.begin(), v.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) < std::tie(b.where.file, b.where.line, b.where.column);
  });
  return v;
}

namespace {
std::string join(const std::vector<Diagnostic>& d) {
  std::string s;
  for (const auto& x : d) {
    if (!s.empty()) s.push_back('\n');
    s.append(x.to_string());
  }
  return s;
}
}  // namespace

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(Location where, std::string path, std::string message)
    : InputError(std::vector<Diagnostic>{Diagnostic{std::move(where), std::move(path), std::move(message)}}) {}

}  // namespace aicq::core

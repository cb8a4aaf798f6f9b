// Helpers of the hw tests: the embedded catalog, environment variables set for one scope.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

#include "aicq/catalog/catalog.hpp"

namespace aicq::test {

inline const catalog::HardwareCatalog& hardware_catalog() {
  static const catalog::HardwareCatalog c = catalog::HardwareCatalog::load(data::DataSource());
  return c;
}

/// Sets (or, with nullopt, unsets) an environment variable and restores it at the end of the scope.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) ::setenv(name_.c_str(), value->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace aicq::test

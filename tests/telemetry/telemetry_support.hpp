// Helpers of the telemetry tests: scratch trees and fixture files.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support.hpp"  // tests/unit/support.hpp: scratch(), run()

namespace aicq::test {

inline std::filesystem::path fixture(const std::string& rel) { return std::filesystem::path(AICQ_FIXTURES_DIR) / rel; }

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A fresh, empty folder under this process's scratch folder.
inline std::filesystem::path fresh(const std::string& name) {
  const auto d = scratch("telemetry") / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace aicq::test

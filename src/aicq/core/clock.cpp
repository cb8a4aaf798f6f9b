#include "aicq/core/clock.hpp"

#include <fmt/chrono.h>

namespace aicq::core {

std::string utc_iso8601(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(t));
}

std::string utc_compact(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace aicq::core

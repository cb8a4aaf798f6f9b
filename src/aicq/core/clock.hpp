// Wall-clock time as the project writes it: ISO 8601 UTC to the second ("2026-11-29T12:00:00Z") in results,
// records and the store; a compact form ("20261129T120000Z") in folder names.
#pragma once

#include <chrono>
#include <string>

namespace aicq::core {

std::string utc_iso8601(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());
std::string utc_compact(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

}  // namespace aicq::core

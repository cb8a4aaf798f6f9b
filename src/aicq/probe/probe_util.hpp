// Small helpers shared by the memory, storage and first-touch probes and the diagnosis (internal header).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "aicq/core/clock.hpp"

namespace aicq::probe::util {

/// Now as ISO 8601 UTC with seconds ("2025-01-31T12:00:00Z"), for ProbeResult::started.
inline std::string iso_now() { return core::utc_iso8601(); }

/// Seconds since `start` on the monotonic clock.
inline double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// MemAvailable of /proc/meminfo in bytes; nullopt when unreadable.
inline std::optional<double> mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream s(line.substr(13));
    double kib = 0;
    if (s >> kib) return kib * 1024.0;
  }
  return std::nullopt;
}

/// Repetitions that fit in `remaining_s` when one costs `each_s`, clamped to [lo, hi].
inline int reps_within(double remaining_s, double each_s, int lo, int hi) {
  if (each_s <= 0) return hi;
  const double fit = std::floor(remaining_s / each_s);
  if (!(fit >= lo)) return lo;  // also catches NaN
  return fit >= hi ? hi : static_cast<int>(fit);
}

}  // namespace aicq::probe::util

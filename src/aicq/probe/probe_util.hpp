// Small helpers shared by the memory, storage, first-touch and resilience probes and the diagnosis (internal header).
#pragma once

#include <sys/vfs.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
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

/// The type of the filesystem holding `dir` (statfs f_type) by name ("ext4", "tmpfs", …), its magic number in
/// hex when not in the table, "unknown" when statfs fails.
inline std::string filesystem_name(const std::string& dir) {
  struct statfs s{};
  if (::statfs(dir.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794C7630: return "overlay";
    case 0x6969: return "nfs";
    case 0x2FC12FC1: return "zfs";
    case 0xF2F52010: return "f2fs";
    case 0x65735546: return "fuse";
    case 0x01021997: return "9p";
    case 0x858458F6: return "ramfs";
    default: return fmt::format("0x{:x}", static_cast<unsigned long>(s.f_type));
  }
}

/// Repetitions that fit in `remaining_s` when one costs `each_s`, clamped to [lo, hi].
inline int reps_within(double remaining_s, double each_s, int lo, int hi) {
  if (each_s <= 0) return hi;
  const double fit = std::floor(remaining_s / each_s);
  if (!(fit >= lo)) return lo;  // also catches NaN
  return fit >= hi ? hi : static_cast<int>(fit);
}

}  // namespace aicq::probe::util

// storage.io — sequential write and read, 4 KiB random read at queue depth 1, in a scratch folder.
//
// Contract: the probe writes only inside a fresh folder it creates under `Context::scratch_dir` (the system's
// temporary folder when empty) and removes that folder on every way out — success, Cancelled, error. It reads
// and writes with O_DIRECT (the page cache bypassed) and, where the filesystem refuses O_DIRECT (tmpfs,
// some overlays: EINVAL), falls back to buffered I/O plus fsync and posix_fadvise(DONTNEED), says so
// ("o_direct": false with the reason) and labels the read figures cache-affected.
//
// Sizes: tiny 8 MiB, quick 256 MiB, standard 1 GiB, full 4 GiB; shrunk to fit the free space (statvfs,
// keeping a margin) and skipped with the reason when even 8 MiB does not fit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe::storage {

/// Nearest-rank percentile (p in (0, 100]) of `v`: the ⌈p/100 × n⌉-th smallest value. Throws
/// std::invalid_argument on an empty vector or p outside (0, 100].
double percentile(std::vector<double> v, double p);

/// File size the probe plans for a suite (before the free-space check).
std::uint64_t planned_bytes(const Context& ctx);

}  // namespace aicq::probe::storage

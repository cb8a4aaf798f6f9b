// The machine's topology through hwloc: packages, cores, hardware threads, NUMA nodes, caches, memory, and
// the first hardware thread of each core (where the measuring threads are pinned). Internal to the hw layer.
#pragma once

#include <string>
#include <vector>

#include "aicq/hw/discovery.hpp"

namespace aicq::hw::detail {

struct Topology {
  int sockets = 0, cores = 0, threads = 0, numa_nodes = 0;
  std::vector<Cache> caches;    // by level; data (or unified) before instruction within a level
  double memory_bytes = 0;      // sum of the NUMA nodes' local memory (0 when hwloc does not say)
  std::vector<unsigned> core_cpus;  // OS index of the first hardware thread of each allowed core
  std::string error;            // set when hwloc could not load the topology (the counts are then 0)
};

/// Loads the topology of the CPUs this process may use (hwloc excludes CPUs outside its cpuset).
Topology read_topology();

}  // namespace aicq::hw::detail

#include "aicq/hw/topology.hpp"

#include <hwloc.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace aicq::hw::detail {

namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};

int count(hwloc_topology_t t, hwloc_obj_type_t type) {
  const int n = hwloc_get_nbobjs_by_type(t, type);
  return n < 0 ? 0 : n;  // -1: the type sits at several depths (not for the types asked here)
}

const char* cache_type_name(hwloc_obj_cache_type_t type) {
  switch (type) {
    case HWLOC_OBJ_CACHE_DATA: return "data";
    case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction";
    case HWLOC_OBJ_CACHE_UNIFIED: return "unified";
  }
  return "unified";
}

}  // namespace

Topology read_topology() {
  Topology topo;
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) {
    topo.error = fmt::format("hwloc_topology_init: {}", std::strerror(errno));
    return topo;
  }
  std::unique_ptr<hwloc_topology, TopologyDeleter> t(raw);
  // hwloc 2 leaves instruction caches out by default; they are part of what `aicq hw` reports.
  hwloc_topology_set_icache_types_filter(t.get(), HWLOC_TYPE_FILTER_KEEP_ALL);
  if (hwloc_topology_load(t.get()) != 0) {
    topo.error = fmt::format("hwloc_topology_load: {}", std::strerror(errno));
    return topo;
  }
  topo.sockets = count(t.get(), HWLOC_OBJ_PACKAGE);
  topo.cores = count(t.get(), HWLOC_OBJ_CORE);
  topo.threads = count(t.get(), HWLOC_OBJ_PU);
  topo.numa_nodes = count(t.get(), HWLOC_OBJ_NUMANODE);

  // Caches by level: data and unified first, then instruction caches.
  const hwloc_obj_type_t cache_types[] = {HWLOC_OBJ_L1CACHE,  HWLOC_OBJ_L2CACHE,  HWLOC_OBJ_L3CACHE,
                                          HWLOC_OBJ_L4CACHE,  HWLOC_OBJ_L5CACHE,  HWLOC_OBJ_L1ICACHE,
                                          HWLOC_OBJ_L2ICACHE, HWLOC_OBJ_L3ICACHE};
  for (const auto type : cache_types) {
    const int n = count(t.get(), type);
    if (n == 0) continue;
    const hwloc_obj_t first = hwloc_get_obj_by_type(t.get(), type, 0);
    if (!first || !first->attr) continue;
    Cache c;
    c.level = static_cast<int>(first->attr->cache.depth);
    c.size_bytes = static_cast<double>(first->attr->cache.size);
    c.count = n;
    c.type = cache_type_name(first->attr->cache.type);
    topo.caches.push_back(c);
  }

  // By level; within a level data (or unified) before instruction, as lscpu lists them.
  std::stable_sort(topo.caches.begin(), topo.caches.end(), [](const Cache& a, const Cache& b) { return a.level < b.level; });

  const hwloc_obj_t root = hwloc_get_root_obj(t.get());
  if (root) topo.memory_bytes = static_cast<double>(root->total_memory);

  for (int i = 0; i < topo.cores; ++i) {
    const hwloc_obj_t core = hwloc_get_obj_by_type(t.get(), HWLOC_OBJ_CORE, static_cast<unsigned>(i));
    if (!core || !core->cpuset) continue;
    const int pu = hwloc_bitmap_first(core->cpuset);
    if (pu >= 0) topo.core_cpus.push_back(static_cast<unsigned>(pu));
  }
  return topo;
}

}  // namespace aicq::hw::detail

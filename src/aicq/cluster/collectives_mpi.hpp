// Internal to the cluster layer: the collective probes on an MPI communicator (see collectives.hpp for what they
// measure and how). Every rank of `comm` calls the same functions in the same order; rank 0 of `comm` gets the
// records, the other ranks get an empty record.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "aicq/cluster/collectives.hpp"
#include "aicq/cluster/mpi_util.hpp"

namespace aicq::cluster::detail {

struct CollectiveHooks {
  std::function<void(const std::string&)> step;  // before each size: what is about to run (the watchdog re-arms)
  std::function<void(const std::string&)> line;  // rank 0: one line per size, nccl-tests' columns
  int ranks_on_node = 1;                          // for the memory guard
};

/// MPI_Allreduce (MPI_SUM, MPI_DOUBLE, out of place) over the plan's sizes: measurements "latency" (s, smallest
/// size) and one "busbw_<size>" per size; check "result" (every element of every rank's sum).
probe::ProbeResult run_allreduce(MPI_Comm comm, const CollectivePlan& plan, const CollectiveHooks& hooks);

/// MPI_Allgather (MPI_DOUBLE) over the plan's sizes (the gathered total, as nccl-tests counts it).
probe::ProbeResult run_allgather(MPI_Comm comm, const CollectivePlan& plan, const CollectiveHooks& hooks);

/// The allreduce of `bytes` again with mallopt(M_MMAP_MAX, 0) and mallopt(M_TRIM_THRESHOLD, INT_MAX) on every rank
/// (they stay set for the rest of the process). Rank 0 gets the median busbw, or nullopt and `why_not`; nullopt
/// elsewhere.
std::optional<double> rerun_allreduce_keeping_buffers(MPI_Comm comm, double bytes, int warmups, int repetitions,
                                                      const CollectiveHooks& hooks, std::string* why_not);

/// NCCL allreduce: run only where NCCL and a GPU exist; here, the record says why it was skipped.
probe::ProbeResult nccl_allreduce_status();

}  // namespace aicq::cluster::detail

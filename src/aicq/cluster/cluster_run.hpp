// `aicq run --mpi`: one job across the ranks an MPI launcher started (mpirun, srun --mpi=pmix). docs/cluster.md
// describes it for users; this is the contract.
//
// Phases, every rank in the same order:
//   1. identity   MPI_Init_thread; rank, size, host (MPI_Get_processor_name); nodes from
//                 MPI_Comm_split_type(MPI_COMM_TYPE_SHARED); the node leader is the node's local rank 0. Rank 0
//                 chooses the folder, writes DIR/job.json (ranks and nodes expected, launcher labels).
//   2. node       each node leader runs the single-machine pipeline (`aicq run --result-only`, i.e. measure::run, in a
//                 child process) into DIR/nodes/<node>/ — one telemetry sampler per node, never one per rank — with
//                 the CPUs of all its node's ranks (the union of their affinity masks: launchers bind ranks to
//                 cores, and a node probe bound to one core would measure one core). The other ranks wait in
//                 MPI_Ibarrier + MPI_Test every 50 ms and sleep between tests: a spinning MPI_Barrier would take
//                 cores from the probes.
//   3. gather     the node records and results travel to rank 0 over MPI too (no shared folder needed).
//   4. collectives mpi.allreduce and mpi.allgather across all ranks (collectives.hpp), NCCL's status.
//   5. assembly   rank 0 writes DIR/result.json (aggregate.hpp) and returns it.
// Fault tolerance: every file is written atomically as soon as it is known; the node phase and every collective
// step run under a watchdog (`timeout_s`, plus the probes' expected time for the node phase): past it the rank
// records the timeout in its rank file, rank 0 assembles what is there, and the rank calls MPI_Abort. An
// exception on any rank is recorded and ends the job with MPI_Abort (exit 2 for bad input, 1 otherwise) — the
// others never hang. SIGINT/SIGTERM: the node runs stop at their next repetition (interrupted results are
// kept), the collectives are skipped, and the result is "interrupted".
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aicq/assess/profile.hpp"
#include "aicq/catalog/catalog.hpp"
#include "aicq/measure/session.hpp"

namespace aicq::cluster {

struct MpiRunOptions {
  measure::RunOptions run;              // suite, only, tiny, self_exe, argv … (run.out_dir: the folder asked for; "" =
                                        // aicq-results/<UTC time>-<host of rank 0>-mpi<ranks>/)
  std::vector<std::string> node_args;   // the node run's arguments after `aicq run` (no --out, --scratch, --site)
  std::string data_dir;                 // the global --data-dir, passed on to the node runs
  std::string scratch;                  // --scratch: node N uses scratch/N (default: its node folder)
  double timeout_s = 600;               // --mpi-timeout: one collective step, a gather, and the node phase beyond
                                        // the probes' expected time
  std::string site_path, profile_path;  // recorded in job.json: `aicq assemble` reads them again
};

struct MpiRunHooks {
  std::function<void(const std::string&)> line;                             // rank 0's progress lines
  std::function<void(const nlohmann::json& result, const std::string& dir)> written;  // rank 0, after DIR/result.json
};

struct MpiOutcome {
  int rank = 0, size = 1;
  std::string dir;
  nlohmann::json result;  // rank 0: the cluster result
  std::string status;     // rank 0: complete | interrupted | invalid
};

/// Runs this rank's part of the job (MPI_Init_thread … MPI_Finalize). Returns on every rank once the job is done.
MpiOutcome run_mpi(const MpiRunOptions& o, const measure::SiteFacts& site, const assess::Profile& profile,
                   const catalog::Catalogs& cat, const std::atomic<bool>& cancel, const MpiRunHooks& hooks);

/// The launcher's labels from an environment: OMPI_COMM_WORLD_{SIZE,RANK,LOCAL_RANK,LOCAL_SIZE,NODE_RANK},
/// OMPI_UNIVERSE_SIZE, SLURM_{JOB_ID,JOB_NAME,JOB_NODELIST,JOB_NUM_NODES,NTASKS,PROCID,LOCALID,NODEID,STEP_ID,
/// JOB_PARTITION,CLUSTER_NAME,CPUS_ON_NODE}, PMIX_{RANK,NAMESPACE}; "kind" is "slurm" when SLURM_JOB_ID is set,
/// "openmpi" when OMPI_COMM_WORLD_SIZE is, else "mpi".
nlohmann::json launcher_labels(const std::map<std::string, std::string>& env);

/// The node a rank belongs to, when AICQ_TEST_RANKS_PER_NODE=K is set (tests only, docs/cluster.md): rank ÷ K.
/// nullopt when unset or not a positive integer.
std::optional<int> test_node_of(int rank, const std::map<std::string, std::string>& env);

/// Folder names of the nodes (leader → name): the host name, or host.r<leader> for every node whose host name
/// another node shares (containers, tests).
std::map<int, std::string> node_names(const std::map<int, std::string>& host_of_leader);

}  // namespace aicq::cluster

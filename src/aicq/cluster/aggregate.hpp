// The cluster result: node results + collective results → ONE result document (the single-machine schema plus a
// `cluster` member). Pure functions of what they are given, so that `aicq run --mpi` (rank 0, at the end of the
// job or when a phase times out) and `aicq assemble DIR` (afterwards, from the files present) build the same
// document from the same files.
//
// The run folder of `aicq run --mpi` (docs/cluster.md):
//   DIR/job.json                 rank 0, at start: the ranks and nodes expected, launcher labels, options
//   DIR/ranks/rank-<r>.json      every rank, at each phase: host, node, pid, phase, state, waits, allocator, timeout
//   DIR/nodes/<node>/node.json   the node leader, when its node run ended: status, ranks, affinity, duration
//   DIR/nodes/<node>/result.json the node run's own result (`aicq run --result-only` on that node), raw/, log.txt
//   DIR/collectives.json         rank 0, after each collective probe: their records, allocator settings, NCCL
//   DIR/result.json              the cluster result (this file's `assemble`)
// Every file is written atomically as soon as its writer has it: whatever dies, the others' files stay whole.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aicq/assess/profile.hpp"
#include "aicq/catalog/catalog.hpp"
#include "aicq/core/evidence.hpp"
#include "aicq/measure/session.hpp"
#include "aicq/probe/diagnosis.hpp"
#include "aicq/probe/probe.hpp"

namespace aicq::cluster {

/// Schema of a cluster result: 1.1.0 (result.hpp) plus the optional member "cluster" → a minor bump. A
/// single-machine result carries no "cluster" member and stays 1.1.0.
inline constexpr const char* kClusterResultSchemaVersion = "1.2.0";
/// Schema of the run folder's own files (job.json, ranks/*.json, nodes/*/node.json, collectives.json).
inline constexpr const char* kClusterFilesSchema = "aicq-cluster/1";

/// A node is a straggler in a measurement when it is more than this share worse than the median of the nodes:
/// below (1 − 0.10) × median for rates, above (1 + 0.10) × median for times.
inline constexpr double kStragglerShortfall = 0.10;

/// One node as the cluster result sees it.
struct NodeRecord {
  std::string node;            // folder name under nodes/: the host name, made unique when hosts repeat
  std::string host;
  std::vector<int> ranks;      // world ranks on this node
  int leader = -1;             // world rank that ran the node's probes
  std::string status;          // complete | interrupted | invalid | failed | missing
  std::string reason;          // why failed / missing / interrupted
  double duration_s = 0;       // of the node run
  nlohmann::json record = nlohmann::json::object();  // node.json as written (affinity, exit status, …)
  nlohmann::json result;       // the node's result document; null when there is none
  std::string result_sha256;   // of nodes/<node>/result.json
  std::vector<core::Evidence> evidence;  // the node result's evidence
  [[nodiscard]] bool has_result() const { return result.is_object(); }
};

/// A node more than kStragglerShortfall worse than the median.
struct Straggler {
  std::string node;
  double value = 0;
  double shortfall = 0;  // how much worse than the median, as a share of it (0.12 = 12% below for a rate)
};

/// One measurement across the nodes that have it.
struct Spread {
  std::string probe, measurement, unit;  // probe "hw.peak" for the measured peaks (measurement = precision)
  bool higher_is_better = true;
  std::vector<std::pair<std::string, double>> values;  // node → its median, in node order
  probe::Stats stats;                                  // over the node values: min, median, max, mean, CV
  std::vector<Straggler> stragglers;
};

/// True when `value` is more than kStragglerShortfall worse than `median`.
bool is_straggler(double value, double median, bool higher_is_better);

/// The spread of one measurement (values: node → value). Throws std::invalid_argument on no values.
Spread spread_of(std::string probe, std::string measurement, std::string unit, bool higher_is_better,
                 std::vector<std::pair<std::string, double>> values);

/// Every measurement the node results hold (probe records with status ok, each measurement's median) and each
/// measured peak, across the nodes that have it; in the order of the first node's probes.
std::vector<Spread> spreads(const std::vector<NodeRecord>& nodes);

/// The cluster's evidence from its nodes' evidence (docs/cluster.md, "evidence"): the inventory as N nodes
/// (one group "node" when the nodes are alike, otherwise one group per kind of node), each compute workload
/// summed over the nodes that measured it (achieved Σ, devices Σ, peak per device = Σ peaks ÷ Σ devices), so that
/// ce.measured is the cluster's; memory and storage rates summed, latencies as the median, power and energy
/// summed when every node measured them. `notes` receives what was left out and why.
std::vector<core::Evidence> cluster_evidence(const std::vector<NodeRecord>& nodes, const std::string& time,
                                             std::vector<std::string>& notes);

/// What a run folder holds, read leniently: a file that is missing or unreadable is recorded as such (the job may
/// have died at any point), never an exception — except a folder that is not a cluster run folder at all
/// (neither job.json nor ranks/ nor nodes/): core::InputError naming it.
struct ClusterFolder {
  std::string dir;
  nlohmann::json job;                      // job.json; null when absent
  std::map<int, nlohmann::json> ranks;     // rank → ranks/rank-<r>.json
  std::vector<NodeRecord> nodes;           // expected and present, by leader rank
  nlohmann::json collectives;              // collectives.json; null when absent
  std::vector<std::string> problems;       // files that could not be read, and why
};
ClusterFolder read_folder(const std::string& dir);

struct AssembleInputs {
  measure::SiteFacts site;                 // cluster-level declaration (aicq run --mpi --site)
  std::vector<std::string> argv;
  std::string created;                     // ISO 8601 UTC; empty: job.json's start time or now
  std::vector<nlohmann::json> timeouts;    // timeouts seen by the assembling rank, besides the rank files'
};

/// Builds the cluster result document (does not write it). Its status: "interrupted" when the job did not run to
/// its end (a rank missing or unfinished, a timeout, the collectives cut short, a node run stopped), else "invalid"
/// when a node run's validity gate failed (--require-valid), else "complete". cluster.complete is true only when
/// besides every node has its complete result; what is missing is named in cluster.missing.
nlohmann::json assemble(const ClusterFolder& folder, const AssembleInputs& in, const assess::Profile& profile,
                        const catalog::Catalogs& cat);

/// assemble() and write DIR/result.json atomically (canonical JSON); returns the document.
nlohmann::json assemble_to_folder(const std::string& dir, const AssembleInputs& in, const assess::Profile& profile,
                                  const catalog::Catalogs& cat);

/// The cluster part of the terminal summary: nodes, stragglers, collectives (nccl-tests' columns), missing.
std::string summary(const nlohmann::json& result);

}  // namespace aicq::cluster

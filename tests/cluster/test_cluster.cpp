// The cluster layer's plain logic: nccl-tests' bus-bandwidth formulas, the collective plans, the allocator settings
// and finding, spread and stragglers, the cluster evidence, and the assembly of a run folder written by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "aicq/assess/assessment.hpp"
#include "aicq/assess/result.hpp"
#include "aicq/cli/cluster_cli.hpp"
#include "aicq/cluster/aggregate.hpp"
#include "aicq/cluster/cluster_run.hpp"
#include "aicq/cluster/collectives.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/data/embedded.hpp"
#include "aicq/hw/discovery.hpp"
#include "aicq/hw/peak.hpp"
#include "support.hpp"

namespace aicq {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const core::Evidence* find(const std::vector<core::Evidence>& ev, const std::string& metric) {
  for (const auto& e : ev)
    if (e.metric == metric) return &e;
  return nullptr;
}
const core::Evidence& get(const std::vector<core::Evidence>& ev, const std::string& metric) {
  if (const auto* e = find(ev, metric)) return *e;
  throw std::runtime_error("no evidence " + metric);
}

probe::Measurement rate(const std::string& id, const std::string& unit, const std::string& precision, std::vector<double> s,
                        bool higher = true) {
  probe::Measurement m;
  m.id = id;
  m.unit = unit;
  m.precision = precision;
  m.samples = std::move(s);
  m.stats = probe::statistics(m.samples);
  m.higher_is_better = higher;
  return m;
}

hw::Host host(const std::string& name) {
  hw::Host h;
  h.hostname = name;
  h.cpu.model_name = "AMD EPYC";
  h.cpu.sockets = 1;
  h.cpu.cores = 2;
  h.cpu.threads = 2;
  return h;
}

hw::Peaks peaks(double fp64) {
  hw::Peaks p;
  hw::Peak k;
  k.precision = "fp64";
  k.flops = fp64;
  k.kind = "measured";
  k.method = "2 cores × clock (measured) × FLOP/cycle";
  p.peaks.push_back(k);
  return p;
}

/// A node as `aicq run` on it would have measured it: DGEMM, STREAM triad and a storage latency.
struct NodeFigures {
  std::string name;
  double peak_fp64, dgemm, triad, latency_s;
};

std::vector<probe::ProbeResult> probes_of(const NodeFigures& f) {
  probe::ProbeResult gemm;
  gemm.id = "compute.gemm";
  gemm.measurements.push_back(rate("dgemm_fp64", "FLOP/s", "fp64", {f.dgemm}));
  probe::ProbeResult stream;
  stream.id = "memory.stream";
  stream.measurements.push_back(rate("triad", "B/s", "", {f.triad}));
  probe::ProbeResult io;
  io.id = "storage.io";
  io.measurements.push_back(rate("randread_p50", "s", "", {f.latency_s}, false));
  return {gemm, stream, io};
}

cluster::NodeRecord record_of(const NodeFigures& f, int leader) {
  cluster::NodeRecord n;
  n.node = f.name;
  n.host = f.name;
  n.leader = leader;
  n.ranks = {leader};
  n.status = "complete";
  const auto results = probes_of(f);
  n.evidence = measure::evidence_of(host(f.name), peaks(f.peak_fp64), results, true, "2026-11-29T12:00:00Z");
  json m = {{"peaks", hw::to_json(peaks(f.peak_fp64))}, {"probes", json::array()}};
  for (const auto& r : results) m["probes"].push_back(probe::to_json(r));
  n.result = {{"status", "complete"}, {"measurement", m}};
  return n;
}

}  // namespace

// nccl-tests doc/PERFORMANCE.md: allreduce busbw = algbw × 2(n−1)/n, allgather busbw = algbw × (n−1)/n.
TEST(ClusterFormulas, BusBandwidthFactorsByHand) {
  EXPECT_DOUBLE_EQ(cluster::allreduce_bus_factor(2), 1.0);   // 2·1/2
  EXPECT_DOUBLE_EQ(cluster::allreduce_bus_factor(4), 1.5);   // 2·3/4
  EXPECT_DOUBLE_EQ(cluster::allreduce_bus_factor(8), 1.75);  // 2·7/8
  EXPECT_DOUBLE_EQ(cluster::allgather_bus_factor(2), 0.5);   // 1/2
  EXPECT_DOUBLE_EQ(cluster::allgather_bus_factor(4), 0.75);  // 3/4
  EXPECT_DOUBLE_EQ(cluster::allreduce_bus_factor(1), 0.0);
  EXPECT_DOUBLE_EQ(cluster::allgather_bus_factor(1), 0.0);
  // Allgather sizes as nccl-tests counts them: ⌊size ÷ 8n⌋ float64 per rank (at least 1), × n × 8 bytes.
  EXPECT_DOUBLE_EQ(cluster::allgather_bytes(8, 4), 32);             // 1 value per rank × 4 × 8
  EXPECT_DOUBLE_EQ(cluster::allgather_bytes(1048576, 4), 1048576);  // 32768 × 4 × 8
  EXPECT_DOUBLE_EQ(cluster::allgather_bytes(1000, 3), 984);         // ⌊1000/24⌋ = 41 → 41 × 24
}

TEST(ClusterFormulas, SizeMeasurementFromTheSlowestRanksTimes) {
  // 1 MiB allreduce on 4 ranks, slowest times 1, 2, 4 ms: algbw 1.048576e9, 5.24288e8, 2.62144e8 B/s; busbw × 1.5 →
  // 1.572864e9, 7.86432e8, 3.93216e8; medians: time 2 ms, algbw 5.24288e8, busbw 7.86432e8.
  const auto m = cluster::size_measurement("allreduce", 1048576, 131072, 4, {0.001, 0.002, 0.004}, 2, 0);
  EXPECT_EQ(m.id, "busbw_1MiB");
  EXPECT_EQ(m.unit, "B/s");
  ASSERT_EQ(m.samples.size(), 3u);
  EXPECT_DOUBLE_EQ(m.samples[0], 1.572864e9);
  EXPECT_DOUBLE_EQ(m.stats.median, 7.86432e8);
  EXPECT_DOUBLE_EQ(m.details["time_s"].get<double>(), 0.002);
  EXPECT_DOUBLE_EQ(m.details["algbw_Bps"].get<double>(), 5.24288e8);
  EXPECT_DOUBLE_EQ(m.details["busbw_Bps"].get<double>(), 7.86432e8);
  EXPECT_DOUBLE_EQ(m.details["bus_factor"].get<double>(), 1.5);
  // Allgather of 1 MiB gathered on 4 ranks in 1 ms: algbw 1.048576e9, busbw × 3/4 = 7.86432e8.
  const auto g = cluster::size_measurement("allgather", 1048576, 131072, 4, {0.001}, 1, 0);
  EXPECT_DOUBLE_EQ(g.stats.median, 7.86432e8);
}

// The same formulas reproduce nccl-tests' own table (a 2-rank all_reduce_perf run): algbw and busbw from its size
// and time columns agree with its printed figures to the 0.01 GB/s it prints.
TEST(ClusterFormulas, ReproduceRecordedNcclTestsTable) {
  std::ifstream in(std::string(AICQ_FIXTURES_DIR) + "/nccl_tests/pkb_nccl_all_reduce_output.txt");
  ASSERT_TRUE(in);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    double size = 0, count = 0, root = 0, time_us = 0, algbw = 0, busbw = 0;
    std::string type, op;
    f >> size >> count >> type >> op >> root >> time_us >> algbw >> busbw;
    ASSERT_TRUE(f) << line;
    const auto m = cluster::size_measurement("allreduce", size, count, 2, {time_us * 1e-6}, 5, 0);
    EXPECT_NEAR(m.details["algbw_Bps"].get<double>() / 1e9, algbw, 0.005 + 1e-9) << line;
    EXPECT_NEAR(m.details["busbw_Bps"].get<double>() / 1e9, busbw, 0.005 + 1e-9) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 11);
}

TEST(ClusterFormulas, PlansAndLabels) {
  const auto quick = cluster::plan_for(probe::Suite::quick, false);
  ASSERT_EQ(quick.sizes_bytes.size(), 12u);  // 8 · 4^0 … 8 · 4^11 = 32 MiB
  EXPECT_EQ(quick.sizes_bytes.front(), 8);
  EXPECT_EQ(quick.sizes_bytes.back(), 32.0 * 1024 * 1024);
  const auto standard = cluster::plan_for(probe::Suite::standard, false);
  ASSERT_EQ(standard.sizes_bytes.size(), 13u);  // … 8 · 4^12 = 128 MiB
  EXPECT_EQ(standard.sizes_bytes.back(), 128.0 * 1024 * 1024);
  const auto tiny = cluster::plan_for(probe::Suite::quick, true);
  EXPECT_EQ(tiny.sizes_bytes, (std::vector<double>{8, 8192, 1048576}));
  EXPECT_EQ(tiny.min_reps, 3);
  EXPECT_EQ(cluster::size_label(8), "8 B");
  EXPECT_EQ(cluster::size_label(8192), "8 KiB");
  EXPECT_EQ(cluster::size_label(33554432), "32 MiB");
  EXPECT_EQ(cluster::busbw_id(33554432), "busbw_32MiB");
}

TEST(ClusterAllocator, SettingsAndTheFinding) {
  const auto unset = cluster::allocator_settings({{"PATH", "/usr/bin"}});
  EXPECT_FALSE(unset.keeps_buffers);
  EXPECT_EQ(unset.summary, "unset (glibc defaults)");
  const auto recipe = cluster::allocator_settings({{"MALLOC_MMAP_MAX_", "0"}, {"MALLOC_TRIM_THRESHOLD_", "17179869184"}});
  EXPECT_TRUE(recipe.keeps_buffers);
  EXPECT_EQ(recipe.summary, "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184");
  EXPECT_FALSE(cluster::allocator_settings({{"MALLOC_MMAP_MAX_", "0"}}).keeps_buffers);  // the heap's top is still trimmed
  EXPECT_TRUE(cluster::allocator_settings({{"GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"}}).keeps_buffers);
  EXPECT_TRUE(cluster::allocator_settings({{"GLIBC_TUNABLES", "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483648"}})
                  .keeps_buffers);

  EXPECT_FALSE(cluster::allocator_finding({recipe, recipe}, std::nullopt));
  // One rank of two unset; the rerun: 0.13 GB/s as run, 1.3 GB/s with the buffers kept → cost 1 − 0.13/1.3 = 0.9.
  const auto f = cluster::allocator_finding({recipe, unset}, cluster::AllocatorRerun{67108864, 0.13e9, 1.3e9, 5});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->id, "mpi.allocator_unmaps_buffers");
  ASSERT_TRUE(f->cost_fraction);
  EXPECT_NEAR(*f->cost_fraction, 0.9, 1e-12);
  EXPECT_NE(f->cost_method.find("measured"), std::string::npos);
  EXPECT_NE(f->fix.find("MALLOC_MMAP_MAX_=0"), std::string::npos);
  EXPECT_EQ(f->details["ranks_unset"].get<int>(), 1);
  // Without a rerun the cost is not made up.
  const auto g = cluster::allocator_finding({unset}, std::nullopt);
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->cost_fraction);
  EXPECT_NE(g->cost_method.find("not measured"), std::string::npos);
}

TEST(ClusterSpread, MedianSpreadAndStragglersByHand) {
  // Five nodes: 100, 100, 100, 88, 92 GFLOP/s. Median 100; mean 96; deviations 4, 4, 4, −8, −4 → Σ² = 128;
  // sample variance 128/4 = 32; CV = √32 / 96 = 0.0589256. 88 is 12% below the median (a straggler), 92 is 8%
  // below (not one).
  const auto s = cluster::spread_of("compute.gemm", "dgemm_fp64", "FLOP/s", true,
                                    {{"n1", 100e9}, {"n2", 100e9}, {"n3", 100e9}, {"n4", 88e9}, {"n5", 92e9}});
  EXPECT_DOUBLE_EQ(s.stats.median, 100e9);
  EXPECT_DOUBLE_EQ(s.stats.min, 88e9);
  EXPECT_DOUBLE_EQ(s.stats.max, 100e9);
  EXPECT_DOUBLE_EQ(s.stats.mean, 96e9);
  EXPECT_NEAR(s.stats.cv, std::sqrt(32.0) / 96, 1e-12);
  ASSERT_EQ(s.stragglers.size(), 1u);
  EXPECT_EQ(s.stragglers[0].node, "n4");
  EXPECT_NEAR(s.stragglers[0].shortfall, 0.12, 1e-12);
  // Times: worse is higher. Median of 10, 10, 10, 11.2, 10.8 ms is 10 ms: 11.2 is 12% above (named), 10.8 is 8%.
  const auto t = cluster::spread_of("storage.io", "randread_p50", "s", false,
                                    {{"n1", 10e-3}, {"n2", 10e-3}, {"n3", 10e-3}, {"n4", 11.2e-3}, {"n5", 10.8e-3}});
  ASSERT_EQ(t.stragglers.size(), 1u);
  EXPECT_EQ(t.stragglers[0].node, "n4");
  EXPECT_NEAR(t.stragglers[0].shortfall, 0.12, 1e-9);
  EXPECT_TRUE(cluster::is_straggler(89.9, 100, true));
  EXPECT_FALSE(cluster::is_straggler(90.0, 100, true));  // exactly 10% below: not more than 10%
}

TEST(ClusterSpread, SpreadsAcrossNodeResults) {
  std::vector<cluster::NodeRecord> nodes;
  const double dgemm[] = {100e9, 100e9, 100e9, 88e9, 92e9};
  for (int i = 0; i < 5; ++i) nodes.push_back(record_of({fmt::format("n{}", i + 1), 200e9, dgemm[i], 30e9, 1e-4}, i));
  const auto all = cluster::spreads(nodes);
  const cluster::Spread* g = nullptr;
  for (const auto& s : all)
    if (s.probe == "compute.gemm" && s.measurement == "dgemm_fp64") g = &s;
  ASSERT_TRUE(g);
  EXPECT_EQ(g->stats.n, 5u);
  ASSERT_EQ(g->stragglers.size(), 1u);
  EXPECT_EQ(g->stragglers[0].node, "n4");
  // The measured peaks are compared too (all equal here: no straggler).
  EXPECT_EQ(all.front().probe, "hw.peak");
  EXPECT_TRUE(all.front().stragglers.empty());
}

TEST(ClusterEvidence, SummedWorkloadsMakeCeMeasuredClusterLevel) {
  // Node a: DGEMM 150 GFLOP/s of a 211.2 GFLOP/s package; node b: 132 of 200. Cluster: achieved 282e9 on 2 packages
  // whose peak per package is (211.2 + 200)/2 = 205.6e9; efficiency 282 / 411.2 = 0.685798.
  std::vector<cluster::NodeRecord> nodes = {record_of({"a", 211.2e9, 150e9, 30e9, 1e-4}, 0),
                                            record_of({"b", 200e9, 132e9, 28e9, 3e-4}, 2)};
  std::vector<std::string> notes;
  const auto ev = cluster::cluster_evidence(nodes, "2026-11-29T12:00:00Z", notes);
  EXPECT_DOUBLE_EQ(get(ev, "inventory.node.count").quantity.si, 2);
  EXPECT_DOUBLE_EQ(get(ev, "inventory.node.cpu.count_per_unit").quantity.si, 1);
  EXPECT_DOUBLE_EQ(get(ev, "inventory.node.cpu.peak.fp64").quantity.si, 205.6e9);
  EXPECT_DOUBLE_EQ(get(ev, "probe.compute.gemm.dgemm_fp64.achieved").quantity.si, 282e9);
  EXPECT_DOUBLE_EQ(get(ev, "probe.compute.gemm.dgemm_fp64.devices").quantity.si, 2);
  EXPECT_DOUBLE_EQ(get(ev, "probe.compute.gemm.dgemm_fp64.peak_per_device").quantity.si, 205.6e9);
  // Memory bandwidth aggregates (30 + 28 GB/s); a latency is the median of the nodes ((0.1 + 0.3)/2 ms).
  EXPECT_DOUBLE_EQ(get(ev, "probe.memory.stream.triad.rate").quantity.si, 58e9);
  EXPECT_DOUBLE_EQ(get(ev, "probe.storage.io.randread_p50.value").quantity.si, 2e-4);
  EXPECT_TRUE(notes.empty()) << fmt::format("{}", fmt::join(notes, "; "));

  std::vector<core::Evidence> normal;
  for (const auto& e : ev) normal.push_back(core::normalised(e));
  const data::DataSource src("");
  const auto cat = catalog::Catalogs::load(src);
  const auto profile = assess::load_profile("", src);
  const auto a = assess::assess(normal, profile, cat);
  const auto& ce = a.indicator("ce.measured");
  ASSERT_TRUE(ce.value) << ce.reason;
  EXPECT_NEAR(*ce.value, 282.0 / 411.2, 1e-9);

  // An invalid node is left out of the sum, and said.
  nodes[1].evidence.push_back(core::Evidence{});
  nodes[1].evidence.back().metric = "probe.compute.gemm.dgemm_fp64.invalid";
  nodes[1].evidence.back().quantity.si = 1;
  notes.clear();
  const auto ev2 = cluster::cluster_evidence(nodes, "t", notes);
  EXPECT_DOUBLE_EQ(get(ev2, "probe.compute.gemm.dgemm_fp64.achieved").quantity.si, 150e9);
  EXPECT_DOUBLE_EQ(get(ev2, "probe.compute.gemm.dgemm_fp64.devices").quantity.si, 1);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("b left out"), std::string::npos) << notes[0];
}

TEST(ClusterNames, NodeFoldersAndTestGrouping) {
  EXPECT_EQ(cluster::node_names({{0, "a"}, {2, "b"}}), (std::map<int, std::string>{{0, "a"}, {2, "b"}}));
  EXPECT_EQ(cluster::node_names({{0, "vm"}, {2, "vm"}, {4, "x"}}), (std::map<int, std::string>{{0, "vm.r0"}, {2, "vm.r2"}, {4, "x"}}));
  EXPECT_EQ(cluster::test_node_of(3, {{"AICQ_TEST_RANKS_PER_NODE", "2"}}), 1);
  EXPECT_FALSE(cluster::test_node_of(3, {}));
  EXPECT_FALSE(cluster::test_node_of(3, {{"AICQ_TEST_RANKS_PER_NODE", "0"}}));
  const auto l = cluster::launcher_labels({{"SLURM_JOB_ID", "42"}, {"SLURM_JOB_NODELIST", "n[1-2]"}, {"OMPI_COMM_WORLD_SIZE", "4"}});
  EXPECT_EQ(l["kind"], "slurm");
  EXPECT_EQ(l["SLURM_JOB_NODELIST"], "n[1-2]");
  EXPECT_EQ(cluster::launcher_labels({{"OMPI_COMM_WORLD_SIZE", "4"}})["kind"], "openmpi");
  // The node runs get the run's options without the cluster-level ones.
  EXPECT_EQ(cli::node_arguments({"aicq", "run", "--suite", "quick", "--mpi", "--out", "D", "--site", "s.yaml", "--tiny",
                                 "--mpi-timeout", "5s", "--only", "compute.gemm", "--db", "x.db"}),
            (std::vector<std::string>{"--suite", "quick", "--tiny", "--only", "compute.gemm"}));
}

// A run folder written by hand: two nodes with results, a third whose leader never came back; rank files for each.
TEST(ClusterAssemble, FolderWithAMissingNodeNamesItAndKeepsTheRest) {
  const fs::path dir = test::scratch("cluster-asm") / "run";
  fs::remove_all(dir);
  fs::create_directories(dir / "ranks");
  const data::DataSource src("");
  const auto cat = catalog::Catalogs::load(src);
  const auto profile = assess::load_profile("", src);
  json nodes = json::array(), table = json::array();
  const std::vector<NodeFigures> figs = {{"a", 211.2e9, 150e9, 30e9, 1e-4}, {"b", 200e9, 132e9, 28e9, 3e-4}, {"c", 200e9, 0, 0, 0}};
  for (int i = 0; i < 3; ++i) {
    const int leader = 2 * i;
    nodes.push_back({{"node", figs[static_cast<std::size_t>(i)].name}, {"host", figs[static_cast<std::size_t>(i)].name},
                     {"leader", leader}, {"ranks", {leader, leader + 1}}});
    for (int r = leader; r < leader + 2; ++r) {
      table.push_back({{"rank", r}, {"host", figs[static_cast<std::size_t>(i)].name}, {"node", figs[static_cast<std::size_t>(i)].name}});
      json rf = {{"rank", r}, {"host", figs[static_cast<std::size_t>(i)].name}, {"node", figs[static_cast<std::size_t>(i)].name},
                 {"pid", 1000 + r}, {"phase", i < 2 ? "finished" : "node"}, {"state", i < 2 ? "finished" : "running"}};
      core::write_file_atomic((dir / "ranks" / fmt::format("rank-{}.json", r)).string(), rf.dump());
    }
    if (i == 2) continue;  // node c: nothing
    fs::create_directories(dir / "nodes" / figs[static_cast<std::size_t>(i)].name);
    const auto rec = record_of(figs[static_cast<std::size_t>(i)], leader);
    std::vector<core::Evidence> ev;
    for (const auto& e : rec.evidence) ev.push_back(core::normalised(e));
    assess::ResultContext rc;
    rc.evidence = ev;
    rc.created = "2026-11-29T12:00:00Z";
    rc.host = figs[static_cast<std::size_t>(i)].name;
    rc.measurement = rec.result["measurement"];
    const json doc = assess::result_json(assess::assess(ev, profile, cat), profile, cat, rc);
    core::write_file_atomic((dir / "nodes" / figs[static_cast<std::size_t>(i)].name / "result.json").string(), core::canonical_json(doc));
    core::write_file_atomic((dir / "nodes" / figs[static_cast<std::size_t>(i)].name / "node.json").string(),
                            json{{"status", "complete"}, {"duration_s", 3.5}, {"leader", leader}}.dump());
  }
  const json job = {{"schema", cluster::kClusterFilesSchema}, {"started", "2026-11-29T12:00:00Z"}, {"ranks", 6},
                    {"nodes", nodes}, {"rank_table", table}, {"options", {{"suite", "quick"}}},
                    {"argv", {"aicq", "run", "--mpi"}}};
  core::write_file_atomic((dir / "job.json").string(), job.dump());

  const auto o = test::run({"assemble", dir.string(), "--db", (dir.parent_path() / "aicq.db").string()});
  ASSERT_EQ(o.rc, 0) << o.out << o.err;
  EXPECT_NE(o.err.find("incomplete"), std::string::npos) << o.err;
  const auto r = assess::load_result((dir / "result.json").string());
  EXPECT_EQ(r.doc["schema_version"], cluster::kClusterResultSchemaVersion);
  EXPECT_EQ(r.doc["status"], "interrupted");
  const json& c = r.doc["cluster"];
  EXPECT_FALSE(c["complete"].get<bool>());
  EXPECT_EQ(c["nodes_expected"], 3);
  EXPECT_EQ(c["nodes_with_result"], 2);
  // The missing node, its host and both of its ranks are named, with what became of them.
  ASSERT_EQ(c["missing"]["nodes"].size(), 1u);
  EXPECT_EQ(c["missing"]["nodes"][0]["node"], "c");
  EXPECT_NE(c["missing"]["nodes"][0]["why"].get<std::string>().find("leader rank 4"), std::string::npos);
  EXPECT_EQ(c["missing"]["hosts"], json::array({"c"}));
  ASSERT_EQ(c["missing"]["ranks"].size(), 2u);
  EXPECT_EQ(c["missing"]["ranks"][0]["rank"], 4);
  EXPECT_NE(c["missing"]["ranks"][0]["why"].get<std::string>().find("phase 'node'"), std::string::npos);
  // The rest is kept: the two nodes' figures, their summed peak, and ce.measured from them (282 / 411.2).
  EXPECT_DOUBLE_EQ(c["peaks"]["fp64"]["flops"].get<double>(), 411.2e9);
  EXPECT_DOUBLE_EQ(get(r.evidence, "probe.compute.gemm.dgemm_fp64.achieved").quantity.si, 282e9);
  EXPECT_NEAR(r.doc["indicators"]["ce.measured"]["value"].get<double>(), 282.0 / 411.2, 1e-9);
  EXPECT_EQ(c["nodes"][0]["figures"]["compute.gemm/dgemm_fp64"]["value"], 150e9);
  // No collectives.json: said.
  EXPECT_FALSE(c["collectives"]["finished"].get<bool>());
  // The summary names the missing rank.
  EXPECT_NE(o.out.find("missing rank 4"), std::string::npos) << o.out;
  // --require-complete turns it into a failed check; rescore reproduces the document from its evidence.
  EXPECT_EQ(test::run({"assemble", dir.string(), "--require-complete", "--db", (dir.parent_path() / "aicq.db").string()}).rc, 3);
  EXPECT_EQ(test::run({"rescore", (dir / "result.json").string()}).rc, 0);
}

TEST(ClusterAssemble, NotARunFolderIsBadInput) {
  const fs::path dir = test::scratch("cluster-empty");
  const auto o = test::run({"assemble", dir.string()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("not a folder of `aicq run --mpi`"), std::string::npos) << o.err;
  EXPECT_EQ(test::run({"assemble", (dir / "nope").string()}).rc, 2);
}

}  // namespace aicq

// Real launches of `aicq run --mpi`: OpenMPI's mpirun on this machine (2 and 4 ranks), a rank killed mid-run, a
// rank that hangs, and a private single-node Slurm (munge, slurmctld, slurmd on loopback) running srun --mpi=pmix.
//
// Two test hooks of the cluster layer are used (docs/cluster.md, "Test hooks"): AICQ_TEST_RANKS_PER_NODE=K groups
// ranks into nodes of K (one machine standing in for several nodes), AICQ_TEST_MPI_HOLD=RANK:PHASE makes a rank
// hang at a phase (it writes that to its rank file, where the test reads its pid).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "aicq/assess/result.hpp"
#include "support.hpp"

extern char** environ;

namespace aicq {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json read_json(const fs::path& p) { return json::parse(read_text(p)); }

/// A process started with this environment plus `set`, less `unset`; stdout and stderr to `log`.
struct Proc {
  pid_t pid = -1;
  std::string log;
};

Proc spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& set,
           const std::set<std::string>& unset, const std::string& log) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    const std::string k = kv.substr(0, kv.find('='));
    if (!set.contains(k) && !unset.contains(k)) env.push_back(kv);
  }
  for (const auto& [k, v] : set) env.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  std::vector<std::string> a = args;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  Proc p;
  p.log = log;
  const int rc = posix_spawnp(&p.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(fmt::format("posix_spawnp {}: {}", args[0], std::strerror(rc)));
  return p;
}

/// Exit status (or 128 + signal); ends the process after `limit` (SIGTERM, then SIGKILL) and returns -1.
int wait_for(const Proc& p, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t w = waitpid(p.pid, &status, WNOHANG);
    if (w == p.pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(p.pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  kill(p.pid, SIGKILL);
  waitpid(p.pid, &status, 0);
  return -1;
}

bool wait_until(const std::function<bool()>& ok, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

// The ranks under the sanitizer build: AddressSanitizer stays on, LeakSanitizer off. OpenMPI keeps allocations past
// MPI_Finalize by design, inside MCA components it has unloaded by then, so no suppression can name them; aicq's own
// cluster code is leak-checked in-process by the tests of test_cluster.cpp.
std::map<std::string, std::string> base_env() { return {{"ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1"}}; }
const std::set<std::string> kAllocatorVars = {"MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_",
                                              "MALLOC_TOP_PAD_", "GLIBC_TUNABLES", "AICQ_TEST_RANKS_PER_NODE",
                                              "AICQ_TEST_MPI_HOLD"};

std::vector<std::string> mpirun(int n, const fs::path& out, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a = {"mpirun", "--allow-run-as-root", "--oversubscribe", "-np", std::to_string(n), AICQ_BINARY, "run",
                                "--mpi", "--suite", "quick", "--tiny", "--no-diagnosis", "--only", "compute.gemm,memory.stream",
                                "--out", out.string(), "--db", (out.parent_path() / "aicq.db").string()};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

const json* probe_of(const json& result, const std::string& id) {
  for (const auto& p : result["measurement"]["probes"])
    if (p["id"] == id) return &p;
  return nullptr;
}

/// What every finished cluster run must hold: every rank finished, every node complete, the collectives measured
/// and checked, physics respected.
void expect_complete(const fs::path& out, int ranks, const std::vector<std::vector<int>>& node_ranks) {
  const auto r = assess::load_result((out / "result.json").string());
  const json& c = r.doc["cluster"];
  EXPECT_EQ(r.doc["status"], "complete");
  EXPECT_TRUE(c["complete"].get<bool>()) << c["missing"].dump();
  EXPECT_EQ(c["ranks_expected"], ranks);
  ASSERT_EQ(c["ranks"].size(), static_cast<std::size_t>(ranks));
  for (const auto& rk : c["ranks"]) EXPECT_EQ(rk["state"], "finished") << rk.dump();
  ASSERT_EQ(c["nodes"].size(), node_ranks.size());
  for (std::size_t i = 0; i < node_ranks.size(); ++i) {
    const json& n = c["nodes"][i];
    EXPECT_EQ(n["status"], "complete") << n.dump();
    EXPECT_EQ(n["ranks"].get<std::vector<int>>(), node_ranks[i]);
    EXPECT_TRUE(fs::exists(out / n["result"].get<std::string>()));
    EXPECT_TRUE(fs::exists(out / "nodes" / n["node"].get<std::string>() / "log.txt"));
    EXPECT_TRUE(fs::exists(out / "nodes" / n["node"].get<std::string>() / "raw" / "compute.gemm.json"));
    // One telemetry sampler per node: the node run's own, and no other.
    EXPECT_TRUE(fs::exists(out / "nodes" / n["node"].get<std::string>() / "raw" / "telemetry.json"));
  }
  EXPECT_TRUE(c["missing"]["ranks"].empty());
  EXPECT_TRUE(c["missing"]["hosts"].empty());
  // Collectives: latency and three sizes each, every element checked, figures positive.
  for (const std::string op : {"mpi.allreduce", "mpi.allgather"}) {
    const json* p = probe_of(r.doc, op);
    ASSERT_TRUE(p) << op;
    EXPECT_EQ((*p)["status"], "ok") << p->dump();
    ASSERT_EQ((*p)["measurements"].size(), 4u) << op;
    EXPECT_EQ((*p)["measurements"][0]["id"], "latency");
    EXPECT_GT((*p)["measurements"][0]["stats"]["median"].get<double>(), 0);
    for (std::size_t i = 1; i < 4; ++i) {
      const json& d = (*p)["measurements"][i]["details"];
      EXPECT_EQ(d["wrong_elements"], 0);
      EXPECT_EQ(d["ranks"], ranks);
      EXPECT_GT(d["busbw_Bps"].get<double>(), 0);
      // busbw = algbw × the factor, medians of the same repetitions.
      EXPECT_NEAR(d["busbw_Bps"].get<double>(), d["algbw_Bps"].get<double>() * d["bus_factor"].get<double>(),
                  1e-9 * d["busbw_Bps"].get<double>());
    }
    EXPECT_TRUE((*p)["checks"][0]["passed"].get<bool>());
  }
  const json* nccl = probe_of(r.doc, "nccl.allreduce");
  ASSERT_TRUE(nccl);
  EXPECT_EQ((*nccl)["status"], "skipped");
  EXPECT_FALSE((*nccl)["reason"].get<std::string>().empty());
  // The collectives' figures are evidence (reported, not scored); ce.measured is the cluster's, within physics.
  bool latency = false;
  for (const auto& e : r.evidence) latency = latency || e.metric == "probe.mpi.allreduce.latency.value";
  EXPECT_TRUE(latency);
  EXPECT_EQ(r.doc["indicators"]["ce.measured"]["status"], "scored");
  for (const auto& e : r.evidence) {
    if (!e.metric.ends_with(".achieved")) continue;
    const std::string p = e.metric.substr(0, e.metric.size() - 9);
    double dev = 0, ppd = 0;
    for (const auto& x : r.evidence) {
      if (x.metric == p + ".devices") dev = x.quantity.si;
      if (x.metric == p + ".peak_per_device") ppd = x.quantity.si;
    }
    EXPECT_LE(e.quantity.si, 1.05 * dev * ppd) << p;
  }
  for (const auto& e : r.evidence) {
    if (e.metric == "inventory.node.count") {
      EXPECT_EQ(e.quantity.si, static_cast<double>(node_ranks.size()));
    }
  }
  // The files of the run folder.
  EXPECT_TRUE(fs::exists(out / "job.json"));
  EXPECT_TRUE(fs::exists(out / "collectives.json"));
  EXPECT_TRUE(fs::exists(out / "report.html"));
  EXPECT_TRUE(fs::exists(out / "summary.txt"));
  for (int i = 0; i < ranks; ++i) EXPECT_TRUE(fs::exists(out / "ranks" / fmt::format("rank-{}.json", i))) << i;
}

}  // namespace

TEST(ClusterLaunch, MpirunTwoRanksShareOneNode) {
  const fs::path dir = test::scratch("mpi2");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "out";
  const auto t0 = Clock::now();
  const Proc p = spawn(mpirun(2, out), base_env(), kAllocatorVars, (dir / "log").string());
  const int rc = wait_for(p, std::chrono::seconds(180));
  std::cout << fmt::format("[ figures  ] mpirun -np 2: {:.1f} s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  ASSERT_EQ(rc, 0) << read_text(p.log);
  // Both ranks share memory: one node, whose leader is rank 0.
  expect_complete(out, 2, {{0, 1}});
  const auto r = assess::load_result((out / "result.json").string());
  const json& c = r.doc["cluster"];
  EXPECT_EQ(c["job"]["launcher"]["kind"], "openmpi");
  EXPECT_EQ(c["job"]["launcher"]["OMPI_COMM_WORLD_SIZE"], "2");
  // The node run got every CPU of its ranks (mpirun binds each of two ranks to its own core).
  std::set<int> cpus;
  for (int i = 0; i < 2; ++i) {
    const json rank_file = read_json(out / "ranks" / fmt::format("rank-{}.json", i));
    for (const int x : rank_file["cpus"]) cpus.insert(x);
  }
  EXPECT_EQ(c["nodes"][0]["affinity"]["node_run_cpus"].get<std::set<int>>(), cpus);
  // Rank 1 waited for the node run without spinning a core: its waits are recorded (wall and CPU time).
  const json r1 = read_json(out / "ranks" / "rank-1.json");
  ASSERT_FALSE(r1["waits"].empty());
  EXPECT_GE(r1["waits"][0]["wall_s"].get<double>(), 0);
  std::cout << fmt::format("[ figures  ] rank 1 waited {:.2f} s using {:.3f} s of CPU\n", r1["waits"][0]["wall_s"].get<double>(),
                           r1["waits"][0]["cpu_s"].get<double>());
  // The allocator was left unset: named, and its cost measured by the rerun with mallopt.
  EXPECT_EQ(c["collectives"]["allocator"]["summary"], "unset (glibc defaults)");
  ASSERT_EQ(r.doc["measurement"]["diagnosis"].size(), 1u);
  const json& f = r.doc["measurement"]["diagnosis"][0];
  EXPECT_EQ(f["id"], "mpi.allocator_unmaps_buffers");
#ifndef AICQ_SANITIZED_BUILD
  ASSERT_TRUE(f["details"].contains("rerun")) << f.dump();
  EXPECT_EQ(f["cost_method"].get<std::string>().rfind("measured", 0), 0u);
  EXPECT_GT(f["details"]["rerun"]["busbw_after_Bps"].get<double>(), 0);
#else
  // Under AddressSanitizer malloc is the sanitizer's: mallopt() refuses glibc's settings, and the cost is not made up.
  EXPECT_NE(f["cost_method"].get<std::string>().find("not measured: mallopt() refused"), std::string::npos) << f.dump();
#endif
  // The result was recorded by rank 0 only, once.
  EXPECT_NE(read_text(p.log).find("recorded: result"), std::string::npos);
}

TEST(ClusterLaunch, MpirunFourRanksOnTwoNodes) {
  const fs::path dir = test::scratch("mpi4");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "out";
  auto env = base_env();
  env["AICQ_TEST_RANKS_PER_NODE"] = "2";
  env["MALLOC_MMAP_MAX_"] = "0";
  env["MALLOC_TRIM_THRESHOLD_"] = "17179869184";
  const auto t0 = Clock::now();
  const Proc p = spawn(mpirun(4, out), env, kAllocatorVars, (dir / "log").string());
  const int rc = wait_for(p, std::chrono::seconds(180));
  std::cout << fmt::format("[ figures  ] mpirun -np 4 (2 nodes): {:.1f} s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  ASSERT_EQ(rc, 0) << read_text(p.log);
  expect_complete(out, 4, {{0, 1}, {2, 3}});
  const auto r = assess::load_result((out / "result.json").string());
  const json& c = r.doc["cluster"];
  // Two nodes on one host: named host.r<leader>.
  const std::string host = c["nodes"][0]["host"];
  EXPECT_EQ(c["nodes"][0]["node"], host + ".r0");
  EXPECT_EQ(c["nodes"][1]["node"], host + ".r2");
  // The summed peak is the sum of the two nodes' measured peaks; the spread covers both nodes.
  const double sum = c["nodes"][0]["peaks"]["fp64"].get<double>() + c["nodes"][1]["peaks"]["fp64"].get<double>();
  EXPECT_DOUBLE_EQ(c["peaks"]["fp64"]["flops"].get<double>(), sum);
  ASSERT_FALSE(c["spread"].empty());
  for (const auto& s : c["spread"]) EXPECT_EQ(s["nodes"], 2) << s.dump();
  // The allocator as the recipe has it: reported, and no finding.
  EXPECT_EQ(c["collectives"]["allocator"]["summary"], "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184");
  EXPECT_TRUE(r.doc["measurement"]["diagnosis"].empty());
  EXPECT_DOUBLE_EQ((*probe_of(r.doc, "mpi.allreduce"))["measurements"][1]["details"]["bus_factor"].get<double>(), 1.5);  // 2·3/4
}

// A rank killed mid-run: OpenMPI ends the whole job; `aicq assemble` names the dead rank and its node, and keeps the
// node that had finished.
TEST(ClusterLaunch, KilledRankIsNamedByAssembleAndTheRestKept) {
  const fs::path dir = test::scratch("mpikill");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "out";
  auto env = base_env();
  env["AICQ_TEST_RANKS_PER_NODE"] = "2";
  env["AICQ_TEST_MPI_HOLD"] = "2:node";  // rank 2, the second node's leader, hangs before its node run
  const Proc p = spawn(mpirun(4, out), env, kAllocatorVars, (dir / "log").string());
  // The first node finishes; rank 2 says where it is held, with its pid.
  const auto held = [&] {
    const fs::path f = out / "ranks" / "rank-2.json";
    if (!fs::exists(f)) return false;
    try {
      return read_json(f).value("held", false);
    } catch (const std::exception&) {
      return false;
    }
  };
  std::string first_node;
  const bool ready = wait_until(
      [&] {
        if (!fs::exists(out / "job.json") || !held()) return false;
        first_node = read_json(out / "job.json")["nodes"][0]["node"];
        return fs::exists(out / "nodes" / first_node / "node.json") &&
               read_json(out / "nodes" / first_node / "node.json").value("status", "") == "complete";
      },
      std::chrono::seconds(120));
  ASSERT_TRUE(ready) << read_text(p.log);
  const int pid = read_json(out / "ranks" / "rank-2.json")["pid"];
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  const int rc = wait_for(p, std::chrono::seconds(60));
  EXPECT_NE(rc, 0) << read_text(p.log);

  const auto o = test::run({"assemble", out.string(), "--db", (dir / "aicq.db").string()});
  ASSERT_EQ(o.rc, 0) << o.out << o.err;
  const auto r = assess::load_result((out / "result.json").string());
  const json& c = r.doc["cluster"];
  EXPECT_EQ(r.doc["status"], "interrupted");
  EXPECT_FALSE(c["complete"].get<bool>());
  // The dead rank is named, with what became of it.
  bool named = false;
  for (const auto& m : c["missing"]["ranks"])
    if (m["rank"] == 2) {
      named = true;
      EXPECT_NE(m["why"].get<std::string>().find("no word since phase 'node'"), std::string::npos) << m.dump();
    }
  EXPECT_TRUE(named) << c["missing"].dump();
  // Its node is missing; the first node is kept, complete, with its figures and its evidence.
  ASSERT_EQ(c["missing"]["nodes"].size(), 1u) << c["missing"].dump();
  EXPECT_NE(c["missing"]["nodes"][0]["why"].get<std::string>().find("leader rank 2"), std::string::npos);
  EXPECT_EQ(c["nodes_with_result"], 1);
  EXPECT_EQ(c["nodes"][0]["node"], first_node);
  EXPECT_EQ(c["nodes"][0]["status"], "complete");
  EXPECT_TRUE(c["nodes"][0]["figures"].contains("compute.gemm/dgemm_fp64"));
  EXPECT_EQ(r.doc["indicators"]["ce.measured"]["status"], "scored");
  EXPECT_NE(o.out.find("missing rank 2"), std::string::npos) << o.out;
}

// A rank that hangs before the collectives: the others' watchdog ends the job after --mpi-timeout, and rank 0 has
// written the cluster result first, naming the timeout and the rank that never came.
TEST(ClusterLaunch, HungRankTimesOutAndRankZeroWritesTheResult) {
  const fs::path dir = test::scratch("mpihang");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "out";
  auto env = base_env();
  env["AICQ_TEST_MPI_HOLD"] = "1:collectives";
  const Proc p = spawn(mpirun(2, out, {"--mpi-timeout", "2s"}), env, kAllocatorVars, (dir / "log").string());
  const int rc = wait_for(p, std::chrono::seconds(120));
  EXPECT_NE(rc, 0) << read_text(p.log);
  ASSERT_TRUE(fs::exists(out / "result.json")) << read_text(p.log);
  const auto r = assess::load_result((out / "result.json").string());
  const json& c = r.doc["cluster"];
  EXPECT_EQ(r.doc["status"], "interrupted");
  bool rank0 = false;
  for (const auto& t : c["timeouts"])
    if (t["rank"] == 0) {
      rank0 = true;
      EXPECT_NE(t["what"].get<std::string>().find("mpi.allreduce"), std::string::npos) << t.dump();
      EXPECT_GE(t["after_s"].get<double>(), 2.0);
    }
  EXPECT_TRUE(rank0) << c["timeouts"].dump();
  bool hung = false;
  for (const auto& m : c["missing"]["ranks"])
    if (m["rank"] == 1) hung = m["why"].get<std::string>().find("phase 'collectives'") != std::string::npos;
  EXPECT_TRUE(hung) << c["missing"].dump();
  // The node measured before is kept.
  EXPECT_EQ(c["nodes"][0]["status"], "complete");
  EXPECT_EQ(r.doc["indicators"]["ce.measured"]["status"], "scored");
}

// ------------------------------------------------------------------------------------------------------------------
// Slurm 22.05 on loopback (recipes: single node), started and stopped by this fixture.

namespace {

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (s >= 0) close(s);
    return 0;
  }
  close(s);
  return ntohs(a.sin_port);
}

std::string capture(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const fs::path& tmp) {
  const Proc p = spawn(args, env, {}, tmp.string());
  if (wait_for(p, std::chrono::seconds(10)) != 0) return "";
  return read_text(tmp);
}

}  // namespace

class ClusterSlurm : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = test::scratch("slurm") / "slurm";
    fs::remove_all(d_);
    for (const char* sub : {"munge/key", "munge/sock", "state", "spool", "log"}) fs::create_directories(d_ / sub);
    fs::permissions(d_ / "munge" / "key", fs::perms::owner_all, fs::perm_options::replace);
    fs::permissions(d_ / "munge" / "sock", fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::replace);
    const auto t0 = Clock::now();
    const std::string key = (d_ / "munge" / "key" / "munge.key").string(), sock = (d_ / "munge" / "sock" / "munge.socket").string();
    ASSERT_EQ(wait_for(spawn({"mungekey", "--create", "--keyfile=" + key}, {}, {}, (d_ / "log" / "mungekey.log").string()),
                       std::chrono::seconds(10)),
              0);
    munged_ = spawn({"munged", "-F", "--socket=" + sock, "--key-file=" + key, "--pid-file=" + (d_ / "munge" / "munged.pid").string(),
                     "--log-file=" + (d_ / "munge" / "munged.log").string(), "--seed-file=" + (d_ / "munge" / "seed").string()},
                    {}, {}, (d_ / "log" / "munged.out").string());
    ASSERT_TRUE(wait_until([&] { return fs::exists(sock); }, std::chrono::seconds(10))) << read_text(d_ / "log" / "munged.out");
    const int ctld_port = free_port(), d_port = free_port();
    std::ofstream conf(d_ / "slurm.conf");
    conf << "ClusterName=aicqtest\nSlurmctldHost=localhost\nSlurmUser=root\nAuthType=auth/munge\nCredType=cred/munge\n"
         << "AuthInfo=socket=" << sock << "\n"
         << "CommunicationParameters=NoInAddrAny,NoCtldInAddrAny\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
         << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\nMailProg=/bin/true\n"
         << "SlurmctldPort=" << ctld_port << "\nSlurmdPort=" << d_port << "\n"
         << "StateSaveLocation=" << (d_ / "state").string() << "\nSlurmdSpoolDir=" << (d_ / "spool").string() << "\n"
         << "SlurmctldPidFile=" << (d_ / "slurmctld.pid").string() << "\nSlurmdPidFile=" << (d_ / "slurmd.pid").string() << "\n"
         << "SlurmctldLogFile=" << (d_ / "log" / "slurmctld.log").string() << "\nSlurmdLogFile=" << (d_ / "log" / "slurmd.log").string()
         << "\nReturnToService=2\n"
         // Job ids of their own: two private clusters at once (ctest -j2) must not share PMIx namespaces or OpenMPI
         // session folders, which are named after the job id.
         << "FirstJobId=" << 1000 + (getpid() % 60000) * 1000 << "\n"
         << "NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000\n"
         << "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES\n";
    conf.close();
    env_ = base_env();
    env_["SLURM_CONF"] = (d_ / "slurm.conf").string();
    ctld_ = spawn({"slurmctld", "-D", "-i"}, env_, {}, (d_ / "log" / "slurmctld.out").string());
    ASSERT_TRUE(wait_until([&] { return capture({"scontrol", "ping"}, env_, d_ / "log" / "ping").find("UP") != std::string::npos; },
                           std::chrono::seconds(20)))
        << read_text(d_ / "log" / "slurmctld.out") << read_text(d_ / "log" / "slurmctld.log");
    slurmd_ = spawn({"slurmd", "-D", "-N", "localhost"}, env_, {}, (d_ / "log" / "slurmd.out").string());
    ASSERT_TRUE(wait_until([&] { return capture({"sinfo", "-h", "-n", "localhost", "-o", "%t"}, env_, d_ / "log" / "sinfo") == "idle\n"; },
                           std::chrono::seconds(20)))
        << read_text(d_ / "log" / "slurmd.out") << read_text(d_ / "log" / "slurmd.log");
    startup_s_ = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << fmt::format("[ figures  ] private Slurm (munged, slurmctld, slurmd) up in {:.2f} s\n", startup_s_);
  }

  // In order slurmd, slurmctld, munged, by PID — also after a failed assertion (TearDown always runs).
  void TearDown() override {
    for (Proc* p : {&slurmd_, &ctld_, &munged_}) {
      if (p->pid <= 0) continue;
      kill(p->pid, SIGTERM);
      if (wait_for(*p, std::chrono::seconds(10)) == -1) ADD_FAILURE() << "had to SIGKILL " << p->pid;
      p->pid = -1;
    }
  }

  fs::path d_;
  std::map<std::string, std::string> env_;
  Proc munged_, ctld_, slurmd_;
  double startup_s_ = 0;
};

TEST_F(ClusterSlurm, SrunPmixTwoTasksMakeOneClusterResult) {
  const fs::path out = d_.parent_path() / "out";
  fs::remove_all(out);
  const auto t0 = Clock::now();
  const Proc p = spawn({"srun", "--mpi=pmix", "-n", "2", AICQ_BINARY, "run", "--mpi", "--suite", "quick", "--tiny", "--no-diagnosis",
                        "--only", "compute.gemm,memory.stream", "--out", out.string(), "--db", (d_.parent_path() / "aicq.db").string()},
                       env_, kAllocatorVars, (d_ / "log" / "srun.log").string());
  const int rc = wait_for(p, std::chrono::seconds(180));
  std::cout << fmt::format("[ figures  ] srun --mpi=pmix -n 2: {:.1f} s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  ASSERT_EQ(rc, 0) << read_text(d_ / "log" / "srun.log") << read_text(d_ / "log" / "slurmd.log");
  ASSERT_TRUE(fs::exists(out / "result.json")) << read_text(d_ / "log" / "srun.log");
  expect_complete(out, 2, {{0, 1}});
  const json job = read_json(out / "job.json");
  EXPECT_EQ(job["launcher"]["kind"], "slurm");
  EXPECT_FALSE(job["launcher"]["SLURM_JOB_ID"].get<std::string>().empty());
  EXPECT_EQ(job["launcher"]["SLURM_NTASKS"], "2");
  EXPECT_EQ(job["launcher"]["SLURM_JOB_NODELIST"], "localhost");
}

// The documented job script, as a user submits it (one node here: -N 1 overrides its --nodes=2).
TEST_F(ClusterSlurm, DocumentedJobScriptRunsUnderSbatch) {
  const fs::path out = d_.parent_path() / "sbatch-out";
  fs::remove_all(out);
  auto env = env_;
  env["AICQ"] = AICQ_BINARY;
  env["AICQ_SUITE"] = "quick";
  env["AICQ_OUT"] = out.string();
  env["AICQ_ARGS"] = fmt::format("--tiny --no-diagnosis --only compute.gemm --db {}", (d_.parent_path() / "aicq.db").string());
  const Proc p = spawn({"sbatch", "--wait", "-N", "1", "--ntasks-per-node", "2", "--chdir", d_.string(),
                        std::string(AICQ_SOURCE_DIR) + "/contrib/slurm/aicq.sbatch"},
                       env, kAllocatorVars, (d_ / "log" / "sbatch.log").string());
  const int rc = wait_for(p, std::chrono::seconds(180));
  std::string job_out;
  for (const auto& e : fs::directory_iterator(d_))
    if (e.path().filename().string().starts_with("aicq-")) job_out += read_text(e.path());
  ASSERT_EQ(rc, 0) << read_text(d_ / "log" / "sbatch.log") << job_out;
  ASSERT_TRUE(fs::exists(out / "result.json")) << read_text(d_ / "log" / "sbatch.log") << job_out;
  expect_complete(out, 2, {{0, 1}});
  // The script's allocator settings reached every rank.
  const auto r = assess::load_result((out / "result.json").string());
  EXPECT_EQ(r.doc["cluster"]["collectives"]["allocator"]["summary"], "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184");
  EXPECT_EQ(read_json(out / "job.json")["launcher"]["SLURM_JOB_NAME"], "aicq");
}

}  // namespace aicq

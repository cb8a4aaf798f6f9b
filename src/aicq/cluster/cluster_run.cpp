// `aicq run --mpi` (see cluster_run.hpp for the phases and the fault-tolerance contract).
#include "aicq/cluster/cluster_run.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "aicq/cluster/aggregate.hpp"
#include "aicq/cluster/collectives.hpp"
#include "aicq/cluster/collectives_mpi.hpp"
#include "aicq/cluster/mpi_util.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/clock.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/version.hpp"
#include "aicq/probe/child.hpp"

extern char** environ;

namespace aicq::cluster {

namespace fs = std::filesystem;
using nlohmann::json;
using detail::check;

nlohmann::json launcher_labels(const std::map<std::string, std::string>& env) {
  json j = json::object();
  for (const char* k : {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE",
                        "OMPI_COMM_WORLD_NODE_RANK", "OMPI_UNIVERSE_SIZE", "SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_JOB_NODELIST",
                        "SLURM_JOB_NUM_NODES", "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_STEP_ID",
                        "SLURM_JOB_PARTITION", "SLURM_CLUSTER_NAME", "SLURM_CPUS_ON_NODE", "PMIX_RANK", "PMIX_NAMESPACE"}) {
    const auto it = env.find(k);
    if (it != env.end()) j[k] = it->second;
  }
  j["kind"] = env.contains("SLURM_JOB_ID") ? "slurm" : env.contains("OMPI_COMM_WORLD_SIZE") ? "openmpi" : "mpi";
  return j;
}

std::optional<int> test_node_of(int rank, const std::map<std::string, std::string>& env) {
  const auto it = env.find("AICQ_TEST_RANKS_PER_NODE");
  if (it == env.end()) return std::nullopt;
  try {
    std::size_t used = 0;
    const int k = std::stoi(it->second, &used);
    if (used == it->second.size() && k > 0) return rank / k;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::map<int, std::string> node_names(const std::map<int, std::string>& host_of_leader) {
  std::map<std::string, int> uses;
  for (const auto& [leader, host] : host_of_leader) ++uses[host];
  std::map<int, std::string> out;
  for (const auto& [leader, host] : host_of_leader) {
    std::string safe = host.empty() ? "node" : host;
    for (char& c : safe)
      if (c == '/' || c == '\\' || c == ' ') c = '_';
    out[leader] = uses[host] > 1 ? fmt::format("{}.r{}", safe, leader) : safe;
  }
  return out;
}

namespace {

double steady_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double cpu_s() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<int> my_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (std::size_t c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(static_cast<int>(c));
  return out;
}

std::string tail_of(const fs::path& p, std::size_t lines) {
  std::ifstream in(p);
  std::vector<std::string> all;
  std::string l;
  while (std::getline(in, l)) all.push_back(l);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += (out.empty() ? "" : " | ") + all[i];
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// This rank's file, DIR/ranks/rank-<r>.json: rewritten atomically at each change, from either thread.
class RankFile {
 public:
  void init(std::string path, json j) {
    std::lock_guard<std::mutex> lock(m_);
    path_ = std::move(path);
    j_ = std::move(j);
    write_locked();
  }
  void update(const std::function<void(json&)>& f) {
    std::lock_guard<std::mutex> lock(m_);
    f(j_);
    j_["updated"] = core::utc_iso8601();
    if (!path_.empty()) write_locked();
  }
  json snapshot() {
    std::lock_guard<std::mutex> lock(m_);
    return j_;
  }

 private:
  void write_locked() {
    try {
      core::write_file_atomic(path_, j_.dump(2) + "\n");
    } catch (const std::exception& e) {
      if (!warned_) std::fprintf(stderr, "aicq: warning: cannot write %s: %s\n", path_.c_str(), e.what());
      warned_ = true;
    }
  }
  std::mutex m_;
  std::string path_;
  json j_ = json::object();
  bool warned_ = false;
};

/// A deadline on whatever the main thread is doing (it may be blocked inside MPI), and the first sight of a stop
/// signal. `expire` is called on this thread and does not return (it ends with MPI_Abort).
class Watchdog {
 public:
  Watchdog(std::function<void(const std::string&, double)> expire, std::function<void()> stop_seen, const std::atomic<bool>& cancel)
      : expire_(std::move(expire)), stop_seen_(std::move(stop_seen)), cancel_(cancel), thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void arm(std::string what, double seconds) {
    std::lock_guard<std::mutex> lock(m_);
    what_ = std::move(what);
    armed_at_ = steady_s();
    deadline_ = armed_at_ + seconds;
    armed_ = true;
  }
  void disarm() {
    std::lock_guard<std::mutex> lock(m_);
    armed_ = false;
  }
  std::string what() {
    std::lock_guard<std::mutex> lock(m_);
    return armed_ ? what_ : std::string();
  }

 private:
  void loop() {
    bool stop_reported = false;
    std::unique_lock<std::mutex> lock(m_);
    while (!quit_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (quit_) break;
      if (!stop_reported && cancel_.load()) {
        stop_reported = true;
        lock.unlock();
        stop_seen_();
        lock.lock();
      }
      if (armed_ && steady_s() >= deadline_) {
        const std::string what = what_;
        const double after = steady_s() - armed_at_;
        armed_ = false;
        lock.unlock();
        expire_(what, after);  // does not return
        lock.lock();
      }
    }
  }
  std::function<void(const std::string&, double)> expire_;
  std::function<void()> stop_seen_;
  const std::atomic<bool>& cancel_;
  std::mutex m_;
  std::condition_variable cv_;
  bool quit_ = false, armed_ = false;
  std::string what_;
  double armed_at_ = 0, deadline_ = 0;
  std::thread thread_;  // last: starts once the members above exist
};

std::string thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE: return "MPI_THREAD_MULTIPLE";
    default: return std::to_string(level);
  }
}

// AICQ_TEST_MPI_HOLD=RANK:PHASE[,RANK:PHASE…] (tests only, docs/cluster.md).
bool held_here(const std::map<std::string, std::string>& env, int rank, const std::string& phase) {
  const auto it = env.find("AICQ_TEST_MPI_HOLD");
  if (it == env.end()) return false;
  std::stringstream ss(it->second);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item == fmt::format("{}:{}", rank, phase)) return true;
  return false;
}

class Job {
 public:
  Job(const MpiRunOptions& o, const measure::SiteFacts& site, const assess::Profile& profile, const catalog::Catalogs& cat,
      const std::atomic<bool>& cancel, const MpiRunHooks& hooks, int thread_level)
      : o_(o), site_(site), profile_(profile), cat_(cat), cancel_(cancel), hooks_(hooks), thread_level_(thread_level) {}

  MpiOutcome run();
  [[noreturn]] void fail(const std::string& message, int code);

 private:
  void say(const std::string& s) const {
    if (rank_ == 0 && hooks_.line) hooks_.line(s);
  }
  void identity();
  void node_phase();
  void gather_nodes();
  void collectives();
  void finish(MpiOutcome& out);
  json run_node();
  void hold(const std::string& phase);
  void wait_all(const std::string& phase);
  void set_phase(const std::string& phase) {
    phase_ = phase;
    rank_file_.update([&](json& j) { j["phase"] = phase; });
  }
  [[noreturn]] void expire(const std::string& what, double after_s);
  void stop_seen();
  json assemble_now(const std::vector<json>& timeouts, bool final);
  AssembleInputs assemble_inputs(const std::vector<json>& timeouts) const;

  const MpiRunOptions& o_;
  const measure::SiteFacts& site_;
  const assess::Profile& profile_;
  const catalog::Catalogs& cat_;
  const std::atomic<bool>& cancel_;
  const MpiRunHooks& hooks_;
  int thread_level_ = 0;

  MPI_Comm world_ = MPI_COMM_WORLD, node_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, leader_ = 0;
  std::string host_, node_name_, dir_, phase_ = "init";
  std::map<std::string, std::string> env_;
  AllocatorSettings alloc_;
  std::vector<int> cpus_, node_cpus_;
  std::vector<json> identities_;  // rank 0: every rank's identity
  json job_;                      // rank 0: job.json
  bool all_keep_buffers_ = true;
  RankFile rank_file_;
  std::unique_ptr<Watchdog> watchdog_;
  std::atomic<pid_t> child_{0};
  std::mutex assemble_m_;
  bool final_written_ = false;
  bool stop_all_ = false;
  json node_record_;            // the leader's node.json
  std::vector<int> node_ranks_; // the leader: the world ranks of its node
};

void Job::fail(const std::string& message, int code) {
  rank_file_.update([&](json& j) {
    j["state"] = "failed";
    j["error"] = message;
  });
  std::fprintf(stderr, "aicq: rank %d (%s): %s\naicq: rank %d: ending the job (MPI_Abort)\n", rank_, host_.c_str(), message.c_str(), rank_);
  std::fflush(stderr);
  if (const pid_t c = child_.load(); c > 0) ::kill(c, SIGTERM);
  if (rank_ == 0 && !dir_.empty()) {
    try {
      assemble_now({}, false);
    } catch (const std::exception&) {
    }
  }
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; should it, this process still ends
}

void Job::identity() {
  check(MPI_Comm_rank(world_, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(world_, &size_), "MPI_Comm_size");
  char processor[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  check(MPI_Get_processor_name(processor, &len), "MPI_Get_processor_name");
  host_.assign(processor, static_cast<std::size_t>(len));
  env_ = probe::current_environment();
  alloc_ = allocator_settings(env_);

  // Nodes: ranks that share memory (or the test grouping).
  if (const auto color = test_node_of(rank_, env_))
    check(MPI_Comm_split(world_, *color, rank_, &node_), "MPI_Comm_split");
  else
    check(MPI_Comm_split_type(world_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_), "MPI_Comm_split_type");
  check(MPI_Comm_rank(node_, &local_rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(node_, &local_size_), "MPI_Comm_size");
  leader_ = rank_;
  check(MPI_Bcast(&leader_, 1, MPI_INT, 0, node_), "MPI_Bcast");

  // The CPUs of the node's ranks, for the node run.
  cpus_ = my_cpus();
  const auto masks = detail::gather(node_, json(cpus_).dump());
  std::set<int> all;
  for (const auto& m : masks)
    for (const int c : json::parse(m)) all.insert(c);
  node_cpus_.assign(all.begin(), all.end());
  node_ranks_.assign(static_cast<std::size_t>(local_size_), -1);
  check(MPI_Gather(&rank_, 1, MPI_INT, node_ranks_.data(), 1, MPI_INT, 0, node_), "MPI_Gather");

  // The folder, chosen by rank 0.
  std::string chosen;
  if (rank_ == 0) {
    chosen = o_.run.out_dir.empty() ? fmt::format("aicq-results/{}-{}-mpi{}", core::utc_compact(), host_, size_) : o_.run.out_dir;
    chosen = fs::absolute(chosen).lexically_normal().string();
  }
  dir_ = detail::broadcast(world_, chosen);
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "ranks", ec);
  if (ec) throw core::WorkError(fmt::format("cannot create {}: {}", (fs::path(dir_) / "ranks").string(), ec.message()));
  fs::create_directories(fs::path(dir_) / "nodes", ec);

  int keep = alloc_.keeps_buffers ? 1 : 0, all_keep = 0;
  check(MPI_Allreduce(&keep, &all_keep, 1, MPI_INT, MPI_LAND, world_), "MPI_Allreduce");
  all_keep_buffers_ = all_keep != 0;

  const json me = {{"rank", rank_},
                   {"host", host_},
                   {"pid", ::getpid()},
                   {"local_rank", local_rank_},
                   {"local_size", local_size_},
                   {"leader", leader_},
                   {"launcher", launcher_labels(env_)},
                   {"allocator", {{"env", alloc_.env}, {"keeps_buffers", alloc_.keeps_buffers}, {"summary", alloc_.summary}}},
                   {"cpus", cpus_}};
  const auto ids = detail::gather(world_, me.dump());
  std::string names_text;
  if (rank_ == 0) {
    std::map<int, std::string> host_of_leader;
    std::map<int, std::vector<int>> ranks_of_leader;
    for (const auto& s : ids) {
      identities_.push_back(json::parse(s));
      const json& id = identities_.back();
      const int l = id["leader"].get<int>();
      if (id["rank"].get<int>() == l) host_of_leader[l] = id["host"].get<std::string>();
      ranks_of_leader[l].push_back(id["rank"].get<int>());
    }
    const auto names = node_names(host_of_leader);
    json nodes = json::array(), table = json::array();
    for (const auto& [l, name] : names)
      nodes.push_back({{"node", name}, {"host", host_of_leader[l]}, {"leader", l}, {"ranks", ranks_of_leader[l]}});
    for (const auto& id : identities_)
      table.push_back({{"rank", id["rank"]}, {"host", id["host"]}, {"node", names.at(id["leader"].get<int>())},
                       {"local_rank", id["local_rank"]}, {"pid", id["pid"]}});
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int lib_len = 0, major = 0, minor = 0;
    check(MPI_Get_library_version(lib, &lib_len), "MPI_Get_library_version");
    check(MPI_Get_version(&major, &minor), "MPI_Get_version");
    std::string library(lib, static_cast<std::size_t>(lib_len));
    if (const auto nl = library.find('\n'); nl != std::string::npos) library.resize(nl);
    while (!library.empty() && (library.back() == ',' || library.back() == ' ' || library.back() == '\0')) library.pop_back();
    json names_json = json::object();
    for (const auto& [l, name] : names) names_json[std::to_string(l)] = name;
    job_ = {{"schema", kClusterFilesSchema},
            {"started", core::utc_iso8601()},
            {"aicq", {{"version", core::version()}, {"git", core::git_revision()}}},
            {"argv", o_.run.argv},
            {"ranks", size_},
            {"nodes", nodes},
            {"rank_table", table},
            {"launcher", launcher_labels(env_)},
            {"mpi", {{"library", library}, {"standard", fmt::format("{}.{}", major, minor)}, {"thread_level", thread_level_name(thread_level_)}}},
            {"options",
             {{"suite", probe::to_string(o_.run.suite)},
              {"only", o_.run.only},
              {"tiny", o_.run.tiny},
              {"timeout_s", o_.timeout_s},
              {"node_args", o_.node_args},
              {"site", o_.site_path},
              {"profile", o_.profile_path}}}};
    core::write_file_atomic((fs::path(dir_) / "job.json").string(), job_.dump(2) + "\n");
    names_text = names_json.dump();
    say(fmt::format("cluster: {} rank{} on {} node{} ({}{}), MPI {} — folder {}", size_, size_ == 1 ? "" : "s", names.size(),
                    names.size() == 1 ? "" : "s", job_["launcher"]["kind"].get<std::string>(),
                    env_.contains("SLURM_JOB_ID") ? " job " + env_.at("SLURM_JOB_ID") : "", library, dir_));
    for (const auto& n : nodes)
      say(fmt::format("  node {}: ranks {}", n["node"].get<std::string>(), fmt::join(n["ranks"].get<std::vector<int>>(), ",")));
  }
  const json names = json::parse(detail::broadcast(world_, names_text));
  node_name_ = names.at(std::to_string(leader_)).get<std::string>();

  rank_file_.init((fs::path(dir_) / "ranks" / fmt::format("rank-{}.json", rank_)).string(),
                  {{"schema", kClusterFilesSchema},
                   {"rank", rank_},
                   {"size", size_},
                   {"host", host_},
                   {"node", node_name_},
                   {"local_rank", local_rank_},
                   {"local_size", local_size_},
                   {"leader", leader_},
                   {"pid", ::getpid()},
                   {"phase", "started"},
                   {"state", "running"},
                   {"started", core::utc_iso8601()},
                   {"launcher", launcher_labels(env_)},
                   {"allocator", {{"env", alloc_.env}, {"keeps_buffers", alloc_.keeps_buffers}, {"summary", alloc_.summary}}},
                   {"cpus", cpus_},
                   {"mpi_thread_level", thread_level_name(thread_level_)},
                   {"waits", json::array()}});
}

void Job::hold(const std::string& phase) {
  if (!held_here(env_, rank_, phase)) return;
  rank_file_.update([&](json& j) {
    j["phase"] = phase;
    j["held"] = true;
  });
  std::fprintf(stderr, "aicq: rank %d: held at phase %s by AICQ_TEST_MPI_HOLD (tests)\n", rank_, phase.c_str());
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // a hung rank, until the launcher ends it
}

// All ranks meet without spinning: MPI_Ibarrier, then MPI_Test every 50 ms with a sleep in between. The
// watchdog bounds the wait.
void Job::wait_all(const std::string& phase) {
  const double w0 = steady_s(), c0 = cpu_s();
  MPI_Request req = MPI_REQUEST_NULL;
  check(MPI_Ibarrier(world_, &req), "MPI_Ibarrier");
  detail::wait_polling(req, std::chrono::steady_clock::time_point::max(), std::chrono::milliseconds(50));
  const double wall = steady_s() - w0, cpu = cpu_s() - c0;
  rank_file_.update([&](json& j) { j["waits"].push_back({{"phase", phase}, {"wall_s", wall}, {"cpu_s", cpu}}); });
}

json Job::run_node() {
  const fs::path nd = fs::path(dir_) / "nodes" / node_name_;
  fs::create_directories(nd);
  std::vector<std::string> args{o_.run.self_exe};
  if (!o_.data_dir.empty()) args.insert(args.end(), {"--data-dir", o_.data_dir});
  args.push_back("run");
  args.insert(args.end(), o_.node_args.begin(), o_.node_args.end());
  args.insert(args.end(), {"--out", nd.string(), "--result-only"});
  if (!o_.scratch.empty()) {
    const fs::path scratch = fs::path(o_.scratch) / node_name_;
    fs::create_directories(scratch);
    args.insert(args.end(), {"--scratch", scratch.string()});
  }
  // The node's ranks were given node_cpus_ by the launcher; unless --threads says otherwise, use exactly those.
  const unsigned online = std::thread::hardware_concurrency();
  std::optional<int> threads;
  if (o_.run.threads > 0) threads = o_.run.threads;
  else if (!node_cpus_.empty() && online > 0 && node_cpus_.size() < online) {
    threads = static_cast<int>(node_cpus_.size());
    args.insert(args.end(), {"--threads", std::to_string(*threads)});
  }
  json record = {{"schema", kClusterFilesSchema},
                 {"node", node_name_},
                 {"host", host_},
                 {"leader", rank_},
                 {"ranks", json::array()},
                 {"status", "running"},
                 {"started", core::utc_iso8601()},
                 {"command", args},
                 {"affinity", {{"leader_cpus", cpus_}, {"node_run_cpus", node_cpus_}}},
                 {"result", "result.json"},
                 {"log", "log.txt"}};
  if (threads) record["threads"] = *threads;
  record["ranks"] = node_ranks_;
  const std::string node_json = (nd / "node.json").string();

  const std::string log = (nd / "log.txt").string();
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw core::WorkError(fmt::format("open {}: {}", log, std::strerror(errno)));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int c : node_cpus_)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(static_cast<std::size_t>(c), &set);
  const pid_t parent = ::getpid();
  const double t0 = steady_s();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw core::WorkError(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until execv. It ends with its leader (SIGTERM: it still writes an
    // interrupted result), runs on the node's CPUs, and logs to the node folder.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    // Its own process group: a launcher signalling the rank's group (mpirun does) reaches the node run once,
    // through the leader, which forwards one SIGINT — a second signal would end it before it wrote its result.
    ::setpgid(0, 0);
    if (!node_cpus_.empty()) ::sched_setaffinity(0, sizeof set, &set);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  child_ = pid;
  record["child_pid"] = pid;
  core::write_file_atomic(node_json, record.dump(2) + "\n");
  rank_file_.update([&](json& j) { j["node_run_pid"] = pid; });
  say(fmt::format("node phase: node {} runs `aicq run {}` (log {})", node_name_, fmt::join(o_.node_args, " "), log));

  bool forwarded = false;
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) throw core::WorkError(fmt::format("waitpid: {}", std::strerror(errno)));
    if (!forwarded && cancel_.load()) {
      ::kill(pid, SIGINT);  // the node run stops at its next repetition and writes an interrupted result
      forwarded = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  child_ = 0;
  record["duration_s"] = steady_s() - t0;
  record["finished"] = core::utc_iso8601();
  std::string state = "failed", reason;
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    record["exit_code"] = code;
    if (code == 0) state = "complete";
    else if (code == 130) state = "interrupted", reason = "the node run was stopped (SIGINT/SIGTERM)";
    else if (code == 3) state = "invalid", reason = "a probe's validity gate failed (--require-valid)";
    else reason = fmt::format("`aicq run` exited with {}: {}", code, tail_of(log, 3));
  } else if (WIFSIGNALED(status)) {
    record["signal"] = WTERMSIG(status);
    reason = fmt::format("the node run was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  if (state != "failed" && !fs::exists(nd / "result.json")) state = "failed", reason = "the node run wrote no result.json";
  record["status"] = state;
  if (!reason.empty()) record["reason"] = reason;
  core::write_file_atomic(node_json, record.dump(2) + "\n");
  say(fmt::format("node {}: {} in {:.1f} s{}", node_name_, state, record["duration_s"].get<double>(), reason.empty() ? "" : ": " + reason));
  return record;
}

void Job::node_phase() {
  // Bound: the probes' typical time for the suite, three times over, plus discovery and diagnosis, plus the timeout.
  double expected_s = 120;
  for (const auto* p : measure::select_probes(o_.run.only, o_.run.suite)) {
    const auto it = p->typical_s.find(o_.run.suite);
    expected_s += 3 * (it == p->typical_s.end() ? 60 : it->second);
  }
  watchdog_->arm("the node phase (waiting for the slowest node)", o_.timeout_s + expected_s);
  hold("node");
  set_phase("node");
  const double c0 = cpu_s(), w0 = steady_s();
  json record;
  if (rank_ == leader_) record = run_node();
  if (rank_ == leader_)
    rank_file_.update([&](json& j) {
      j["waits"].push_back({{"phase", "node run (own node)"}, {"wall_s", steady_s() - w0}, {"cpu_s", cpu_s() - c0}});
    });
  wait_all("node (waiting for every node)");
  watchdog_->disarm();
  node_record_ = record;
}

void Job::gather_nodes() {
  watchdog_->arm("gathering the node results at rank 0", o_.timeout_s);
  std::string payload;
  if (rank_ == leader_) {
    const fs::path nd = fs::path(dir_) / "nodes" / node_name_;
    json p = {{"node", node_name_}, {"record", node_record_}};
    if (fs::exists(nd / "result.json")) p["result"] = read_text(nd / "result.json");
    payload = p.dump();
  }
  const auto all = detail::gather(world_, payload);
  watchdog_->disarm();
  if (rank_ != 0) return;
  int with = 0, nodes = 0;
  for (const auto& s : all) {
    if (s.empty()) continue;
    ++nodes;
    const json p = json::parse(s);
    const fs::path nd = fs::path(dir_) / "nodes" / p["node"].get<std::string>();
    std::error_code ec;
    fs::create_directories(nd, ec);
    // A folder not shared with the node: its files arrive here.
    if (!fs::exists(nd / "node.json")) core::write_file_atomic((nd / "node.json").string(), p["record"].dump(2) + "\n");
    if (p.contains("result")) {
      ++with;
      if (!fs::exists(nd / "result.json")) core::write_file_atomic((nd / "result.json").string(), p["result"].get<std::string>());
    } else {
      say(fmt::format("node {}: no result: {}", p["node"].get<std::string>(), p["record"].value("reason", "?")));
    }
  }
  say(fmt::format("nodes: {} of {} with a result", with, nodes));
}

void Job::collectives() {
  const fs::path coll_file = fs::path(dir_) / "collectives.json";
  json coll = {{"schema", kClusterFilesSchema}, {"started", core::utc_iso8601()}, {"probes", json::array()}, {"finished", false}};
  std::vector<AllocatorSettings> per_rank;
  if (rank_ == 0) {
    std::set<std::string> summaries;
    for (const auto& id : identities_) {
      std::map<std::string, std::string> env;
      for (const auto& [k, v] : id["allocator"]["env"].items()) env[k] = v.get<std::string>();
      per_rank.push_back(allocator_settings(env));
      summaries.insert(per_rank.back().summary);
    }
    coll["allocator"] = {{"summary", summaries.size() == 1 ? *summaries.begin()
                                                           : fmt::format("differs across ranks: {}", fmt::join(summaries, " | "))},
                         {"keeps_buffers_on_every_rank", all_keep_buffers_},
                         {"ranks_unset", std::count_if(per_rank.begin(), per_rank.end(), [](const AllocatorSettings& a) { return !a.keeps_buffers; })}};
    core::write_file_atomic(coll_file.string(), coll.dump(2) + "\n");
    say(fmt::format("collectives: allocator on the ranks: {}", coll["allocator"]["summary"].get<std::string>()));
  }
  if (size_ < 2) {
    if (rank_ == 0) {
      coll["skipped"] = "one rank: collective probes need at least two";
      coll["nccl"] = probe::to_json(detail::nccl_allreduce_status());
      coll["finished"] = true;
      core::write_file_atomic(coll_file.string(), coll.dump(2) + "\n");
      say("collectives: skipped (one rank)");
    }
    return;
  }
  hold("collectives");
  set_phase("collectives");
  watchdog_->arm("mpi.allreduce: agreeing on the sizes", o_.timeout_s);
  detail::CollectiveHooks ch;
  ch.step = [&](const std::string& what) { watchdog_->arm(what, o_.timeout_s); };
  ch.line = [&](const std::string& s) { say(s); };
  ch.ranks_on_node = local_size_;
  const CollectivePlan plan = plan_for(o_.run.suite, o_.run.tiny);
  const auto ar = detail::run_allreduce(world_, plan, ch);
  if (rank_ == 0) {
    coll["probes"].push_back(probe::to_json(ar));
    core::write_file_atomic(coll_file.string(), coll.dump(2) + "\n");
  }
  watchdog_->arm("mpi.allgather: agreeing on the sizes", o_.timeout_s);
  const auto ag = detail::run_allgather(world_, plan, ch);
  if (rank_ == 0) {
    coll["probes"].push_back(probe::to_json(ag));
    core::write_file_atomic(coll_file.string(), coll.dump(2) + "\n");
  }
  // The allocator's cost, measured: the largest allreduce again with the buffers kept (only when some rank
  // ran without; rank 0 names the size and repetitions).
  std::optional<AllocatorRerun> rerun;
  double what[2] = {0, 0};
  if (rank_ == 0 && !all_keep_buffers_)
    for (const auto& m : ar.measurements)
      if (m.id.starts_with("busbw_")) {
        what[0] = m.details["bytes"].get<double>();
        what[1] = static_cast<double>(m.samples.size());
      }
  check(MPI_Bcast(what, 2, MPI_DOUBLE, 0, world_), "MPI_Bcast");
  std::string why_not;
  if (what[0] > 0) {
    const auto after =
        detail::rerun_allreduce_keeping_buffers(world_, what[0], plan.warmups, static_cast<int>(what[1]), ch, &why_not);
    if (rank_ == 0 && after) {
      for (const auto& m : ar.measurements)
        if (m.id == busbw_id(what[0])) rerun = AllocatorRerun{what[0], m.stats.median, *after, static_cast<int>(what[1])};
    }
  }
  watchdog_->disarm();
  if (rank_ != 0) return;
  coll["diagnosis"] = json::array();
  if (const auto f = allocator_finding(per_rank, rerun, why_not)) {
    coll["diagnosis"].push_back(probe::to_json(*f));
    say(fmt::format("    finding {}: {}{}", f->id, f->evidence,
                    f->cost_fraction ? fmt::format(" — costs {:.0f}%", 100 * *f->cost_fraction) : ""));
  }
  const auto nccl = detail::nccl_allreduce_status();
  coll["nccl"] = probe::to_json(nccl);
  say(fmt::format("    nccl.allreduce: {}: {}", probe::to_string(nccl.status), nccl.reason));
  coll["finished"] = true;
  coll["finished_at"] = core::utc_iso8601();
  core::write_file_atomic(coll_file.string(), coll.dump(2) + "\n");
}

AssembleInputs Job::assemble_inputs(const std::vector<json>& timeouts) const {
  AssembleInputs in;
  in.site = site_;
  in.argv = o_.run.argv;
  in.timeouts = timeouts;
  return in;
}

json Job::assemble_now(const std::vector<json>& timeouts, bool final) {
  std::lock_guard<std::mutex> lock(assemble_m_);
  if (final_written_) return nullptr;
  json doc = assemble_to_folder(dir_, assemble_inputs(timeouts), profile_, cat_);
  final_written_ = final;
  if (hooks_.written) hooks_.written(doc, dir_);
  return doc;
}

void Job::expire(const std::string& what, double after_s) {
  if (const pid_t c = child_.load(); c > 0) ::kill(c, SIGTERM);
  const json t = {{"what", what}, {"after_s", after_s}, {"phase", phase_}, {"time", core::utc_iso8601()}};
  rank_file_.update([&](json& j) {
    j["state"] = "timeout";
    j["timeout"] = t;
  });
  std::fprintf(stderr, "aicq: rank %d (%s): %s did not complete within %.0f s: ending the job (MPI_Abort)\n", rank_, host_.c_str(),
               what.c_str(), after_s);
  std::fflush(stderr);
  if (rank_ == 0) {
    // The other ranks record their own timeouts about now: give them a moment, then build the result from the
    // files present before the job ends.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    try {
      assemble_now({}, true);
      say(fmt::format("timeout: {} after {:.0f} s — the result holds what was measured: {}", what, after_s,
                      (fs::path(dir_) / "result.json").string()));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "aicq: rank 0: the cluster result could not be assembled: %s\n", e.what());
    }
  } else {
    // Rank 0 assembles before it aborts; give it the time to, unless it is the one that hangs.
    std::this_thread::sleep_for(std::chrono::seconds(10));
  }
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

void Job::stop_seen() {
  rank_file_.update([&](json& j) { j["signal"] = {{"name", "SIGINT/SIGTERM"}, {"phase", phase_}, {"time", core::utc_iso8601()}}; });
  // The launcher may be ending the job (a rank died): build what can be built while there is time.
  if (rank_ == 0 && !dir_.empty()) {
    try {
      assemble_now({}, false);
    } catch (const std::exception&) {
    }
  }
}

void Job::finish(MpiOutcome& out) {
  set_phase("finished");
  rank_file_.update([&](json& j) {
    j["state"] = "finished";
    j["finished"] = core::utc_iso8601();
  });
  watchdog_->arm("gathering the rank records at rank 0", o_.timeout_s);
  const auto records = detail::gather(world_, rank_file_.snapshot().dump());
  watchdog_->disarm();
  out.rank = rank_;
  out.size = size_;
  out.dir = dir_;
  if (rank_ != 0) return;
  for (const auto& r : records) {
    const json j = json::parse(r);
    const fs::path p = fs::path(dir_) / "ranks" / fmt::format("rank-{}.json", j["rank"].get<int>());
    if (!fs::exists(p)) core::write_file_atomic(p.string(), j.dump(2) + "\n");
  }
  out.result = assemble_now({}, true);
  if (out.result.is_null()) out.result = json::parse(read_text(fs::path(dir_) / "result.json"));
  out.status = out.result.value("status", "interrupted");
}

MpiOutcome Job::run() {
  identity();
  watchdog_ = std::make_unique<Watchdog>([this](const std::string& w, double a) { expire(w, a); }, [this] { stop_seen(); }, cancel_);
  node_phase();
  gather_nodes();
  int stop = cancel_.load() ? 1 : 0, any = 0;
  check(MPI_Allreduce(&stop, &any, 1, MPI_INT, MPI_LOR, world_), "MPI_Allreduce");
  stop_all_ = any != 0;
  if (!stop_all_) collectives();
  else say("stopped: the collective probes are skipped");
  MpiOutcome out;
  finish(out);
  watchdog_.reset();
  if (node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
  return out;
}

}  // namespace

MpiOutcome run_mpi(const MpiRunOptions& o, const measure::SiteFacts& site, const assess::Profile& profile,
                   const catalog::Catalogs& cat, const std::atomic<bool>& cancel, const MpiRunHooks& hooks) {
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  // Errors come back as codes (checked at each call, core::WorkError), so that a rank can record them before the
  // job ends.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MpiOutcome out;
  {
    Job job(o, site, profile, cat, cancel, hooks, provided);
    try {
      out = job.run();
    } catch (const core::InputError& e) {
      std::string msg;
      for (const auto& d : e.diagnostics()) msg += (msg.empty() ? "" : "; ") + d.to_string();
      job.fail(msg, 2);
    } catch (const std::exception& e) {
      job.fail(e.what(), 1);
    }
  }
  MPI_Finalize();
  return out;
}

}  // namespace aicq::cluster

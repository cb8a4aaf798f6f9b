// resilience.checkpoint and resilience.recovery (methodology §2.5 and the measured caps of §6).
//
// resilience.checkpoint writes and reads back a training state the way a training job does: (a) the
// Fashion-MNIST CNN's model + Adam state through ai::Trainer::save/load (torch::save, fsync, rename), and
// (b) a synthetic state of Context::checkpoint_bytes written in 64 MiB chunks to a new file and made durable
// with fsync (the time includes it), evicted from the page cache with POSIX_FADV_DONTNEED — confirmed with
// mincore, else the read is labelled "may be cached" — and read back; a checksum proves the bytes read are
// the bytes written. Its write bandwidth projects the time to checkpoint a large model (the report's GPT-3
// example) — the figure that caps the "checkpointing" level of ie.intelligence.
//
// resilience.recovery runs run_recovery (recovery.cpp): a training worker killed with SIGKILL, the death
// detected, the worker restarted from its last checkpoint; its recovery time caps "fault recovery".
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <random>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/ai_model.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"
#include "aicq/probe/resilience.hpp"

namespace aicq::probe {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kCheckpointId = "resilience.checkpoint";
constexpr const char* kRecoveryId = "resilience.recovery";
constexpr std::uint64_t MiB = 1024 * 1024;
constexpr std::size_t kChunk = 64 * MiB;  // write and read transfer size: large, as a framework's writer
constexpr std::size_t kPage = 4096;
constexpr std::uint64_t kFillSeed = 20250131;  // fixed, reported: the synthetic state's content
// The report's example (methodology §2.5, §6): GPT-3, 175e9 parameters; mixed-precision Adam keeps 16 bytes
// per parameter (FP16 weights 2 + FP32 master weights 4 + two FP32 Adam moments 8 + FP16 gradients 2).
constexpr double kGpt3Parameters = 175e9;
constexpr double kBytesPerParameter = 16;

std::string errno_text(int e) { return fmt::format("{} (errno {})", std::strerror(e), e); }

// --- a fast checksum: xxHash64's rounds over each chunk, the chunk hashes chained ------------------------------

constexpr std::uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL, P3 = 0x165667B19E3779F9ULL,
                        P4 = 0x85EBCA77C2B2AE63ULL, P5 = 0x27D4EB2F165667C5ULL;
constexpr std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
constexpr std::uint64_t mix_round(std::uint64_t acc, std::uint64_t in) { return rotl(acc + in * P2, 31) * P1; }

std::uint64_t hash64(const unsigned char* p, std::size_t n, std::uint64_t seed) {
  std::uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    v1 = mix_round(v1, w[0]);
    v2 = mix_round(v2, w[1]);
    v3 = mix_round(v3, w[2]);
    v4 = mix_round(v4, w[3]);
  }
  std::uint64_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18) + n;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, 8);
    h = rotl(h ^ mix_round(0, w), 27) * P1 + P4;
  }
  for (; i < n; ++i) h = rotl(h ^ (p[i] * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}
std::uint64_t chain(std::uint64_t total, std::uint64_t chunk_hash) { return rotl(total ^ chunk_hash, 27) * P1 + P4; }

// --- owners of what the probe creates: every way out (return, Cancelled, exception) cleans up ------------------

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct ScratchFolder {
  fs::path path;
  ScratchFolder() = default;
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Our own folder under `parent`; the reason when it cannot be made.
std::string make_scratch(const std::string& parent, const char* prefix, ScratchFolder& folder) {
  std::error_code ec;
  if (parent.empty()) return "no scratch folder given";
  if (!fs::is_directory(parent, ec))
    return fmt::format("scratch folder {} {}", parent, fs::exists(parent, ec) ? "is not a folder" : "does not exist");
  std::string templ = (fs::path(parent) / fmt::format("{}-XXXXXX", prefix)).string();
  if (::mkdtemp(templ.data()) == nullptr) return fmt::format("cannot create a folder in scratch folder {}: {}", parent, errno_text(errno));
  folder.path = templ;
  return {};
}

std::string scratch_parent(const Context& ctx) {
  if (!ctx.scratch_dir.empty()) return ctx.scratch_dir;
  std::error_code ec;
  return fs::temp_directory_path(ec).string();
}

ProbeResult finish(ProbeResult r, Status status, std::string reason, Clock::time_point start) {
  r.status = status;
  r.reason = std::move(reason);
  r.duration_s = util::since(start);
  return r;
}

Measurement measurement(std::string id, std::string unit, std::vector<double> samples, bool higher_is_better) {
  Measurement m;
  m.id = std::move(id);
  m.unit = std::move(unit);
  m.samples = std::move(samples);
  m.stats = statistics(m.samples);
  m.higher_is_better = higher_is_better;
  return m;
}

// --- (b) the synthetic state -------------------------------------------------------------------------------------

std::uint64_t planned_bytes(const Context& ctx) {
  if (ctx.checkpoint_bytes && *ctx.checkpoint_bytes >= 1) return static_cast<std::uint64_t>(std::llround(*ctx.checkpoint_bytes));
  if (ctx.tiny) return 16 * MiB;
  switch (ctx.suite) {
    case Suite::quick: return 256 * MiB;
    case Suite::standard: return 1024 * MiB;
    case Suite::full: return 4096 * MiB;
  }
  return 1024 * MiB;
}

// Every 4 KiB page of the state starts with its offset and the repetition: no two pages are alike (no
// deduplicating filesystem or device can shortcut the write), the rest is random (nothing to compress).
void stamp(unsigned char* buf, std::size_t n, std::uint64_t offset, std::uint64_t rep) {
  for (std::size_t i = 0; i + 16 <= n; i += kPage) {
    const std::uint64_t v[2] = {offset + i, rep};
    std::memcpy(buf + i, v, 16);
  }
}

void write_all(int fd, const unsigned char* buf, std::size_t n, std::uint64_t off, const std::string& file) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::pwrite(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      throw core::WorkError(fmt::format("{}: pwrite({}, offset {}): {}", kCheckpointId, file, off + done, errno_text(w < 0 ? errno : EIO)));
    done += static_cast<std::size_t>(w);
  }
}

std::size_t read_all(int fd, unsigned char* buf, std::size_t n, std::uint64_t off, const std::string& file) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t rd = ::pread(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (rd < 0 && errno == EINTR) continue;
    if (rd < 0) throw core::WorkError(fmt::format("{}: pread({}, offset {}): {}", kCheckpointId, file, off + done, errno_text(errno)));
    if (rd == 0) break;  // end of file: the caller compares the byte counts
    done += static_cast<std::size_t>(rd);
  }
  return done;
}

// Pages of `fd`'s first `bytes` resident in the page cache (mincore on a mapping); nullopt when unknown.
std::optional<std::uint64_t> resident_pages(int fd, std::uint64_t bytes) {
  if (bytes == 0) return 0;
  void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return std::nullopt;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((bytes + page - 1) / page);
  std::optional<std::uint64_t> n;
  if (::mincore(p, bytes, vec.data()) == 0) n = static_cast<std::uint64_t>(std::count_if(vec.begin(), vec.end(), [](unsigned char c) { return (c & 1) != 0; }));
  ::munmap(p, bytes);
  return n;
}

struct SyntheticRep {
  double write_s = 0, read_s = 0;
  std::uint64_t bytes_written = 0, bytes_read = 0;
  std::uint64_t checksum_written = 0, checksum_read = 0;
  std::optional<std::uint64_t> resident_after_evict;
  std::uint64_t pages = 0;
};

class SyntheticState {
 public:
  SyntheticState(std::uint64_t bytes, fs::path folder)
      : bytes_(bytes), chunk_(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, bytes))), folder_(std::move(folder)) {
    pool_.resize(chunk_);
    back_.resize(chunk_);
    std::mt19937_64 fill(kFillSeed);
    for (std::size_t i = 0; i + 8 <= chunk_; i += 8) {
      const std::uint64_t v = fill();
      std::memcpy(pool_.data() + i, &v, 8);
    }
    std::fill(back_.begin(), back_.end(), static_cast<unsigned char>(0xA5));  // touched before any timing
  }

  SyntheticRep run(int rep, const Context& ctx) {
    SyntheticRep r;
    const auto nrep = static_cast<std::uint64_t>(rep);
    const std::string file = (folder_ / fmt::format("state-{}.bin", rep)).string();
    // The checksum of what will be written, computed before the timed write so that nothing but the write
    // and the fsync are in its time (the content is regenerated identically by the stamps).
    for (std::uint64_t off = 0, c = 0; off < bytes_; off += chunk_, ++c) {
      const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, bytes_ - off));
      stamp(pool_.data(), len, off, nrep);
      r.checksum_written = chain(r.checksum_written, hash64(pool_.data(), len, c));
    }

    const auto w0 = Clock::now();
    {
      Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (fd.fd < 0) throw core::WorkError(fmt::format("{}: open({}): {}", kCheckpointId, file, errno_text(errno)));
      for (std::uint64_t off = 0; off < bytes_; off += chunk_) {
        if (ctx.cancelled()) throw Cancelled{};
        const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, bytes_ - off));
        stamp(pool_.data(), len, off, nrep);
        write_all(fd.fd, pool_.data(), len, off, file);
        r.bytes_written += len;
      }
      if (::fsync(fd.fd) != 0) throw core::WorkError(fmt::format("{}: fsync({}): {}", kCheckpointId, file, errno_text(errno)));
      fd.close();
      // The new file's directory entry, durable too (as after a checkpoint's rename).
      Fd dir(::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (dir.fd < 0 || ::fsync(dir.fd) != 0)
        throw core::WorkError(fmt::format("{}: fsync of folder {}: {}", kCheckpointId, folder_.string(), errno_text(errno)));
    }
    r.write_s = util::since(w0);

    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) throw core::WorkError(fmt::format("{}: open({}, read): {}", kCheckpointId, file, errno_text(errno)));
    // Clean pages (fsync'd) are dropped by DONTNEED on a disk filesystem; tmpfs keeps them (its storage is memory).
    ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_DONTNEED);
    r.pages = (bytes_ + static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) - 1) / static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    r.resident_after_evict = resident_pages(fd.fd, bytes_);
    // Timed: the pread calls; the checksum between them is not (readahead in flight meanwhile is at most a
    // window of a few hundred KiB against 64 MiB chunks).
    for (std::uint64_t off = 0, c = 0; off < bytes_; off += chunk_, ++c) {
      if (ctx.cancelled()) throw Cancelled{};
      const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, bytes_ - off));
      const auto t0 = Clock::now();
      const std::size_t got = read_all(fd.fd, back_.data(), len, off, file);
      r.read_s += util::since(t0);
      r.bytes_read += got;
      r.checksum_read = chain(r.checksum_read, hash64(back_.data(), got, c));
      if (got < len) break;
    }
    fd.close();
    std::error_code ec;
    fs::remove(file, ec);
    return r;
  }

  std::size_t chunk_bytes() const { return chunk_; }

 private:
  std::uint64_t bytes_;
  std::size_t chunk_;
  fs::path folder_;
  std::vector<unsigned char> pool_, back_;
};

// --- (a) the CNN's model + Adam state ------------------------------------------------------------------------------

struct CnnState {
  std::vector<double> write_s, read_s;
  std::uint64_t bytes = 0;
  std::int64_t parameters = 0;
  bool round_trip = false;
  std::string round_trip_detail;
};

CnnState measure_cnn_state(const Context& ctx, const fs::path& folder, int reps, const std::shared_ptr<const ai::Data>& data) {
  torch::set_num_threads(ctx.threads);
  ai::TrainSettings settings;
  settings.threads = ctx.threads;
  ai::Trainer trainer(settings, data);
  // Two steps: Adam's moments exist and are not zero, as in a checkpoint taken during training.
  trainer.step();
  trainer.step();
  CnnState s;
  for (const auto& p : trainer.model()->parameters()) s.parameters += p.numel();
  const std::string path = (folder / "cnn-checkpoint.pt").string();
  // A fresh trainer of the same run (Trainer::load accepts only those): at step 0 with the initial weights, so
  // only a complete load makes it continue as the original does.
  ai::Trainer restored(settings, data);
  for (int i = 0; i < reps; ++i) {
    if (ctx.cancelled()) throw Cancelled{};
    const auto w0 = Clock::now();
    s.bytes = trainer.save(path);
    s.write_s.push_back(util::since(w0));
    {
      Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.fd >= 0) ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    const auto r0 = Clock::now();
    restored.load(path);
    s.read_s.push_back(util::since(r0));
  }
  // The round trip: the restored trainer continues exactly as the original (the second step's loss depends on
  // the weights, the step counter — the batch — and Adam's moments of the first).
  const double a1 = trainer.step(), b1 = restored.step();
  const double a2 = trainer.step(), b2 = restored.step();
  s.round_trip = a1 == b1 && a2 == b2 && trainer.steps() == restored.steps();
  s.round_trip_detail = fmt::format("after load, the next two losses {} and {} (original {} and {}), step {} (original {})",
                                    b1, b2, a1, a2, restored.steps(), trainer.steps());
  std::error_code ec;
  fs::remove(path, ec);
  return s;
}

// Adds the CNN state's measurements and round-trip check to `r`; returns a note when they are missing.
std::string add_cnn_state(ProbeResult& r, const Context& ctx, const fs::path& folder, int reps, Clock::time_point start) {
  std::shared_ptr<const ai::Data> data;
  try {
    data = ai::fashion_mnist();
  } catch (const core::InputError& e) {
    return fmt::format("not measured: {}", e.what());  // the dataset is absent; the synthetic state stands
  }
  try {
    Progress p;
    p.probe = kCheckpointId;
    p.step = "CNN model + Adam state through ai::Trainer::save/load";
    p.elapsed_s = util::since(start);
    ctx.report(p);
    const CnnState cnn = measure_cnn_state(ctx, folder, reps, data);
    Measurement cw = measurement("cnn_state_write_time", "s", cnn.write_s, false);
    cw.work = static_cast<double>(cnn.bytes);
    cw.work_unit = "B";
    cw.details = {{"state_bytes", cnn.bytes}, {"parameters", cnn.parameters}, {"model", "Fashion-MNIST CNN + Adam (ai::Trainer)"},
                  {"timed", "ai::Trainer::save: torch::save to a temporary file, fsync, rename"},
                  {"bandwidth_Bps", static_cast<double>(cnn.bytes) / statistics(cnn.write_s).median}};
    Measurement cr = measurement("cnn_state_read_time", "s", cnn.read_s, false);
    cr.work = static_cast<double>(cnn.bytes);
    cr.work_unit = "B";
    cr.details = {{"state_bytes", cnn.bytes}, {"timed", "ai::Trainer::load after POSIX_FADV_DONTNEED on the file"}};
    r.measurements.push_back(std::move(cw));
    r.measurements.push_back(std::move(cr));
    r.checks.push_back(Check{"cnn_state_round_trip", cnn.round_trip, cnn.round_trip_detail});
    return {};
  } catch (const std::exception& e) {
    // libtorch or a checkpoint write failed: the synthetic figures stand, the probe is invalid.
    const auto* te = dynamic_cast<const c10::Error*>(&e);
    const std::string why = fmt::format("failed: {}", te ? te->what_without_backtrace() : e.what());
    r.checks.push_back(Check{"cnn_state_round_trip", false, "the CNN state could not be written and read back: " + why});
    return why;
  }
}

ProbeResult run_checkpoint(const Context& ctx) {
  const auto start = Clock::now();
  ProbeResult r;
  r.id = kCheckpointId;
  r.started = util::iso_now();
  const std::uint64_t bytes = planned_bytes(ctx);
  const std::string parent = scratch_parent(ctx);
  r.requested = {{"scratch_dir", ctx.scratch_dir}, {"checkpoint_bytes", ctx.checkpoint_bytes ? nlohmann::json(*ctx.checkpoint_bytes) : nlohmann::json(nullptr)},
                 {"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny}, {"budget_s", ctx.budget_s}, {"threads", ctx.threads}};

  // Space first: the state and a margin (5% of the filesystem, at least 16 MiB) must fit, or no measurement.
  struct statvfs sv{};
  if (parent.empty() || ::statvfs(parent.c_str(), &sv) != 0)
    return finish(r, Status::skipped, fmt::format("scratch folder '{}': {}", parent, parent.empty() ? "none known" : errno_text(errno)), start);
  const double free_bytes = static_cast<double>(sv.f_bavail) * static_cast<double>(sv.f_frsize);
  const double total_bytes = static_cast<double>(sv.f_blocks) * static_cast<double>(sv.f_frsize);
  const double margin = std::max(16.0 * MiB, 0.05 * total_bytes);
  if (sv.f_blocks > 0 && static_cast<double>(bytes) + margin > free_bytes)
    return finish(r, Status::skipped,
                  fmt::format("a {:.0f} MiB checkpoint does not fit in {}: {:.0f} MiB free, keeping a {:.0f} MiB margin "
                              "(choose another folder with --scratch, or a smaller state with --checkpoint-size)",
                              static_cast<double>(bytes) / MiB, parent, free_bytes / MiB, margin / MiB),
                  start);
  ScratchFolder folder;
  if (auto why = make_scratch(parent, "aicq-checkpoint", folder); !why.empty()) return finish(r, Status::skipped, why, start);
  const std::string fs_name = util::filesystem_name(folder.path.string());

  try {
    // (b) the synthetic state: the first repetition calibrates how many fit in the budget.
    SyntheticState state(bytes, folder.path);
    const int max_reps = ctx.tiny ? 2 : ctx.suite == Suite::full ? 5 : 3;
    std::vector<SyntheticRep> reps;
    int planned = max_reps;
    for (int i = 0; i < planned; ++i) {
      Progress p;
      p.probe = kCheckpointId;
      p.step = fmt::format("write + fsync + read {} MiB", bytes / MiB);
      p.repetition = i + 1;
      p.repetitions = planned;
      p.elapsed_s = util::since(start);
      ctx.report(p);
      if (ctx.cancelled()) throw Cancelled{};
      const auto t0 = Clock::now();
      reps.push_back(state.run(i, ctx));
      if (i == 0 && !ctx.tiny) planned = 1 + util::reps_within(0.7 * ctx.budget_s - util::since(start), util::since(t0), 1, max_reps - 1);
    }

    std::vector<double> write_bw, read_bw, write_s, read_s;
    bool all_match = true, all_evicted = true, eviction_known = true;
    nlohmann::json per_rep = nlohmann::json::array();
    for (const auto& x : reps) {
      write_bw.push_back(static_cast<double>(x.bytes_written) / x.write_s);
      read_bw.push_back(static_cast<double>(x.bytes_read) / x.read_s);
      write_s.push_back(x.write_s);
      read_s.push_back(x.read_s);
      all_match = all_match && x.bytes_read == x.bytes_written && x.checksum_read == x.checksum_written;
      if (!x.resident_after_evict) eviction_known = false;
      else if (*x.resident_after_evict > 0) all_evicted = false;
      per_rep.push_back({{"write_s", x.write_s}, {"read_s", x.read_s}, {"bytes_written", x.bytes_written}, {"bytes_read", x.bytes_read},
                         {"checksum_written", fmt::format("{:016x}", x.checksum_written)},
                         {"checksum_read", fmt::format("{:016x}", x.checksum_read)},
                         {"resident_pages_after_evict", x.resident_after_evict ? nlohmann::json(*x.resident_after_evict) : nlohmann::json(nullptr)},
                         {"pages", x.pages}});
    }
    const bool from_storage = eviction_known && all_evicted;
    const std::string read_from =
        from_storage ? "storage: after POSIX_FADV_DONTNEED no page of the file was resident (mincore)"
        : !eviction_known
            ? "may be cached: eviction could not be confirmed (mincore failed)"
            : fmt::format("may be cached: pages stayed resident after POSIX_FADV_DONTNEED on {} (mincore){}", fs_name,
                          fs_name == "tmpfs" || fs_name == "ramfs" ? " — this filesystem keeps files in memory" : "");

    Measurement w = measurement("write_bandwidth", "B/s", write_bw, true);
    w.work = static_cast<double>(bytes);
    w.work_unit = "B";
    const double bw = w.stats.median;
    const double gpt3_bytes = kGpt3Parameters * kBytesPerParameter;
    w.details = {{"state_bytes", bytes},
                 {"chunk_bytes", state.chunk_bytes()},
                 {"write_s", write_s},
                 {"timed", "open, writes in chunks, fsync of the file and of its folder (one new file per repetition)"},
                 {"fsync_included", true},
                 {"content", fmt::format("random (mt19937_64 seed {}), each 4 KiB page stamped with its offset and the repetition", kFillSeed)},
                 {"scratch", {{"folder", parent}, {"filesystem", fs_name}}},
                 {"projections",
                  nlohmann::json::array({{{"name", "GPT-3 (the report's example)"},
                                          {"parameters", kGpt3Parameters},
                                          {"bytes_per_parameter", kBytesPerParameter},
                                          {"bytes_per_parameter_is", "mixed-precision Adam: FP16 weights and gradients, FP32 master weights and two moments"},
                                          {"state_bytes", gpt3_bytes},
                                          {"write_time_s", gpt3_bytes / bw},
                                          {"at_bandwidth_Bps", bw}}})}};
    Measurement rd = measurement("read_bandwidth", "B/s", read_bw, true);
    rd.work = static_cast<double>(bytes);
    rd.work_unit = "B";
    rd.details = {{"state_bytes", bytes}, {"chunk_bytes", state.chunk_bytes()}, {"read_s", read_s},
                  {"timed", "the pread calls of each chunk; the checksum between them is not counted"},
                  {"read_from", read_from}, {"evicted", from_storage}, {"scratch", {{"folder", parent}, {"filesystem", fs_name}}}};
    if (!from_storage) rd.details["label"] = "cache-affected: " + read_from;
    rd.details["repetitions"] = per_rep;
    r.measurements = {std::move(w), std::move(rd)};

    Check sum;
    sum.id = "checksum";
    sum.passed = all_match;
    sum.detail = fmt::format("{} repetition(s) of {} B: bytes read {} the bytes written (64-bit checksums, per chunk, chained)",
                             reps.size(), bytes, all_match ? "equal" : "differ from");
    r.checks.push_back(sum);

    // (a) the CNN's model + Adam state, through libtorch.
    const int cnn_reps = ctx.tiny ? 2 : 5;
    const std::string cnn_note = add_cnn_state(r, ctx, folder.path, cnn_reps, start);

    r.effective = {{"scratch_dir", parent}, {"filesystem", fs_name}, {"state_bytes", bytes}, {"chunk_bytes", state.chunk_bytes()},
                   {"free_bytes_before", sv.f_blocks > 0 ? nlohmann::json(free_bytes) : nlohmann::json(nullptr)},
                   {"repetitions", reps.size()}, {"read_from", read_from}, {"cnn_state_repetitions", cnn_reps}, {"threads", ctx.threads}};
    if (!cnn_note.empty()) r.effective["cnn_state"] = cnn_note;
    for (const auto& c : r.checks)
      if (!c.passed) {
        r.status = Status::invalid;
        r.reason = c.detail;
        break;
      }
  } catch (const core::WorkError& e) {
    r.status = Status::failed;
    r.reason = e.what();
    r.measurements.clear();
  } catch (const c10::Error& e) {
    r.status = Status::failed;
    r.reason = fmt::format("libtorch: {}", e.what_without_backtrace());
    r.measurements.clear();
  }
  r.duration_s = util::since(start);
  return r;  // `folder` removes the files here, and on Cancelled as the exception passes
}

// --- resilience.recovery --------------------------------------------------------------------------------------------

// The worker trains with one thread: the probe measures the recovery, not the training's speed, and steps of a
// few milliseconds gain nothing from more threads — on a busy machine they lose much (measured here on 2 shared
// cores: 0.05 s per step with one thread, 0.9 s with two, whose OpenMP barriers wait for a descheduled thread).
constexpr int kWorkerThreads = 1;

struct RecoveryPlan {
  int steps, every, reps;
};
RecoveryPlan recovery_plan(const Context& ctx) {
  // A few seconds of training per worker run (a step of batch 64 takes about 0.05 s on one core here); three runs
  // per repetition (uninterrupted, killed, restarted), each loading the dataset.
  if (ctx.tiny) return {30, 10, 1};
  switch (ctx.suite) {
    case Suite::quick: return {40, 10, 1};
    case Suite::standard: return {60, 20, 2};
    case Suite::full: return {120, 20, 3};
  }
  return {60, 20, 2};
}

nlohmann::json to_json(const RecoveryOutcome& o) {
  return {{"kill_at_step", o.kill_at_step},
          {"killed_at_step", o.killed_at_step},
          {"resumed_from_step", o.resumed_from_step},
          {"steps_lost", o.steps_lost},
          {"detection_s", o.detection_s},
          {"detection_method", o.detection_method},
          {"turnaround_s", o.turnaround_s},
          {"restart_s", o.restart_s},
          {"worker_ready_s", o.worker_ready_s},
          {"first_step_s", o.first_step_s},
          {"recovery_s", o.recovery_s},
          {"lost_work_s", o.lost_work_s},
          {"reference_step_s", o.reference_step_s},
          {"trajectory_matches", o.trajectory_matches},
          {"bitwise_equal", o.bitwise_equal},
          {"killed_run_matches", o.killed_run_matches},
          {"max_loss_difference", o.max_loss_difference},
          {"max_relative_difference", o.max_relative_difference},
          {"compared_steps", o.reference_losses.size()}};
}

std::string self_exe() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

ProbeResult run_recovery_probe(const Context& ctx) {
  const auto start = Clock::now();
  ProbeResult r;
  r.id = kRecoveryId;
  r.started = util::iso_now();
  const RecoveryPlan plan = recovery_plan(ctx);
  const std::string exe = ctx.aicq_exe.empty() ? self_exe() : ctx.aicq_exe;
  r.requested = {{"aicq_exe", ctx.aicq_exe}, {"scratch_dir", ctx.scratch_dir}, {"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny},
                 {"threads", ctx.threads}};
  if (exe.empty()) return finish(r, Status::skipped, "the aicq binary to start the worker from is unknown (/proc/self/exe unreadable)", start);
  ScratchFolder folder;
  if (auto why = make_scratch(scratch_parent(ctx), "aicq-recovery", folder); !why.empty()) return finish(r, Status::skipped, why, start);

  std::vector<RecoveryOutcome> outcomes;
  try {
    for (int i = 0; i < plan.reps; ++i) {
      if (ctx.cancelled()) throw Cancelled{};
      RecoverySettings s;
      s.exe = exe;
      s.dir = folder.path.string();
      s.total_steps = plan.steps;
      s.checkpoint_every = plan.every;
      s.seed = static_cast<std::uint64_t>(i);  // a different kill point and run per repetition, reproducibly
      s.threads = kWorkerThreads;
      s.timeout_s = std::max(120.0, ctx.budget_s);
      outcomes.push_back(run_recovery(s, ctx));
    }
  } catch (const core::WorkError& e) {
    r.effective = {{"aicq_exe", exe}, {"total_steps", plan.steps}, {"checkpoint_every", plan.every}};
    return finish(r, Status::failed, e.what(), start);
  }

  std::vector<double> recovery, detection, restart;
  nlohmann::json reps = nlohmann::json::array();
  bool matches = true, consistent = true;
  std::string mismatch, inconsistency;
  for (const auto& o : outcomes) {
    recovery.push_back(o.recovery_s);
    detection.push_back(o.detection_s);
    restart.push_back(o.restart_s);
    reps.push_back(to_json(o));
    if (!o.trajectory_matches || !o.killed_run_matches) {
      matches = false;
      mismatch += fmt::format("{}run killed after step {}: resumed losses differ from the uninterrupted run by up to {:.3g} "
                              "({:.3g} relative) over steps {}…{}{}",
                              mismatch.empty() ? "" : "; ", o.killed_at_step, o.max_loss_difference, o.max_relative_difference,
                              o.resumed_from_step + 1, plan.steps, o.killed_run_matches ? "" : "; the killed run's own losses differ too");
    }
    // The restart must load the last checkpoint written before the kill: the last multiple of K at or below
    // the killed step (a checkpoint is written after its step's line, so the kill after step K·m finds K·(m−1)).
    const int expected_from = ((o.killed_at_step - 1) / plan.every) * plan.every;
    if (o.resumed_from_step != expected_from) {
      consistent = false;
      inconsistency += fmt::format("{}killed after step {}, resumed from {} (expected {})", inconsistency.empty() ? "" : "; ",
                                   o.killed_at_step, o.resumed_from_step, expected_from);
    }
  }
  const nlohmann::json rep_details = reps;
  Measurement rec = measurement("recovery_time", "s", recovery, false);
  rec.details = {{"timed", "SIGKILL sent → death seen → new worker spawned → checkpoint loaded (ready) → first resumed step done"},
                 {"lost_work", "reported apart: lost_work_s, steps_lost"},
                 {"repetitions", rep_details}};
  if (!outcomes.empty()) {
    const auto& o = outcomes.front();
    rec.details.update({{"steps_lost", o.steps_lost}, {"lost_work_s", o.lost_work_s}, {"trajectory_matches", o.trajectory_matches},
                        {"max_loss_difference", o.max_loss_difference}, {"killed_at_step", o.killed_at_step},
                        {"resumed_from_step", o.resumed_from_step}});
  }
  Measurement det = measurement("detection_time", "s", detection, false);
  det.details = {{"timed", "SIGKILL sent → the supervisor saw the death"}, {"method", outcomes.front().detection_method}};
  Measurement rst = measurement("restart_time", "s", restart, false);
  rst.details = {{"timed", "new worker spawned → its \"ready\" line (libtorch, dataset and checkpoint loaded)"}};
  r.measurements = {std::move(rec), std::move(det), std::move(rst)};

  Check traj;
  traj.id = "trajectory";
  traj.passed = matches;
  traj.detail = matches ? fmt::format("in {} repetition(s) the resumed losses equal the uninterrupted run's within 1e-6 relative "
                                      "(largest difference {:.3g})",
                                      outcomes.size(), std::max_element(outcomes.begin(), outcomes.end(), [](const auto& a, const auto& b) {
                                                         return a.max_loss_difference < b.max_loss_difference;
                                                       })->max_loss_difference)
                        : mismatch;
  r.checks.push_back(traj);
  Check last;
  last.id = "resumed_from_last_checkpoint";
  last.passed = consistent;
  last.detail = consistent ? "every restart loaded the last checkpoint written before its kill" : inconsistency;
  r.checks.push_back(last);
  for (const auto& c : r.checks)
    if (!c.passed) {
      r.status = Status::invalid;
      r.reason = c.detail;
      break;
    }
  r.effective = {{"aicq_exe", exe},  {"total_steps", plan.steps}, {"checkpoint_every", plan.every}, {"repetitions", plan.reps},
                 {"worker_threads", kWorkerThreads}, {"batch", ai::TrainSettings{}.batch}, {"seeds", "0…repetitions − 1 (weights, batches, kill point)"},
                 {"kill", "SIGKILL to the worker stopped right after reporting the kill step"}};
  r.duration_s = util::since(start);
  return r;
}

}  // namespace

Probe checkpoint_probe() {
  Probe p;
  p.id = kCheckpointId;
  p.title = "Checkpoint: a training state written with fsync and read back (CNN + Adam, synthetic 1 GiB)";
  p.measures = "write and read B/s, CNN state write time (s); projection: time to checkpoint GPT-3";
  p.precisions = "—";
  p.feeds = "ie.intelligence (checkpointing cap)";
  p.typical_s = {{Suite::standard, 25}, {Suite::full, 90}};
  p.run = run_checkpoint;
  return p;
}

Probe recovery_probe() {
  Probe p;
  p.id = kRecoveryId;
  p.title = "Kill-and-resume: a training process killed (SIGKILL) and restarted from its last checkpoint";
  p.measures = "recovery, detection and restart time (s), steps lost, trajectory match";
  p.precisions = "—";
  p.feeds = "ie.intelligence (fault recovery cap)";
  p.typical_s = {{Suite::standard, 25}, {Suite::full, 70}};
  p.run = run_recovery_probe;
  return p;
}

}  // namespace aicq::probe

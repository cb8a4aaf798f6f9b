// storage.io — sequential write/read and 4 KiB random read (queue depth 1), O_DIRECT where the filesystem
// allows it (see storage.hpp for the contract).
#include "aicq/probe/storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <numeric>
#include <random>
#include <stdexcept>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"

namespace aicq::probe {
namespace storage {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) throw std::invalid_argument("percentile of no values");
  if (!(p > 0 && p <= 100)) throw std::invalid_argument("percentile outside (0, 100]");
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  const auto i = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::uint64_t planned_bytes(const Context& ctx) {
  constexpr std::uint64_t MiB = 1024 * 1024;
  if (ctx.tiny) return 8 * MiB;
  switch (ctx.suite) {
    case Suite::quick: return 256 * MiB;
    case Suite::standard: return 1024 * MiB;
    case Suite::full: return 4096 * MiB;
  }
  return 1024 * MiB;
}

}  // namespace storage

namespace {

constexpr const char* kId = "storage.io";
constexpr std::size_t kBlock = std::size_t{1} << 20;  // sequential transfer size
constexpr std::size_t kPage = 4096;                    // random transfer size and O_DIRECT alignment
constexpr std::uint64_t kMinFile = 8ull << 20;
constexpr std::uint64_t kSeed = 20240611;  // fixed, reported: the random offsets are the same every run

std::string errno_text(int e) { return fmt::format("{} (errno {})", std::strerror(e), e); }

// Owners of what the probe creates, so that every way out (return, Cancelled, WorkError) cleans up.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct AlignedBuffer {
  unsigned char* p = nullptr;
  explicit AlignedBuffer(std::size_t n) {
    void* q = nullptr;
    if (const int rc = ::posix_memalign(&q, kPage, n); rc != 0)
      throw core::WorkError(fmt::format("storage.io: posix_memalign({}, {}): {}", kPage, n, errno_text(rc)));
    p = static_cast<unsigned char*>(q);
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(p); }
};

struct ScratchFolder {
  std::filesystem::path path;
  ScratchFolder() = default;
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder() {
    if (path.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Each 4 KiB page of the file carries its own offset in its first 8 bytes: reads can prove where they came from.
void stamp(unsigned char* buf, std::size_t n, std::uint64_t offset) {
  for (std::size_t i = 0; i < n; i += kPage) {
    const std::uint64_t v = offset + i;
    std::memcpy(buf + i, &v, sizeof v);
  }
}
std::size_t count_stamped(const unsigned char* buf, std::size_t n, std::uint64_t offset) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < n; i += kPage) {
    std::uint64_t v = 0;
    std::memcpy(&v, buf + i, sizeof v);
    ok += v == offset + i ? 1 : 0;
  }
  return ok;
}

void write_all(int fd, const unsigned char* buf, std::size_t n, std::uint64_t off, const std::string& file) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::pwrite(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      throw core::WorkError(fmt::format("storage.io: pwrite({}, offset {}): {}", file, off + done, errno_text(w < 0 ? errno : EIO)));
    done += static_cast<std::size_t>(w);
  }
}

void read_all(int fd, unsigned char* buf, std::size_t n, std::uint64_t off, const std::string& file) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t rd = ::pread(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (rd < 0 && errno == EINTR) continue;
    if (rd < 0) throw core::WorkError(fmt::format("storage.io: pread({}, offset {}): {}", file, off + done, errno_text(errno)));
    if (rd == 0) throw core::WorkError(fmt::format("storage.io: pread({}, offset {}): unexpected end of file", file, off + done));
    done += static_cast<std::size_t>(rd);
  }
}

ProbeResult skipped(ProbeResult r, std::string reason, std::chrono::steady_clock::time_point start) {
  r.status = Status::skipped;
  r.reason = std::move(reason);
  r.duration_s = util::since(start);
  return r;
}

Measurement rate_measurement(std::string id, std::string unit, double work, std::string work_unit,
                             const std::vector<double>& durations) {
  Measurement m;
  m.id = std::move(id);
  m.unit = std::move(unit);
  m.samples = rates(work, durations);
  m.stats = statistics(m.samples);
  m.work = work;
  m.work_unit = std::move(work_unit);
  return m;
}

ProbeResult run_storage(const Context& ctx) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  ProbeResult r;
  r.id = kId;
  r.started = util::iso_now();
  const std::uint64_t planned = storage::planned_bytes(ctx);
  r.requested = {{"scratch_dir", ctx.scratch_dir}, {"file_bytes", planned}, {"o_direct", true},
                 {"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny},   {"budget_s", ctx.budget_s}};

  // Where: a fresh folder of our own under the scratch folder.
  std::string parent = ctx.scratch_dir;
  std::error_code ec;
  if (parent.empty()) parent = fs::temp_directory_path(ec).string();
  if (parent.empty()) return skipped(r, "no scratch folder given and no temporary folder known", start);
  if (!fs::is_directory(parent, ec))
    return skipped(r, fmt::format("scratch folder {} {}", parent, fs::exists(parent, ec) ? "is not a folder" : "does not exist"),
                   start);

  // Space: shrink to what fits beside a margin (5% of the filesystem, at least 16 MiB), or skip.
  struct statvfs sv{};
  if (::statvfs(parent.c_str(), &sv) != 0)
    return skipped(r, fmt::format("statvfs({}): {}", parent, errno_text(errno)), start);
  const double free_bytes = static_cast<double>(sv.f_bavail) * static_cast<double>(sv.f_frsize);
  const double total_bytes = static_cast<double>(sv.f_blocks) * static_cast<double>(sv.f_frsize);
  const double margin = std::max(16.0 * 1048576.0, 0.05 * total_bytes);
  std::uint64_t file_bytes = planned;
  std::string shrunk;
  // A filesystem without a size (ramfs, some pseudo filesystems) reports 0 blocks: free space unknown, go on
  // with the planned size (a full filesystem then fails the write with ENOSPC, reported as such).
  const bool size_known = sv.f_blocks > 0;
  if (size_known && static_cast<double>(file_bytes) + margin > free_bytes) {
    const double fit = free_bytes - margin;
    const auto blocks = fit > 0 ? static_cast<std::uint64_t>(fit / static_cast<double>(kBlock)) : 0;
    if (blocks * kBlock < kMinFile)
      return skipped(r, fmt::format("only {:.0f} MiB free in {} (keeping a {:.0f} MiB margin): not even {} MiB fit", free_bytes / 1048576.0,
                                    parent, margin / 1048576.0, kMinFile >> 20),
                     start);
    file_bytes = blocks * kBlock;
    shrunk = fmt::format("shrunk from {} MiB to {} MiB to fit {:.0f} MiB free", planned >> 20, file_bytes >> 20,
                         free_bytes / 1048576.0);
  }

  std::string templ = (fs::path(parent) / "aicq-storage-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr)
    return skipped(r, fmt::format("cannot create a folder in scratch folder {}: {}", parent, errno_text(errno)), start);
  ScratchFolder folder;
  folder.path = templ;
  const std::string file = (folder.path / "io.dat").string();
  const std::string fs_name = util::filesystem_name(folder.path.string());

  try {
    // Open with O_DIRECT; the filesystem may refuse it at open (tmpfs: EINVAL) or at the first write.
    bool direct = true;
    std::string direct_reason;
    Fd wfd(::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600));
    if (wfd.fd < 0) {
      const int e = errno;
      if (e != EINVAL) throw core::WorkError(fmt::format("storage.io: open({}, O_DIRECT): {}", file, errno_text(e)));
      direct = false;
      direct_reason = fmt::format("open(O_DIRECT) refused on {}: {}", fs_name, errno_text(e));
      wfd.fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (wfd.fd < 0) throw core::WorkError(fmt::format("storage.io: open({}): {}", file, errno_text(errno)));
    }
    AlignedBuffer buf(kBlock);
    // Incompressible content (fixed seed), with the offset stamps over it.
    std::mt19937_64 fill(kSeed);
    for (std::size_t i = 0; i < kBlock; i += 8) {
      const std::uint64_t v = fill();
      std::memcpy(buf.p + i, &v, 8);
    }
    if (direct) {
      stamp(buf.p, kBlock, 0);
      const ssize_t w = ::pwrite(wfd.fd, buf.p, kBlock, 0);
      if (w < 0 && errno == EINVAL) {
        direct = false;
        direct_reason = fmt::format("write with O_DIRECT refused on {}: {}", fs_name, errno_text(EINVAL));
        ::close(wfd.fd);
        wfd.fd = ::open(file.c_str(), O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
        if (wfd.fd < 0) throw core::WorkError(fmt::format("storage.io: open({}): {}", file, errno_text(errno)));
      } else if (w < 0) {
        throw core::WorkError(fmt::format("storage.io: pwrite({}, O_DIRECT): {}", file, errno_text(errno)));
      }
    }
    const bool cache_affected = !direct;

    auto write_pass = [&] {
      for (std::uint64_t off = 0; off < file_bytes; off += kBlock) {
        stamp(buf.p, kBlock, off);
        write_all(wfd.fd, buf.p, kBlock, off, file);
      }
      if (::fsync(wfd.fd) != 0) throw core::WorkError(fmt::format("storage.io: fsync({}): {}", file, errno_text(errno)));
    };
    auto drop_cache = [&](int fd) {
      if (!direct) ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // best effort; tmpfs keeps its pages anyway
    };

    // Budget shares: 35% write, 35% sequential read, 30% random read. The first pass lays the file out and
    // calibrates; the timed passes overwrite it.
    const int max_seq = ctx.tiny ? 2 : ctx.suite == Suite::full ? 5 : 3;
    const auto lay0 = std::chrono::steady_clock::now();
    write_pass();
    const double lay_s = util::since(lay0);
    const int write_reps = ctx.tiny ? 2 : util::reps_within(0.35 * ctx.budget_s - lay_s, lay_s, 1, max_seq);
    const auto wd = time_repetitions(ctx, kId, fmt::format("sequential write {} MiB", file_bytes >> 20), 0, write_reps, write_pass);

    Fd rfd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0)));
    if (rfd.fd < 0) throw core::WorkError(fmt::format("storage.io: open({}, read): {}", file, errno_text(errno)));
    std::size_t pages_checked = 0, pages_ok = 0;
    auto read_pass = [&] {
      drop_cache(rfd.fd);
      for (std::uint64_t off = 0; off < file_bytes; off += kBlock) {
        read_all(rfd.fd, buf.p, kBlock, off, file);
        pages_checked += kBlock / kPage;
        pages_ok += count_stamped(buf.p, kBlock, off);
      }
    };
    const auto rd0 = std::chrono::steady_clock::now();
    read_pass();  // warm-up and calibration
    const double read1_s = util::since(rd0);
    const int read_reps = ctx.tiny ? 2 : util::reps_within(0.35 * ctx.budget_s - read1_s, read1_s, 1, max_seq);
    const auto rdur = time_repetitions(ctx, kId, fmt::format("sequential read {} MiB", file_bytes >> 20), 0, read_reps, read_pass);

    // Random 4 KiB reads, one outstanding: per-I/O latency, in batches (a batch = a repetition).
    if (!direct) ::posix_fadvise(rfd.fd, 0, 0, POSIX_FADV_RANDOM);
    std::mt19937_64 rng(kSeed);
    std::uniform_int_distribution<std::uint64_t> page(0, file_bytes / kPage - 1);
    std::vector<double> all_lat;
    auto random_ios = [&](int count, std::vector<double>* lat) {
      for (int i = 0; i < count; ++i) {
        const std::uint64_t off = page(rng) * kPage;
        const auto t0 = std::chrono::steady_clock::now();
        read_all(rfd.fd, buf.p, kPage, off, file);
        const auto t1 = std::chrono::steady_clock::now();
        if (lat) lat->push_back(std::chrono::duration<double>(t1 - t0).count());
        ++pages_checked;
        pages_ok += count_stamped(buf.p, kPage, off);
      }
    };
    drop_cache(rfd.fd);
    std::vector<double> warm;
    random_ios(32, &warm);
    const double mean_warm = std::accumulate(warm.begin(), warm.end(), 0.0) / static_cast<double>(warm.size());
    const int per_batch = ctx.tiny ? 128 : ctx.suite == Suite::quick ? 400 : 1000;
    const int max_batches = ctx.tiny ? 2 : ctx.suite == Suite::quick ? 5 : ctx.suite == Suite::standard ? 10 : 20;
    const int batches = ctx.tiny ? 2 : util::reps_within(0.30 * ctx.budget_s, per_batch * mean_warm, 2, max_batches);
    std::vector<double> p50s, p99s, batch_means;
    const auto bdur = time_repetitions(ctx, kId, fmt::format("random read 4 KiB QD1 × {}", per_batch), 0, batches, [&] {
      drop_cache(rfd.fd);
      std::vector<double> lat;
      lat.reserve(static_cast<std::size_t>(per_batch));
      random_ios(per_batch, &lat);
      batch_means.push_back(std::accumulate(lat.begin(), lat.end(), 0.0) / static_cast<double>(lat.size()));
      p50s.push_back(storage::percentile(lat, 50));
      p99s.push_back(storage::percentile(lat, 99));
      all_lat.insert(all_lat.end(), lat.begin(), lat.end());
    });

    const nlohmann::json io_details = {{"o_direct", direct}, {"cache_affected", cache_affected}, {"filesystem", fs_name}};
    Measurement w = rate_measurement("seq_write", "B/s", static_cast<double>(file_bytes), "B", wd);
    w.details = io_details;
    w.details["block_bytes"] = kBlock;
    w.details["fsync_included"] = true;
    Measurement rd = rate_measurement("seq_read", "B/s", static_cast<double>(file_bytes), "B", rdur);
    rd.details = io_details;
    rd.details["block_bytes"] = kBlock;
    if (cache_affected) rd.details["label"] = "cache-affected: buffered reads (O_DIRECT refused), page cache may serve them";
    Measurement iops = rate_measurement("rand_read_iops", "IOPS", per_batch, "OP", bdur);
    const double mean_lat = std::accumulate(all_lat.begin(), all_lat.end(), 0.0) / static_cast<double>(all_lat.size());
    iops.details = io_details;
    iops.details.update({{"block_bytes", kPage}, {"queue_depth", 1}, {"ios", all_lat.size()}, {"seed", kSeed},
                         {"mean_latency_s", mean_lat}, {"batch_mean_latency_s", batch_means}});
    if (cache_affected) iops.details["label"] = "cache-affected: buffered reads (O_DIRECT refused)";
    auto latency = [&](const char* id, std::vector<double> per_batch_values, double p) {
      Measurement m;
      m.id = id;
      m.unit = "s";
      m.higher_is_better = false;
      m.samples = std::move(per_batch_values);
      m.stats = statistics(m.samples);
      m.details = io_details;
      m.details.update({{"percentile", p}, {"of_all_ios_s", storage::percentile(all_lat, p)}, {"ios", all_lat.size()},
                        {"samples_are", "the percentile within each batch"}, {"queue_depth", 1}, {"block_bytes", kPage}});
      return m;
    };
    r.measurements = {std::move(w), std::move(rd), std::move(iops), latency("rand_read_latency_p50", p50s, 50),
                      latency("rand_read_latency_p99", p99s, 99)};

    Check rb;
    rb.id = "readback";
    rb.passed = pages_checked > 0 && pages_ok == pages_checked;
    rb.detail = fmt::format("{} of {} 4 KiB pages read back carried the offset written into them", pages_ok, pages_checked);
    r.checks.push_back(rb);
    if (!rb.passed) {
      r.status = Status::invalid;
      r.reason = rb.detail;
    }
    r.effective = {{"scratch_dir", parent},
                   {"filesystem", fs_name},
                   {"file_bytes", file_bytes},
                   {"free_bytes_before", size_known ? nlohmann::json(free_bytes) : nlohmann::json(nullptr)},
                   {"o_direct", direct},
                   {"cache_affected", cache_affected},
                   {"block_bytes", kBlock},
                   {"random_block_bytes", kPage},
                   {"queue_depth", 1},
                   {"seed", kSeed},
                   {"write_repetitions", write_reps},
                   {"read_repetitions", read_reps},
                   {"random_batches", batches},
                   {"random_ios_per_batch", per_batch}};
    if (!direct) r.effective["o_direct_reason"] = direct_reason;
    if (!shrunk.empty()) r.effective["shrunk"] = shrunk;
  } catch (const core::WorkError& e) {
    r.status = Status::failed;
    r.reason = e.what();
    r.measurements.clear();
  }
  r.duration_s = util::since(start);
  return r;  // `folder` removes the file and its folder here, and on Cancelled as the exception passes
}

}  // namespace

Probe storage_probe() {
  Probe p;
  p.id = kId;
  p.title = "Storage: sequential write/read, 4 KiB random read at queue depth 1 (O_DIRECT)";
  p.measures = "sequential B/s (write with fsync, read), random-read IOPS and latency p50/p99 (s)";
  p.precisions = "—";
  p.feeds = "report: storage; gap diagnosis";
  p.typical_s = {{Suite::quick, 4}, {Suite::standard, 15}, {Suite::full, 60}};
  p.run = run_storage;
  return p;
}

}  // namespace aicq::probe

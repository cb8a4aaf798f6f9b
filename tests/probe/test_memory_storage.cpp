// memory.stream, storage.io and memory.first_touch at tiny sizes: exact byte counts, STREAM validation,
// physical bounds, clean-up of the scratch folder, the O_DIRECT fallback and skips with their reasons.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "aicq/probe/firsttouch.hpp"
#include "aicq/probe/probes.hpp"
#include "aicq/probe/storage.hpp"
#include "aicq/probe/stream.hpp"
#include "support.hpp"

namespace aicq::probe {
namespace fs = std::filesystem;

namespace {

// The measurement `id` of `r`; throws (failing the test) when absent.
const Measurement& measurement(const ProbeResult& r, const std::string& id) {
  for (const auto& m : r.measurements)
    if (m.id == id) return m;
  throw std::runtime_error("no measurement " + id + " in " + r.id);
}
const Probe& probe_of(const std::string& id) {
  if (const Probe* p = find(id)) return *p;
  throw std::runtime_error("no probe " + id);
}
double work_of(const ProbeResult& r, const std::string& id) { return measurement(r, id).work.value_or(-1); }

bool folder_empty(const fs::path& p) { return fs::is_empty(p); }

void write_text(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s << "\n";
}

// A recorded sysfs cache tree: per CPU an L1d, an L1i, a private L2 and a last-level cache.
void fake_cpu(const fs::path& root, int cpu, const std::string& l3_size, const std::string& l3_shared) {
  const fs::path c = root / ("cpu" + std::to_string(cpu)) / "cache";
  const std::string self = std::to_string(cpu);
  const struct {
    const char* idx;
    const char* level;
    const char* type;
    std::string size, shared;
  } caches[] = {{"index0", "1", "Data", "32K", self},
                {"index1", "1", "Instruction", "32K", self},
                {"index2", "2", "Unified", "1024K", self},
                {"index3", "3", "Unified", l3_size, l3_shared}};
  for (const auto& x : caches) {
    write_text(c / x.idx / "level", x.level);
    write_text(c / x.idx / "type", x.type);
    write_text(c / x.idx / "size", x.size);
    write_text(c / x.idx / "shared_cpu_list", x.shared);
  }
}

}  // namespace

// --- memory.stream ----------------------------------------------------------------------------------------

TEST(Stream, ByteCountsAreStreams) {
  // STREAM: copy and scale touch 2 arrays, add and triad 3, of 8-byte elements.
  // N = 1000: copy/scale 2 × 8 × 1000 = 16 000 B, add/triad 3 × 8 × 1000 = 24 000 B.
  EXPECT_DOUBLE_EQ(stream::bytes(stream::Kernel::copy, 1000), 16000);
  EXPECT_DOUBLE_EQ(stream::bytes(stream::Kernel::scale, 1000), 16000);
  EXPECT_DOUBLE_EQ(stream::bytes(stream::Kernel::add, 1000), 24000);
  EXPECT_DOUBLE_EQ(stream::bytes(stream::Kernel::triad, 1000), 24000);
}

TEST(Stream, ArraysFollowTheRule) {
  // 32 MiB LLC: 4 × 33 554 432 B ÷ 8 B = 16 777 216 elements per array
  EXPECT_EQ(stream::rule_elements(32.0 * 1024 * 1024), 16777216u);
  // 1 MiB LLC: 4 × 1 048 576 ÷ 8 = 524 288 < STREAM's floor of 1 000 000
  EXPECT_EQ(stream::rule_elements(1024.0 * 1024), 1000000u);
  EXPECT_EQ(stream::rule_elements(0), 1000000u);
}

TEST(Stream, LastLevelCacheFromSysfs) {
  const auto root = test::scratch("llc") / "cpu";
  fs::remove_all(root);
  // One 32 MiB L3 shared by both CPUs counts once: 33 554 432 B.
  fake_cpu(root, 0, "32768K", "0-1");
  fake_cpu(root, 1, "32768K", "0-1");
  EXPECT_DOUBLE_EQ(*stream::llc_bytes_from_sysfs(root.string()), 33554432.0);
  // Two CCDs with a 16 MiB L3 each: 2 × 16 777 216 = 33 554 432 B; an offline CPU is left out.
  fs::remove_all(root);
  fake_cpu(root, 0, "16M", "0");
  fake_cpu(root, 1, "16M", "1");
  fake_cpu(root, 2, "16M", "2");
  write_text(root / "cpu2" / "online", "0");
  EXPECT_DOUBLE_EQ(*stream::llc_bytes_from_sysfs(root.string()), 33554432.0);
  EXPECT_FALSE(stream::llc_bytes_from_sysfs((root / "absent").string()));
  fs::remove_all(root.parent_path());
  // The real tree: some positive size wherever sysfs lists caches.
  if (const auto real = stream::llc_bytes_from_sysfs()) {
    EXPECT_GT(*real, 0);
  }
}

TEST(Stream, ValidationFollowsTheRecurrenceAndCatchesCorruption) {
  stream::Arrays arr(1000, 2);
  for (const auto k : {stream::Kernel::copy, stream::Kernel::scale, stream::Kernel::add, stream::Kernel::triad}) arr.run(k);
  // From a = 2, b = 2, c = 0: copy c = 2; scale b = 3 × 2 = 6; add c = 2 + 6 = 8; triad a = 6 + 3 × 8 = 30.
  EXPECT_DOUBLE_EQ(arr.expected_a(), 30);
  EXPECT_DOUBLE_EQ(arr.expected_b(), 6);
  EXPECT_DOUBLE_EQ(arr.expected_c(), 8);
  EXPECT_DOUBLE_EQ(arr.a()[999], 30);
  EXPECT_DOUBLE_EQ(arr.c()[0], 8);
  const Check ok = arr.validate();
  EXPECT_EQ(ok.id, "validation");
  EXPECT_TRUE(ok.passed) << ok.detail;
  // A second triad: a = 6 + 3 × 8 = 30 again (each kernel alone is idempotent); still valid.
  arr.run(stream::Kernel::triad);
  EXPECT_TRUE(arr.validate().passed);
  // One element off: the mean error 0.5 ÷ 1000 ÷ 8 = 6.25e-5 ≫ 1e-13.
  arr.c()[500] = 8.5;
  const Check bad = arr.validate();
  EXPECT_FALSE(bad.passed);
  EXPECT_NE(bad.detail.find("c:"), std::string::npos) << bad.detail;
  EXPECT_NE(bad.detail.find("1 of 1000"), std::string::npos) << bad.detail;
}

TEST(Stream, TinyRunCountsBytesAndStaysUnderAPhysicalBound) {
  Context ctx;
  ctx.tiny = true;
  ctx.threads = 2;
  const ProbeResult r = probe_of("memory.stream").run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  ASSERT_EQ(r.measurements.size(), 4u);
  // tiny arrays: 2^16 = 65 536 elements; copy 2 × 8 × 65 536 = 1 048 576 B, triad 3 × 8 × 65 536 = 1 572 864 B
  EXPECT_EQ(r.effective["array_elements"].get<std::size_t>(), 65536u);
  EXPECT_EQ(r.effective["rule_met"], "no");
  EXPECT_DOUBLE_EQ(work_of(r, "copy"), 1048576);
  EXPECT_DOUBLE_EQ(work_of(r, "scale"), 1048576);
  EXPECT_DOUBLE_EQ(work_of(r, "add"), 1572864);
  EXPECT_DOUBLE_EQ(work_of(r, "triad"), 1572864);
  // Bound: the tiny arrays (3 × 512 KiB) live in L2/L3. Two threads each moving at most 64 B per cycle from L2
  // at ≤ 6 GHz: 2 × 64 × 6e9 = 768 GB/s; main memory is slower still (even 12 DDR5-4800 channels give
  // 12 × 4.8e9 × 8 = 461 GB/s). So 1 TB/s is out of reach for 2 threads whatever the level.
  for (const auto& m : r.measurements) {
    EXPECT_EQ(m.unit, "B/s");
    EXPECT_EQ(m.samples.size(), 2u);
    EXPECT_FALSE(m.peak);  // no peak bandwidth is known on a VM
    for (double s : m.samples) {
      EXPECT_GT(s, 0);
      EXPECT_LE(s, 1e12);
    }
  }
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].detail;
  EXPECT_EQ(r.requested["threads"], 2);
  EXPECT_GE(r.effective["threads"].get<int>(), 1);
  EXPECT_LE(r.effective["threads"].get<int>(), 2);
}

TEST(Stream, CancelStopsTheProbe) {
  std::atomic<bool> stop{true};
  Context ctx;
  ctx.tiny = true;
  ctx.cancel = &stop;
  EXPECT_THROW(probe_of("memory.stream").run(ctx), Cancelled);
}

// --- storage.io -------------------------------------------------------------------------------------------

TEST(Storage, Percentiles) {
  // nearest rank: ⌈p/100 × n⌉-th smallest. 1..100: p50 → 50th = 50, p99 → 99th = 99, p100 → 100.
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_DOUBLE_EQ(storage::percentile(v, 50), 50);
  EXPECT_DOUBLE_EQ(storage::percentile(v, 99), 99);
  EXPECT_DOUBLE_EQ(storage::percentile(v, 100), 100);
  // 4 values: p50 → ⌈2⌉ = 2nd = 2; p99 → ⌈3.96⌉ = 4th = 4
  EXPECT_DOUBLE_EQ(storage::percentile({4, 1, 3, 2}, 50), 2);
  EXPECT_DOUBLE_EQ(storage::percentile({4, 1, 3, 2}, 99), 4);
  EXPECT_THROW(storage::percentile({}, 50), std::invalid_argument);
  EXPECT_THROW(storage::percentile({1}, 0), std::invalid_argument);
}

TEST(Storage, PlannedSizes) {
  Context c;
  c.tiny = true;
  EXPECT_EQ(storage::planned_bytes(c), 8u << 20);
  c.tiny = false;
  c.suite = Suite::quick;
  EXPECT_EQ(storage::planned_bytes(c), 256u << 20);
  c.suite = Suite::standard;
  EXPECT_EQ(storage::planned_bytes(c), 1024u << 20);
}

TEST(Storage, TinyRunMeasuresAndCleansUp) {
  const auto dir = test::scratch("storage");
  Context ctx;
  ctx.tiny = true;
  ctx.scratch_dir = dir.string();
  const ProbeResult r = probe_of("storage.io").run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  EXPECT_TRUE(folder_empty(dir)) << "the probe left files in " << dir;
  // 8 MiB file: 8 388 608 B per sequential pass; 128 random 4 KiB reads per batch, 2 batches.
  EXPECT_DOUBLE_EQ(work_of(r, "seq_write"), 8388608);
  EXPECT_DOUBLE_EQ(work_of(r, "seq_read"), 8388608);
  const Measurement* iops = &measurement(r, "rand_read_iops");
  EXPECT_DOUBLE_EQ(iops->work.value_or(-1), 128);
  EXPECT_EQ(iops->details["ios"].get<std::size_t>(), 256u);
  EXPECT_EQ(iops->details["queue_depth"], 1);
  const Measurement* p50 = &measurement(r, "rand_read_latency_p50");
  const Measurement* p99 = &measurement(r, "rand_read_latency_p99");
  EXPECT_FALSE(p50->higher_is_better);
  EXPECT_LE(p50->details["of_all_ios_s"].get<double>(), p99->details["of_all_ios_s"].get<double>());
  for (std::size_t i = 0; i < p50->samples.size(); ++i) EXPECT_LE(p50->samples[i], p99->samples[i]);
  // IOPS of a batch = I/Os ÷ batch time, and the batch time is the sum of the I/Os' latencies plus the loop's
  // own work (random offsets, clock reads), so IOPS ≤ 1 ÷ mean latency of that batch; the loop's work is
  // small next to a read, so IOPS stays within a factor of 3 below it (a bound, not a timing threshold).
  const auto means = iops->details["batch_mean_latency_s"].get<std::vector<double>>();
  ASSERT_EQ(means.size(), iops->samples.size());
  for (std::size_t i = 0; i < means.size(); ++i) {
    EXPECT_LE(iops->samples[i], 1.0 / means[i] * (1 + 1e-9));
    EXPECT_GE(iops->samples[i], 1.0 / means[i] / 3);
  }
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].detail;
  // every figure is a positive rate; bound: no single device beats 100 GB/s sequential (PCIe 5 x16 ≈ 64 GB/s),
  // except that buffered fallback reads come from memory, bounded by the same 1 TB/s as memory.stream
  for (const auto& m : r.measurements)
    for (double s : m.samples) EXPECT_GT(s, 0);
  const double bound = r.effective["o_direct"].get<bool>() ? 1e11 : 1e12;
  EXPECT_LE(measurement(r, "seq_write").stats.max, bound);
  EXPECT_LE(measurement(r, "seq_read").stats.max, bound);
  fs::remove_all(dir);
}

TEST(Storage, FallsBackToBufferedWhereODirectIsRefused) {
  // ramfs refuses O_DIRECT (open: EINVAL) on every kernel (tmpfs did too before Linux 6.6, not after). The probe
  // runs in a forked child that mounts a ramfs in a private mount namespace (root only), so nothing outside the
  // child sees the mount; the record comes back through a pipe.
  const auto dir = test::scratch("storage-ramfs");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("ramfs", dir.c_str(), "ramfs", 0, nullptr) != 0)
      ::_exit(77);
    Context ctx;
    ctx.tiny = true;
    ctx.scratch_dir = dir.string();
    nlohmann::json j = to_json(probe_of("storage.io").run(ctx));
    j["folder_empty_after"] = fs::is_empty(dir);
    const std::string text = j.dump();
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t w = ::write(fds[1], text.data() + done, text.size() - done);
      if (w <= 0) ::_exit(1);
      done += static_cast<std::size_t>(w);
    }
    ::umount(dir.c_str());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  fs::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a ramfs here (needs root and CAP_SYS_ADMIN)";
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const auto j = nlohmann::json::parse(text);
  EXPECT_TRUE(j["folder_empty_after"].get<bool>());
  const ProbeResult r = probe_result_from_json(j);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  EXPECT_FALSE(r.effective["o_direct"].get<bool>());
  // open(O_DIRECT) refused with EINVAL (errno 22), said in the effective settings
  EXPECT_NE(r.effective["o_direct_reason"].get<std::string>().find("errno 22"), std::string::npos)
      << r.effective["o_direct_reason"];
  EXPECT_TRUE(r.effective["cache_affected"].get<bool>());
  EXPECT_TRUE(measurement(r, "seq_read").details["cache_affected"].get<bool>());
  EXPECT_NE(measurement(r, "seq_read").details["label"].get<std::string>().find("cache-affected"), std::string::npos);
  EXPECT_NE(measurement(r, "rand_read_iops").details["label"].get<std::string>().find("cache-affected"), std::string::npos);
  EXPECT_TRUE(r.checks.at(0).passed) << r.checks.at(0).detail;
}

TEST(Storage, UnusableScratchIsSkippedWithTheReason) {
  const auto dir = test::scratch("storage-bad");
  const auto file = dir / "a-file";
  std::ofstream(file) << "x";
  Context ctx;
  ctx.tiny = true;
  ctx.scratch_dir = file.string();
  ProbeResult r = probe_of("storage.io").run(ctx);
  EXPECT_EQ(r.status, Status::skipped);
  EXPECT_NE(r.reason.find("is not a folder"), std::string::npos) << r.reason;
  ctx.scratch_dir = (dir / "absent").string();
  r = probe_of("storage.io").run(ctx);
  EXPECT_EQ(r.status, Status::skipped);
  EXPECT_NE(r.reason.find("does not exist"), std::string::npos) << r.reason;
  // A folder this process may not write into: /proc (even for root) — skipped, never a crash.
  ctx.scratch_dir = "/proc";
  r = probe_of("storage.io").run(ctx);
  EXPECT_EQ(r.status, Status::skipped);
  EXPECT_NE(r.reason.find("/proc"), std::string::npos) << r.reason;
  fs::remove_all(dir);
}

TEST(Storage, CancelledRunStillCleansUp) {
  const auto dir = test::scratch("storage-cancel");
  std::atomic<bool> stop{true};
  Context ctx;
  ctx.tiny = true;
  ctx.scratch_dir = dir.string();
  ctx.cancel = &stop;
  EXPECT_THROW(probe_of("storage.io").run(ctx), Cancelled);
  EXPECT_TRUE(folder_empty(dir));
  fs::remove_all(dir);
}

// --- memory.first_touch -----------------------------------------------------------------------------------

TEST(FirstTouch, CountsPagesAndTimesBothTouches) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const auto t = firsttouch::touch_pages(std::size_t{4} << 20);
  // 4 MiB ÷ 4 KiB = 1024 pages (with 4 KiB base pages)
  EXPECT_EQ(t.pages, (std::size_t{4} << 20) / page);
  EXPECT_EQ(t.page_bytes, page);
  EXPECT_GT(t.first_s, 0);
  EXPECT_GT(t.retouch_s, 0);
  EXPECT_DOUBLE_EQ(t.first_per_page_s(), t.first_s / static_cast<double>(t.pages));
}

TEST(FirstTouch, TinyProbeRecord) {
  Context ctx;
  ctx.tiny = true;
  const ProbeResult r = probe_of("memory.first_touch").run(ctx);
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  const Measurement* ft = &measurement(r, "first_touch");
  const Measurement* churn = &measurement(r, "alloc_fill_free");
  EXPECT_EQ(measurement(r, "retouch").samples.size(), 2u);
  EXPECT_EQ(ft->unit, "s");
  EXPECT_FALSE(ft->higher_is_better);
  EXPECT_EQ(ft->samples.size(), 2u);
  // tiny: one round of a 64 MiB buffer per repetition = 67 108 864 B
  EXPECT_DOUBLE_EQ(churn->work.value_or(-1), 67108864);
  for (double s : churn->samples) EXPECT_GT(s, 0);
  EXPECT_EQ(churn->details["allocator_env"].size(), 3u);
}

}  // namespace aicq::probe

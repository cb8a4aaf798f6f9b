// Kept-open files and the procfs sampler (CPU utilization from /proc/stat, host memory from /proc/meminfo).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <limits>
#include <utility>

#include "aicq/core/diagnostics.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Next blank-separated field of `s`, advancing it.
std::string_view next_field(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  std::size_t j = i;
  while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n') ++j;
  const std::string_view f = s.substr(i, j - i);
  s.remove_prefix(j);
  return f;
}

bool to_u64(std::string_view s, std::uint64_t& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}
}  // namespace

// --- KeptFile -------------------------------------------------------------------------------------------------

KeptFile::KeptFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) errno_ = errno;
}

KeptFile::KeptFile(KeptFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), errno_(o.errno_), path_(std::move(o.path_)) {}

KeptFile& KeptFile::operator=(KeptFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    errno_ = o.errno_;
    path_ = std::move(o.path_);
  }
  return *this;
}

KeptFile::~KeptFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string KeptFile::error() const { return errno_ == 0 ? std::string() : std::string(std::strerror(errno_)); }

std::optional<std::string_view> KeptFile::read(std::span<char> buf) {
  if (fd_ < 0) return std::nullopt;
  const ssize_t n = ::pread(fd_, buf.data(), buf.size(), 0);
  if (n < 0) {
    errno_ = errno;
    return std::nullopt;
  }
  return std::string_view(buf.data(), static_cast<std::size_t>(n));
}

std::optional<std::uint64_t> KeptFile::read_u64() {
  char buf[32];
  const auto text = read(buf);
  if (!text) return std::nullopt;
  std::uint64_t v = 0;
  if (!to_u64(trim(*text), v)) return std::nullopt;
  return v;
}

std::string under_root(const std::string& root, std::string_view rel) {
  std::string out = root.empty() ? std::string("/") : root;
  if (out.back() != '/') out += '/';
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  out += rel;
  return out;
}

// --- parsers --------------------------------------------------------------------------------------------------

std::uint64_t CpuTimes::total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
std::uint64_t CpuTimes::busy() const { return total() - idle - iowait; }

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (next_field(line) != "cpu") return std::nullopt;
  std::uint64_t v[8] = {};
  int n = 0;
  for (; n < 8; ++n) {
    const std::string_view f = next_field(line);
    if (f.empty()) break;
    if (!to_u64(f, v[n])) return std::nullopt;
  }
  if (n < 4) return std::nullopt;  // user nice system idle at least
  return CpuTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

std::optional<double> busy_fraction(const CpuTimes& a, const CpuTimes& b) {
  if (b.total() <= a.total() || b.busy() < a.busy()) return std::nullopt;
  const auto d_total = static_cast<double>(b.total() - a.total());
  const auto d_busy = static_cast<double>(b.busy() - a.busy());
  return std::min(1.0, d_busy / d_total);
}

MemInfo parse_meminfo(std::string_view text) {
  MemInfo m;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    std::string_view rest = line.substr(colon + 1);
    const std::string_view number = next_field(rest);
    const std::string_view unit = next_field(rest);
    std::uint64_t v = 0;
    if (!to_u64(number, v)) continue;
    // /proc/meminfo's "kB" are KiB (fs/proc/meminfo.c shifts pages by PAGE_SHIFT − 10).
    const double bytes = static_cast<double>(v) * (unit == "kB" ? 1024.0 : 1.0);
    if (key == "MemTotal") m.total_bytes = bytes;
    else if (key == "MemAvailable") m.available_bytes = bytes;
    if (m.total_bytes && m.available_bytes) break;
  }
  return m;
}

// --- ProcfsSampler --------------------------------------------------------------------------------------------

ProcfsSampler::ProcfsSampler(const std::string& root)
    : stat_(under_root(root, "proc/stat")), meminfo_(under_root(root, "proc/meminfo")) {
  if (!stat_.is_open()) throw core::WorkError(fmt::format("open {}: {}", stat_.path(), stat_.error()));
  const auto text = stat_.read(buf_);
  if (!text) throw core::WorkError(fmt::format("pread {}: {}", stat_.path(), stat_.error()));
  // Read once to check the file; the baseline of the busy share is the first sample, not this read: the time
  // between opening and the first sample is a few ticks of the sampler's own start-up, whose share (often
  // 1 busy tick of 1) would be recorded as the first utilization.
  if (!parse_proc_stat(*text)) throw core::WorkError(fmt::format("{}: no aggregate 'cpu' line", stat_.path()));
  source_ = stat_.path();
  if (meminfo_.is_open()) source_ += ", " + meminfo_.path();
  channels_ = {{metric::cpu_utilization, "cpu", "1", false, PowerScope::none},
               {metric::memory_used_bytes, "memory", "B", false, PowerScope::none},
               {metric::memory_total_bytes, "memory", "B", false, PowerScope::none}};
}

void ProcfsSampler::sample(double /*t_s*/, std::span<double> out) {
  out[0] = out[1] = out[2] = kNaN;
  // The aggregate line comes first: 256 bytes hold it whatever the number of CPUs.
  const auto text = stat_.read(std::span<char>(buf_, 256));
  if (!text) throw core::WorkError(fmt::format("pread {}: {}", stat_.path(), stat_.error()));
  if (const auto now = parse_proc_stat(*text)) {
    if (last_)
      if (const auto f = busy_fraction(*last_, *now)) out[0] = *f;
    last_ = now;
  }
  if (meminfo_.is_open()) {
    // MemTotal, MemFree and MemAvailable are the first three lines.
    if (const auto m = meminfo_.read(std::span<char>(buf_, 512))) {
      const MemInfo mi = parse_meminfo(*m);
      if (mi.total_bytes) out[2] = *mi.total_bytes;
      if (mi.total_bytes && mi.available_bytes) out[1] = *mi.total_bytes - *mi.available_bytes;
    }
  }
}

}  // namespace aicq::telemetry

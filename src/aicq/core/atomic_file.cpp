#include "aicq/core/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

#include "aicq/core/diagnostics.hpp"

namespace aicq::core {

void write_file_atomic(const std::string& path, std::string_view content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(Location{path}, "", fmt::format("cannot write here: the folder '{}' does not exist", dir.string()));
  if (fs::is_directory(target, ec))
    throw InputError(Location{path}, "", "expected a file name to write, found a folder");
  std::string tmpl = (dir / (".aicq-" + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw WorkError(fmt::format("mkstemp in '{}' failed: {}", dir.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      throw WorkError(fmt::format("write to '{}' failed: {}", tmpl, std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw WorkError(fmt::format("fsync of '{}' failed: {}", tmpl, std::strerror(err)));
  }
  ::close(fd);
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    throw WorkError(fmt::format("rename '{}' → '{}' failed: {}", tmpl, path, std::strerror(err)));
  }
}

}  // namespace aicq::core

// Helpers shared by the test files: running the command line in-process, scratch folders, peak memory.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "aicq/cli/cli.hpp"

namespace aicq::test {

struct Outcome {
  int rc = 0;
  std::string out, err;
};

/// `aicq ARGS…` in-process: exit code, standard output and standard error.
inline Outcome run(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"aicq"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  Outcome o;
  o.rc = cli::run(argv, cli::Io{out, err});
  o.out = out.str();
  o.err = err.str();
  return o;
}

/// Scratch folders of this process, removed when it ends (a test that fails keeps nothing behind either: look at
/// its output, or set AICQ_KEEP_SCRATCH=1 to keep them).
struct ScratchFolders {
  std::vector<std::filesystem::path> folders;
  ~ScratchFolders() {
    if (std::getenv("AICQ_KEEP_SCRATCH")) return;
    std::error_code ec;
    for (const auto& f : folders) std::filesystem::remove_all(f, ec);
  }
};
inline ScratchFolders& scratch_folders() {
  static ScratchFolders s;
  return s;
}

/// A scratch folder for this test process (`aicq-<name>-<pid>` under the system's temporary folder).
inline std::filesystem::path scratch(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / ("aicq-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  auto& all = scratch_folders().folders;
  if (std::find(all.begin(), all.end(), d) == all.end()) all.push_back(d);
  return d;
}

/// Peak resident memory of this process so far, in KiB (VmHWM), or -1 when unknown.
inline long vm_hwm_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace aicq::test

// libFuzzer target for one importer (AICQ_FUZZ_IMPORTER, set per executable by tests/fuzz/CMakeLists.txt):
// the input bytes become the file the importer reads. A clean InputError is the expected answer to garbage;
// a crash, a sanitizer report, a hang or any other exception is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include "aicq/core/diagnostics.hpp"
#include "aicq/ingest/importer.hpp"

namespace {

std::string temp_file(const char* suffix) {
  std::string tmpl = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/aicq-fuzz-XXXXXX" + suffix;
  const int fd = ::mkstemps(tmpl.data(), static_cast<int>(std::string(suffix).size()));
  if (fd < 0) std::abort();
  ::close(fd);
  return tmpl;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = temp_file(".txt");
  static const std::string second = temp_file(".txt");
  static const aicq::ingest::Importer* importer = aicq::ingest::find_importer(AICQ_FUZZ_IMPORTER);
  if (!importer) std::abort();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::vector<std::string> paths = {path};
  if (std::string_view(AICQ_FUZZ_IMPORTER) == "mlperf-power") {
    // Two inputs (detail log and analyzer log): the same bytes for both.
    std::ofstream(second, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    paths.push_back(second);
  }
  try {
    (void)importer->run(paths);
  } catch (const aicq::core::InputError&) {
    // the expected answer to malformed input
  }
  return 0;
}

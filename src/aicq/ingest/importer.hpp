// Importers: read the outputs of the standard tools evaluators already run (MLPerf, HPL/HPCC, STREAM, fio,
// nccl-tests, lm-eval, nvidia-smi, Prometheus text) and turn each figure into `imported` evidence that keeps
// where it came from: file, line, SHA-256 of the file, tool and version.
//
// Contract for every importer:
// - Read exactly what the file states (no rounding, no unit guesses); a figure whose unit the format does not
//   fix is not imported.
// - Stream the input line by line with bounded memory (LineReader): a file of any size is read without being
//   held whole (JSON formats excepted: they are bounded by kMaxJsonBytes and refused above it).
// - A malformed, truncated, binary or wrong-format file is a core::InputError naming the file, the line (and
//   column where known) and what was expected; never a crash.
// - The format's own validity verdict (MLPerf "Result is : VALID", HPL residual "PASSED", STREAM "Solution
//   Validates", nccl-tests "Out of bounds values : 0 OK") becomes Verdict; an invalid run is still imported,
//   marked invalid, and not scored.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/evidence.hpp"

namespace aicq::ingest {

struct Verdict {
  enum class State { none, valid, invalid };
  State state = State::none;  // none: the format has no verdict
  std::string reason;         // why invalid, or what the format said
};

struct Imported {
  std::vector<core::Evidence> evidence;  // kind imported, source file/line/sha256/tool/tool_version
  Verdict verdict;
  std::string tool;          // e.g. "MLPerf Inference LoadGen"
  std::string tool_version;  // as the file states it, or empty
  std::vector<std::string> notes;
};

/// One importer: its name on the command line, what it reads, which indicators its evidence feeds, and the
/// function that reads the given paths (files or folders, as the importer documents).
struct Importer {
  std::string_view name;
  std::string_view reads;
  std::string_view feeds;
  std::function<Imported(const std::vector<std::string>& paths)> run;
};

/// Every importer, in `aicq import --list` order.
const std::vector<Importer>& importers();
/// The importer of that name, or nullptr.
const Importer* find_importer(std::string_view name);

/// Largest JSON input accepted (fio, lm-eval): JSON must be parsed whole.
inline constexpr std::uintmax_t kMaxJsonBytes = 64u << 20;
/// Longest line accepted by LineReader.
inline constexpr std::size_t kMaxLineBytes = 1u << 20;

/// Reads a file line by line with bounded memory: strips "\r" of CRLF ends, counts lines, refuses NUL bytes
/// and lines longer than kMaxLineBytes (InputError naming file and line), and hashes the bytes as it goes.
class LineReader {
 public:
  explicit LineReader(std::string path);  // InputError when it cannot be opened
  /// The next line without its end; false at the end of the file.
  bool next(std::string& line);
  [[nodiscard]] int line_number() const { return line_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  /// SHA-256 of the bytes read so far; after the last line, of the whole file.
  [[nodiscard]] std::string sha256() const;
  /// Reads to the end (for the hash) without returning lines.
  void drain();

 private:
  std::string path_;
  std::ifstream in_;
  int line_ = 0;
  struct Hash;
  std::shared_ptr<Hash> hash_;
};

/// SHA-256 of a whole file, streamed.
std::string file_sha256(const std::string& path);

/// An imported evidence record with its provenance.
core::Evidence imported(std::string metric, core::Quantity q, std::string text, const std::string& path, int line,
                        const std::string& sha256, const std::string& tool, const std::string& tool_version);

/// A number from a tool's output: the whole text must be a finite number (std::from_chars), else InputError
/// at file:line naming what was expected.
double number_at(std::string_view text, const std::string& path, int line, std::string_view what);

}  // namespace aicq::ingest

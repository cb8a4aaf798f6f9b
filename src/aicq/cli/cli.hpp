// The aicq command line: one file per subcommand, wired here. No logic beyond wiring lives in cli/.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace aicq::cli {

/// Exit codes (conventions: exit codes).
enum ExitCode : int { kOk = 0, kWorkFailure = 1, kBadInput = 2, kCheckFailed = 3, kInterrupted = 130 };

/// Options every command shares.
struct GlobalOptions {
  std::string data_dir;
};

/// Streams a command writes to (standard output and error in the binary; string streams in tests).
struct Io {
  std::ostream& out;
  std::ostream& err;
};

/// Runs aicq with argv (argv[0] is the program name). Never calls exit; returns the exit code.
int run(const std::vector<std::string>& args, Io io);

/// The --help text of a command ("" for the top level, "validate", …), from docs/cli.md.
std::string help_text(const std::string& command);

/// Options a command accepts, as written in --help (e.g. "--format", "-o"), for the drift test.
std::vector<std::string> declared_options(const std::string& command);
std::vector<std::string> commands();
/// Options the parser of a command accepts ("" for the top level), for the drift test.
std::vector<std::string> accepted_options(const std::string& command);

}  // namespace aicq::cli

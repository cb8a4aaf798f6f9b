// aicq hw — placeholder until the command lands.
#include <ostream>

#include "aicq/cli/commands.hpp"

namespace aicq::cli {

Action add_hw(CLI::App&, const GlobalOptions&) {
  return [](Io io) {
    io.err << "aicq hw: not available in this build yet\n";
    return kWorkFailure;
  };
}

}  // namespace aicq::cli

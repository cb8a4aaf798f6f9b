// aicq utilization — placeholder until the command lands.
#include <ostream>

#include "aicq/cli/commands.hpp"

namespace aicq::cli {

Action add_utilization(CLI::App&, const GlobalOptions&) {
  return [](Io io) {
    io.err << "aicq utilization: not available in this build yet\n";
    return kWorkFailure;
  };
}

}  // namespace aicq::cli

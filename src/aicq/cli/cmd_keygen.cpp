// aicq keygen: see docs/cli.md. (Stub until implemented.)
#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"

namespace aicq::cli {

namespace {
struct KeygenOptions {
  std::string output;
};
}  // namespace

Action add_keygen(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<KeygenOptions>();
  app.add_option("-o", o->output, "private key file")->required();
  return [o, &g](Io) -> int {
    (void)g;
    throw core::WorkError("aicq keygen is not implemented yet");
  };
}

}  // namespace aicq::cli

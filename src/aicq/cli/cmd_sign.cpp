// aicq sign: see docs/cli.md. (Stub until implemented.)
#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"

namespace aicq::cli {

namespace {
struct SignOptions {
  std::string result, key, output;
};
}  // namespace

Action add_sign(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<SignOptions>();
  app.add_option("result", o->result, "result file")->required();
  app.add_option("--key", o->key, "private key")->required();
  app.add_option("-o", o->output, "output file");
  return [o, &g](Io) -> int {
    (void)g;
    throw core::WorkError("aicq sign is not implemented yet");
  };
}

}  // namespace aicq::cli

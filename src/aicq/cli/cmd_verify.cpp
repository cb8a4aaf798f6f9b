// aicq verify: see docs/cli.md. (Stub until implemented.)
#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"

namespace aicq::cli {

namespace {
struct VerifyOptions {
  std::string result, pub;
};
}  // namespace

Action add_verify(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<VerifyOptions>();
  app.add_option("result", o->result, "result file")->required();
  app.add_option("--pub", o->pub, "public key")->required();
  return [o, &g](Io) -> int {
    (void)g;
    throw core::WorkError("aicq verify is not implemented yet");
  };
}

}  // namespace aicq::cli

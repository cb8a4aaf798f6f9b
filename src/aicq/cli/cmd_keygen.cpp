// aicq keygen -o NAME.key: a new Ed25519 key pair (see docs/cli.md and integrity/signature.hpp).
#include <fmt/format.h>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/integrity/signature.hpp"

namespace aicq::cli {

namespace {
struct KeygenOptions {
  std::string output;
};
}  // namespace

Action add_keygen(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<KeygenOptions>();
  app.add_option("-o", o->output, "private key file")->required();
  return [o, &g](Io io) -> int {
    (void)g;
    const integrity::KeyPair kp = integrity::generate_key_pair(o->output);
    io.out << fmt::format("private key  {} (mode 600: keep it secret)\npublic key   {}\nkey id       {} (Ed25519)\n",
                          kp.private_key_file, kp.public_key_file, kp.key_id);
    return kOk;
  };
}

}  // namespace aicq::cli

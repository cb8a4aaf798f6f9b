// aicq sign RESULT --key FILE [-o FILE]: sign a result (see docs/cli.md and integrity/signature.hpp).
#include <fmt/format.h>
#include <ostream>
#include <sys/stat.h>

#include "aicq/assess/result.hpp"
#include "aicq/cli/commands.hpp"
#include "aicq/core/atomic_file.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/integrity/signature.hpp"

namespace aicq::cli {

namespace {

struct SignOptions {
  std::string result, key, output;
};

int run_sign(const SignOptions& o, Io io) {
  // Through the result reader, so that only a readable aicq result is signed (errors located in the file).
  const assess::LoadedResult r = assess::load_result(o.result);
  const integrity::Signed s = integrity::sign_result(r.doc, o.key);
  struct stat st {};
  if (::stat(o.key.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    io.err << fmt::format("aicq: warning: the private key {} can be read by others (mode {:o}): chmod 600 it\n", o.key,
                          st.st_mode & 0777);
  const std::string target = o.output.empty() ? o.result : o.output;
  core::write_file_atomic(target, core::canonical_json(s.document));
  if (s.replaced)
    io.out << fmt::format("replaced the existing signature{}\n",
                          s.replaced_key_id.empty() ? std::string() : fmt::format(" (key {})", s.replaced_key_id));
  io.out << fmt::format("signed {} with key {} (Ed25519) → {}\n", o.result, s.key_id, target);
  return kOk;
}

}  // namespace

Action add_sign(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<SignOptions>();
  app.add_option("result", o->result, "result file")->required();
  app.add_option("--key", o->key, "private key")->required();
  app.add_option("-o", o->output, "output file");
  return [o, &g](Io io) -> int {
    (void)g;
    return run_sign(*o, io);
  };
}

}  // namespace aicq::cli

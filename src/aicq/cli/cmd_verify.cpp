// aicq verify RESULT --pub FILE: check a signed result (see docs/cli.md and integrity/signature.hpp).
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <ostream>
#include <sstream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/integrity/signature.hpp"

namespace aicq::cli {

namespace {

struct VerifyOptions {
  std::string result, pub;
};

constexpr std::size_t kPartsShown = 10;

int run_verify(const VerifyOptions& o, Io io) {
  std::error_code ec;
  if (std::filesystem::is_directory(o.result, ec))
    throw core::InputError(core::Location{o.result}, "", "expected a signed result file, found a folder");
  std::ifstream in(o.result, std::ios::binary);
  if (!in) throw core::InputError(core::Location{o.result}, "", "cannot open the result (missing, or no permission to read it)");
  std::ostringstream ss;
  ss << in.rdbuf();
  const integrity::Verification v = integrity::verify_result(ss.str(), o.result, o.pub);
  using integrity::Outcome;
  switch (v.outcome) {
    case Outcome::valid:
      io.out << fmt::format("{}: signature OK (Ed25519, key {}): the content is exactly what was signed\n", o.result, v.signed_by);
      return kOk;
    case Outcome::wrong_key:
      io.out << fmt::format("{}: the signature does not match: signed by key {}, verified against key {} ({})\n", o.result,
                            v.signed_by, v.verified_with, o.pub);
      return kCheckFailed;
    case Outcome::bad_signature:
    case Outcome::not_canonical:
      io.out << fmt::format("{}: the signature does not match: {}\n", o.result, v.detail);
      return kCheckFailed;
    case Outcome::content_changed: break;
  }
  io.out << fmt::format("{}: the signature does not match: the content was changed after it was signed (key {})\n", o.result,
                        v.signed_by);
  if (v.differences.empty()) {
    io.out << "  (the recorded digests cannot say where)\n";
    return kCheckFailed;
  }
  std::string names;
  for (const auto& d : v.differences) names += (names.empty() ? "" : ", ") + d.member;
  io.out << fmt::format("members that differ from what was signed: {}\n", names);
  for (const auto& d : v.differences) {
    if (d.change != integrity::Change::changed || d.parts.empty()) {
      io.out << fmt::format("  {}: {}\n", d.member, integrity::change_name(d.change));
      continue;
    }
    std::string parts;
    for (std::size_t i = 0; i < d.parts.size() && i < kPartsShown; ++i)
      parts += fmt::format("{}{} {}", i == 0 ? "" : ", ", d.parts[i].pointer, integrity::change_name(d.parts[i].change));
    if (d.parts.size() > kPartsShown) parts += fmt::format(", … {} more", d.parts.size() - kPartsShown);
    io.out << fmt::format("  {}: {}\n", d.member, parts);
  }
  return kCheckFailed;
}

}  // namespace

Action add_verify(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<VerifyOptions>();
  app.add_option("result", o->result, "result file")->required();
  app.add_option("--pub", o->pub, "public key")->required();
  return [o, &g](Io io) -> int {
    (void)g;
    return run_verify(*o, io);
  };
}

}  // namespace aicq::cli

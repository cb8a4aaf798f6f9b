// Result signing: keygen (file modes, PEM, never overwriting), sign + verify on a real result, any edit of
// the content failing verification, the wrong key, unsigned and malformed results, and verify naming the
// member that changed. Everything through aicq::cli::run, as a user runs it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aicq/cli/cli.hpp"
#include "aicq/core/canonical_json.hpp"
#include "aicq/integrity/signature.hpp"
#include "support.hpp"

using namespace aicq;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using test::Outcome;
using test::run;

fs::path temp_dir() { return test::scratch("integrity"); }

// A fresh, empty folder for one test.
fs::path fresh_dir(const std::string& name) {
  const fs::path d = temp_dir() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// An unsigned result of the bundled edge-inference example (made once).
const std::string& unsigned_result() {
  static const std::string text = [] {
    const fs::path file = temp_dir() / "edge-inference.json";
    std::vector<std::string> args{"assess", std::string(AICQ_SOURCE_DIR) + "/examples/edge-inference.yaml", "-o", file.string(),
                                  "--lang", "en"};
    const auto accepted = cli::accepted_options("assess");
    if (std::find(accepted.begin(), accepted.end(), "--db") != accepted.end()) {
      args.push_back("--db");
      args.push_back((temp_dir() / "aicq.db").string());
    }
    const auto o = run(args);
    if (o.rc != 0) throw std::runtime_error("aicq assess failed: " + o.err);
    return read(file);
  }();
  return text;
}

struct Keys {
  fs::path key, pub;
};

// One key pair for the tests that only need a key (made once).
const Keys& keys() {
  static const Keys k = [] {
    const fs::path dir = fresh_dir("keys");
    const auto o = run({"keygen", "-o", (dir / "signer.key").string()});
    if (o.rc != 0) throw std::runtime_error("aicq keygen failed: " + o.err);
    return Keys{dir / "signer.key", dir / "signer.pub"};
  }();
  return k;
}

// A signed copy of the result (made once).
const std::string& signed_result() {
  static const std::string text = [] {
    const fs::path file = temp_dir() / "signed-once.json";
    write(file, unsigned_result());
    const auto o = run({"sign", file.string(), "--key", keys().key.string()});
    if (o.rc != 0) throw std::runtime_error("aicq sign failed: " + o.err);
    return read(file);
  }();
  return text;
}

Outcome verify_text(const std::string& text, const std::string& name = "candidate.json") {
  const fs::path file = temp_dir() / name;
  write(file, text);
  return run({"verify", file.string(), "--pub", keys().pub.string()});
}

// Byte range [begin, end) of the `"signature":{…}` member in a canonical signed result.
std::pair<std::size_t, std::size_t> signature_range(const std::string& text) {
  const json doc = json::parse(text);
  const std::string member = "\"signature\":" + core::canonical_json(doc["signature"]);
  const auto at = text.find(member);
  if (at == std::string::npos) throw std::runtime_error("signature member not found in canonical form");
  return {at, at + member.size()};
}

const char* kEcPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6+whQmAMEWRhn3+d+wZDjosDoAg+
MLxRODptTMPjlnu1kMzVZMaMJvN79M9xOTipZANSOT6FIdJCkHp7J0HsEw==
-----END PUBLIC KEY-----
)";

}  // namespace

// --- keygen ----------------------------------------------------------------------------------------------------------

TEST(IntegrityKeygen, PrivateKeyIsMode0600AndBothArePem) {
  const fs::path dir = fresh_dir("keygen-modes");
  const mode_t old = ::umask(022);
  const auto o = run({"keygen", "-o", (dir / "site.key").string()});
  ::umask(old);
  ASSERT_EQ(o.rc, 0) << o.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "site.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat((dir / "site.pub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
  const std::string priv = read(dir / "site.key"), pub = read(dir / "site.pub");
  EXPECT_TRUE(priv.starts_with("-----BEGIN PRIVATE KEY-----\n")) << priv;  // PKCS#8, unencrypted
  EXPECT_NE(priv.find("-----END PRIVATE KEY-----"), std::string::npos);
  EXPECT_TRUE(pub.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pub;  // SubjectPublicKeyInfo
  EXPECT_EQ(pub.find("PRIVATE"), std::string::npos);
  // The key id printed is the one the public key gives.
  const std::string id = integrity::public_key_id((dir / "site.pub").string());
  EXPECT_EQ(id.size(), 16U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(o.out.find(id), std::string::npos) << o.out;
  // Two key pairs differ.
  ASSERT_EQ(run({"keygen", "-o", (dir / "other.key").string()}).rc, 0);
  EXPECT_NE(integrity::public_key_id((dir / "other.pub").string()), id);
}

TEST(IntegrityKeygen, RefusesToOverwriteEitherFile) {
  const fs::path dir = fresh_dir("keygen-overwrite");
  ASSERT_EQ(run({"keygen", "-o", (dir / "a.key").string()}).rc, 0);
  const std::string before_key = read(dir / "a.key"), before_pub = read(dir / "a.pub");
  const auto again = run({"keygen", "-o", (dir / "a.key").string()});
  EXPECT_EQ(again.rc, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(read(dir / "a.key"), before_key);
  EXPECT_EQ(read(dir / "a.pub"), before_pub);
  // Only the .pub exists: refused too, and no lone private key left behind.
  write(dir / "b.pub", "mine\n");
  EXPECT_EQ(run({"keygen", "-o", (dir / "b.key").string()}).rc, 2);
  EXPECT_FALSE(fs::exists(dir / "b.key"));
  EXPECT_EQ(read(dir / "b.pub"), "mine\n");
  // A missing folder and a .pub name are bad input.
  EXPECT_EQ(run({"keygen", "-o", (dir / "no-such-dir" / "c.key").string()}).rc, 2);
  EXPECT_EQ(run({"keygen", "-o", (dir / "c.pub").string()}).rc, 2);
  EXPECT_FALSE(fs::exists(dir / "c.pub"));
}

TEST(IntegrityKeygen, PublicKeyGoesBesideWithExtensionPub) {
  EXPECT_EQ(integrity::public_key_path("keys/site.key"), "keys/site.pub");
  EXPECT_EQ(integrity::public_key_path("keys/site"), "keys/site.pub");
  EXPECT_EQ(integrity::public_key_path("k.d/site"), "k.d/site.pub");
  EXPECT_EQ(integrity::public_key_path("site.v2.pem"), "site.v2.pub");
  const fs::path dir = fresh_dir("keygen-noext");
  ASSERT_EQ(run({"keygen", "-o", (dir / "plain").string()}).rc, 0);
  EXPECT_TRUE(fs::exists(dir / "plain"));
  EXPECT_TRUE(fs::exists(dir / "plain.pub"));
}

// --- sign and verify -----------------------------------------------------------------------------------------------

TEST(IntegritySign, RoundTripOnARealResult) {
  const fs::path dir = fresh_dir("roundtrip");
  write(dir / "r.json", unsigned_result());
  // -o leaves the input untouched.
  const auto s = run({"sign", (dir / "r.json").string(), "--key", keys().key.string(), "-o", (dir / "signed.json").string()});
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_EQ(read(dir / "r.json"), unsigned_result());
  const auto v = run({"verify", (dir / "signed.json").string(), "--pub", keys().pub.string()});
  EXPECT_EQ(v.rc, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("signature OK"), std::string::npos) << v.out;

  const json doc = json::parse(read(dir / "signed.json"));
  const json& sig = doc["signature"];
  EXPECT_EQ(sig["algorithm"], "Ed25519");
  EXPECT_EQ(sig["key_id"], integrity::public_key_id(keys().pub.string()));
  EXPECT_EQ(sig["value"].get<std::string>().size(), 88U);  // base64 of 64 bytes
  EXPECT_EQ(sig["signed"], std::string(integrity::kSignedDescription));
  json content = doc;
  content.erase("signature");
  EXPECT_EQ(content, json::parse(unsigned_result()));  // signing adds the member and changes nothing else
  EXPECT_TRUE(sig["digests"].contains("/evidence"));
  EXPECT_TRUE(sig["digests"].contains("/evidence/0"));
  EXPECT_TRUE(sig["digests"].contains("/indicators"));

  // In place; signing a signed result replaces the signature and says so.
  const auto again = run({"sign", (dir / "signed.json").string(), "--key", keys().key.string()});
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find("replaced the existing signature"), std::string::npos) << again.out;
  EXPECT_EQ(json::parse(read(dir / "signed.json")).count("signature"), 1U);
  EXPECT_EQ(run({"verify", (dir / "signed.json").string(), "--pub", keys().pub.string()}).rc, 0);
}

TEST(IntegritySign, ReserialisingAnUnchangedResultGivesIdenticalBytes) {
  const std::string& text = signed_result();
  EXPECT_EQ(core::canonical_json(json::parse(text)), text);
  EXPECT_EQ(core::canonical_json(json::parse(unsigned_result())), unsigned_result());
}

TEST(IntegritySign, BadKeysAreBadInput) {
  const fs::path dir = fresh_dir("sign-bad-keys");
  write(dir / "r.json", unsigned_result());
  EXPECT_EQ(run({"sign", (dir / "r.json").string(), "--key", (dir / "missing.key").string()}).rc, 2);
  const auto pub = run({"sign", (dir / "r.json").string(), "--key", keys().pub.string()});
  EXPECT_EQ(pub.rc, 2);
  EXPECT_NE(pub.err.find("public key"), std::string::npos) << pub.err;
  write(dir / "junk.key", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
  EXPECT_EQ(run({"sign", (dir / "r.json").string(), "--key", (dir / "junk.key").string()}).rc, 2);
  EXPECT_EQ(read(dir / "r.json"), unsigned_result());  // nothing written on failure
}

TEST(IntegrityVerify, EditingAnyByteOfTheContentFails) {
  const std::string& text = signed_result();
  const auto [sig_begin, sig_end] = signature_range(text);
  // Every 97th byte (~1100 edits, ~5 s) in an optimised build; every 997th under the sanitizers, which make
  // each verification some 30 times slower.
#ifdef NDEBUG
  constexpr std::size_t kStride = 97;
  constexpr int kMinimum = 500;
#else
  constexpr std::size_t kStride = 997;
  constexpr int kMinimum = 50;
#endif
  int checked = 0, mismatch = 0, malformed = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += kStride) {
    // The next letter or digit from here, outside the signature member.
    std::size_t i = pos;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) == 0 || (i >= sig_begin && i < sig_end))) ++i;
    if (i >= text.size()) break;
    std::string edited = text;
    char& c = edited[i];
    if (c >= '0' && c <= '9') c = c == '9' ? '0' : static_cast<char>(c + 1);
    else if (c == 'z') c = 'a';
    else if (c == 'Z') c = 'A';
    else c = static_cast<char>(c + 1);
    const auto o = verify_text(edited, "edited.json");
    ++checked;
    EXPECT_NE(o.rc, 0) << "byte " << i << " edited and verify still passed";
    EXPECT_TRUE(o.rc == 3 || o.rc == 2) << "byte " << i << ": exit " << o.rc << "\n" << o.out << o.err;
    if (o.rc == 3) ++mismatch;
    if (o.rc == 2) ++malformed;
  }
  EXPECT_GT(checked, kMinimum);
  EXPECT_GT(mismatch, checked / 2) << "most edits keep the JSON valid and must be reported as a mismatch";
  std::cout << "[          ] " << checked << " edits: " << mismatch << " mismatches (3), " << malformed << " malformed (2)\n";
}

TEST(IntegrityVerify, NamesTheMemberThatChanged) {
  json doc = json::parse(signed_result());
  json& ev = doc["evidence"];
  std::size_t k = 0;
  while (k < ev.size() && !(ev[k].contains("value") && ev[k]["value"].is_number())) ++k;
  ASSERT_LT(k, ev.size());
  ev[k]["value"] = ev[k]["value"].get<double>() + 1;
  const auto o = verify_text(core::canonical_json(doc));
  EXPECT_EQ(o.rc, 3) << o.out << o.err;
  EXPECT_NE(o.out.find("evidence"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("/evidence/" + std::to_string(k) + " changed"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("indicators"), std::string::npos) << o.out;

  // A member added and one removed are named too.
  json doc2 = json::parse(signed_result());
  doc2.erase("status");
  doc2["note"] = "added later";
  const auto o2 = verify_text(core::canonical_json(doc2));
  EXPECT_EQ(o2.rc, 3);
  EXPECT_NE(o2.out.find("status: removed"), std::string::npos) << o2.out;
  EXPECT_NE(o2.out.find("note: added"), std::string::npos) << o2.out;
  EXPECT_EQ(o2.out.find("evidence"), std::string::npos) << o2.out;
}

TEST(IntegrityVerify, WrongPublicKeyNamesBothKeys) {
  const fs::path dir = fresh_dir("wrong-key");
  ASSERT_EQ(run({"keygen", "-o", (dir / "other.key").string()}).rc, 0);
  write(dir / "s.json", signed_result());
  const auto o = run({"verify", (dir / "s.json").string(), "--pub", (dir / "other.pub").string()});
  EXPECT_EQ(o.rc, 3);
  const std::string signer = integrity::public_key_id(keys().pub.string());
  const std::string other = integrity::public_key_id((dir / "other.pub").string());
  EXPECT_NE(o.out.find("signed by key " + signer + ", verified against key " + other), std::string::npos) << o.out;

  // A key id rewritten to match the other key does not help: the signature does not verify.
  json doc = json::parse(signed_result());
  doc["signature"]["key_id"] = other;
  write(dir / "forged.json", core::canonical_json(doc));
  EXPECT_EQ(run({"verify", (dir / "forged.json").string(), "--pub", (dir / "other.pub").string()}).rc, 3);
}

TEST(IntegrityVerify, UnsignedResultIsBadInput) {
  const auto o = verify_text(unsigned_result());
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("not signed"), std::string::npos) << o.err;
}

TEST(IntegrityVerify, MalformedResultIsBadInputWithLineAndColumn) {
  const auto o = verify_text("{\n  \"schema_version\": \"1.0.0\",\n  \"status\": tru\n}\n", "malformed.json");
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("malformed.json:3:"), std::string::npos) << o.err;
  EXPECT_EQ(verify_text(signed_result().substr(0, 5000), "truncated.json").rc, 2);
  EXPECT_EQ(verify_text("", "empty.json").rc, 2);
  EXPECT_EQ(run({"verify", (temp_dir() / "absent.json").string(), "--pub", keys().pub.string()}).rc, 2);
  EXPECT_EQ(run({"verify", temp_dir().string(), "--pub", keys().pub.string()}).rc, 2);
}

TEST(IntegrityVerify, SignatureMemberShapeAndAlgorithm) {
  auto with = [](const std::function<void(json&)>& edit) {
    json doc = json::parse(signed_result());
    edit(doc["signature"]);
    return verify_text(core::canonical_json(doc));
  };
  // Wrong shape or unsupported algorithm: bad input, naming the field.
  auto bad = with([](json& s) { s["algorithm"] = "RSA-PSS"; });
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("signature.algorithm"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("unsupported algorithm"), std::string::npos) << bad.err;
  EXPECT_EQ(with([](json& s) { s.erase("value"); }).rc, 2);
  EXPECT_EQ(with([](json& s) { s["value"] = 42; }).rc, 2);
  EXPECT_EQ(with([](json& s) { s["value"] = "not base64!"; }).rc, 2);
  EXPECT_EQ(with([](json& s) { s["digests"] = "none"; }).rc, 2);
  EXPECT_EQ(with([](json& s) { s = "signed"; }).rc, 2);
  // Edits of the signature member itself: a mismatch.
  EXPECT_EQ(with([](json& s) {
              std::string v = s["value"];
              v[10] = v[10] == 'A' ? 'B' : 'A';
              s["value"] = v;
            }).rc,
            3);
  EXPECT_EQ(with([](json& s) { s["digests"]["/evidence"] = std::string(64, '0'); }).rc, 3);
  EXPECT_EQ(with([](json& s) { s["content_sha256"] = std::string(64, '0'); }).rc, 3);
  EXPECT_EQ(with([](json& s) { s["extra"] = "covered too"; }).rc, 3);
  EXPECT_EQ(with([](json& s) { s["signed"] = "something else"; }).rc, 3);
}

TEST(IntegrityVerify, KeyFileProblemsAreBadInput) {
  const fs::path dir = fresh_dir("verify-keys");
  write(dir / "s.json", signed_result());
  EXPECT_EQ(run({"verify", (dir / "s.json").string(), "--pub", (dir / "missing.pub").string()}).rc, 2);
  write(dir / "ec.pub", kEcPublicKey);
  const auto ec = run({"verify", (dir / "s.json").string(), "--pub", (dir / "ec.pub").string()});
  EXPECT_EQ(ec.rc, 2);
  EXPECT_NE(ec.err.find("expected an Ed25519 key"), std::string::npos) << ec.err;
  write(dir / "junk.pub", "hello\n");
  EXPECT_EQ(run({"verify", (dir / "s.json").string(), "--pub", (dir / "junk.pub").string()}).rc, 2);
  const auto priv = run({"verify", (dir / "s.json").string(), "--pub", keys().key.string()});
  EXPECT_EQ(priv.rc, 2);
  EXPECT_NE(priv.err.find("found a private key"), std::string::npos) << priv.err;
}

TEST(IntegrityVerify, ReformattedFileIsNotUntouched) {
  const json doc = json::parse(signed_result());
  const auto pretty = verify_text(doc.dump(2));
  EXPECT_EQ(pretty.rc, 3);
  EXPECT_NE(pretty.out.find("canonical"), std::string::npos) << pretty.out;
  EXPECT_EQ(verify_text(signed_result() + "\n").rc, 3);
  // A duplicate key shadowing a signed value (nlohmann keeps the last one) is caught by the byte check.
  std::string dup = signed_result();
  dup.insert(1, "\"status\":\"forged\",");
  EXPECT_NE(verify_text(dup).rc, 0);
}

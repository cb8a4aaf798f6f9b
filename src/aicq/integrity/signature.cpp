#include "aicq/integrity/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "aicq/core/canonical_json.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/hash.hpp"

namespace aicq::integrity {

using nlohmann::json;
using core::InputError;
using core::Location;
using core::WorkError;

namespace {

// --- OpenSSL helpers -------------------------------------------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The errors OpenSSL queued, oldest first, joined; empties the queue.
std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out.empty() ? std::string("no error reported") : out;
}

[[noreturn]] void openssl_failed(const char* call) { throw WorkError(fmt::format("OpenSSL {} failed: {}", call, openssl_errors())); }

// The bytes a memory BIO holds.
std::string bio_contents(BIO* b) {
  BUF_MEM* mem = nullptr;
  if (BIO_get_mem_ptr(b, &mem) != 1 || mem == nullptr) openssl_failed("BIO_get_mem_ptr");
  return std::string(mem->data, mem->length);
}

// A string holding key material, wiped before it is freed.
struct Secret {
  std::string bytes;
  Secret() = default;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
  }
};

std::string key_id_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0 || der == nullptr) openssl_failed("i2d_PUBKEY");
  std::string id;
  try {
    id = core::sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n))).substr(0, 16);
  } catch (...) {
    OPENSSL_free(der);
    throw;
  }
  OPENSSL_free(der);
  return id;
}

// Encrypted keys are not supported: refuse instead of prompting on the terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

enum class KeyKind { private_key, public_key };

// Reads a PEM key file; every problem with the file itself is bad input (exit 2).
Pkey load_key(const std::string& file, KeyKind kind) {
  const char* what = kind == KeyKind::private_key ? "private key" : "public key";
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw InputError(Location{file}, "", fmt::format("expected a {} file, found a folder", what));
  Secret text;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in)
      throw InputError(Location{file}, "",
                       fmt::format("cannot open the {} file (missing, or no permission to read it): {}", what, std::strerror(errno)));
    std::ostringstream ss;
    ss << in.rdbuf();
    text.bytes = ss.str();
    // ostringstream's buffer is not wiped; the key is short-lived there and the file is on disk anyway.
  }
  const bool has_private = text.bytes.find("PRIVATE KEY-----") != std::string::npos;
  const bool has_public = text.bytes.find("BEGIN PUBLIC KEY-----") != std::string::npos;
  if (text.bytes.find("BEGIN ENCRYPTED PRIVATE KEY") != std::string::npos)
    throw InputError(Location{file}, "", "expected an unencrypted private key (as aicq keygen writes), found an encrypted one");
  if (kind == KeyKind::public_key && has_private && !has_public)
    throw InputError(Location{file}, "", "expected a public key (BEGIN PUBLIC KEY), found a private key: pass NAME.pub, not NAME.key");
  if (kind == KeyKind::private_key && has_public && !has_private)
    throw InputError(Location{file}, "", "expected a private key (BEGIN PRIVATE KEY), found a public key: pass NAME.key, not NAME.pub");
  if (text.bytes.size() > 1 << 20) throw InputError(Location{file}, "", fmt::format("expected a PEM {}, found a file over 1 MiB", what));

  ERR_clear_error();
  Bio bio(BIO_new_mem_buf(text.bytes.data(), static_cast<int>(text.bytes.size())));
  if (!bio) openssl_failed("BIO_new_mem_buf");
  Pkey key(kind == KeyKind::private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr)
                                        : PEM_read_bio_PUBKEY(bio.get(), nullptr, &no_passphrase, nullptr));
  if (!key)
    throw InputError(Location{file}, "",
                     fmt::format("expected a PEM {} (from aicq keygen), found something OpenSSL cannot read ({} failed: {})", what,
                                 kind == KeyKind::private_key ? "PEM_read_bio_PrivateKey" : "PEM_read_bio_PUBKEY", openssl_errors()));
  if (EVP_PKEY_is_a(key.get(), "ED25519") != 1)
    throw InputError(Location{file}, "",
                     fmt::format("expected an Ed25519 key, found a {} key", EVP_PKEY_get0_type_name(key.get()) != nullptr
                                                                                 ? EVP_PKEY_get0_type_name(key.get())
                                                                                 : "different"));
  return key;
}

std::string sign_bytes(EVP_PKEY* key, std::string_view message) {
  ERR_clear_error();
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) openssl_failed("EVP_MD_CTX_new");
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1) openssl_failed("EVP_DigestSignInit");
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, message.size()) != 1) openssl_failed("EVP_DigestSign (length)");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data, message.size()) != 1)
    openssl_failed("EVP_DigestSign");
  sig.resize(len);
  if (sig.size() != 64) throw WorkError(fmt::format("OpenSSL EVP_DigestSign returned {} bytes, expected 64 for Ed25519", sig.size()));
  return sig;
}

bool verify_bytes(EVP_PKEY* key, std::string_view message, std::string_view sig) {
  ERR_clear_error();
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) openssl_failed("EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1) openssl_failed("EVP_DigestVerifyInit");
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                  reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc == 1) return true;
  if (rc == 0) {
    ERR_clear_error();  // a signature that does not match is an answer, not an error
    return false;
  }
  openssl_failed("EVP_DigestVerify");
}

// --- base64 (RFC 4648, padded); decoding is strict ---------------------------------------------------------------

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63U];
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    const unsigned v = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0U);
    out += kB64[(v >> 18) & 63U];
    out += kB64[(v >> 12) & 63U];
    out += rest == 2 ? kB64[(v >> 6) & 63U] : '=';
    out += '=';
  }
  return out;
}

// nullopt unless `in` is well-formed padded base64 (non-zero padding bits are accepted here; the caller
// compares the re-encoding to spot them).
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size()) return std::nullopt;
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt;
    const auto p = kB64.find(c);
    if (p == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFFU);
    }
  }
  return out;
}

// --- locating members in JSON text, for file:line:column ------------------------------------------------------------

// Byte offset of the value at `keys` (object members only), or nullopt. `text` is valid JSON.
std::optional<std::size_t> value_offset(std::string_view text, const std::vector<std::string>& keys) {
  std::size_t matched = 0;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
      if (matched > 0 && depth <= static_cast<int>(matched)) return std::nullopt;  // left the member that matched
    } else if (c == '"') {
      const std::size_t start = i + 1;
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      const std::string_view s = text.substr(start, i - start);
      std::size_t j = i + 1;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j])) != 0) ++j;
      if (j < text.size() && text[j] == ':' && depth == static_cast<int>(matched) + 1 && s == keys[matched]) {
        ++matched;
        ++j;
        while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j])) != 0) ++j;
        if (matched == keys.size()) return j;
        i = j - 1;
      }
    }
  }
  return std::nullopt;
}

Location location_of(std::string_view text, std::size_t offset, const std::string& file) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') line++, col = 1;
    else col++;
  }
  return Location{file, line, col};
}

Location locate(std::string_view text, const std::string& file, const std::vector<std::string>& keys) {
  const auto off = value_offset(text, keys);
  return off ? location_of(text, *off, file) : Location{file, 1, 1};
}

std::string pointer_token(const std::string& key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string unescape_token(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

// Digests of the direct children of an object or array member, keyed "/member/child".
void add_child_digests(json& d, const std::string& top, const json& value) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) d[top + "/" + pointer_token(k)] = core::sha256_hex(core::canonical_json(v));
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) d[top + "/" + std::to_string(i)] = core::sha256_hex(core::canonical_json(value[i]));
  }
}

json without_signature(json doc) {
  doc.erase("signature");
  return doc;
}

// The message an Ed25519 signature covers: the canonical signature member without `value`.
std::string signed_message(json signature) {
  signature.erase("value");
  return core::canonical_json(signature);
}

// Writes `content` to a new file (O_EXCL: never an existing one) created with `mode`.
void write_new_file(const std::string& path, std::string_view content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) throw InputError(Location{path}, "", "already exists: aicq keygen never overwrites a key (choose another name)");
    if (err == ENOENT || err == ENOTDIR || err == EACCES || err == EROFS || err == EISDIR)
      throw InputError(Location{path}, "", fmt::format("cannot create the key file: {}", std::strerror(err)));
    throw WorkError(fmt::format("open '{}' failed: {}", path, std::strerror(err)));
  }
  std::size_t done = 0;
  int err = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(path.c_str());
    throw WorkError(fmt::format("writing '{}' failed: {}", path, std::strerror(err)));
  }
}

}  // namespace

// --- public API ------------------------------------------------------------------------------------------------------

std::string public_key_path(const std::string& private_key_path) {
  std::filesystem::path p(private_key_path);
  p.replace_extension(".pub");
  return p.string();
}

KeyPair generate_key_pair(const std::string& private_key_file) {
  KeyPair kp{private_key_file, public_key_path(private_key_file), ""};
  if (kp.public_key_file == kp.private_key_file)
    throw InputError(Location{private_key_file}, "", "the private key file cannot end in .pub (the public key goes there): use NAME.key");
  std::error_code ec;
  for (const auto& f : {kp.private_key_file, kp.public_key_file})
    if (std::filesystem::symlink_status(f, ec).type() != std::filesystem::file_type::not_found && !ec)
      throw InputError(Location{f}, "", "already exists: aicq keygen never overwrites a key (choose another name)");

  ERR_clear_error();
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) openssl_failed("EVP_PKEY_Q_keygen(ED25519)");
  kp.key_id = key_id_of(key.get());

  Secret private_pem;
  {
    Bio bio(BIO_new(BIO_s_secmem()));
    if (!bio) openssl_failed("BIO_new(BIO_s_secmem)");
    if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      openssl_failed("PEM_write_bio_PrivateKey");
    private_pem.bytes = bio_contents(bio.get());
  }
  std::string public_pem;
  {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio) openssl_failed("BIO_new(BIO_s_mem)");
    if (PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) openssl_failed("PEM_write_bio_PUBKEY");
    public_pem = bio_contents(bio.get());
  }
  // The private key first: created 0600 from the start (never chmod-ed after writing).
  write_new_file(kp.private_key_file, private_pem.bytes, 0600);
  try {
    write_new_file(kp.public_key_file, public_pem, 0644);
  } catch (...) {
    ::unlink(kp.private_key_file.c_str());  // no half pair
    throw;
  }
  return kp;
}

std::string public_key_id(const std::string& public_key_file) {
  const Pkey key = load_key(public_key_file, KeyKind::public_key);
  return key_id_of(key.get());
}

json parse_json_text(const std::string& text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;  // nlohmann's byte is 1-based
    throw InputError(location_of(text, at, file), "", fmt::format("not valid JSON (truncated or edited by hand?): {}", e.what()));
  }
}

json member_digests(const json& result) {
  json d = json::object();
  if (!result.is_object()) return d;
  for (const auto& [name, value] : result.items()) {
    const std::string top = "/" + pointer_token(name);
    d[top] = core::sha256_hex(core::canonical_json(value));
    add_child_digests(d, top, value);
  }
  return d;
}

Signed sign_result(json result, const std::string& private_key_file) {
  if (!result.is_object()) throw InputError(Location{}, "", "expected an aicq result (a JSON object)");
  const Pkey key = load_key(private_key_file, KeyKind::private_key);
  Signed s;
  s.key_id = key_id_of(key.get());
  if (result.contains("signature")) {
    s.replaced = true;
    const json& old = result["signature"];
    if (old.is_object() && old.contains("key_id") && old["key_id"].is_string()) s.replaced_key_id = old["key_id"].get<std::string>();
    result.erase("signature");
  }
  json sig = {{"algorithm", std::string(kAlgorithm)},
              {"content_sha256", core::sha256_hex(core::canonical_json(result))},
              {"digests", member_digests(result)},
              {"key_id", s.key_id},
              {"signed", std::string(kSignedDescription)}};
  sig["value"] = base64_encode(sign_bytes(key.get(), signed_message(sig)));
  result["signature"] = std::move(sig);
  s.document = std::move(result);
  return s;
}

std::string_view change_name(Change c) {
  switch (c) {
    case Change::changed: return "changed";
    case Change::added: return "added";
    case Change::removed: return "removed";
  }
  return "changed";
}

Verification verify_result(const std::string& text, const std::string& file, const std::string& public_key_file) {
  const json doc = parse_json_text(text, file);
  if (!doc.is_object()) throw InputError(Location{file, 1, 1}, "", "expected an aicq result (a JSON object)");
  if (!doc.contains("signature"))
    throw InputError(Location{file, 1, 1}, "", "the result is not signed (no top-level signature member): sign it with aicq sign RESULT --key NAME.key");
  const json& sig = doc["signature"];
  auto shape_error = [&](const std::vector<std::string>& keys, const std::string& message) {
    std::string path;
    for (const auto& k : keys) path += (path.empty() ? "" : ".") + k;
    return InputError(locate(text, file, keys), path, message);
  };
  if (!sig.is_object())
    throw shape_error({"signature"}, fmt::format("expected an object {{algorithm, key_id, value, …}}, found {}", sig.type_name()));
  for (const char* k : {"algorithm", "key_id", "value", "content_sha256", "signed"}) {
    if (!sig.contains(k)) throw shape_error({"signature"}, fmt::format("expected a member '{}' (a string), found none", k));
    if (!sig[k].is_string())
      throw shape_error({"signature", k}, fmt::format("expected a string, found {}", sig[k].type_name()));
  }
  if (!sig.contains("digests")) throw shape_error({"signature"}, "expected a member 'digests' (an object), found none");
  if (!sig["digests"].is_object())
    throw shape_error({"signature", "digests"}, fmt::format("expected an object, found {}", sig["digests"].type_name()));
  for (const auto& [k, v] : sig["digests"].items())
    if (!v.is_string()) throw shape_error({"signature", "digests", k}, fmt::format("expected a SHA-256 (hex string), found {}", v.type_name()));
  const std::string algorithm = sig["algorithm"].get<std::string>();
  if (algorithm != kAlgorithm)
    throw shape_error({"signature", "algorithm"}, fmt::format("unsupported algorithm '{}': aicq verifies {} signatures", algorithm, kAlgorithm));
  const std::string value = sig["value"].get<std::string>();
  const auto raw = base64_decode(value);
  if (!raw || raw->size() != 64)
    throw shape_error({"signature", "value"}, "expected the base64 of a 64-byte Ed25519 signature, found something else");

  const Pkey key = load_key(public_key_file, KeyKind::public_key);
  Verification v;
  v.signed_by = sig["key_id"].get<std::string>();
  v.verified_with = key_id_of(key.get());
  if (v.signed_by != v.verified_with) {
    v.outcome = Outcome::wrong_key;
    return v;
  }
  if (base64_encode(*raw) != value) {
    v.outcome = Outcome::bad_signature;
    v.detail = "signature.value is not in canonical base64 (it was edited)";
    return v;
  }
  if (!verify_bytes(key.get(), signed_message(sig), *raw)) {
    v.outcome = Outcome::bad_signature;
    v.detail = "the signature does not match the signature member's own fields (content_sha256, digests, key_id, …): the "
               "signature member was altered, or made with another key";
    return v;
  }
  // The signature is genuine: the recorded digests are what the signer saw.
  if (sig["signed"].get<std::string>() != kSignedDescription)
    throw shape_error({"signature", "signed"}, "unsupported signature scheme: this aicq cannot tell what the signature covers");
  const json content = without_signature(doc);
  if (core::sha256_hex(core::canonical_json(content)) != sig["content_sha256"].get<std::string>()) {
    v.outcome = Outcome::content_changed;
    const json& recorded = sig["digests"];
    // Top-level digests now; those of children only for the members that changed.
    json now = json::object();
    for (const auto& [name, member] : content.items()) now["/" + pointer_token(name)] = core::sha256_hex(core::canonical_json(member));
    // Top-level members, in name order: those recorded and those present now.
    std::set<std::string> names;
    for (const auto& [k, _] : content.items()) names.insert(k);
    for (const auto& [p, _] : recorded.items())
      if (p.size() > 1 && p.find('/', 1) == std::string::npos) names.insert(unescape_token(std::string_view(p).substr(1)));
    for (const auto& name : names) {
      const std::string top = "/" + pointer_token(name);
      MemberDifference m{name, Change::changed, {}};
      if (!recorded.contains(top)) m.change = Change::added;
      else if (!now.contains(top)) m.change = Change::removed;
      else if (recorded[top] == now[top]) continue;
      if (m.change == Change::changed) {
        add_child_digests(now, top, content[name]);
        const std::string prefix = top + "/";
        std::set<std::string> parts;
        for (const auto& [p, _] : recorded.items())
          if (p.starts_with(prefix) && p.find('/', prefix.size()) == std::string::npos) parts.insert(p);
        const bool recorded_parts = !parts.empty();
        for (const auto& [p, _] : now.items())
          if (p.starts_with(prefix) && p.find('/', prefix.size()) == std::string::npos) parts.insert(p);
        if (recorded_parts) {
          for (const auto& p : parts) {
            if (!recorded.contains(p)) m.parts.push_back({p, Change::added});
            else if (!now.contains(p)) m.parts.push_back({p, Change::removed});
            else if (recorded[p] != now[p]) m.parts.push_back({p, Change::changed});
          }
          // Array elements in numeric order.
          std::stable_sort(m.parts.begin(), m.parts.end(), [&](const PartDifference& a, const PartDifference& b) {
            const auto ta = a.pointer.substr(prefix.size()), tb = b.pointer.substr(prefix.size());
            const bool na = !ta.empty() && ta.find_first_not_of("0123456789") == std::string::npos;
            const bool nb = !tb.empty() && tb.find_first_not_of("0123456789") == std::string::npos;
            if (na && nb) return ta.size() != tb.size() ? ta.size() < tb.size() : ta < tb;
            return ta < tb;
          });
        }
      }
      v.differences.push_back(std::move(m));
    }
    return v;
  }
  if (core::canonical_json(doc) != text) {
    v.outcome = Outcome::not_canonical;
    v.detail = "the content matches what was signed, but the file's bytes are not its canonical form (RFC 8785): it was "
               "re-serialised or edited (spacing, key order, number spelling, duplicate keys, a trailing newline…)";
    return v;
  }
  v.outcome = Outcome::valid;
  return v;
}

}  // namespace aicq::integrity

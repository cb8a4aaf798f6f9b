// Ed25519 signatures over canonical results (OpenSSL 3 EVP), for `aicq keygen`, `aicq sign`, `aicq verify`.
//
// Keys: NAME.key holds the private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), created with mode 0600 and never
// overwritten; NAME.pub holds the public key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). The key id is
// the first 16 hex digits of the lowercase SHA-256 of the public key's DER (SubjectPublicKeyInfo) encoding.
//
// The signature is the top-level member `signature` of the result:
//
//   "signature": {
//     "algorithm": "Ed25519",
//     "content_sha256": SHA-256 (hex) of the RFC 8785 canonical JSON of the result without `signature`,
//     "digests": { JSON Pointer → SHA-256 (hex) of the canonical JSON of that value }, one entry for each
//                top-level member ("/evidence") and, for members that are objects or arrays, one for each of
//                their direct children ("/evidence/3", "/indicators/sus.pue"),
//     "key_id": "0123456789abcdef",
//     "signed": kSignedDescription (names this scheme),
//     "value": base64 (RFC 4648, padded) of the 64-byte Ed25519 signature
//   }
//
// The message signed (pure Ed25519, no pre-hash) is the canonical JSON of the signature member without
// `value`: it binds the content hash, the digests, the key id and the algorithm, so that the digests are
// authenticated and `verify` can say which members changed after signing. Any member added to the signature
// object is covered too. A signed result is written in canonical form, and `verify` accepts only a file whose
// bytes are exactly the canonical form of what it parses (no re-serialised or re-spaced copies, no duplicate
// keys, no alternative spellings of numbers): exit 0 means the file is untouched.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace aicq::integrity {

inline constexpr std::string_view kAlgorithm = "Ed25519";
/// The value of signature.signed: what the signature covers. Another value is an unsupported scheme.
inline constexpr std::string_view kSignedDescription =
    "aicq-signature-1: Ed25519 over the RFC 8785 canonical JSON of this signature member without value; "
    "content_sha256 is the SHA-256 of the canonical result without its signature member, digests the SHA-256 "
    "of the canonical JSON of each top-level member and each of their direct children, by JSON Pointer";

/// NAME.pub beside NAME.key: the extension replaced by .pub, or .pub appended when there is none.
std::string public_key_path(const std::string& private_key_path);

struct KeyPair {
  std::string private_key_file, public_key_file, key_id;
};

/// Creates a new Ed25519 key pair. InputError (exit 2) when either file exists, the folder is missing, or the
/// private key path would be the public one; WorkError when OpenSSL or the disk fails. Never overwrites.
KeyPair generate_key_pair(const std::string& private_key_file);

/// Key id of a public (or private) key PEM file; InputError for a missing, unreadable or non-Ed25519 key.
std::string public_key_id(const std::string& public_key_file);

/// Parses a JSON file's text; InputError with line and column for malformed JSON.
nlohmann::json parse_json_text(const std::string& text, const std::string& file);

/// SHA-256 digests of each top-level member and of its direct children, keyed by JSON Pointer.
nlohmann::json member_digests(const nlohmann::json& result_without_signature);

struct Signed {
  nlohmann::json document;           // the result with its new `signature` member
  std::string key_id;                // of the signing key
  std::string replaced_key_id;       // key id of the signature replaced ("" when the result was unsigned)
  bool replaced = false;             // the result was already signed
};

/// Signs a result (a JSON object). InputError for a missing, unreadable, encrypted or non-Ed25519 key or a
/// document that is not an object.
Signed sign_result(nlohmann::json result, const std::string& private_key_file);

enum class Change { changed, added, removed };
std::string_view change_name(Change c);

struct PartDifference {
  std::string pointer;  // "/evidence/3"
  Change change = Change::changed;
};

struct MemberDifference {
  std::string member;                // top-level member name, e.g. "evidence"
  Change change = Change::changed;
  std::vector<PartDifference> parts;  // direct children that differ, when the digests recorded them
};

enum class Outcome {
  valid,            // untouched and correctly signed
  wrong_key,        // key_id differs from the public key given
  bad_signature,    // the signature does not match its signed fields (signature member altered)
  content_changed,  // the signature is genuine but the content differs from what was signed
  not_canonical,    // the content matches but the file's bytes are not its canonical form
};

struct Verification {
  Outcome outcome = Outcome::bad_signature;
  std::string signed_by;      // key_id written in the result
  std::string verified_with;  // key id of the public key given
  std::vector<MemberDifference> differences;  // for content_changed
  std::string detail;                         // a sentence for bad_signature / not_canonical
};

/// Verifies the text of a signed result against a public key file. InputError (exit 2) for malformed JSON, an
/// unsigned result, a signature member of the wrong shape, an unsupported algorithm or scheme, and a missing,
/// unreadable or non-Ed25519 key; every other failure to match is reported in the returned outcome.
Verification verify_result(const std::string& text, const std::string& file, const std::string& public_key_file);

}  // namespace aicq::integrity

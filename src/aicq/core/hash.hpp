// SHA-256 (OpenSSL's EVP interface) for provenance: profile and data fingerprints, imported files.
#pragma once

#include <string>
#include <string_view>

namespace aicq::core {

/// Lowercase hex SHA-256 of `bytes`. Throws WorkError if OpenSSL fails.
std::string sha256_hex(std::string_view bytes);

}  // namespace aicq::core

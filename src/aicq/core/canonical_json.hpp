// JSON in the canonical form of RFC 8785 (JSON Canonicalization Scheme): object members sorted by key,
// no insignificant whitespace, numbers in the shortest form that reads back to the same double, formatted
// as ECMAScript's Number.prototype.toString does, strings escaped minimally. Signatures and `rescore` rely
// on one byte sequence per result.
//
// Keys are compared by UTF-16 code units as RFC 8785 requires (the same order as bytes for the ASCII keys
// aicq writes; done properly for any key).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aicq::core {

/// The canonical text of `j`. Throws std::invalid_argument for a non-finite number (JSON has none).
std::string canonical_json(const nlohmann::json& j);

/// A number as ECMAScript formats it (RFC 8785 §3.2.2.3): 1e21 → "1e+21", 1e20 → "100000000000000000000",
/// 0.000001 → "0.000001", 1e-7 → "1e-7", 5.0 → "5", -0.0 → "0".
std::string es6_number(double v);

}  // namespace aicq::core

// Quantities with units: the one place where aicq turns text such as "10.2 kW", "989 TFLOPS" or
// "0.5366 kgCO2e/kWh" into numbers, and numbers back into text.
//
// Contract:
// - A quantity is a value in base units plus its dimension. Base units: s (time), J (energy), FLOP
//   (operations; integer OP counts the same), B (bytes), kgCO2e (emissions), one currency (its ISO 4217
//   code kept beside the value), and the work counts sample, token and query.
// - Spelling is case-sensitive and exact: "kW" is a unit, "KW" is an error that suggests "kW". A missing,
//   unknown or ambiguous unit is an error, never a guess. "FLOPS" means FLOP/s (the industry spelling).
// - CO2 is counted as CO2e ("kgCO2" reads as "kgCO2e"): grid factors are published for CO2 only, and the
//   methodology takes them as CO2e (docs/methodology.md).
// - A year ("y", "yr", "a") is 365 days (8,760 h), the convention of annual energy figures.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aicq::core {

/// The base dimensions. Order is part of Dimension's identity; append only.
enum class Base : std::uint8_t { time, energy, op, byte, co2e, currency, sample, token, query, count_ };
inline constexpr std::size_t kBaseCount = static_cast<std::size_t>(Base::count_);

/// Integer exponents over the base dimensions. Power is energy·time⁻¹, and so on.
struct Dimension {
  std::array<std::int8_t, kBaseCount> exp{};

  static Dimension none() { return {}; }
  static Dimension of(Base b, int e = 1) {
    Dimension d;
    d.exp[static_cast<std::size_t>(b)] = static_cast<std::int8_t>(e);
    return d;
  }
  [[nodiscard]] int operator[](Base b) const { return exp[static_cast<std::size_t>(b)]; }
  [[nodiscard]] bool dimensionless() const { return *this == none(); }
  friend Dimension operator*(const Dimension& a, const Dimension& b);
  friend Dimension operator/(const Dimension& a, const Dimension& b);
  [[nodiscard]] Dimension pow(int n) const;
  friend bool operator==(const Dimension&, const Dimension&) = default;
};

/// Named dimensions used across aicq; each has a canonical unit used for evidence and display.
namespace dim {
Dimension ratio();            // dimensionless (also percentages)
Dimension time();             // s
Dimension frequency();        // Hz = 1/s
Dimension energy();           // J
Dimension power();            // W = J/s
Dimension ops();              // FLOP
Dimension op_rate();          // FLOP/s
Dimension op_efficiency();    // FLOP/s per W = FLOP/J
Dimension bytes();            // B
Dimension byte_rate();        // B/s
Dimension co2e();             // kgCO2e
Dimension carbon_intensity(); // kgCO2e/J (shown as kgCO2e/kWh)
Dimension currency();         // one currency unit
Dimension price_per_time();   // currency/s (shown per hour)
Dimension price_per_energy(); // currency/J (shown per kWh)
Dimension sample_rate();      // samples/s
Dimension token_rate();       // tokens/s
Dimension query_rate();       // queries/s
Dimension ops_per_sample();   // FLOP/sample
Dimension ops_per_token();    // FLOP/token
}  // namespace dim

/// Human name of a dimension ("power", "compute rate", …) or its base-unit formula when it has none.
std::string dimension_name(const Dimension& d);

/// A value in base units with its dimension. `currency` holds the ISO 4217 code when the dimension
/// involves money (one currency per unit; exchange rates are plain numbers in a declaration).
struct Quantity {
  double si = 0;
  Dimension dim;
  std::string currency;  // e.g. "CNY"

  /// Value expressed in `unit` (must parse and have this dimension and currency; throws UnitError).
  [[nodiscard]] double in(std::string_view unit) const;
  /// Canonical unit of this dimension, e.g. "W", "FLOP/s", "kgCO2e/kWh", "CNY/h".
  [[nodiscard]] std::string canonical_unit() const;
  /// Value in the canonical unit.
  [[nodiscard]] double canonical_value() const;
  /// Readable text with an SI prefix chosen for 1 ≤ |mantissa| < 1000 where the unit allows one:
  /// "10.2 kW", "989 TFLOP/s", "0.5366 kgCO2e/kWh".
  [[nodiscard]] std::string to_string(int significant_digits = 6) const;
};

/// A unit text that cannot be read. `offset` is the 0-based position in the parsed text where the problem
/// starts (so callers can point at a column); `expected` says what would have been accepted.
class UnitError : public std::runtime_error {
 public:
  UnitError(std::string message, std::size_t offset) : std::runtime_error(std::move(message)), offset_(offset) {}
  [[nodiscard]] std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

/// A parsed unit: multiply a number in this unit by `factor` to get base units.
struct Unit {
  double factor = 1;
  Dimension dim;
  std::string currency;
  bool is_percent = false;
};

/// Parse a unit expression such as "kW", "kgCO2e/kWh", "GFLOPS/W", "CNY/h", "%", "B/s".
/// Grammar: term (('/' | '*' | '·') term)*, term = symbol | '(' expr ')'. Throws UnitError.
Unit parse_unit(std::string_view text);

/// The quantity a value in a unit stands for: `value` × the unit's factor, with its dimension and currency
/// (the inverse of canonical_value() / canonical_unit(); "" is a plain ratio). Throws UnitError.
Quantity quantity_in(double value, std::string_view unit);

/// Parse "NUMBER [UNIT]" (space optional: "500ms" and "10.2 kW" both read). A bare number is
/// dimensionless. Throws UnitError (with the offset of the faulty part).
Quantity parse_quantity(std::string_view text);

/// Parse and require a dimension; the message names the expected kind and an example.
Quantity parse_quantity(std::string_view text, const Dimension& expected, std::string_view example);

/// Durations for command-line options: "500ms", "1s", "10m" (minutes here), "2h", "30d", "1w".
/// Returns seconds. Throws UnitError.
double parse_duration_s(std::string_view text);

/// Edit distance used for "did you mean" suggestions across aicq: optimal string alignment (Levenshtein
/// plus transposition of two neighbours, so "fp23" is one step from "fp32").
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The closest candidate within a distance that makes sense for the word length; none when two candidates
/// are equally close (a guess between them would mislead). Failing that, the one candidate the word begins.
std::optional<std::string> closest_match(std::string_view word, const auto& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = 0;
  bool tie = false;
  for (const auto& c : candidates) {
    std::string_view cv{c};
    const std::size_t d = edit_distance(word, cv);
    if (!best || d < best_d) {
      best = std::string(cv);
      best_d = d;
      tie = false;
    } else if (d == best_d && cv != *best) {
      tie = true;
    }
  }
  const std::size_t limit = word.size() <= 3 ? 1 : (word.size() <= 6 ? 2 : 3);
  if (best && best_d <= limit && !tie) return best;
  std::optional<std::string> prefixed;
  if (word.size() >= 4) {
    for (const auto& c : candidates) {
      std::string_view cv{c};
      if (cv.size() > word.size() && cv.substr(0, word.size()) == word) {
        if (prefixed) return std::nullopt;
        prefixed = std::string(cv);
      }
    }
  }
  return prefixed;
}

/// Format a double as the shortest text that reads back to the same value ("0.1", "1e+21").
std::string shortest(double v);

}  // namespace aicq::core

#include "aicq/core/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <vector>

namespace aicq::core {

Dimension operator*(const Dimension& a, const Dimension& b) {
  Dimension r;
  for (std::size_t i = 0; i < kBaseCount; ++i) r.exp[i] = static_cast<std::int8_t>(a.exp[i] + b.exp[i]);
  return r;
}

Dimension operator/(const Dimension& a, const Dimension& b) {
  Dimension r;
  for (std::size_t i = 0; i < kBaseCount; ++i) r.exp[i] = static_cast<std::int8_t>(a.exp[i] - b.exp[i]);
  return r;
}

Dimension Dimension::pow(int n) const {
  Dimension r;
  for (std::size_t i = 0; i < kBaseCount; ++i) r.exp[i] = static_cast<std::int8_t>(exp[i] * n);
  return r;
}

namespace dim {
Dimension ratio() { return Dimension::none(); }
Dimension time() { return Dimension::of(Base::time); }
Dimension frequency() { return Dimension::none() / time(); }
Dimension energy() { return Dimension::of(Base::energy); }
Dimension power() { return energy() / time(); }
Dimension ops() { return Dimension::of(Base::op); }
Dimension op_rate() { return ops() / time(); }
Dimension op_efficiency() { return op_rate() / power(); }
Dimension bytes() { return Dimension::of(Base::byte); }
Dimension byte_rate() { return bytes() / time(); }
Dimension co2e() { return Dimension::of(Base::co2e); }
Dimension carbon_intensity() { return co2e() / energy(); }
Dimension currency() { return Dimension::of(Base::currency); }
Dimension price_per_time() { return currency() / time(); }
Dimension price_per_energy() { return currency() / energy(); }
Dimension sample_rate() { return Dimension::of(Base::sample) / time(); }
Dimension token_rate() { return Dimension::of(Base::token) / time(); }
Dimension query_rate() { return Dimension::of(Base::query) / time(); }
Dimension ops_per_sample() { return ops() / Dimension::of(Base::sample); }
Dimension ops_per_token() { return ops() / Dimension::of(Base::token); }
}  // namespace dim

namespace {

constexpr double kHour = 3600.0;
constexpr double kDay = 86400.0;
constexpr double kYear = 365.0 * kDay;  // 8,760 h: the convention of annual energy figures
constexpr double kKWh = 3.6e6;

enum class PrefixSet { none, small_time, power, energy_j, energy_wh, ops, bytes };

struct Prefix {
  std::string_view symbol;
  double factor;
};

// SI decimal prefixes (BIPM SI Brochure, 9th ed., table 7) and IEC 80000-13 binary prefixes.
constexpr Prefix kDecimalPrefixes[] = {
    {"n", 1e-9}, {"u", 1e-6}, {"µ", 1e-6}, {"m", 1e-3}, {"k", 1e3},  {"M", 1e6},
    {"G", 1e9},  {"T", 1e12}, {"P", 1e15}, {"E", 1e18}, {"Z", 1e21},
};
constexpr Prefix kBinaryPrefixes[] = {
    {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
    {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0},
};

bool prefix_allowed(PrefixSet set, std::string_view p) {
  auto in = [&](std::initializer_list<std::string_view> l) { return std::find(l.begin(), l.end(), p) != l.end(); };
  switch (set) {
    case PrefixSet::none: return false;
    case PrefixSet::small_time: return in({"m", "u", "µ", "n"});
    case PrefixSet::power: return in({"m", "k", "M", "G", "T"});
    case PrefixSet::energy_j: return in({"k", "M", "G", "T", "P"});
    case PrefixSet::energy_wh: return in({"k", "M", "G", "T"});
    case PrefixSet::ops: return in({"k", "M", "G", "T", "P", "E", "Z"});
    case PrefixSet::bytes: return in({"k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"});
  }
  return false;
}

struct Symbol {
  std::string_view name;
  double factor;
  Dimension dim;
  PrefixSet prefixes;
  std::string_view currency;  // ISO 4217 code for currency symbols
};

// ISO 4217 codes accepted as currencies. Money is never converted implicitly: a declaration states its
// exchange rates.
constexpr std::string_view kCurrencies[] = {"CNY", "USD", "EUR", "JPY", "GBP", "HKD", "KRW", "SGD",
                                            "CHF", "AUD", "CAD", "INR", "TWD", "AED", "SAR"};

const std::vector<Symbol>& symbols() {
  static const std::vector<Symbol> table = [] {
    using namespace dim;
    const Dimension sample = Dimension::of(Base::sample);
    const Dimension token = Dimension::of(Base::token);
    const Dimension query = Dimension::of(Base::query);
    std::vector<Symbol> t = {
        {"s", 1, time(), PrefixSet::small_time, {}},
        {"min", 60, time(), PrefixSet::none, {}},
        {"h", kHour, time(), PrefixSet::none, {}},
        {"d", kDay, time(), PrefixSet::none, {}},
        {"y", kYear, time(), PrefixSet::none, {}},
        {"yr", kYear, time(), PrefixSet::none, {}},
        {"a", kYear, time(), PrefixSet::none, {}},
        {"J", 1, energy(), PrefixSet::energy_j, {}},
        {"Wh", kHour, energy(), PrefixSet::energy_wh, {}},
        {"W", 1, power(), PrefixSet::power, {}},
        {"Hz", 1, Dimension::none() / time(), PrefixSet::power, {}},
        {"FLOP", 1, ops(), PrefixSet::ops, {}},
        {"FLOPS", 1, op_rate(), PrefixSet::ops, {}},
        {"OP", 1, ops(), PrefixSet::ops, {}},
        {"OPS", 1, op_rate(), PrefixSet::ops, {}},
        {"B", 1, bytes(), PrefixSet::bytes, {}},
        {"gCO2e", 1e-3, co2e(), PrefixSet::none, {}},
        {"kgCO2e", 1, co2e(), PrefixSet::none, {}},
        {"tCO2e", 1e3, co2e(), PrefixSet::none, {}},
        {"ktCO2e", 1e6, co2e(), PrefixSet::none, {}},
        {"MtCO2e", 1e9, co2e(), PrefixSet::none, {}},
        {"gCO2", 1e-3, co2e(), PrefixSet::none, {}},
        {"kgCO2", 1, co2e(), PrefixSet::none, {}},
        {"tCO2", 1e3, co2e(), PrefixSet::none, {}},
        {"sample", 1, sample, PrefixSet::none, {}},
        {"samples", 1, sample, PrefixSet::none, {}},
        {"token", 1, token, PrefixSet::none, {}},
        {"tokens", 1, token, PrefixSet::none, {}},
        {"query", 1, query, PrefixSet::none, {}},
        {"queries", 1, query, PrefixSet::none, {}},
    };
    for (auto c : kCurrencies) t.push_back({c, 1, currency(), PrefixSet::none, c});
    return t;
  }();
  return table;
}

// Spellings people write that aicq refuses, with what to write instead.
const std::map<std::string_view, std::string_view>& known_mistakes() {
  static const std::map<std::string_view, std::string_view> m = {
      {"FLOPs", "FLOP (a count) or FLOPS (per second)"},
      {"flops", "FLOPS"},
      {"Flops", "FLOPS"},
      {"m", "min (minutes; in a unit 'm' alone is ambiguous)"},
      {"RMB", "CNY"},
      {"¥", "CNY or JPY"},
      {"$", "USD"},
      {"€", "EUR"},
      {"sec", "s"},
      {"secs", "s"},
      {"hr", "h"},
      {"hrs", "h"},
      {"hour", "h"},
      {"hours", "h"},
      {"day", "d"},
      {"days", "d"},
      {"year", "y"},
      {"years", "y"},
      {"mins", "min"},
      {"KB", "kB (1000 B) or KiB (1024 B)"},
      {"images", "samples"},
      {"image", "sample"},
      {"CO2e", "kgCO2e, tCO2e or gCO2e"},
  };
  return m;
}

// Every valid spelling of a single symbol, for suggestions.
const std::vector<std::string>& all_spellings() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (const auto& s : symbols()) {
      out.emplace_back(s.name);
      for (const auto& p : kDecimalPrefixes)
        if (prefix_allowed(s.prefixes, p.symbol) && p.symbol != "µ") out.push_back(std::string(p.symbol) + std::string(s.name));
      for (const auto& p : kBinaryPrefixes)
        if (prefix_allowed(s.prefixes, p.symbol)) out.push_back(std::string(p.symbol) + std::string(s.name));
    }
    return out;
  }();
  return v;
}

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return r;
}

std::string suggestion_for(std::string_view word) {
  if (auto it = known_mistakes().find(word); it != known_mistakes().end()) return fmt::format("; write {}", it->second);
  // Case-only difference first ("KW" → "kW"), then spelling distance.
  std::vector<std::string> same_case_insensitive;
  for (const auto& s : all_spellings())
    if (lower(s) == lower(word)) same_case_insensitive.push_back(s);
  if (!same_case_insensitive.empty()) {
    std::string list;
    for (const auto& s : same_case_insensitive) list += (list.empty() ? "'" : " or '") + s + "'";
    return fmt::format("; did you mean {}? (units are case-sensitive)", list);
  }
  if (auto m = closest_match(word, all_spellings())) return fmt::format("; did you mean '{}'?", *m);
  return {};
}

struct Term {
  Unit unit;
};

bool symbol_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80 || c == '%' || c == '$' || c == '_';
}

Unit resolve_symbol(std::string_view word, std::size_t offset) {
  if (word == "%") return Unit{0.01, Dimension::none(), {}, true};
  for (const auto& s : symbols()) {
    if (s.name == word) return Unit{s.factor, s.dim, std::string(s.currency), false};
  }
  if (known_mistakes().find(word) == known_mistakes().end()) {
    auto try_prefixes = [&](const auto& prefixes) -> std::optional<Unit> {
      for (const auto& p : prefixes) {
        if (word.size() <= p.symbol.size() || word.substr(0, p.symbol.size()) != p.symbol) continue;
        const auto rest = word.substr(p.symbol.size());
        for (const auto& s : symbols()) {
          if (s.name == rest && prefix_allowed(s.prefixes, p.symbol))
            return Unit{p.factor * s.factor, s.dim, std::string(s.currency), false};
        }
      }
      return std::nullopt;
    };
    if (auto u = try_prefixes(kBinaryPrefixes)) return *u;
    if (auto u = try_prefixes(kDecimalPrefixes)) return *u;
  }
  throw UnitError(fmt::format("unknown unit '{}'{}", word, suggestion_for(word)), offset);
}

// Recursive-descent parser over a unit expression.
class UnitParser {
 public:
  explicit UnitParser(std::string_view text) : text_(text) {}

  Unit parse() {
    skip_space();
    if (pos_ >= text_.size()) throw UnitError("missing unit", pos_);
    Unit u = expr();
    skip_space();
    if (pos_ < text_.size()) throw UnitError(fmt::format("unexpected '{}' in unit", text_.substr(pos_, 1)), pos_);
    return u;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  // '·' is two bytes in UTF-8 (U+00B7).
  int match_operator() {
    if (pos_ < text_.size() && (text_[pos_] == '/' || text_[pos_] == '*')) return 1;
    if (text_.substr(pos_, 2) == "\xC2\xB7") return 2;
    return 0;
  }

  Unit expr() {
    Unit acc = term();
    for (;;) {
      skip_space();
      const int op_len = match_operator();
      if (op_len == 0) return acc;
      const bool divide = text_[pos_] == '/';
      const std::size_t op_pos = pos_;
      pos_ += static_cast<std::size_t>(op_len);
      skip_space();
      Unit rhs = term();
      acc = combine(acc, rhs, divide, op_pos);
    }
  }

  Unit term() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      Unit u = expr();
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ')') throw UnitError("missing ')' in unit", pos_);
      ++pos_;
      return u;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && symbol_char(text_[pos_]) && text_.substr(pos_, 2) != "\xC2\xB7") ++pos_;
    if (pos_ == start) {
      if (pos_ >= text_.size()) throw UnitError("unit ends after an operator", pos_);
      throw UnitError(fmt::format("unexpected '{}' in unit", text_.substr(pos_, 1)), pos_);
    }
    return resolve_symbol(text_.substr(start, pos_ - start), start);
  }

  static Unit combine(const Unit& a, const Unit& b, bool divide, std::size_t at) {
    Unit r;
    r.factor = divide ? a.factor / b.factor : a.factor * b.factor;
    r.dim = divide ? a.dim / b.dim : a.dim * b.dim;
    r.is_percent = false;
    if (!a.currency.empty() && !b.currency.empty() && a.currency != b.currency)
      throw UnitError(fmt::format("a unit may name one currency, found {} and {} (state exchange rates in the "
                                  "declaration's exchange_rates instead)",
                                  a.currency, b.currency),
                      at);
    if (a.is_percent || b.is_percent) throw UnitError("'%' cannot be combined with other units", at);
    r.currency = r.dim[Base::currency] != 0 ? (a.currency.empty() ? b.currency : a.currency) : std::string{};
    return r;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

struct KnownKind {
  Dimension dim;
  std::string_view name;
  std::string_view unit;  // canonical unit; "¤" stands for the currency code
  double per_si;          // canonical value = si × per_si
  // Display with SI prefixes: base unit text after the prefix, its factor, and the prefix set used.
  std::string_view prefix_base;
  double prefix_base_per_si;
};

const std::vector<KnownKind>& known_kinds() {
  static const std::vector<KnownKind> k = [] {
    using namespace dim;
    return std::vector<KnownKind>{
        {ratio(), "ratio", "", 1, {}, 1},
        {time(), "duration", "s", 1, {}, 1},
        {Dimension::none() / time(), "frequency", "Hz", 1, "Hz", 1},
        {energy(), "energy", "kWh", 1 / kKWh, "Wh", 1 / kHour},
        {power(), "power", "W", 1, "W", 1},
        {ops(), "operations", "FLOP", 1, "FLOP", 1},
        {op_rate(), "compute rate", "FLOP/s", 1, "FLOP/s", 1},
        {op_efficiency(), "compute efficiency", "GFLOPS/W", 1e-9, "FLOPS/W", 1},
        {bytes(), "data size", "B", 1, "B", 1},
        {byte_rate(), "data rate", "B/s", 1, "B/s", 1},
        {co2e(), "emissions", "kgCO2e", 1, {}, 1},
        {carbon_intensity(), "carbon intensity", "kgCO2e/kWh", kKWh, {}, 1},
        {currency(), "money", "¤", 1, {}, 1},
        {price_per_time(), "price per time", "¤/h", kHour, {}, 1},
        {price_per_energy(), "price per energy", "¤/kWh", kKWh, {}, 1},
        {sample_rate(), "sample rate", "samples/s", 1, {}, 1},
        {token_rate(), "token rate", "tokens/s", 1, {}, 1},
        {query_rate(), "query rate", "queries/s", 1, {}, 1},
        {ops_per_sample(), "operations per sample", "FLOP/sample", 1, "FLOP/sample", 1},
        {ops_per_token(), "operations per token", "FLOP/token", 1, "FLOP/token", 1},
        {Dimension::of(Base::sample), "sample count", "samples", 1, {}, 1},
        {Dimension::of(Base::token), "token count", "tokens", 1, {}, 1},
    };
  }();
  return k;
}

const KnownKind* find_kind(const Dimension& d) {
  for (const auto& k : known_kinds())
    if (k.dim == d) return &k;
  return nullptr;
}

std::string base_formula(const Dimension& d) {
  static constexpr std::string_view names[] = {"s", "J", "FLOP", "B", "kgCO2e", "¤", "sample", "token", "query"};
  std::string num, den;
  for (std::size_t i = 0; i < kBaseCount; ++i) {
    const int e = d.exp[i];
    if (e == 0) continue;
    std::string& side = e > 0 ? num : den;
    const int a = std::abs(e);
    if (!side.empty()) side += "·";
    side += std::string(names[i]);
    if (a != 1) side += "^" + std::to_string(a);
  }
  if (num.empty()) num = "1";
  return den.empty() ? num : num + "/" + den;
}

std::string replace_currency(std::string_view unit, const std::string& code) {
  std::string s(unit);
  const std::string mark = "¤";
  if (auto p = s.find(mark); p != std::string::npos) s.replace(p, mark.size(), code.empty() ? "¤" : code);
  return s;
}

std::string format_sig(double v, int digits) {
  std::string s = fmt::format("{:.{}g}", v, digits);
  return s;
}

}  // namespace

std::string dimension_name(const Dimension& d) {
  if (const auto* k = find_kind(d)) return std::string(k->name);
  return base_formula(d);
}

Unit parse_unit(std::string_view text) { return UnitParser(text).parse(); }

Quantity quantity_in(double value, std::string_view unit) {
  Quantity q;
  if (unit.empty()) {
    q.si = value;
    return q;
  }
  const Unit u = parse_unit(unit);
  q.si = value * u.factor;
  q.dim = u.dim;
  q.currency = u.currency;
  return q;
}

namespace {
std::string_view trim(std::string_view s, std::size_t& lead) {
  lead = 0;
  while (lead < s.size() && (s[lead] == ' ' || s[lead] == '\t')) ++lead;
  std::size_t end = s.size();
  while (end > lead && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
  return s.substr(lead, end - lead);
}

// Reads the leading number; returns the value and how many characters it used.
std::pair<double, std::size_t> read_number(std::string_view s) {
  if (s.empty()) throw UnitError("empty value: expected a number with a unit", 0);
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(first, last, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) throw UnitError("number out of range", 0);
  if (ec != std::errc() || ptr == first) throw UnitError(fmt::format("expected a number, found '{}'", s), 0);
  const auto used = static_cast<std::size_t>(ptr - s.data());
  if (!std::isfinite(v)) throw UnitError(fmt::format("expected a finite number, found '{}'", s.substr(0, used)), 0);
  if (std::string_view(first, static_cast<std::size_t>(ptr - first)).find_first_of("nN") != std::string_view::npos)
    throw UnitError(fmt::format("expected a finite number, found '{}'", s.substr(0, used)), 0);
  if (used < s.size() && (s[used] == ',' || s[used] == '_') && used + 1 < s.size() &&
      std::isdigit(static_cast<unsigned char>(s[used + 1])))
    throw UnitError("no digit-group separators in numbers: write 1000, not 1,000", used);
  return {v, used};
}
}  // namespace

Quantity parse_quantity(std::string_view text) {
  std::size_t lead = 0;
  const std::string_view s = trim(text, lead);
  try {
    const auto [v, used] = read_number(s);
    Quantity q;
    std::string_view rest = s.substr(used);
    if (rest.empty()) {
      q.si = v;
      return q;
    }
    Unit u;
    try {
      u = parse_unit(rest);
    } catch (const UnitError& e) {
      throw UnitError(e.what(), used + e.offset());
    }
    q.si = v * u.factor;
    q.dim = u.dim;
    q.currency = u.currency;
    return q;
  } catch (const UnitError& e) {
    throw UnitError(e.what(), lead + e.offset());
  }
}

Quantity parse_quantity(std::string_view text, const Dimension& expected, std::string_view example) {
  Quantity q = parse_quantity(text);
  if (q.dim == expected) return q;
  const std::string want = dimension_name(expected);
  if (q.dim.dimensionless() && !expected.dimensionless())
    throw UnitError(fmt::format("missing unit: expected {} with a unit, e.g. '{}'", want, example), 0);
  throw UnitError(fmt::format("expected {} (e.g. '{}'), found {}", want, example, dimension_name(q.dim)), 0);
}

double parse_duration_s(std::string_view text) {
  std::size_t lead = 0;
  const std::string_view s = trim(text, lead);
  const auto [v, used] = read_number(s);
  std::size_t p = used;
  while (p < s.size() && s[p] == ' ') ++p;
  const std::string_view u = s.substr(p);
  static const std::map<std::string_view, double> units = {
      {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1},     {"m", 60},
      {"min", 60},  {"h", kHour}, {"d", kDay},  {"w", 7 * kDay}, {"y", kYear},
  };
  if (u.empty()) throw UnitError(fmt::format("duration '{}' needs a unit: ms, s, m, h, d, w or y (e.g. '10m')", s), lead + p);
  auto it = units.find(u);
  if (it == units.end()) {
    std::vector<std::string> names;
    for (const auto& [k, _] : units) names.emplace_back(k);
    const auto m = closest_match(u, names);
    throw UnitError(fmt::format("unknown duration unit '{}'{}; use ms, s, m, h, d, w or y", u,
                                m ? fmt::format(" (did you mean '{}'?)", *m) : std::string{}),
                    lead + p);
  }
  if (v < 0) throw UnitError(fmt::format("a duration cannot be negative, found '{}'", s), lead);
  return v * it->second;
}

double Quantity::in(std::string_view unit) const {
  const Unit u = parse_unit(unit);
  if (u.dim != dim)
    throw UnitError(fmt::format("cannot express {} in '{}' ({})", dimension_name(dim), unit, dimension_name(u.dim)), 0);
  if (u.currency != currency)
    throw UnitError(fmt::format("cannot express {} in {} without an exchange rate", currency, u.currency), 0);
  return si / u.factor;
}

std::string Quantity::canonical_unit() const {
  if (const auto* k = find_kind(dim)) return replace_currency(k->unit, currency);
  return replace_currency(base_formula(dim), currency);
}

double Quantity::canonical_value() const {
  const auto* k = find_kind(dim);
  if (!k || k->per_si == 1) return si;
  // Round away the last-bit noise of the unit conversion (0.5366 kgCO2e/kWh → si → 0.5366, not
  // 0.5365999999999999): 15 significant digits are exact for every double and beyond any input's precision.
  const double v = si * k->per_si;
  return std::stod(fmt::format("{:.15g}", v));
}

std::string Quantity::to_string(int significant_digits) const {
  if (dim == dim::time()) {
    // Durations in the largest unit that keeps the number ≥ 1: "5 y", "30 d", "2 h", "10 min", "0.5 s".
    static constexpr std::pair<double, std::string_view> steps[] = {{kYear, "y"}, {kDay, "d"}, {kHour, "h"}, {60.0, "min"}};
    for (const auto& [f, u] : steps)
      if (std::fabs(si) >= f) return fmt::format("{} {}", format_sig(si / f, significant_digits), u);
    return fmt::format("{} s", format_sig(si, significant_digits));
  }
  const auto* k = find_kind(dim);
  if (k && !k->prefix_base.empty()) {
    const double base_value = si * k->prefix_base_per_si;
    const double a = std::fabs(base_value);
    std::string_view prefix;
    double scale = 1;
    if (a >= 1000) {
      for (const auto& p : kDecimalPrefixes) {
        if (p.factor < 1e3) continue;
        if (k->prefix_base.starts_with("Wh") && p.factor > 1e12) break;
        if (a / p.factor >= 1) {
          prefix = p.symbol;
          scale = p.factor;
        }
      }
    }
    return fmt::format("{} {}{}", format_sig(base_value / scale, significant_digits), prefix, k->prefix_base);
  }
  const std::string unit = canonical_unit();
  if (unit.empty()) return format_sig(si, significant_digits);
  return fmt::format("{} {}", format_sig(canonical_value(), significant_digits), unit);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance, three rolling rows.
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace aicq::core

#include "aicq/declare/yaml_reader.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <set>

namespace aicq::declare {

using core::Location;

Location Reader::location(const YAML::Mark& m) const {
  if (m.is_null()) return Location{file_, 0, 0};
  return Location{file_, m.line + 1, m.column + 1};
}

void Reader::error(const Location& at, const std::string& path, std::string message) {
  diags_.add(at, path, std::move(message));
}

namespace {

// Position (1-based line and column, in characters) of a byte offset.
std::pair<int, int> line_col(std::string_view text, std::size_t offset) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return {line, col};
}

// Offset of the first byte that is not valid UTF-8 (or is NUL), or npos.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return i;
    std::size_t n = 0;
    if (c < 0x80) n = 0;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2) n = 1;
    else if ((c & 0xF0) == 0xE0) n = 2;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4) n = 3;
    else return i;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

bool only_space_and_comments(std::string_view s) {
  bool in_comment = false;
  for (char ch : s) {
    if (ch == '\n') in_comment = false;
    else if (in_comment) continue;
    else if (ch == '#') in_comment = true;
    else if (ch != ' ' && ch != '\t' && ch != '\r') return false;
  }
  return true;
}

bool is_quoted(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "!"; }

// Column of a character `offset` inside a scalar's text (quoted scalars start one column later).
Location shifted(const Location& at, const YAML::Node& n, std::size_t offset) {
  Location l = at;
  if (l.column > 0) l.column += static_cast<int>(offset) + (is_quoted(n) ? 1 : 0);
  return l;
}

}  // namespace

std::optional<Cursor> Reader::load(std::string_view text, std::string_view empty_hint) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte-order mark is harmless
  if (const auto bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    const auto [l, c] = line_col(text, bad);
    const auto byte = static_cast<unsigned char>(text[bad]);
    error(Location{file_, l, c}, "",
          byte == 0 ? "expected a UTF-8 text file, found a NUL byte (is this a binary file?)"
                    : fmt::format("expected a UTF-8 text file, found the byte 0x{:02X} (binary file or another encoding?)", byte));
    return std::nullopt;
  }
  if (only_space_and_comments(text)) {
    error(Location{file_, 1, 1}, "", fmt::format("the file is empty: expected {}", empty_hint));
    return std::nullopt;
  }
  try {
    YAML::Node root = YAML::Load(std::string(text));
    const Location at = location(root.Mark());
    return Cursor{root, "", at, at};
  } catch (const YAML::ParserException& e) {
    error(location(e.mark), "", fmt::format("not valid YAML: {} (truncated or mistyped file?)", e.msg));
    return std::nullopt;
  }
}

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  std::string s = n.Scalar();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return fmt::format("'{}'", s);
}

MapView::MapView(Reader& r, const Cursor& c, std::initializer_list<std::string_view> known,
                 std::initializer_list<std::string_view> required)
    : r_(r), c_(c) {
  if (!c.node.IsMap()) {
    r.error(c, fmt::format("expected a mapping with fields {}, found {}",
                           join_names(std::vector<std::string>(known.begin(), known.end()), 8), describe(c.node)));
    return;
  }
  valid_ = true;
  std::vector<std::string> known_list(known.begin(), known.end());
  std::set<std::string> seen;
  // Iterate by value: yaml-cpp's iterator hands out a temporary pair, so references into it would dangle.
  for (const auto kv : c.node) {
    const YAML::Node k = kv.first;
    const Location key_at = r.location(k.Mark());
    if (!k.IsScalar()) {
      r.error(key_at, c.path, fmt::format("expected a field name, found {}", describe(k)));
      continue;
    }
    const std::string key = k.Scalar();
    const std::string path = c.path.empty() ? key : c.path + "." + key;
    if (std::find(known_list.begin(), known_list.end(), key) == known_list.end()) {
      const auto m = core::closest_match(key, known_list);
      r.error(key_at, path,
              fmt::format("unknown field '{}'{}; expected one of {}", key,
                          m ? fmt::format(" (did you mean '{}'?)", *m) : std::string{}, join_names(known_list)));
      continue;
    }
    if (!seen.insert(key).second) {
      r.error(key_at, path, fmt::format("duplicate field '{}': expected each field once", key));
      continue;
    }
    const YAML::Node v = kv.second;
    const Location at = (v.IsNull() || v.Mark().is_null()) ? key_at : r.location(v.Mark());
    fields_.emplace_back(key, Cursor{v, path, at, key_at});
  }
  for (auto req : required) {
    const bool present = std::any_of(fields_.begin(), fields_.end(), [&](const auto& f) {
      return f.first == req && !f.second.node.IsNull();
    });
    if (!present) {
      const std::string path = c.path.empty() ? std::string(req) : c.path + "." + std::string(req);
      r.error(c.at, path, fmt::format("missing required field '{}'", req));
    }
  }
}

std::optional<Cursor> MapView::get(std::string_view key) const {
  for (const auto& [k, cur] : fields_)
    if (k == key) {
      if (cur.node.IsNull()) return std::nullopt;
      return cur;
    }
  return std::nullopt;
}

std::vector<std::pair<std::string, Cursor>> entries(Reader& r, const Cursor& c, std::string_view what) {
  std::vector<std::pair<std::string, Cursor>> out;
  if (!c.node.IsMap()) {
    r.error(c, fmt::format("expected a mapping of {}, found {}", what, describe(c.node)));
    return out;
  }
  std::set<std::string> seen;
  for (const auto kv : c.node) {
    const YAML::Node k = kv.first;
    const Location key_at = r.location(k.Mark());
    if (!k.IsScalar()) {
      r.error(key_at, c.path, fmt::format("expected a name, found {}", describe(k)));
      continue;
    }
    const std::string key = k.Scalar();
    const std::string path = c.path + "." + key;
    if (!seen.insert(key).second) {
      r.error(key_at, path, fmt::format("duplicate entry '{}': expected each name once", key));
      continue;
    }
    const YAML::Node v = kv.second;
    out.emplace_back(key, Cursor{v, path, (v.IsNull() || v.Mark().is_null()) ? key_at : r.location(v.Mark()), key_at});
  }
  return out;
}

std::vector<Cursor> items(Reader& r, const Cursor& c, std::string_view what) {
  std::vector<Cursor> out;
  if (!c.node.IsSequence()) {
    r.error(c, fmt::format("expected a list of {}, found {}", what, describe(c.node)));
    return out;
  }
  std::size_t i = 0;
  for (const auto& n : c.node) {
    const Location at = n.Mark().is_null() ? c.at : r.location(n.Mark());
    out.push_back(Cursor{n, fmt::format("{}[{}]", c.path, i), at, at});
    ++i;
  }
  return out;
}

std::optional<std::string> read_string(Reader& r, const Cursor& c) {
  if (!c.node.IsScalar() || c.node.Scalar().empty()) {
    r.error(c, fmt::format("expected a text, found {}", describe(c.node)));
    return std::nullopt;
  }
  return c.node.Scalar();
}

std::optional<bool> read_bool(Reader& r, const Cursor& c) {
  if (c.node.IsScalar()) {
    const std::string& s = c.node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  r.error(c, fmt::format("expected true or false, found {}", describe(c.node)));
  return std::nullopt;
}

std::optional<std::int64_t> read_int(Reader& r, const Cursor& c, std::int64_t min, std::int64_t max) {
  if (!c.node.IsScalar() || is_quoted(c.node)) {
    r.error(c, fmt::format("expected a whole number from {} to {}, found {}", min, max, describe(c.node)));
    return std::nullopt;
  }
  const std::string& s = c.node.Scalar();
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    r.error(c, fmt::format("expected a whole number from {} to {}, found {}", min, max, describe(c.node)));
    return std::nullopt;
  }
  if (v < min || v > max) {
    r.error(c, fmt::format("expected a whole number from {} to {}, found {}", min, max, v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> read_number(Reader& r, const Cursor& c, double min, double max, std::string_view what) {
  if (!c.node.IsScalar() || is_quoted(c.node)) {
    r.error(c, fmt::format("expected {} (a number from {} to {}), found {}", what, core::shortest(min),
                           core::shortest(max), describe(c.node)));
    return std::nullopt;
  }
  try {
    const core::Quantity q = core::parse_quantity(c.node.Scalar());
    if (!q.dim.dimensionless()) {
      r.error(c, fmt::format("expected {} as a plain number without a unit, found {}", what, describe(c.node)));
      return std::nullopt;
    }
    if (q.si < min || q.si > max) {
      r.error(c, fmt::format("expected {} from {} to {}, found {}", what, core::shortest(min), core::shortest(max),
                             core::shortest(q.si)));
      return std::nullopt;
    }
    return q.si;
  } catch (const core::UnitError& e) {
    r.error(shifted(c.at, c.node, e.offset()), c.path, fmt::format("expected {}: {}", what, e.what()));
    return std::nullopt;
  }
}

namespace {
std::string range_text(const Range& range, const core::Quantity& like) {
  auto show = [&](double v) {
    core::Quantity q = like;
    q.si = v;
    return q.to_string();
  };
  if (range.min && range.max)
    return fmt::format("from {} to {}", show(*range.min), show(*range.max));
  if (range.min) {
    if (*range.min == 0) return range.min_inclusive ? "not negative" : "greater than zero";
    return fmt::format("{} {}", range.min_inclusive ? "at least" : "more than", show(*range.min));
  }
  if (range.max) return fmt::format("{} {}", range.max_inclusive ? "at most" : "less than", show(*range.max));
  return "";
}

bool in_range(double v, const Range& range) {
  if (range.min && (range.min_inclusive ? v < *range.min : v <= *range.min)) return false;
  if (range.max && (range.max_inclusive ? v > *range.max : v >= *range.max)) return false;
  return true;
}
}  // namespace

std::optional<Fact> read_quantity(Reader& r, const Cursor& c, const core::Dimension& expected,
                                  std::string_view example, Range range) {
  const std::string want = core::dimension_name(expected);
  if (!c.node.IsScalar()) {
    r.error(c, fmt::format("expected {} with a unit, e.g. '{}', found {}", want, example, describe(c.node)));
    return std::nullopt;
  }
  const std::string& text = c.node.Scalar();
  try {
    core::Quantity q = core::parse_quantity(text);
    if (q.dim != expected) {
      if (q.dim.dimensionless())
        r.error(c, fmt::format("missing unit: expected {} with a unit, e.g. '{}', found '{}'", want, example, text));
      else
        r.error(shifted(c.at, c.node, 0), c.path,
                fmt::format("expected {} (e.g. '{}'), found {} '{}'", want, example, core::dimension_name(q.dim), text));
      return std::nullopt;
    }
    if (!in_range(q.si, range)) {
      r.error(c, fmt::format("expected {} {}, found '{}'", want, range_text(range, q), text));
      return std::nullopt;
    }
    return Fact{std::move(q), text, c.at};
  } catch (const core::UnitError& e) {
    r.error(shifted(c.at, c.node, e.offset()), c.path,
            fmt::format("expected {} (e.g. '{}'), found '{}': {}", want, example, text, e.what()));
    return std::nullopt;
  }
}

std::optional<Fact> read_share(Reader& r, const Cursor& c) {
  constexpr std::string_view expect = "expected a share: a number from 0 to 1 or a percentage such as '45%'";
  if (!c.node.IsScalar()) {
    r.error(c, fmt::format("{}, found {}", expect, describe(c.node)));
    return std::nullopt;
  }
  const std::string& text = c.node.Scalar();
  try {
    const core::Quantity q = core::parse_quantity(text);
    if (!q.dim.dimensionless()) {
      r.error(c, fmt::format("{}, found {} '{}'", expect, core::dimension_name(q.dim), text));
      return std::nullopt;
    }
    const bool percent = text.find('%') != std::string::npos;
    if (q.si < 0 || q.si > 1) {
      r.error(c, percent ? fmt::format("expected a percentage from 0% to 100%, found '{}'", text)
                         : fmt::format("{}, found {}{}", expect, text,
                                       q.si > 1 && q.si <= 100 ? fmt::format(" (write '{}%' for a percentage)", text) : ""));
      return std::nullopt;
    }
    return Fact{q, text, c.at};
  } catch (const core::UnitError& e) {
    r.error(shifted(c.at, c.node, e.offset()), c.path, fmt::format("{}, found '{}'", e.what(), text));
    return std::nullopt;
  }
}

std::optional<std::string> read_enum(Reader& r, const Cursor& c, const std::vector<std::string>& allowed,
                                     std::string_view what) {
  if (!c.node.IsScalar() || c.node.Scalar().empty()) {
    r.error(c, fmt::format("expected {} (one of {}), found {}", what, join_names(allowed), describe(c.node)));
    return std::nullopt;
  }
  const std::string& s = c.node.Scalar();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  r.error(c, fmt::format("expected {} (one of {}), found '{}'{}", what, join_names(allowed), s, did_you_mean(s, allowed)));
  return std::nullopt;
}

std::optional<std::string> read_date(Reader& r, const Cursor& c) {
  const auto bad = [&] {
    r.error(c, fmt::format("expected a date YYYY-MM-DD, found {}", describe(c.node)));
    return std::nullopt;
  };
  if (!c.node.IsScalar()) return bad();
  const std::string& s = c.node.Scalar();
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return bad();
  int y = 0;
  unsigned m = 0, d = 0;
  auto num = [&](std::size_t pos, std::size_t len, auto& out) {
    const auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc() && p == s.data() + pos + len;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return bad();
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) {
    r.error(c, fmt::format("expected a date that exists, found '{}'", s));
    return std::nullopt;
  }
  return s;
}

bool known_name(Reader& r, const Cursor& entry, const std::string& name, const std::vector<std::string>& allowed,
                std::string_view what) {
  if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) return true;
  const auto near = core::closest_match(name, allowed);
  r.key_error(entry, fmt::format("unknown {} '{}'{}; expected one of {}", what, name,
                                 near ? fmt::format(" (did you mean '{}'?)", *near) : std::string{}, join_names(allowed)));
  return false;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto near = core::closest_match(word, candidates);
  return near ? fmt::format("; did you mean '{}'?", *near) : std::string{};
}

std::string join_names(const std::vector<std::string>& names, std::size_t max) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < max; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > max) s += fmt::format(", … ({} in all)", names.size());
  return s;
}

}  // namespace aicq::declare

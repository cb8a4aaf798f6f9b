// Markdown and CSV reports (aicq report --format md|csv), the TOPSIS ranking shared with the HTML comparison,
// and the number formatting of every rendered report.
//
// Markdown: the indicators table of one result (or, for several, the ranking and every indicator across
// systems) for wikis. CSV (RFC 4180): a header row, one row per indicator (per system and indicator for
// several results), numbers at full precision and unformatted, empty cells where a value is missing.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/method/method.hpp"
#include "aicq/report/terminal.hpp"

namespace aicq::report {

/// A result document as read from a file.
struct ResultDoc {
  std::string file;    // named in messages and in the reports
  nlohmann::json doc;  // the result (assess::load_result)
  std::string sha256;  // of the file's bytes; empty when unknown
};

/// A number for people: thousands grouped ("1,234.5" in both en and zh), `significant` digits, no trailing
/// zeros; scientific notation below 1e-3 and from 1e15 up. "—" for NaN or infinity.
std::string format_number(double v, Lang lang, int significant = 4);
/// A number with a fixed count of decimals, thousands grouped ("84.6", "1,250.0").
std::string format_fixed(double v, Lang lang, int decimals);
/// A number at full precision, unformatted: the shortest text that reads back to the same double.
std::string full_precision(double v);
/// One CSV field per RFC 4180: quoted (quotes doubled) when it holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view s);

/// TOPSIS over the five dimension scores of several results.
struct Ranking {
  std::vector<std::string> criteria;  // dimension ids, catalog order
  std::vector<double> weights;        // the profile's dimension weights, normalised, same order
  std::vector<std::string> names;     // system names, in the order of the results
  method::Matrix scores;              // per system, per criterion
  std::vector<double> closeness;      // per system
  std::vector<int> rank;              // per system, 1 = best
};

/// Ranks results on their five dimension scores with the given dimension weights (id → weight), as
/// `aicq compare` does. A result lacking a dimension score is an InputError (exit 2) naming its file, its
/// system and the dimensions it lacks (every such result is named).
Ranking rank_systems(const std::vector<ResultDoc>& results, const std::map<std::string, double>& dimension_weights);

/// Markdown: for one result its header line and indicators table; for several the ranking (required) and the
/// table of every indicator across systems, the best score per row in bold with a star.
std::string markdown(const std::vector<ResultDoc>& results, const Ranking* ranking, Lang lang);

/// CSV: header "indicator,dimension,name,status,value,unit,score,kind,weight,reason" (names in the language),
/// one row per indicator; for several results "system,file," come first and there is a row per system and
/// indicator. CRLF line ends (RFC 4180).
std::string csv(const std::vector<ResultDoc>& results, Lang lang);

}  // namespace aicq::report

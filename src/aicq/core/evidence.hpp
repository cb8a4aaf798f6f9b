// Evidence: the single meeting point of every producer (declaration, probes, telemetry, importers) and
// the only input of the assessment besides the profile (architecture: data flow).
//
// A record is a value with its unit, its kind (how it was obtained), where it came from, and — for power
// and energy — a measurement quality level Q0–Q3 (conventions: power and energy evidence).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"

namespace aicq::core {

/// How a value was obtained (methodology §1).
enum class EvidenceKind { measured, imported, declared, estimated };
std::string_view to_string(EvidenceKind k);
std::optional<EvidenceKind> evidence_kind_from(std::string_view s);

/// Measurement quality of power and energy values, modelled on the EEHPC/Green500 methodology:
/// Q0 estimated (a model); Q1 component sensors or one average; Q2 node-level metering over the whole run;
/// Q3 integrated energy counters or wall meters, whole run, every node. The weakest aspect decides.
enum class PowerQuality { q0, q1, q2, q3 };
std::string_view to_string(PowerQuality q);
std::optional<PowerQuality> power_quality_from(std::string_view s);

/// Where a value came from. Fields not known stay empty.
struct Source {
  Location at;               // file, line, column of a declaration or imported file
  std::string catalog;       // hardware catalog entry id, when the value comes from the catalog
  std::string reference;     // public reference behind the value (datasheet, publication)
  std::string method;        // how a derived or estimated value was computed
  std::string tool;          // producing tool and its version, for measured or imported values
  std::string tool_version;
  std::string time;          // ISO 8601 UTC time of the measurement
  std::string sha256;        // of an imported file
};

struct Evidence {
  std::string metric;   // stable id of what the value is, e.g. "facility.pue"
  Quantity quantity;    // value and dimension
  std::string text;     // the value as written by its producer, e.g. "10.2 kW"
  EvidenceKind kind = EvidenceKind::declared;
  Source source;
  std::optional<PowerQuality> quality;  // power and energy values only
  std::string note;
};

/// Evidence JSON: {"metric","value","unit","kind","source":{…},"quality"?,"text"?,"note"?}. The value is in
/// the canonical unit of its dimension (Quantity::canonical_unit), so readers need no unit table.
nlohmann::json to_json(const Evidence& e);
nlohmann::json to_json(const Source& s);

/// The record as it reads back from its JSON: the value in base units recomputed from the canonical value and
/// unit, so that an assessment computed from it and one recomputed from a result file agree to the bit.
Evidence normalised(const Evidence& e);

/// Version of the evidence JSON document written by `aicq validate --format json` and by importers.
inline constexpr std::string_view kEvidenceSchema = "aicq-evidence/1";

}  // namespace aicq::core

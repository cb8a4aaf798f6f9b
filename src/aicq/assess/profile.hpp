// The assessment profile: curves, weights, blends, grade bands, defaults and baseline (data/profiles/).
// Formulas are code (assess/indicators.cpp); every coefficient they use is here, as data.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aicq/data/embedded.hpp"
#include "aicq/method/method.hpp"

namespace aicq::assess {

struct CurveSpec {
  method::Curve curve;
  std::string unit;    // unit of the curve's x values, as written (e.g. "GFLOPS/W", "kgCO2e/kWh", "")
  std::string reason;  // why the anchors are where they are
};

/// How a set of weights was obtained, for the result's provenance.
struct WeightSet {
  std::vector<std::string> ids;  // in order
  std::vector<double> weights;   // normalised, same order
  std::string method;            // "fixed" or "ahp"
  std::optional<method::AhpResult> ahp;
  [[nodiscard]] double of(const std::string& id) const;
};

struct Profile {
  std::string id, version, description;
  std::string file;    // where it was read from
  std::string sha256;  // of the profile file's bytes
  std::string reference_precision = "fp32";
  method::RandomIndexTable random_index;

  std::vector<method::Band> bands;                         // highest first
  std::map<std::string, std::pair<std::string, std::string>> band_names;  // grade → (en, zh)
  method::FloorRule floor;

  WeightSet dimension_weights;
  std::map<std::string, WeightSet> indicator_weights;  // dimension id → weights of its indicators

  std::map<std::string, CurveSpec> curves;                        // by indicator id
  std::map<std::string, std::map<std::string, double>> blends;    // by indicator id, normalised
  std::map<std::string, double> reach_points;                     // internal / regional / national
  double level_points = 25;
  double compatibility_coverage_base = 0.5;
  double hhi_diversity_scale = 0.5;

  struct Defaults {
    double pue = 1.48;
    std::string pue_source;
    double grid_factor_kg_per_kwh = 0.5366;
    int grid_factor_year = 0;
    std::string grid_factor_source;
    double lifetime_s = 5 * 365 * 86400.0;
    double it_load_rate = 0.5;
    std::string it_load_rate_source;
    double platform_share = 0.6;
    std::string platform_share_source;
  } defaults;

  struct Baseline {
    double compute_efficiency_flops_per_w = 11.8e9;
    double it_load_rate = 0.5;
    double utilization = 0.3;
    double pue = 1.48;
    double grid_factor_kg_per_kwh = 0.5366;
  } baseline;

  struct Caps {
    std::vector<std::pair<double, int>> fault_recovery;  // (max seconds, level), loosest first
    std::vector<std::pair<double, int>> checkpointing;
    double bytes_per_parameter = 16;
  } caps;

  double max_efficiency = 1.05;

  /// Weight of an indicator in the whole assessment: dimension weight × its weight within the dimension.
  [[nodiscard]] double global_weight(const std::string& indicator) const;
  [[nodiscard]] const CurveSpec& curve(const std::string& indicator) const;
  [[nodiscard]] double blend(const std::string& indicator, const std::string& part) const;
};

/// Parse and validate a profile (every problem located; AHP matrices with CR ≥ 0.10 rejected naming the
/// matrix and its CR). `src` provides the random-index tables. Throws core::InputError.
Profile parse_profile(std::string_view text, const std::string& file, const data::DataSource& src);
/// The profile at `path`, or the embedded default when `path` is empty.
Profile load_profile(const std::string& path, const data::DataSource& src);

}  // namespace aicq::assess

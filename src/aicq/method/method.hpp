// Scoring and ranking methods (methodology §3): piecewise-linear curves, weights (fixed, AHP, entropy),
// weighted aggregation with renormalisation over what is present, grades, TOPSIS, bidirectional projection
// and a ranking sensitivity check. Pure functions on numbers; no I/O, no units.
//
// Errors: a malformed input (a curve whose anchors are not increasing, a matrix that is not square or not
// reciprocal, weights that do not match the criteria) throws MethodError with a message that says what was
// expected and what was found; callers that read files add the file location.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace aicq::method {

class MethodError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

using Matrix = std::vector<std::vector<double>>;  // row-major: rows are alternatives (or matrix rows)

// ---------------------------------------------------------------------------------------------------------
// Curves
struct Anchor {
  double x = 0;      // indicator value
  double score = 0;  // 0–100
};

enum class Direction { higher_better, lower_better };

/// A piecewise-linear curve value → score, linear between anchors and clamped outside them.
/// Anchors: at least two, x strictly increasing, scores in [0, 100] and monotone (non-decreasing for a
/// higher-is-better curve, non-increasing for a lower-is-better one; all equal is not allowed).
class Curve {
 public:
  Curve() = default;
  explicit Curve(std::vector<Anchor> anchors);  // throws MethodError
  [[nodiscard]] double operator()(double x) const;
  [[nodiscard]] Direction direction() const { return direction_; }
  [[nodiscard]] const std::vector<Anchor>& anchors() const { return anchors_; }
  /// The first anchor whose score is above score(x), i.e. the next step up; nullopt at the top.
  [[nodiscard]] std::optional<Anchor> next_anchor(double x) const;

 private:
  std::vector<Anchor> anchors_;
  Direction direction_ = Direction::higher_better;
};

// ---------------------------------------------------------------------------------------------------------
// Weights
/// Weights scaled to sum 1. Throws MethodError when any is negative or all are zero.
std::vector<double> normalise(const std::vector<double>& weights);

/// A random-index table for AHP consistency: RI by matrix order n.
struct RandomIndexTable {
  std::string id;               // e.g. "saaty" — named and versioned in the data file
  std::map<int, double> values;  // n → RI
  /// RI for order n; throws MethodError when the table has no entry for n.
  [[nodiscard]] double at(int n) const;
};

struct AhpResult {
  std::vector<double> weights;  // principal right eigenvector, normalised to sum 1
  double lambda_max = 0;        // principal eigenvalue
  double ci = 0;                // consistency index (λmax − n) / (n − 1); 0 for n ≤ 2
  double ri = 0;                // random index used
  double cr = 0;                // consistency ratio CI / RI; 0 when RI is 0 (n ≤ 2)
};

/// AHP from a positive reciprocal pairwise-comparison matrix (a_ij > 0, a_ji = 1 / a_ij within 1e-9 relative,
/// a_ii = 1). Principal eigenvector by power iteration to convergence (1e-12). The CR is computed for any
/// matrix; rejecting CR ≥ 0.10 is the caller's decision (the profile loader does it).
AhpResult ahp(const Matrix& pairwise, const RandomIndexTable& ri);

/// Entropy weights over alternatives (rows) × criteria (columns): p_ij = x_ij / Σ_i x_ij,
/// E_j = −(1/ln m) Σ_i p_ij ln p_ij (0 ln 0 := 0), d_j = 1 − E_j, w_j = d_j / Σ_k d_k.
/// Needs m ≥ 2 rows, non-negative values, and a column sum > 0 in every column. When every d_j is 0 (all
/// columns uniform) the weights are equal.
std::vector<double> entropy_weights(const Matrix& x);

// ---------------------------------------------------------------------------------------------------------
// Aggregation and grades
struct Aggregate {
  std::optional<double> score;  // weighted mean over the present items; nullopt when none is present
  double coverage = 0;          // Σ weights present / Σ all weights
};

/// Weighted arithmetic mean of the present scores with weights renormalised over what is present.
Aggregate weighted_mean(const std::vector<std::optional<double>>& scores, const std::vector<double>& weights);

struct Band {
  std::string grade;  // e.g. "L5"
  double min_score = 0;
};

/// The grade of a score: the first band (in the order given, highest first) whose min_score ≤ score; the last
/// band catches everything below. Bands must be given highest first.
std::string grade_for(double score, const std::vector<Band>& bands);

struct FloorRule {
  bool enabled = false;
  double min_dimension_score = 0;  // a dimension below this…
  std::string cap;                 // …caps the grade at this band
};

struct GradeOutcome {
  std::string grade;           // after the floor rule
  std::string uncapped_grade;  // from the overall score alone
  bool capped = false;
  std::vector<std::string> capped_by;  // ids of the dimensions under the floor
};

/// Grade of `overall`, then the floor rule over the present dimension scores (id → score).
GradeOutcome grade(double overall, const std::map<std::string, double>& dimension_scores, const std::vector<Band>& bands,
                   const FloorRule& floor);

// ---------------------------------------------------------------------------------------------------------
// Ranking several alternatives
struct TopsisResult {
  Matrix normalised;                // r_ij = x_ij / sqrt(Σ_i x_ij²)
  Matrix weighted;                  // v_ij = w_j r_ij (weights normalised to sum 1)
  std::vector<double> ideal;        // A+: best v per column (max for benefit, min for cost)
  std::vector<double> anti_ideal;   // A−: worst
  std::vector<double> d_plus, d_minus;  // Euclidean distances to A+ and A−
  std::vector<double> closeness;    // C_i = D−_i / (D+_i + D−_i); 1 when D+ = D− = 0 (all alternatives equal)
  std::vector<int> rank;            // 1 = best; ties share the lower rank number, order by index
};

/// TOPSIS with vector normalisation (Hwang & Yoon 1981). `benefit[j]` is true for a benefit criterion,
/// false for a cost criterion. A column of zeros normalises to zeros.
TopsisResult topsis(const Matrix& x, const std::vector<double>& weights, const std::vector<bool>& benefit);

/// Bidirectional projection of a onto b (Ye 2017): BProj(a, b) = 1 / (1 + |a·b/|b| − a·b/|a||); 1 when a and
/// b are equal (and, by the formula, whenever |a| = |b| or a·b = 0). Throws MethodError for a zero vector.
double bidirectional_projection(const std::vector<double>& a, const std::vector<double>& b);

struct ProjectionRanking {
  std::vector<double> values;  // BProj(v_i, A+) per alternative, on TOPSIS's weighted matrix
  std::vector<int> rank;       // 1 = closest to the ideal
};

/// Ranks alternatives by the bidirectional projection of each weighted normalised row onto A+.
ProjectionRanking projection_ranking(const TopsisResult& t);

struct SensitivityCase {
  std::size_t criterion = 0;
  double factor = 1;             // 0.8 or 1.2
  std::vector<double> weights;   // after renormalisation
  std::vector<int> rank;         // TOPSIS ranking with these weights
  bool changed = false;          // differs from the base ranking
};

struct Sensitivity {
  std::vector<int> base_rank;
  std::vector<SensitivityCase> cases;  // every criterion × {0.8, 1.2}
  [[nodiscard]] bool stable() const;   // no case changed the ranking
};

/// Does the TOPSIS ranking change when any one weight moves by ±20%, the others renormalised?
Sensitivity sensitivity(const Matrix& x, const std::vector<double>& weights, const std::vector<bool>& benefit);

}  // namespace aicq::method

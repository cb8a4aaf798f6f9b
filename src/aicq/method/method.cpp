#include "aicq/method/method.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <numeric>
#include <string>
#include <utility>

namespace aicq::method {

namespace {

// Shortest text that reads back as the same double, so messages show "11.8" rather than "11.800000".
std::string num(double v) {
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc{}) return "?";
  return {buf.data(), end};
}

[[noreturn]] void fail(const std::string& message) { throw MethodError(message); }

void require_finite(double v, const std::string& what) {
  if (!std::isfinite(v)) fail("expected a finite " + what + ", found " + num(v));
}

// Competition ranking ("1224"): an alternative's rank is one more than the number of alternatives that are
// better by more than rounding noise, so mathematically equal values share the better rank even when the
// floating-point results differ in the last bits.
std::vector<int> rank_descending(const std::vector<double>& values) {
  constexpr double tie = 1e-12;
  std::vector<int> rank(values.size(), 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (const double other : values) {
      if (other > values[i] + tie) ++rank[i];
    }
  }
  return rank;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

double norm(const std::vector<double>& a) { return std::sqrt(dot(a, a)); }

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t j = 0; j < a.size(); ++j) sum += (a[j] - b[j]) * (a[j] - b[j]);
  return std::sqrt(sum);
}

// Rows × columns with every row the same length; returns the number of columns.
std::size_t check_rectangular(const Matrix& x, const std::string& what) {
  if (x.empty()) fail("expected a " + what + " with at least one row, found none");
  const std::size_t cols = x.front().size();
  if (cols == 0) fail("expected a " + what + " with at least one column, found none");
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].size() != cols) {
      fail("expected every row of the " + what + " to have " + std::to_string(cols) + " entries, found " +
           std::to_string(x[i].size()) + " in row " + std::to_string(i + 1));
    }
    for (std::size_t j = 0; j < cols; ++j) {
      require_finite(x[i][j], "value in row " + std::to_string(i + 1) + ", column " + std::to_string(j + 1));
    }
  }
  return cols;
}

std::string cell(std::size_t i, std::size_t j) {
  return "row " + std::to_string(i + 1) + ", column " + std::to_string(j + 1);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Curves

Curve::Curve(std::vector<Anchor> anchors) : anchors_(std::move(anchors)) {
  if (anchors_.size() < 2) {
    fail("expected a curve with at least 2 anchors, found " + std::to_string(anchors_.size()));
  }
  for (std::size_t i = 0; i < anchors_.size(); ++i) {
    const Anchor& a = anchors_[i];
    require_finite(a.x, "anchor value");
    require_finite(a.score, "anchor score");
    if (a.score < 0 || a.score > 100) {
      fail("expected anchor scores within [0, 100], found " + num(a.score) + " at " + num(a.x));
    }
    if (i > 0 && !(a.x > anchors_[i - 1].x)) {
      fail("expected anchors with increasing values, found " + num(a.x) + " after " + num(anchors_[i - 1].x));
    }
  }
  // The first change of score fixes the direction; every later step must not go against it.
  bool rising = false;
  bool falling = false;
  for (std::size_t i = 1; i < anchors_.size(); ++i) {
    const Anchor& prev = anchors_[i - 1];
    const Anchor& cur = anchors_[i];
    if (cur.score > prev.score) {
      if (falling) {
        fail("expected scores that only fall along a lower-is-better curve, found " + num(cur.score) + " at " +
             num(cur.x) + " after " + num(prev.score) + " at " + num(prev.x));
      }
      rising = true;
    } else if (cur.score < prev.score) {
      if (rising) {
        fail("expected scores that only rise along a higher-is-better curve, found " + num(cur.score) + " at " +
             num(cur.x) + " after " + num(prev.score) + " at " + num(prev.x));
      }
      falling = true;
    }
  }
  if (!rising && !falling) {
    fail("expected anchor scores that change along the curve, found all equal to " + num(anchors_.front().score));
  }
  direction_ = rising ? Direction::higher_better : Direction::lower_better;
}

double Curve::operator()(double x) const {
  if (anchors_.empty()) fail("expected a curve with anchors, found an empty curve");
  if (std::isnan(x)) fail("expected a number to score, found NaN");
  if (x <= anchors_.front().x) return anchors_.front().score;
  if (x >= anchors_.back().x) return anchors_.back().score;
  const auto hi = std::upper_bound(anchors_.begin(), anchors_.end(), x,
                                   [](double value, const Anchor& a) { return value < a.x; });
  const auto lo = std::prev(hi);
  const double t = (x - lo->x) / (hi->x - lo->x);
  return lo->score + t * (hi->score - lo->score);
}

std::optional<Anchor> Curve::next_anchor(double x) const {
  const double current = (*this)(x);
  // Monotone scores make the anchors above `current` a contiguous run at the improving end, so the first one
  // met walking towards improvement is the nearest step up.
  if (direction_ == Direction::higher_better) {
    for (const Anchor& a : anchors_) {
      if (a.score > current) return a;
    }
  } else {
    for (auto it = anchors_.rbegin(); it != anchors_.rend(); ++it) {
      if (it->score > current) return *it;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------
// Weights

std::vector<double> normalise(const std::vector<double>& weights) {
  if (weights.empty()) fail("expected at least one weight, found none");
  double sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    require_finite(weights[i], "weight");
    if (weights[i] < 0) fail("expected non-negative weights, found " + num(weights[i]) + " at position " +
                             std::to_string(i + 1));
    sum += weights[i];
  }
  if (!(sum > 0)) fail("expected at least one positive weight, found all zero");
  std::vector<double> out(weights.size());
  std::transform(weights.begin(), weights.end(), out.begin(), [sum](double w) { return w / sum; });
  return out;
}

double RandomIndexTable::at(int n) const {
  const auto it = values.find(n);
  if (it == values.end()) {
    fail("expected random-index table '" + id + "' to have an entry for n = " + std::to_string(n) + ", found none");
  }
  return it->second;
}

AhpResult ahp(const Matrix& pairwise, const RandomIndexTable& ri) {
  const std::size_t n = pairwise.size();
  if (n == 0) fail("expected a pairwise-comparison matrix with at least one row, found none");
  for (std::size_t i = 0; i < n; ++i) {
    if (pairwise[i].size() != n) {
      fail("expected a square pairwise-comparison matrix (" + std::to_string(n) + " entries per row), found " +
           std::to_string(pairwise[i].size()) + " in row " + std::to_string(i + 1));
    }
  }
  constexpr double reciprocal_tolerance = 1e-9;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double a = pairwise[i][j];
      if (!std::isfinite(a) || !(a > 0)) fail("expected positive comparisons, found " + num(a) + " at " + cell(i, j));
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (std::abs(pairwise[i][i] - 1) > reciprocal_tolerance) {
      fail("expected 1 on the diagonal, found " + num(pairwise[i][i]) + " at " + cell(i, i));
    }
    for (std::size_t j = i + 1; j < n; ++j) {
      // a_ji = 1/a_ij within a relative tolerance is |a_ij·a_ji − 1| ≤ tol, which is symmetric in i and j.
      if (std::abs(pairwise[i][j] * pairwise[j][i] - 1) > reciprocal_tolerance) {
        fail("expected a reciprocal matrix (" + cell(j, i) + " = 1/" + num(pairwise[i][j]) + "), found " +
             num(pairwise[j][i]));
      }
    }
  }

  // Power iteration: a positive matrix has a simple dominant (Perron) eigenvalue with a positive eigenvector
  // (Perron–Frobenius), so iterating from a positive start converges to it.
  constexpr double tolerance = 1e-12;
  constexpr int max_iterations = 100000;
  std::vector<double> w(n, 1.0 / static_cast<double>(n));
  std::vector<double> next(n);
  double change = 0;
  bool converged = false;
  for (int iter = 0; iter < max_iterations && !converged; ++iter) {
    for (std::size_t i = 0; i < n; ++i) next[i] = dot(pairwise[i], w);
    const double sum = std::accumulate(next.begin(), next.end(), 0.0);
    change = 0;
    for (std::size_t i = 0; i < n; ++i) {
      next[i] /= sum;
      change = std::max(change, std::abs(next[i] - w[i]));
    }
    std::swap(w, next);
    converged = change <= tolerance;
  }
  if (!converged) {
    fail("expected the principal eigenvector to converge to " + num(tolerance) + " within " +
         std::to_string(max_iterations) + " iterations, found a last change of " + num(change));
  }

  AhpResult r;
  r.weights = w;
  double ratio_sum = 0;
  for (std::size_t i = 0; i < n; ++i) ratio_sum += dot(pairwise[i], w) / w[i];
  r.lambda_max = ratio_sum / static_cast<double>(n);
  const int order = static_cast<int>(n);
  if (n > 2) {
    r.ci = (r.lambda_max - static_cast<double>(n)) / static_cast<double>(n - 1);
    r.ri = ri.at(order);
  } else {
    // Orders 1 and 2 are consistent by construction; published RI tables often start at n = 3, so a missing
    // entry is not an error here.
    r.ci = 0;
    const auto it = ri.values.find(order);
    r.ri = it == ri.values.end() ? 0 : it->second;
  }
  r.cr = r.ri > 0 ? r.ci / r.ri : 0;
  return r;
}

std::vector<double> entropy_weights(const Matrix& x) {
  const std::size_t n = check_rectangular(x, "decision matrix");
  const std::size_t m = x.size();
  if (m < 2) fail("expected at least 2 alternatives for entropy weights, found " + std::to_string(m));
  const double k = 1.0 / std::log(static_cast<double>(m));
  std::vector<double> d(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    double sum = 0;
    bool uniform = true;
    for (std::size_t i = 0; i < m; ++i) {
      if (x[i][j] < 0) fail("expected non-negative values for entropy weights, found " + num(x[i][j]) + " at " +
                            cell(i, j));
      sum += x[i][j];
      uniform = uniform && x[i][j] == x[0][j];
    }
    if (!(sum > 0)) fail("expected a positive sum in every column, found 0 in column " + std::to_string(j + 1));
    // A uniform column carries no information (E = 1 exactly); computing it would leave rounding noise in d_j,
    // which would decide the weights when every column is uniform.
    if (uniform) continue;
    double h = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const double p = x[i][j] / sum;
      if (p > 0) h -= p * std::log(p);
    }
    d[j] = std::max(0.0, 1.0 - k * h);
  }
  const double total = std::accumulate(d.begin(), d.end(), 0.0);
  if (!(total > 0)) return std::vector<double>(n, 1.0 / static_cast<double>(n));
  for (double& v : d) v /= total;
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// Aggregation and grades

Aggregate weighted_mean(const std::vector<std::optional<double>>& scores, const std::vector<double>& weights) {
  if (scores.size() != weights.size()) {
    fail("expected one weight per score (" + std::to_string(scores.size()) + "), found " +
         std::to_string(weights.size()));
  }
  double all = 0;
  double present = 0;
  double weighted_sum = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    require_finite(weights[i], "weight");
    if (weights[i] < 0) fail("expected non-negative weights, found " + num(weights[i]) + " at position " +
                             std::to_string(i + 1));
    all += weights[i];
    if (scores[i]) {
      require_finite(*scores[i], "score");
      present += weights[i];
      weighted_sum += weights[i] * *scores[i];
    }
  }
  Aggregate out;
  // With no weight at all nothing counts as covered; this avoids 0/0.
  out.coverage = all > 0 ? present / all : 0;
  if (present > 0) out.score = weighted_sum / present;
  return out;
}

std::string grade_for(double score, const std::vector<Band>& bands) {
  if (bands.empty()) fail("expected at least one grade band, found none");
  if (std::isnan(score)) fail("expected a score to grade, found NaN");
  for (std::size_t i = 1; i < bands.size(); ++i) {
    if (!(bands[i].min_score < bands[i - 1].min_score)) {
      fail("expected grade bands highest first, found " + bands[i].grade + " (" + num(bands[i].min_score) +
           ") after " + bands[i - 1].grade + " (" + num(bands[i - 1].min_score) + ")");
    }
  }
  for (const Band& b : bands) {
    if (b.min_score <= score) return b.grade;
  }
  return bands.back().grade;
}

GradeOutcome grade(double overall, const std::map<std::string, double>& dimension_scores,
                   const std::vector<Band>& bands, const FloorRule& floor) {
  GradeOutcome out;
  out.uncapped_grade = grade_for(overall, bands);
  out.grade = out.uncapped_grade;
  if (!floor.enabled) return out;

  const auto position = [&bands](const std::string& g) {
    const auto it = std::find_if(bands.begin(), bands.end(), [&g](const Band& b) { return b.grade == g; });
    return static_cast<std::size_t>(it - bands.begin());
  };
  const std::size_t cap = position(floor.cap);
  if (cap == bands.size()) fail("expected the floor cap to name a grade band, found '" + floor.cap + "'");

  for (const auto& [id, score] : dimension_scores) {
    require_finite(score, "score for dimension '" + id + "'");
    if (score < floor.min_dimension_score) out.capped_by.push_back(id);
  }
  // Bands are highest first, so the lower of two grades is the one further down the list.
  if (!out.capped_by.empty() && cap > position(out.uncapped_grade)) {
    out.grade = bands[cap].grade;
    out.capped = true;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Ranking

TopsisResult topsis(const Matrix& x, const std::vector<double>& weights, const std::vector<bool>& benefit) {
  const std::size_t n = check_rectangular(x, "decision matrix");
  const std::size_t m = x.size();
  if (weights.size() != n) {
    fail("expected one weight per criterion (" + std::to_string(n) + "), found " + std::to_string(weights.size()));
  }
  if (benefit.size() != n) {
    fail("expected one benefit/cost flag per criterion (" + std::to_string(n) + "), found " +
         std::to_string(benefit.size()));
  }
  const std::vector<double> w = normalise(weights);

  TopsisResult t;
  t.normalised.assign(m, std::vector<double>(n, 0.0));
  t.weighted.assign(m, std::vector<double>(n, 0.0));
  t.ideal.resize(n);
  t.anti_ideal.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    double sq = 0;
    for (std::size_t i = 0; i < m; ++i) sq += x[i][j] * x[i][j];
    const double len = std::sqrt(sq);
    double lo = 0;
    double hi = 0;
    for (std::size_t i = 0; i < m; ++i) {
      t.normalised[i][j] = len > 0 ? x[i][j] / len : 0;
      t.weighted[i][j] = w[j] * t.normalised[i][j];
      lo = i == 0 ? t.weighted[i][j] : std::min(lo, t.weighted[i][j]);
      hi = i == 0 ? t.weighted[i][j] : std::max(hi, t.weighted[i][j]);
    }
    t.ideal[j] = benefit[j] ? hi : lo;
    t.anti_ideal[j] = benefit[j] ? lo : hi;
  }
  t.d_plus.resize(m);
  t.d_minus.resize(m);
  t.closeness.resize(m);
  for (std::size_t i = 0; i < m; ++i) {
    t.d_plus[i] = distance(t.weighted[i], t.ideal);
    t.d_minus[i] = distance(t.weighted[i], t.anti_ideal);
    const double both = t.d_plus[i] + t.d_minus[i];
    // Both distances are 0 only when every alternative is identical on every weighted criterion: the
    // alternative then is the ideal, so it gets the ideal's closeness.
    t.closeness[i] = both > 0 ? t.d_minus[i] / both : 1.0;
  }
  t.rank = rank_descending(t.closeness);
  return t;
}

double bidirectional_projection(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    fail("expected vectors of the same length for the bidirectional projection, found " + std::to_string(a.size()) +
         " and " + std::to_string(b.size()));
  }
  for (const double v : a) require_finite(v, "vector component");
  for (const double v : b) require_finite(v, "vector component");
  const double na = norm(a);
  const double nb = norm(b);
  if (!(na > 0) || !(nb > 0)) fail("expected non-zero vectors for the bidirectional projection, found a zero vector");
  const double ab = dot(a, b);
  // The first form of the definition: the absolute value keeps it in (0, 1] even when a·b < 0, where the
  // expanded form |a||b| / (|a||b| + ||a|−|b|| a·b) can divide by zero or turn negative.
  return 1.0 / (1.0 + std::abs(ab / nb - ab / na));
}

ProjectionRanking projection_ranking(const TopsisResult& t) {
  ProjectionRanking out;
  out.values.reserve(t.weighted.size());
  for (std::size_t i = 0; i < t.weighted.size(); ++i) {
    try {
      out.values.push_back(bidirectional_projection(t.weighted[i], t.ideal));
    } catch (const MethodError& e) {
      fail("alternative " + std::to_string(i + 1) + ": " + e.what());
    }
  }
  out.rank = rank_descending(out.values);
  return out;
}

bool Sensitivity::stable() const {
  return std::none_of(cases.begin(), cases.end(), [](const SensitivityCase& c) { return c.changed; });
}

Sensitivity sensitivity(const Matrix& x, const std::vector<double>& weights, const std::vector<bool>& benefit) {
  Sensitivity s;
  s.base_rank = topsis(x, weights, benefit).rank;  // validates x, weights and benefit
  const std::vector<double> base = normalise(weights);
  for (std::size_t j = 0; j < base.size(); ++j) {
    for (const double factor : {0.8, 1.2}) {
      std::vector<double> moved = base;
      moved[j] *= factor;
      SensitivityCase c;
      c.criterion = j;
      c.factor = factor;
      // Normalising the moved vector renormalises the others so that all weights again sum to 1.
      c.weights = normalise(moved);
      c.rank = topsis(x, c.weights, benefit).rank;
      c.changed = c.rank != s.base_rank;
      s.cases.push_back(std::move(c));
    }
  }
  return s;
}

}  // namespace aicq::method

// Scoring and ranking methods: published worked examples (tests/data/worked/*.json, each reproduced to the
// digits and tolerance stated in its file, with the citation at each test) and hand-computed cases with the
// arithmetic in the comments.
#include "aicq/method/method.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace aicq::method;
using nlohmann::json;

namespace {

json load(const std::string& name) {
  const std::string path = std::string(AICQ_WORKED_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return json::parse(in);
}

Matrix matrix(const json& j) { return j.get<Matrix>(); }
std::vector<double> vec(const json& j) { return j.get<std::vector<double>>(); }

std::vector<bool> benefit_flags(const json& types) {
  std::vector<bool> out;
  for (const auto& t : types) out.push_back(t.get<std::string>() == "benefit");
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const MethodError& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void expect_all_near(const std::vector<double>& actual, const std::vector<double>& expected, double tol,
                     const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], tol) << what << "[" << i << "]";
}

// Saaty (1980) random indices, the table most texts print (n = 3 … 10).
RandomIndexTable saaty1980() {
  return {"saaty_1980", {{3, 0.58}, {4, 0.90}, {5, 1.12}, {6, 1.24}, {7, 1.32}, {8, 1.41}, {9, 1.45}, {10, 1.49}}};
}

const std::vector<Band> kBands = {{"L5", 90}, {"L4", 80}, {"L3", 70}, {"L2", 60}, {"L1", 0}};

Curve higher_curve() { return Curve({{0, 0}, {5, 30}, {11.8, 60}, {25, 75}, {50, 90}, {100, 100}}); }
Curve lower_curve() { return Curve({{0.10, 100}, {0.40, 80}, {0.79, 60}, {1.0, 30}, {1.5, 0}}); }

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Curves (hand-computed)

TEST(MethodCurve, LinearBetweenAnchors) {
  const Curve c = higher_curve();
  EXPECT_EQ(c.direction(), Direction::higher_better);
  EXPECT_NEAR(c(8.4), 45.0, 1e-12);   // 30 + (8.4 − 5)/(11.8 − 5)·(60 − 30) = 30 + 3.4/6.8·30 = 45
  EXPECT_NEAR(c(37.5), 82.5, 1e-12);  // 75 + (37.5 − 25)/(50 − 25)·(90 − 75) = 75 + 0.5·15 = 82.5
  EXPECT_DOUBLE_EQ(c(5), 30.0);       // on an anchor
  EXPECT_DOUBLE_EQ(c(0), 0.0);
  EXPECT_DOUBLE_EQ(c(100), 100.0);
}

TEST(MethodCurve, ClampedOutsideAnchors) {
  const Curve c = higher_curve();
  EXPECT_DOUBLE_EQ(c(-3), 0.0);     // below the first anchor: its score
  EXPECT_DOUBLE_EQ(c(150), 100.0);  // above the last: its score
  EXPECT_DOUBLE_EQ(c(-INFINITY), 0.0);
  EXPECT_DOUBLE_EQ(c(INFINITY), 100.0);
}

TEST(MethodCurve, LowerIsBetter) {
  // "1.0 → 30, 0.79 → 60 …" written with x increasing.
  const Curve c = lower_curve();
  EXPECT_EQ(c.direction(), Direction::lower_better);
  EXPECT_NEAR(c(0.9), 310.0 / 7.0, 1e-9);  // 60 + (0.9 − 0.79)/(1.0 − 0.79)·(30 − 60) = 60 − 0.11/0.21·30 = 44.2857
  EXPECT_NEAR(c(1.25), 15.0, 1e-12);       // 30 + (1.25 − 1.0)/(1.5 − 1.0)·(0 − 30) = 30 − 15 = 15
  EXPECT_DOUBLE_EQ(c(0.05), 100.0);        // clamped at the best end
  EXPECT_DOUBLE_EQ(c(2.0), 0.0);           // clamped at the worst end
}

TEST(MethodCurve, NextAnchorHigherIsBetter) {
  const Curve c = higher_curve();
  ASSERT_TRUE(c.next_anchor(8.4));  // score 45 → next step up is 11.8 → 60
  EXPECT_DOUBLE_EQ(c.next_anchor(8.4)->x, 11.8);
  EXPECT_DOUBLE_EQ(c.next_anchor(8.4)->score, 60.0);
  EXPECT_DOUBLE_EQ(c.next_anchor(11.8)->x, 25.0);  // exactly on 60: the next is the one strictly above, 75
  EXPECT_DOUBLE_EQ(c.next_anchor(-3)->x, 5.0);     // score 0 (clamped); 0 → 0 is not above, 5 → 30 is
  EXPECT_FALSE(c.next_anchor(100));                // at the top
  EXPECT_FALSE(c.next_anchor(150));
}

TEST(MethodCurve, NextAnchorLowerIsBetter) {
  const Curve c = lower_curve();
  EXPECT_DOUBLE_EQ(c.next_anchor(0.9)->x, 0.79);  // score 44.29; improving means a smaller value: 0.79 → 60
  EXPECT_DOUBLE_EQ(c.next_anchor(1.0)->x, 0.79);  // score 30 → 60
  EXPECT_DOUBLE_EQ(c.next_anchor(2.0)->x, 1.0);   // score 0 → 30
  EXPECT_DOUBLE_EQ(c.next_anchor(0.4)->x, 0.10);  // score 80 → 100
  EXPECT_FALSE(c.next_anchor(0.10));              // at the top
}

TEST(MethodCurve, NextAnchorSkipsPlateau) {
  const Curve c({{0, 0}, {10, 50}, {20, 50}, {30, 100}});
  // score(15) = 50; the anchor at 20 has score 50, not strictly above, so the next step is 30 → 100.
  EXPECT_DOUBLE_EQ(c.next_anchor(15)->x, 30.0);
  EXPECT_DOUBLE_EQ(c.next_anchor(5)->x, 10.0);  // score 25 → 50
}

TEST(MethodCurve, InvalidCurvesRejected) {
  const auto curve_error = [](std::vector<Anchor> a) { return error_of([&] { static_cast<void>(Curve(a)); }); };
  EXPECT_TRUE(contains(curve_error({{0, 0}}), "at least 2 anchors, found 1"));
  EXPECT_TRUE(contains(curve_error({}), "at least 2 anchors, found 0"));
  EXPECT_EQ(curve_error({{0, 0}, {11.8, 60}, {5, 30}}), "expected anchors with increasing values, found 5 after 11.8");
  EXPECT_TRUE(contains(curve_error({{0, 0}, {5, 30}, {5, 60}}), "increasing values, found 5 after 5"));
  EXPECT_TRUE(contains(curve_error({{0, 0}, {5, 120}}), "within [0, 100], found 120"));
  EXPECT_TRUE(contains(curve_error({{0, -1}, {5, 20}}), "within [0, 100], found -1"));
  EXPECT_TRUE(contains(curve_error({{0, 0}, {5, 30}, {10, 20}}), "only rise"));    // up, then down
  EXPECT_TRUE(contains(curve_error({{0, 90}, {5, 30}, {10, 40}}), "only fall"));   // down, then up
  EXPECT_TRUE(contains(curve_error({{0, 50}, {10, 50}}), "all equal to 50"));
  EXPECT_TRUE(contains(curve_error({{0, 0}, {NAN, 50}}), "finite"));
  EXPECT_TRUE(contains(error_of([] { static_cast<void>(Curve()(1.0)); }), "empty curve"));
}

// ---------------------------------------------------------------------------------------------------------
// Weights (hand-computed)

TEST(MethodWeights, Normalise) {
  const auto w = normalise({1, 1, 2});  // sum 4 → 1/4, 1/4, 2/4
  expect_all_near(w, {0.25, 0.25, 0.5}, 1e-15, "w");
  EXPECT_TRUE(contains(error_of([] { normalise({1, -1}); }), "non-negative"));
  EXPECT_TRUE(contains(error_of([] { normalise({0, 0}); }), "all zero"));
  EXPECT_TRUE(contains(error_of([] { normalise({}); }), "at least one weight"));
}

TEST(MethodWeights, RandomIndexTable) {
  const RandomIndexTable t = saaty1980();
  EXPECT_DOUBLE_EQ(t.at(3), 0.58);
  EXPECT_TRUE(contains(error_of([&] { static_cast<void>(t.at(11)); }), "'saaty_1980'"));
}

TEST(MethodAhp, TwoByTwo) {
  // [[1, 3], [1/3, 1]]: w = (3/4, 1/4), since A·w = (3/4 + 3/4, 1/4 + 1/4) = (1.5, 0.5) = 2·w → λmax = 2 = n.
  // For n ≤ 2 CI = 0 and RI = 0 (not in the table), so CR = 0.
  const AhpResult r = ahp({{1, 3}, {1.0 / 3, 1}}, saaty1980());
  expect_all_near(r.weights, {0.75, 0.25}, 1e-12, "w");
  EXPECT_NEAR(r.lambda_max, 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.ci, 0.0);
  EXPECT_DOUBLE_EQ(r.ri, 0.0);
  EXPECT_DOUBLE_EQ(r.cr, 0.0);
}

TEST(MethodAhp, OneByOne) {
  const AhpResult r = ahp({{1}}, saaty1980());
  expect_all_near(r.weights, {1.0}, 0, "w");
  EXPECT_DOUBLE_EQ(r.cr, 0.0);
}

TEST(MethodAhp, PerfectlyConsistentThreeByThree) {
  // a_ij = w_i / w_j with w = (0.5, 0.3, 0.2): rank one, so A·w = 3·w, λmax = 3, CI = (3 − 3)/2 = 0, CR = 0/0.58.
  const Matrix a = {{1, 5.0 / 3, 5.0 / 2}, {3.0 / 5, 1, 3.0 / 2}, {2.0 / 5, 2.0 / 3, 1}};
  const AhpResult r = ahp(a, saaty1980());
  expect_all_near(r.weights, {0.5, 0.3, 0.2}, 1e-12, "w");
  EXPECT_NEAR(r.lambda_max, 3.0, 1e-12);
  EXPECT_NEAR(r.ci, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.ri, 0.58);
  EXPECT_NEAR(r.cr, 0.0, 1e-12);
}

TEST(MethodAhp, MalformedMatricesRejected) {
  const RandomIndexTable ri = saaty1980();
  // 1/3 ≠ 0.5: a_12·a_21 = 1.5, not 1.
  EXPECT_TRUE(contains(error_of([&] { ahp({{1, 3}, {0.5, 1}}, ri); }), "reciprocal"));
  EXPECT_TRUE(contains(error_of([&] { ahp({{1, 3}, {1.0 / 3}}, ri); }), "square"));
  EXPECT_TRUE(contains(error_of([&] { ahp({}, ri); }), "at least one row"));
  EXPECT_TRUE(contains(error_of([&] { ahp({{1, 0}, {0, 1}}, ri); }), "positive comparisons, found 0"));
  EXPECT_TRUE(contains(error_of([&] { ahp({{1, -2}, {-0.5, 1}}, ri); }), "positive comparisons, found -2"));
  EXPECT_TRUE(contains(error_of([&] { ahp({{2, 1}, {1, 1}}, ri); }), "diagonal"));
  // A reciprocal 3×3 needs RI(3); a table without it is an error, not a silent CR of 0.
  const RandomIndexTable empty{"empty", {}};
  EXPECT_TRUE(contains(error_of([&] { ahp({{1, 2, 4}, {0.5, 1, 2}, {0.25, 0.5, 1}}, empty); }), "n = 3"));
}

// Saaty, T. L. (2008). Decision making with the analytic hierarchy process. International Journal of Services
// Sciences, 1(1), 83-98. doi:10.1504/IJSSCI.2008.017590 (relative consumption of drinks in the United States);
// machine-readable copy PhilipGriffith/AHPy@d818996 tests/test_ahp.py (MIT). RI tables: Saaty (2005), Theory and
// Applications of the Analytic Network Process, p. 31 (n = 7 → 1.35); Donegan & Dodd (1991), Math. Comput.
// Modelling 15(10), 135-137 (n = 7 → 1.2519), both as coded in AHPy.
TEST(MethodAhp, WorkedSaaty2008Drinks) {
  const json j = load("ahp_1.json");
  const RandomIndexTable saaty2005{"saaty_2005",
                                   {{3, 0.52}, {4, 0.89}, {5, 1.11}, {6, 1.25}, {7, 1.35}, {8, 1.40}, {9, 1.45},
                                    {10, 1.49}, {11, 1.52}, {12, 1.54}, {13, 1.56}, {14, 1.58}, {15, 1.59}}};
  const RandomIndexTable donegan_dodd{"donegan_dodd_1991", {{7, 1.2519}}};
  const Matrix a = matrix(j["input"]["pairwise_matrix"]);
  const json& ex = j["expected"];
  const json& tol = j["tolerance"];

  const AhpResult r = ahp(a, saaty2005);
  expect_all_near(r.weights, vec(ex["weights_3dp_saaty2008_and_ahpy"]), tol["weights_3dp_saaty2008_and_ahpy"], "3dp");
  expect_all_near(r.weights, vec(ex["weights_4dp_ahpy"]), tol["weights_4dp_ahpy"], "4dp");
  EXPECT_DOUBLE_EQ(r.ri, 1.35);
  EXPECT_NEAR(r.cr, ex["consistency_ratio_RI_saaty2005_1.35"].get<double>(),
              tol["consistency_ratio_RI_saaty2005_1.35"].get<double>());

  const AhpResult dd = ahp(a, donegan_dodd);
  EXPECT_NEAR(dd.cr, ex["consistency_ratio_RI_donegan_dodd_1.2519"].get<double>(),
              tol["consistency_ratio_RI_donegan_dodd_1.2519"].get<double>());

  // Ranking by weight, as printed in the source.
  const auto labels = j["input"]["labels"].get<std::vector<std::string>>();
  const auto order = ex["ranking_by_weight"].get<std::vector<std::string>>();
  for (std::size_t k = 0; k + 1 < order.size(); ++k) {
    const auto idx = [&](const std::string& l) {
      return static_cast<std::size_t>(std::find(labels.begin(), labels.end(), l) - labels.begin());
    };
    EXPECT_GT(r.weights[idx(order[k])], r.weights[idx(order[k + 1])]) << order[k] << " vs " << order[k + 1];
  }
  // Derived (numpy) values, not in the source, to 10 printed digits.
  const json& der = j["derived_not_in_source"];
  EXPECT_NEAR(r.lambda_max, der["lambda_max"].get<double>(), 1e-9);
  EXPECT_NEAR(r.ci, der["CI"].get<double>(), 1e-9);
  expect_all_near(r.weights, vec(der["weights_full"]), 1e-9, "full");
}

// Wang, Y.-M., & Chin, K.-S. (2011). A linear programming approximation to the eigenvector method in the
// analytic hierarchy process. Information Sciences, 181(23), 5240-5248; machine-readable copy
// kotbaton/pymcdm@76e7735 test/test_weights.py (TestAHPWeights, MIT). The source prints weights only; the CR
// below is the file's own derivation with Saaty's (1980) RI(6) = 1.24.
TEST(MethodAhp, WorkedWangChin2011InconsistentMatrix) {
  const json j = load("ahp_2.json");
  // CR ≈ 0.23 > 0.1: the method reports it and does not reject (that is the profile loader's decision).
  const AhpResult r = ahp(matrix(j["input"]["pairwise_matrix"]), saaty1980());
  expect_all_near(r.weights, vec(j["expected"]["weights_4dp"]), j["tolerance"]["weights_4dp"], "4dp");
  const json& der = j["derived_not_in_source"];
  EXPECT_NEAR(r.lambda_max, der["lambda_max"].get<double>(), 1e-9);
  EXPECT_NEAR(r.cr, der["CR_RI_saaty1980_1.24"].get<double>(), 1e-9);
  EXPECT_GT(r.cr, 0.1);
}

// ---------------------------------------------------------------------------------------------------------
// Entropy weights

TEST(MethodEntropy, HandComputed) {
  // Column 1 (1, 3): p = (1/4, 3/4), E = −(1/ln 2)(¼ ln ¼ + ¾ ln ¾) = 0.811278, d = 0.188722.
  // Column 2 (2, 2): uniform, E = 1, d = 0. So w = (1, 0).
  expect_all_near(entropy_weights({{1, 2}, {3, 2}}), {1.0, 0.0}, 1e-15, "w");
  // Every column uniform: every d_j = 0 → equal weights.
  expect_all_near(entropy_weights({{5, 1, 7}, {5, 1, 7}}), {1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-15, "uniform");
  // A zero cell: column (0, 4) has p = (0, 1), 0 ln 0 := 0, so E = 0, d = 1; column (1, 3) as above.
  // w = (1, 0.188722) / 1.188722 = (0.841237, 0.158763).
  const double d2 = 1 - (-(0.25 * std::log(0.25) + 0.75 * std::log(0.75)) / std::log(2.0));
  expect_all_near(entropy_weights({{0, 1}, {4, 3}}), {1 / (1 + d2), d2 / (1 + d2)}, 1e-15, "zero cell");
  EXPECT_NEAR(d2, 0.188722, 1e-6);
}

TEST(MethodEntropy, MalformedRejected) {
  EXPECT_TRUE(contains(error_of([] { entropy_weights({{1, 2}}); }), "at least 2 alternatives"));
  EXPECT_TRUE(contains(error_of([] { entropy_weights({{1, -2}, {1, 2}}); }), "non-negative"));
  EXPECT_TRUE(contains(error_of([] { entropy_weights({{0, 2}, {0, 2}}); }), "column 1"));
  EXPECT_TRUE(contains(error_of([] { entropy_weights({{1, 2}, {1}}); }), "row 2"));
}

// Elsayed, E. A., Dawood, A. S., & Karthikeyan, R. (2017). Evaluating alternatives through the application of
// TOPSIS method with entropy weight. International Journal of Engineering Trends and Technology, 46(2), 60-66;
// machine-readable copy kotbaton/pymcdm@76e7735 test/test_weights.py (TestEntropyWeights, MIT).
TEST(MethodEntropy, WorkedElsayed2017) {
  const json j = load("entropy_1.json");  // last cell 0.1048 as in the source test
  expect_all_near(entropy_weights(matrix(j["input"]["decision_matrix"])), vec(j["expected"]["weights_6dp"]),
                  j["tolerance"]["weights_6dp"], "6dp");
}

// Xu, X. (2004). A note on the subjective and objective integrated approach to determine attribute weights.
// European Journal of Operational Research, 156(2), 530-532; machine-readable copy
// energyinpython/distance-metrics-for-mcda@e803b82 tests/test_weights.py (Test_Entropy, MIT).
TEST(MethodEntropy, WorkedXu2004) {
  const json j = load("entropy_2.json");
  const auto w = entropy_weights(matrix(j["input"]["decision_matrix"]));
  expect_all_near(w, vec(j["expected"]["weights_4dp"]), j["tolerance"]["weights_4dp"], "4dp");
  // The almost-constant 4th criterion (29, 29, 28.9, 29) is printed 0.0000 but is not zero (≈ 3.3e-6).
  EXPECT_GT(w[3], 0.0);
  EXPECT_NEAR(w[3], 3.307972e-06, 1e-11);
}

// JMcDM library test, Satman, Yildirim & Kuruca (2021), JOSS 6(65), 3430 (no literature source);
// machine-readable copy jbytecode/JMcDM@87bbb34 test/mcdm/testentropy.jl (MIT).
TEST(MethodEntropy, WorkedJMcDM) {
  const json j = load("entropy_4.json");
  const auto w = entropy_weights(matrix(j["input"]["decision_matrix"]));
  expect_all_near(w, vec(j["expected"]["weights_11dp"]), j["tolerance"]["weights_11dp"], "11dp");
  EXPECT_NEAR(w[6], w[7], 1e-15);  // columns 7 and 8 have the same multiset of shares
}

// ---------------------------------------------------------------------------------------------------------
// Aggregation and grades (hand-computed)

TEST(MethodAggregate, WeightedMeanWithMissingItem) {
  // {80, missing, 60} with weights {1, 1, 2}: (80·1 + 60·2)/(1 + 2) = 200/3 = 66.67; coverage (1 + 2)/4 = 0.75.
  const Aggregate a = weighted_mean({80.0, std::nullopt, 60.0}, {1, 1, 2});
  ASSERT_TRUE(a.score);
  EXPECT_NEAR(*a.score, 200.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(a.coverage, 0.75);
}

TEST(MethodAggregate, WeightedMeanEdgeCases) {
  // Complete: (50·1 + 100·3)/4 = 87.5, coverage 1.
  const Aggregate full = weighted_mean({50.0, 100.0}, {1, 3});
  EXPECT_DOUBLE_EQ(*full.score, 87.5);
  EXPECT_DOUBLE_EQ(full.coverage, 1.0);
  // Nothing present.
  const Aggregate none = weighted_mean({std::nullopt, std::nullopt}, {1, 1});
  EXPECT_FALSE(none.score);
  EXPECT_DOUBLE_EQ(none.coverage, 0.0);
  // Present items carry no weight: no score, coverage 0/1.
  const Aggregate zero = weighted_mean({80.0, std::nullopt}, {0, 1});
  EXPECT_FALSE(zero.score);
  EXPECT_DOUBLE_EQ(zero.coverage, 0.0);
  EXPECT_TRUE(contains(error_of([] { weighted_mean({80.0}, {1, 1}); }), "one weight per score"));
  EXPECT_TRUE(contains(error_of([] { weighted_mean({80.0, 70.0}, {1, -1}); }), "non-negative"));
}

TEST(MethodGrade, Bands) {
  EXPECT_EQ(grade_for(89.999, kBands), "L4");  // below 90
  EXPECT_EQ(grade_for(90, kBands), "L5");      // min_score ≤ score is inclusive
  EXPECT_EQ(grade_for(100, kBands), "L5");
  EXPECT_EQ(grade_for(70, kBands), "L3");
  EXPECT_EQ(grade_for(59.9, kBands), "L1");  // 59.9 < 60
  EXPECT_EQ(grade_for(12, kBands), "L1");
  EXPECT_EQ(grade_for(-5, kBands), "L1");  // the last band catches everything below
  EXPECT_TRUE(contains(error_of([] { grade_for(50, {{"L1", 0}, {"L2", 60}}); }), "highest first"));
  EXPECT_TRUE(contains(error_of([] { grade_for(50, {}); }), "at least one"));
}

TEST(MethodGrade, FloorRule) {
  const FloorRule floor{true, 40, "L3"};
  // Overall 92 → L5, but energy 35 < 40: the grade is the lower of L5 and L3 = L3.
  const GradeOutcome capped = grade(92, {{"compute", 95}, {"energy", 35}, {"network", 88}}, kBands, floor);
  EXPECT_EQ(capped.uncapped_grade, "L5");
  EXPECT_EQ(capped.grade, "L3");
  EXPECT_TRUE(capped.capped);
  EXPECT_EQ(capped.capped_by, (std::vector<std::string>{"energy"}));

  // Overall 65 → L2, already below the cap L3: the floor does not raise it.
  const GradeOutcome low = grade(65, {{"energy", 35}, {"network", 20}}, kBands, floor);
  EXPECT_EQ(low.grade, "L2");
  EXPECT_FALSE(low.capped);
  EXPECT_EQ(low.capped_by, (std::vector<std::string>{"energy", "network"}));  // still listed

  // Exactly at the floor is not under it.
  const GradeOutcome at = grade(92, {{"energy", 40}}, kBands, floor);
  EXPECT_EQ(at.grade, "L5");
  EXPECT_FALSE(at.capped);
  EXPECT_TRUE(at.capped_by.empty());

  // Disabled rule: no cap.
  const GradeOutcome off = grade(92, {{"energy", 10}}, kBands, FloorRule{false, 40, "L3"});
  EXPECT_EQ(off.grade, "L5");
  EXPECT_FALSE(off.capped);

  EXPECT_TRUE(contains(error_of([] { grade(92, {{"energy", 10}}, kBands, FloorRule{true, 40, "L9"}); }), "'L9'"));
}

// ---------------------------------------------------------------------------------------------------------
// TOPSIS

TEST(MethodTopsis, CostCriterionByHand) {
  // x = [[2, 1], [1, 2], [2, 2]], criterion 1 benefit, criterion 2 cost, weights (3, 1) → (0.75, 0.25).
  // Column norms: √(4 + 1 + 4) = 3 and √(1 + 4 + 4) = 3 → r = [[2/3, 1/3], [1/3, 2/3], [2/3, 2/3]].
  // v = [[0.5, 1/12], [0.25, 1/6], [0.5, 1/6]].
  // A+ = (max 0.5, min 1/12), A− = (min 0.25, max 1/6).
  // A1 = A+: D+ = 0, D− = √(0.25² + (1/12)²) = 0.263523 → C = 1.
  // A2 = A−: D+ = 0.263523, D− = 0 → C = 0.
  // A3: D+ = 1/6 − 1/12 = 1/12, D− = 0.5 − 0.25 = 0.25 → C = 0.25 / (1/3) = 0.75.
  const TopsisResult t = topsis({{2, 1}, {1, 2}, {2, 2}}, {3, 1}, {true, false});
  expect_all_near(t.normalised[2], {2.0 / 3, 2.0 / 3}, 1e-15, "r3");
  expect_all_near(t.weighted[0], {0.5, 1.0 / 12}, 1e-15, "v1");
  expect_all_near(t.ideal, {0.5, 1.0 / 12}, 1e-15, "A+");
  expect_all_near(t.anti_ideal, {0.25, 1.0 / 6}, 1e-15, "A-");
  const double diag = std::sqrt(0.0625 + 1.0 / 144);
  expect_all_near(t.d_plus, {0, diag, 1.0 / 12}, 1e-15, "D+");
  expect_all_near(t.d_minus, {diag, 0, 0.25}, 1e-15, "D-");
  expect_all_near(t.closeness, {1, 0, 0.75}, 1e-12, "C");
  EXPECT_EQ(t.rank, (std::vector<int>{1, 3, 2}));

  // Treated as a benefit criterion, the second column flips: A+ = (0.5, 1/6) = A3, A− = (0.25, 1/12);
  // A1 = (0.5, 1/12): D+ = 1/12, D− = 0.25 → C = 0.75; A2 = (0.25, 1/6): D+ = 0.25, D− = 1/12 → C = 0.25;
  // A3 = A+ → C = 1.
  const TopsisResult b = topsis({{2, 1}, {1, 2}, {2, 2}}, {3, 1}, {true, true});
  expect_all_near(b.closeness, {0.75, 0.25, 1}, 1e-12, "C benefit");
  EXPECT_EQ(b.rank, (std::vector<int>{2, 3, 1}));
}

TEST(MethodTopsis, TiesShareTheBetterRank) {
  // x = [[3, 3], [2, 2], [2, 2], [1, 1]], equal weights; each column norm √18. A1 = A+ (C = 1), A4 = A− (C = 0),
  // A2 = A3 sit halfway: D+ = D− = √2·0.5/√18 = 1/6 → C = 0.5. Ranks 1, 2, 2, 4.
  const TopsisResult t = topsis({{3, 3}, {2, 2}, {2, 2}, {1, 1}}, {1, 1}, {true, true});
  expect_all_near(t.closeness, {1, 0.5, 0.5, 0}, 1e-12, "C");
  EXPECT_EQ(t.rank, (std::vector<int>{1, 2, 2, 4}));
  // All alternatives identical: D+ = D− = 0, each is the ideal → C = 1, all rank 1.
  const TopsisResult same = topsis({{1, 1}, {1, 1}}, {1, 1}, {true, false});
  expect_all_near(same.closeness, {1, 1}, 0, "C same");
  EXPECT_EQ(same.rank, (std::vector<int>{1, 1}));
}

TEST(MethodTopsis, ZeroColumnAndMalformedInput) {
  const TopsisResult t = topsis({{0, 1}, {0, 2}}, {1, 1}, {true, true});
  expect_all_near({t.normalised[0][0], t.normalised[1][0]}, {0, 0}, 0, "zero column");
  EXPECT_TRUE(contains(error_of([] { topsis({{1, 2}}, {1}, {true, true}); }), "one weight per criterion"));
  EXPECT_TRUE(contains(error_of([] { topsis({{1, 2}}, {1, 1}, {true}); }), "benefit/cost"));
  EXPECT_TRUE(contains(error_of([] { topsis({{1, 2}, {1}}, {1, 1}, {true, true}); }), "row 2"));
  EXPECT_TRUE(contains(error_of([] { topsis({{1, 2}}, {0, 0}, {true, true}); }), "all zero"));
}

namespace {
void check_topsis_worked(const json& j, const std::string& c_key) {
  const json& in = j["input"];
  const TopsisResult t =
      topsis(matrix(in["decision_matrix"]), vec(in["weights"]), benefit_flags(in["criteria_types"]));
  expect_all_near(t.closeness, vec(j["expected"][c_key]), j["tolerance"][c_key], c_key);
  expect_all_near(t.closeness, vec(j["derived_not_in_source"]["C_full"]), 1e-9, "C_full");
  expect_all_near(t.ideal, vec(j["derived_not_in_source"]["PIS"]), 1e-9, "PIS");
  expect_all_near(t.anti_ideal, vec(j["derived_not_in_source"]["NIS"]), 1e-9, "NIS");
}
}  // namespace

// Tzeng, G.-H., & Huang, J.-J. (2011). Multiple Attribute Decision Making: Methods and Applications. CRC Press
// (TOPSIS chapter example); machine-readable copy quatrope/scikit-criteria@35f17ee
// tests/agg/test_topsis.py::test_TOPSIS_tzeng2011multiple (BSD-3-Clause).
TEST(MethodTopsis, WorkedTzengHuang2011) {
  const json j = load("topsis_1.json");
  check_topsis_worked(j, "C_4dp");
  const json& in = j["input"];
  const TopsisResult t =
      topsis(matrix(in["decision_matrix"]), vec(in["weights"]), benefit_flags(in["criteria_types"]));
  EXPECT_EQ(t.rank, j["expected"]["rank"].get<std::vector<int>>());
  expect_all_near(t.d_plus, vec(j["derived_not_in_source"]["D_plus"]), 1e-9, "D+");
  expect_all_near(t.d_minus, vec(j["derived_not_in_source"]["D_minus"]), 1e-9, "D-");
}

// Papathanasiou, J., & Ploskas, N. (2018). TOPSIS. In Multiple Criteria Decision Aid: Methods, Examples and Python
// Implementations (Springer Optimization and Its Applications, vol. 136), Ch. 1, pp. 1-30 (facility location
// example); machine-readable copy energyinpython/distance-metrics-for-mcda@e803b82 tests/test_mcda_methods.py
// (Test_TOPSIS, MIT). The book's script rounds intermediates to 3 dp; the expected values are unrounded.
TEST(MethodTopsis, WorkedPapathanasiouPloskas2018) {
  const json j = load("topsis_2.json");
  check_topsis_worked(j, "C_3dp");
  const json& in = j["input"];
  const TopsisResult t =
      topsis(matrix(in["decision_matrix"]), vec(in["weights"]), benefit_flags(in["criteria_types"]));
  EXPECT_EQ(t.rank, j["expected"]["rank"].get<std::vector<int>>());
}

// JMcDM library test, Satman, Yildirim & Kuruca (2021), JOSS 6(65), 3430 (no literature source);
// machine-readable copy jbytecode/JMcDM@87bbb34 test/mcdm/testtopsis.jl (MIT). Raw weights (4, 2, 6, 8) are
// normalised by the method.
TEST(MethodTopsis, WorkedJMcDM) {
  const json j = load("topsis_4.json");
  check_topsis_worked(j, "C_7dp");
  const json& in = j["input"];
  const TopsisResult t =
      topsis(matrix(in["decision_matrix"]), vec(in["weights"]), benefit_flags(in["criteria_types"]));
  const int best = j["expected"]["best_index_1based"].get<int>();
  EXPECT_EQ(t.rank[static_cast<std::size_t>(best - 1)], 1);
}

// ---------------------------------------------------------------------------------------------------------
// Bidirectional projection

// NO published worked example exists in the corpora we could search: these are formula self-checks only, against
// values computed from BProj(a, b) = 1/(1 + |a·b/|b| − a·b/|a||) as we read Ye, J. (2017), J. Exp. Theor. Artif.
// Intell. 29(4):731-740 and Ye, J. (2017), Neural Comput. Appl. 28:1021-1029 — NOT confirmed against the papers.
TEST(MethodProjection, FormulaSelfChecks) {
  const json j = load("bidirectional_projection_formula_checks.json");
  const double tol = j["tolerance"].get<double>();
  const auto& cases = j["input"]["cases"];
  const auto& expected = j["expected"];
  ASSERT_EQ(cases.size(), expected.size());
  for (std::size_t k = 0; k < cases.size(); ++k) {
    EXPECT_NEAR(bidirectional_projection(vec(cases[k]["a"]), vec(cases[k]["b"])), expected[k]["bproj"].get<double>(),
                tol)
        << cases[k]["name"].get<std::string>();
  }
}

TEST(MethodProjection, HandComputedAndErrors) {
  // a = (1, 0), b = (−2, 0): a·b = −2, a·b/|b| = −1, a·b/|a| = −2 → 1/(1 + |−1 + 2|) = 0.5. (The expanded form
  // |a||b|/(|a||b| + ||a|−|b|| a·b) = 2/(2 − 2) would divide by zero here.)
  EXPECT_DOUBLE_EQ(bidirectional_projection({1, 0}, {-2, 0}), 0.5);
  EXPECT_TRUE(contains(error_of([] { bidirectional_projection({0, 0}, {1, 2}); }), "zero vector"));
  EXPECT_TRUE(contains(error_of([] { bidirectional_projection({1}, {1, 2}); }), "same length"));
}

TEST(MethodProjection, RankingHandCase) {
  // Ideal b = (3, 4), |b| = 5.
  //   a1 = (3, 4):   a·b = 25, 25/5 − 25/5 = 0               → 1
  //   a2 = (0, 5):   a·b = 20, 20/5 − 20/5 = 0               → 1 (equal lengths score 1 whatever the angle)
  //   a3 = (6, 8):   a·b = 50, |50/5 − 50/10| = 5            → 1/6
  //   a4 = (1.5, 2): a·b = 12.5, |12.5/5 − 12.5/2.5| = 2.5   → 1/3.5 = 2/7
  // Ranks: 1, 1, 4, 3.
  TopsisResult t;
  t.weighted = {{3, 4}, {0, 5}, {6, 8}, {1.5, 2}};
  t.ideal = {3, 4};
  const ProjectionRanking p = projection_ranking(t);
  expect_all_near(p.values, {1, 1, 1.0 / 6, 2.0 / 7}, 1e-15, "BProj");
  EXPECT_EQ(p.rank, (std::vector<int>{1, 1, 4, 3}));
}

TEST(MethodProjection, RankingFromTopsis) {
  // x = [[3, 3], [2, 2], [1, 1]], equal weights: column norms √14, A+ = (1.5/√14)(1, 1), |A+| = 1.5/√7 = 0.566947.
  // Row i is c·A+ with c = 1, 2/3, 1/3; for a = c·b, |a·b/|b| − a·b/|a|| = (1 − c)|b|, so
  // BProj = 1/(1 + (1 − c)·0.566947) = 1, 1/(1 + 0.188982) = 0.841055, 1/(1 + 0.377965) = 0.725708.
  const ProjectionRanking p = projection_ranking(topsis({{3, 3}, {2, 2}, {1, 1}}, {1, 1}, {true, true}));
  const double len = 1.5 / std::sqrt(7.0);
  expect_all_near(p.values, {1, 1 / (1 + len / 3), 1 / (1 + 2 * len / 3)}, 1e-12, "BProj");
  EXPECT_NEAR(p.values[1], 0.841055, 1e-6);
  EXPECT_NEAR(p.values[2], 0.725708, 1e-6);
  EXPECT_EQ(p.rank, (std::vector<int>{1, 2, 3}));
}

// ---------------------------------------------------------------------------------------------------------
// Sensitivity (hand-constructed)
//
// For the mirror matrix x = [[3, 1], [1, 3]] (both benefit), column norms are √10, so with weights (w1, w2)
// summing to 1: v1 = (3w1, w2)/√10, v2 = (w1, 3w2)/√10, A+ = (3w1, 3w2)/√10, A− = (w1, w2)/√10, hence
// D+_1 = 2w2/√10, D−_1 = 2w1/√10 and C_1 = w1, C_2 = w2: A1 wins exactly when w1 > w2.

TEST(MethodSensitivity, StableRanking) {
  // Base (0.7, 0.3). The closest a ±20% move brings w1 to w2 is w1·0.8 → (0.56, 0.3)/0.86 = (0.651, 0.349), or
  // w2·1.2 → (0.7, 0.36)/1.06 = (0.660, 0.340): A1 stays first in every case.
  const Sensitivity s = sensitivity({{3, 1}, {1, 3}}, {0.7, 0.3}, {true, true});
  EXPECT_EQ(s.base_rank, (std::vector<int>{1, 2}));
  ASSERT_EQ(s.cases.size(), 4u);
  EXPECT_TRUE(s.stable());
  EXPECT_EQ(s.cases[0].criterion, 0u);
  EXPECT_DOUBLE_EQ(s.cases[0].factor, 0.8);
  expect_all_near(s.cases[0].weights, {0.56 / 0.86, 0.3 / 0.86}, 1e-12, "w");
  EXPECT_EQ(s.cases[3].criterion, 1u);
  EXPECT_DOUBLE_EQ(s.cases[3].factor, 1.2);
  expect_all_near(s.cases[3].weights, {0.7 / 1.06, 0.36 / 1.06}, 1e-12, "w");
}

TEST(MethodSensitivity, RankingFlips) {
  // Base (0.52, 0.48): A1 first (C = 0.52 vs 0.48). The cases:
  //   w1·0.8: (0.416, 0.48)/0.896 = (0.464, 0.536) → A2 first: changed
  //   w1·1.2: (0.624, 0.48)/1.104 = (0.565, 0.435) → unchanged
  //   w2·0.8: (0.52, 0.384)/0.904 = (0.575, 0.425) → unchanged
  //   w2·1.2: (0.52, 0.576)/1.096 = (0.474, 0.526) → A2 first: changed
  const Sensitivity s = sensitivity({{3, 1}, {1, 3}}, {0.52, 0.48}, {true, true});
  EXPECT_EQ(s.base_rank, (std::vector<int>{1, 2}));
  ASSERT_EQ(s.cases.size(), 4u);
  EXPECT_FALSE(s.stable());
  const std::vector<bool> changed = {true, false, false, true};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(s.cases[k].changed, changed[k]) << k;
    EXPECT_EQ(s.cases[k].rank, changed[k] ? (std::vector<int>{2, 1}) : (std::vector<int>{1, 2})) << k;
    EXPECT_NEAR(s.cases[k].weights[0] + s.cases[k].weights[1], 1.0, 1e-15) << k;
  }
  expect_all_near(s.cases[0].weights, {0.416 / 0.896, 0.48 / 0.896}, 1e-12, "w");
  // The closeness equals the weight, as derived above.
  const TopsisResult t = topsis({{3, 1}, {1, 3}}, s.cases[0].weights, {true, true});
  expect_all_near(t.closeness, s.cases[0].weights, 1e-12, "C = w");
}

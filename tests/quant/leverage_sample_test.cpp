// Leverage-score sampling: probabilities sum to the budget and follow the scores, draws are
// seeded, and the weighted sum of kept rows is unbiased (statistical test, fixed seeds).
#include "lowbit/quant/leverage_sample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "lowbit/core/rng.h"
#include "lowbit/core/tensor.h"

namespace lowbit {
namespace {

std::vector<double> test_scores(int64_t m) {
  Tensor t = Tensor::empty({m}, DType::f64);
  Rng(3).fill_normal(t, 0, 1);
  std::vector<double> s(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) s[i] = std::exp(2 * t.data<double>()[i]);  // heavy tail
  s[5] = 0;                                                               // never kept
  return s;
}

TEST(LeverageSample, ProbabilitiesMeetTheBudget) {
  auto s = test_scores(200);
  LeverageSample ls = leverage_sample(s, 0.5, 1, 2);
  double sum = std::accumulate(ls.probs.begin(), ls.probs.end(), 0.0);
  EXPECT_NEAR(sum, 100.0, 1e-9);
  int capped = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_LE(ls.probs[i], 1.0);
    if (ls.probs[i] == 1.0) ++capped;
  }
  EXPECT_GT(capped, 0) << "the heavy tail should cap some rows";
  EXPECT_EQ(ls.probs[5], 0.0);
  LeverageSample again = leverage_sample(s, 0.5, 1, 2);
  EXPECT_EQ(ls.rows, again.rows) << "same seed, same rows";
  EXPECT_NE(ls.rows, leverage_sample(s, 0.5, 1, 3).rows) << "another stream, other rows";
}

// sum_kept w_i v_i estimates sum_i v_i. Horvitz-Thompson variance per coordinate:
// var = sum_i (1 - p_i) / p_i v_i^2; over R independent draws the mean's error is within
// 5 standard deviations (sqrt(var / R)) for every coordinate (false alarm ~ 6e-7 per coordinate).
TEST(LeverageSample, WeightedSumIsUnbiased) {
  const int64_t m = 64, d = 8, reps = 4000;
  auto s = test_scores(m);
  Tensor v = Tensor::empty({m, d}, DType::f64);
  Rng(11).fill_normal(v, 0, 1);
  const double* pv = v.data<double>();
  std::vector<double> truth(d, 0.0), mean(d, 0.0), var(d, 0.0);
  LeverageSample base = leverage_sample(s, 0.5, 0, 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < d; ++j) {
      if (base.probs[i] == 0) continue;  // s_i = 0 rows: their v does not count (scores say 0)
      truth[j] += pv[i * d + j];
      var[j] += (1 - base.probs[i]) / base.probs[i] * pv[i * d + j] * pv[i * d + j];
    }
  for (int64_t r = 0; r < reps; ++r) {
    LeverageSample ls = leverage_sample(s, 0.5, 99, static_cast<uint64_t>(r));
    for (size_t t = 0; t < ls.rows.size(); ++t)
      for (int64_t j = 0; j < d; ++j)
        mean[j] += static_cast<double>(ls.weights[t]) * pv[ls.rows[t] * d + j] / reps;
  }
  for (int64_t j = 0; j < d; ++j)
    EXPECT_NEAR(mean[j], truth[j], 5 * std::sqrt(var[j] / reps) + 1e-6) << "coordinate " << j;
}

}  // namespace
}  // namespace lowbit

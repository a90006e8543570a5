// Leverage-score sampling (Xi et al. 2023) for dW = dYᵀ·X: keep token row i with probability
// p_i ∝ ||dY_i||·||X_i|| (about `fraction` of the rows), weight kept rows by 1/p_i: unbiased.
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit {

struct LeverageSample {
  std::vector<int64_t> rows;   // kept rows, ascending
  std::vector<float> weights;  // 1 / p_i of each kept row
  std::vector<double> probs;   // p_i of every row
};

// scores: s_i >= 0 (||dY_i||·||X_i||). p_i = min(1, c·s_i) with c chosen so that sum p_i =
// fraction · rows (capped rows give their excess to the others); rows with s_i = 0 are never
// kept (they contribute nothing). Row i is kept when Rng(seed, stream).u32_at(i) / 2^32 < p_i.
LeverageSample leverage_sample(const std::vector<double>& scores, double fraction, uint64_t seed,
                               uint64_t stream);

}  // namespace lowbit

// Leverage-score sampling: water-filling of the probabilities (a few passes: capped rows are
// fixed at 1 and the rest rescaled), then one seeded uniform per row.
#include "lowbit/quant/leverage_sample.h"

#include <algorithm>

#include "lowbit/core/error.h"
#include "lowbit/core/rng.h"

namespace lowbit {

LeverageSample leverage_sample(const std::vector<double>& scores, double fraction, uint64_t seed,
                               uint64_t stream) {
  LB_CHECK(fraction > 0 && fraction <= 1, "[leverage_sample] fraction ", fraction,
           " must be in (0, 1]");
  const size_t m = scores.size();
  LeverageSample out;
  out.probs.assign(m, 0.0);
  double budget = fraction * static_cast<double>(m);
  std::vector<bool> capped(m, false);
  for (int pass = 0; pass < 64; ++pass) {
    double free_sum = 0, capped_n = 0;
    for (size_t i = 0; i < m; ++i) {
      if (capped[i]) capped_n += 1;
      else free_sum += scores[i];
    }
    if (free_sum <= 0) break;
    const double c = (budget - capped_n) / free_sum;
    bool changed = false;
    for (size_t i = 0; i < m; ++i) {
      if (capped[i]) continue;
      double p = c * scores[i];
      if (p >= 1) {
        capped[i] = true;
        changed = true;
      }
      out.probs[i] = std::min(1.0, p);
    }
    for (size_t i = 0; i < m; ++i)
      if (capped[i]) out.probs[i] = 1.0;
    if (!changed) break;
  }
  Rng rng(seed, stream);
  for (size_t i = 0; i < m; ++i) {
    const double p = out.probs[i];
    if (p <= 0) continue;
    const double u = rng.u32_at(i) * (1.0 / 4294967296.0);
    if (p >= 1 || u < p) {
      out.rows.push_back(static_cast<int64_t>(i));
      out.weights.push_back(static_cast<float>(1.0 / p));
    }
  }
  return out;
}

}  // namespace lowbit

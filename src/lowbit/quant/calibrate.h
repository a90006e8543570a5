// Calibration for post-training quantization: statistics of a tensor's magnitudes over several
// batches, and the clip (the magnitude mapped to the format's max) by max, percentile, MSE, KL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lowbit/nn/ptq_numerics.h"

namespace lowbit {

// Running |x| statistics: the exact amax plus a deterministic subsample of |x| (every stride-th
// element of the stream; when the sample reaches `cap`, every other one is dropped and the
// stride doubles), so percentile / MSE / KL see the whole stream at a bounded cost.
class ActStats {
 public:
  explicit ActStats(int64_t cap = 1 << 18) : cap_(cap) {}
  void add(const float* x, int64_t n);
  float amax() const { return amax_; }
  const std::vector<float>& samples() const { return samples_; }
  int64_t seen() const { return seen_; }

 private:
  int64_t cap_;
  int64_t stride_ = 1;
  int64_t seen_ = 0;
  float amax_ = 0.0f;
  std::vector<float> samples_;
};

enum class CalibMethod { max, percentile, mse, entropy };
CalibMethod calib_method_parse(const std::string& s);  // max|percentile|mse|entropy
const char* calib_method_name(CalibMethod m);

// The p-th percentile (0 < p <= 100) of the magnitudes: the smallest sample v with at least
// ceil(p / 100 * n) samples <= v.
float calib_percentile(std::vector<float> mags, double p);
// The clip in amax * {1/G, 2/G, ..., 1} (G = 200) minimizing the mean squared quantization error
// of the samples in format f (ties keep the larger clip).
float calib_mse(const std::vector<float>& mags, float amax, nn::PtqFormat f);
// TensorRT's entropy calibration: a 2048-bin histogram of |x| on [0, amax]; for each candidate
// i = 128..2048 bins, P = the first i bins with the rest folded into the last, Q = P merged into
// 128 levels and spread back over its non-empty bins; the clip is (i + 0.5) bin widths for the
// i of least KL(P || Q). 128 levels model int8; we use the same count for FP8 (a uniform-grid
// proxy: FP8's grid is not uniform, so this is TensorRT's method, not an FP8-specific one).
float calib_entropy(const std::vector<float>& mags, float amax);
// Dispatch over the methods (percentile: p in percent).
float calib_clip(const ActStats& s, CalibMethod m, nn::PtqFormat f, double percentile);

}  // namespace lowbit

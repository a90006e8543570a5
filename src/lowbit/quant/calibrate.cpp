// Calibration statistics and clip search (max, percentile, MSE grid, TensorRT-style KL); every
// result is a pure function of the sample stream, so calibrations repeat bit for bit.
#include "lowbit/quant/calibrate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lowbit/core/error.h"

namespace lowbit {

void ActStats::add(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (a > amax_) amax_ = a;  // NaN never wins
    if ((seen_ + i) % stride_ == 0 && std::isfinite(a)) {
      samples_.push_back(a);
      if (static_cast<int64_t>(samples_.size()) >= cap_) {
        size_t j = 0;
        for (size_t t = 0; t < samples_.size(); t += 2) samples_[j++] = samples_[t];
        samples_.resize(j);
        stride_ *= 2;
      }
    }
  }
  seen_ += n;
}

CalibMethod calib_method_parse(const std::string& s) {
  if (s == "max") return CalibMethod::max;
  if (s == "percentile") return CalibMethod::percentile;
  if (s == "mse") return CalibMethod::mse;
  if (s == "entropy") return CalibMethod::entropy;
  LB_FAIL("calibration method '", s, "' is not one of max|percentile|mse|entropy");
}

const char* calib_method_name(CalibMethod m) {
  switch (m) {
    case CalibMethod::max: return "max";
    case CalibMethod::percentile: return "percentile";
    case CalibMethod::mse: return "mse";
    case CalibMethod::entropy: return "entropy";
  }
  return "?";
}

float calib_percentile(std::vector<float> mags, double p) {
  LB_CHECK(p > 0 && p <= 100, "--percentile ", p, " must be in (0, 100]");
  if (mags.empty()) return 0.0f;
  const auto n = static_cast<int64_t>(mags.size());
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<int64_t>(rank, 1, n);
  std::nth_element(mags.begin(), mags.begin() + (rank - 1), mags.end());
  return mags[static_cast<size_t>(rank - 1)];
}

namespace {
double quant_sq_error(const std::vector<float>& mags, float clip, nn::PtqFormat f) {
  const float s = nn::ptq_scale_for_clip(clip, f);
  std::vector<uint8_t> codes(mags.size());
  nn::ptq_encode(mags.data(), static_cast<int64_t>(mags.size()), s, f, codes.data());
  double err = 0;
  for (size_t i = 0; i < mags.size(); ++i) {
    const double d = static_cast<double>(nn::ptq_code_value(codes.data(), i, f)) * s - mags[i];
    err += d * d;
  }
  return err;
}
}  // namespace

float calib_mse(const std::vector<float>& mags, float amax, nn::PtqFormat f) {
  constexpr int kGrid = 200;
  if (mags.empty() || !(amax > 0)) return amax;
  float best = amax;
  double best_err = std::numeric_limits<double>::infinity();
  for (int i = kGrid; i >= 1; --i) {
    const float clip = amax * static_cast<float>(i) / kGrid;
    const double e = quant_sq_error(mags, clip, f);
    if (e < best_err) {
      best_err = e;
      best = clip;
    }
  }
  return best;
}

float calib_entropy(const std::vector<float>& mags, float amax) {
  constexpr int kBins = 2048, kLevels = 128;
  if (mags.empty() || !(amax > 0)) return amax;
  std::vector<double> hist(kBins, 0.0);
  const double width = static_cast<double>(amax) / kBins;
  for (float v : mags) hist[std::min<int64_t>(kBins - 1, static_cast<int64_t>(v / width))] += 1;
  int best_i = kBins;
  double best_kl = std::numeric_limits<double>::infinity();
  std::vector<double> p(kBins), q(kBins);
  for (int i = kLevels; i <= kBins; ++i) {
    double outliers = 0;
    for (int b = i; b < kBins; ++b) outliers += hist[b];
    for (int b = 0; b < i; ++b) p[b] = hist[b];
    p[i - 1] += outliers;
    // Merge the first i bins (without the folded outliers, as TensorRT) into kLevels groups.
    for (int g = 0; g < kLevels; ++g) {
      const int b0 = static_cast<int>(static_cast<int64_t>(g) * i / kLevels);
      const int b1 = static_cast<int>(static_cast<int64_t>(g + 1) * i / kLevels);
      double total = 0;
      int nonzero = 0;
      for (int b = b0; b < b1; ++b) {
        total += hist[b];
        nonzero += hist[b] != 0;
      }
      for (int b = b0; b < b1; ++b) q[b] = (hist[b] != 0 && nonzero) ? total / nonzero : 0;
    }
    double ps = 0, qs = 0;
    for (int b = 0; b < i; ++b) {
      ps += p[b];
      qs += q[b];
    }
    if (ps == 0 || qs == 0) continue;
    double kl = 0;
    for (int b = 0; b < i; ++b) {
      if (p[b] == 0) continue;
      const double pb = p[b] / ps;
      const double qb = q[b] / qs;
      kl += qb > 0 ? pb * std::log(pb / qb) : pb * std::log(pb / 1e-12);  // smoothed empty bin
    }
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return static_cast<float>((best_i + 0.5) * width);
}

float calib_clip(const ActStats& s, CalibMethod m, nn::PtqFormat f, double percentile) {
  switch (m) {
    case CalibMethod::max: return s.amax();
    case CalibMethod::percentile: return calib_percentile(s.samples(), percentile);
    case CalibMethod::mse: return calib_mse(s.samples(), s.amax(), f);
    case CalibMethod::entropy: return std::min(s.amax(), calib_entropy(s.samples(), s.amax()));
  }
  return s.amax();
}

}  // namespace lowbit

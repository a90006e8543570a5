// PTQ numerics: the quantized forward equals a plain reference computed independently (FP8 codes
// by the scalar codec, the exact sum in int64 for E4M3, int8 codes by rne(x / s) and an int32
// sum), bit for bit; E5M2 within its derived f64 bound.
#include "lowbit/nn/ptq_numerics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/formats/fp8.h"

namespace lowbit::nn {
namespace {

Tensor random_matrix(int64_t r, int64_t c, uint64_t seed, double sd) {
  Tensor t = Tensor::empty({r, c});
  Rng(seed, 0).fill_normal(t, 0.0, sd);
  float* p = t.data<float>();
  p[0] = static_cast<float>(40 * sd);  // an outlier, so the clip saturates others' neighbours
  return t;
}

// E4M3 values times 2^9 are integers; their products times 2^18 sum exactly in int64.
std::vector<float> reference_fp8(const Tensor& x, const PtqLayer& L) {
  const int64_t m = x.dim(0), k = x.dim(1), n = L.w_codes.dim(0);
  const Fp8Kind kind = L.format == PtqFormat::e4m3 ? Fp8Kind::e4m3 : Fp8Kind::e5m2;
  const float inv = 1.0f / L.x_scale;
  const auto* wc = static_cast<const uint8_t*>(L.w_codes.raw());
  const float* ws = L.w_scales.data<float>();
  std::vector<float> y(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      long double s = 0;
      int64_t si = 0;
      for (int64_t t = 0; t < k; ++t) {
        const float xv = fp8_decode(fp8_encode(x.data<float>()[i * k + t] * inv, kind, true), kind);
        const float wv = fp8_decode(wc[j * k + t], kind);
        if (kind == Fp8Kind::e4m3)
          si += static_cast<int64_t>(std::ldexp(xv, 9)) * static_cast<int64_t>(std::ldexp(wv, 9));
        else
          s += static_cast<long double>(xv) * wv;
      }
      const double sum = kind == Fp8Kind::e4m3 ? std::ldexp(static_cast<double>(si), -18)
                                               : static_cast<double>(s);
      const double sc = static_cast<double>(L.x_scale) * ws[L.w_scales.numel() == 1 ? 0 : j];
      y[static_cast<size_t>(i * n + j)] = static_cast<float>(sum * sc);
    }
  return y;
}

class PtqFp8Forward : public ::testing::TestWithParam<std::tuple<PtqFormat, bool>> {};

TEST_P(PtqFp8Forward, EqualsPlainReference) {
  const auto [fmt, per_channel] = GetParam();
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 33, 5}, {65, 257, 17}}) {
    Tensor x = random_matrix(m, k, 3, 1.0);
    Tensor w = random_matrix(n, k, 4, 0.05);
    const float xs = ptq_scale_for_clip(3.0f, fmt);  // clips the outlier: saturation is exercised
    PtqLayer L = ptq_quantize_weight(w, fmt, per_channel, xs);
    auto num = make_ptq_numerics(std::make_shared<PtqLayer>(L), "t");
    Tensor y = num->forward(x, w, {});
    std::vector<float> ref = reference_fp8(x, L);
    for (int64_t i = 0; i < m * n; ++i) {
      const float got = y.data<float>()[i];
      if (fmt == PtqFormat::e4m3) {
        ASSERT_EQ(got, ref[i]) << ptq_format_name(fmt) << " (" << m << "," << k << "," << n
                               << ") at " << i;
      } else {
        // f64 sum: |err| <= K 2^-53 sum|p| (scaled), then f32 rounding of the result: 2^-24 |y|.
        double bound = std::ldexp(std::fabs(ref[i]), -23) + 1e-30;
        bound += k * std::ldexp(1.0, -53) * 57344.0 * 57344.0 * xs * L.w_scales.data<float>()[0] * k;
        ASSERT_NEAR(got, ref[i], bound) << "e5m2 at " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, PtqFp8Forward,
                         ::testing::Combine(::testing::Values(PtqFormat::e4m3, PtqFormat::e5m2),
                                            ::testing::Bool()));

TEST(PtqInt8Forward, EqualsPlainReference) {
  for (bool per_channel : {false, true}) {
    const int64_t m = 19, k = 131, n = 23;
    Tensor x = random_matrix(m, k, 5, 1.0);
    Tensor w = random_matrix(n, k, 6, 0.05);
    const float xs = ptq_scale_for_clip(4.0f, PtqFormat::int8);
    PtqLayer L = ptq_quantize_weight(w, PtqFormat::int8, per_channel, xs);
    auto num = make_ptq_numerics(std::make_shared<PtqLayer>(L), "t");
    Tensor y = num->forward(x, w, {});
    const auto* wc = static_cast<const int8_t*>(L.w_codes.raw());
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int32_t acc = 0;
        for (int64_t t = 0; t < k; ++t) {
          float q = std::nearbyint(x.data<float>()[i * k + t] / xs);
          q = std::fmin(127.0f, std::fmax(-127.0f, q));
          acc += static_cast<int32_t>(q) * wc[j * k + t];
        }
        float ref = static_cast<float>(acc);
        ref *= xs;
        ref *= L.w_scales.data<float>()[per_channel ? j : 0];
        ASSERT_EQ(y.data<float>()[i * n + j], ref) << "int8 per_channel=" << per_channel << " at ("
                                                   << i << "," << j << ")";
      }
  }
}

TEST(PtqWeights, CodesDecodeWithinHalfStepAndPerChannelScales) {
  Tensor w = random_matrix(8, 64, 7, 0.05);
  for (PtqFormat f : {PtqFormat::e4m3, PtqFormat::e5m2, PtqFormat::int8}) {
    PtqLayer L = ptq_quantize_weight(w, f, true, 1.0f);
    ASSERT_EQ(L.w_scales.numel(), 8);
    Tensor dq = ptq_dequantize_weight(L);
    for (int64_t r = 0; r < 8; ++r) {
      float amax = 0;
      for (int64_t c = 0; c < 64; ++c) amax = std::fmax(amax, std::fabs(w.data<float>()[r * 64 + c]));
      EXPECT_FLOAT_EQ(L.w_scales.data<float>()[r], amax / ptq_format_max(f));
      const double rel = f == PtqFormat::e4m3 ? 1.0 / 16 : 1.0 / 8;
      for (int64_t c = 0; c < 64; ++c) {
        const float a = w.data<float>()[r * 64 + c], b = dq.data<float>()[r * 64 + c];
        const double tol = f == PtqFormat::int8 ? L.w_scales.data<float>()[r] * 0.5001
                                                : rel * std::fabs(a) + 1e-6 * amax;
        ASSERT_NEAR(a, b, tol) << ptq_format_name(f) << " row " << r << " col " << c;
      }
    }
  }
}

TEST(PtqNumerics, RefusesBackward) {
  Tensor w = random_matrix(4, 8, 8, 0.05);
  auto num = make_ptq_numerics(
      std::make_shared<PtqLayer>(ptq_quantize_weight(w, PtqFormat::e4m3, false, 1.0f)), "t");
  EXPECT_THROW(num->backward_input(Tensor::zeros({2, 4})), Error);
}

}  // namespace
}  // namespace lowbit::nn

// GELU: torch's exact erf form in f64, the accuracy of the f32 erf/exp approximations, f32 vs
// f64 within the bound those give, backward vs finite differences, NaN propagation, errors.
#include "lowbit/nn/gelu.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lowbit/core/rng.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

constexpr double kU32 = 5.9604644775390625e-8;  // f32 unit roundoff, 2^-24

TEST(Gelu, DoubleIsTheErfForm) {
  Gelu g;
  Tensor x = Tensor::from_vector<double>({5}, {0, 1, -1, 2, -3});
  auto y = g.forward(x).to_vector();
  // x * Phi(x): Phi(1) = 0.8413447460685429, Phi(2) = 0.9772498680518208,
  // Phi(-3) = 0.0013498980316300946 (torch.nn.functional.gelu agrees to the last digit).
  EXPECT_EQ(y[0], 0.0);
  EXPECT_NEAR(y[1], 0.8413447460685429, 4e-16);  // a few double roundings
  EXPECT_NEAR(y[2], -0.15865525393145707, 4e-16);
  EXPECT_NEAR(y[3], 1.9544997361036416, 4e-16);
  EXPECT_NEAR(y[4], -0.00404969409489031, 1e-15);  // 1 + erf cancels: ~1e-16 absolute
}

TEST(GeluApprox, ErfWithinBound) {
  double worst = 0;
  for (int64_t i = -200000; i <= 200000; ++i) {  // [-10, 10] in steps of 5e-5
    const float x = static_cast<float>(i * 5e-5);
    worst = std::max(worst, std::fabs(gelu_erf_f32(x) - std::erf(static_cast<double>(x))));
  }
  EXPECT_LE(worst, 5e-7);
  EXPECT_EQ(gelu_erf_f32(0.0f), 0.0f);
  EXPECT_NEAR(gelu_erf_f32(50.0f), 1.0, 2e-7);
  EXPECT_NEAR(gelu_erf_f32(-std::numeric_limits<float>::infinity()), -1.0, 2e-7);
}

TEST(GeluApprox, ExpWithinTwoUlp) {
  double worst = 0;
  for (int64_t i = 0; i <= 870000; ++i) {  // [-87, 0] in steps of 1e-4
    const float x = static_cast<float>(-i * 1e-4);
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(gelu_exp_f32(x) - want) / want);
  }
  EXPECT_LE(worst, 4 * kU32);  // 2 ulp of a value in [2^k, 2^(k+1)) is at most 4 u relative
  EXPECT_EQ(gelu_exp_f32(0.0f), 1.0f);
  EXPECT_GE(gelu_exp_f32(-1000.0f), 0.0f);
  EXPECT_LE(gelu_exp_f32(-1000.0f), 1e-37f);
}

// f32 y = 0.5 x (1 + erf(x / sqrt 2)): the erf approximation adds <= 5e-7, the rounding of
// x / sqrt 2 moves erf by <= (2 / sqrt pi) u |x| / sqrt 2 < u |x|, and the three products and
// one sum add <= 4 u relative: |dy| <= 0.5 |x| (5e-7 + u |x| + 2 u) + 4 u |y|.
// Backward adds x phi(x) with phi from exp(-x^2 / 2): the argument's rounding (u x^2 / 2) and
// the exp's 4 u relative give <= |x| phi (x^2 + 8) u, the products another 4 u.
TEST(Gelu, FloatMatchesDoubleWithinBound) {
  const int64_t n = 40001;
  std::vector<double> xs(n);
  for (int64_t i = 0; i < n; ++i) xs[i] = -10 + 20.0 * i / (n - 1);
  Tensor x64 = Tensor::from_vector<double>({n}, xs).to(DType::f32).to(DType::f64);
  Tensor x32 = x64.to(DType::f32);
  Tensor dy32 = Tensor::empty({n});
  Rng(1).fill_normal(dy32, 0, 1);
  Tensor dy64 = dy32.to(DType::f64);
  Gelu g32, g64;
  auto y32 = g32.forward(x32).to_vector(), y64 = g64.forward(x64).to_vector();
  auto d32 = g32.backward(dy32).to_vector(), d64 = g64.backward(dy64).to_vector();
  auto xv = x64.to_vector(), dyv = dy64.to_vector();
  for (int64_t i = 0; i < n; ++i) {
    const double x = xv[i], ax = std::fabs(x);
    const double tol_y = 0.5 * ax * (5e-7 + kU32 * ax + 2 * kU32) + 4 * kU32 * std::fabs(y64[i]);
    ASSERT_NEAR(y32[i], y64[i], tol_y) << "x = " << x;
    const double phi = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    const double tol_d =
        std::fabs(dyv[i]) * (0.5 * (5e-7 + kU32 * ax + 2 * kU32) + ax * phi * (x * x + 8) * kU32) +
        4 * kU32 * std::fabs(d64[i]);
    ASSERT_NEAR(d32[i], d64[i], tol_d) << "x = " << x;
  }
}

TEST(Gelu, BackwardMatchesFiniteDifferences) {
  for (Shape shape : {Shape{1, 5}, Shape{7, 17}, Shape{33, 5}}) {
    Gelu g;
    Tensor x = Tensor::empty(shape, DType::f64), w = Tensor::empty(shape, DType::f64);
    Rng(1).fill_normal(x, 0, 2);
    Rng(2).fill_normal(w, 0, 1);
    auto loss = [&] { return testing::dot(g.forward(x), w); };
    g.forward(x);
    testing::expect_grad_close("dx", x, g.backward(w), loss);
  }
}

TEST(Gelu, TailsAndNaN) {
  Gelu g;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::from_vector<float>({4}, {20, -20, nan, 0});
  auto y = g.forward(x).to_vector();
  EXPECT_EQ(y[0], 20.0);
  EXPECT_NEAR(y[1], 0.0, 1e-5);  // exact: -20 Phi(-20) ~ -6e-88
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[3], 0.0);
  auto d = g.backward(Tensor::full({4}, 1.0)).to_vector();
  EXPECT_EQ(d[0], 1.0);
  EXPECT_NEAR(d[1], 0.0, 1e-6);
  EXPECT_TRUE(std::isnan(d[2]));
  EXPECT_EQ(d[3], 0.5);
}

TEST(Gelu, BadInputsThrow) {
  Gelu g;
  EXPECT_THROW(g.backward(Tensor::zeros({3})), Error);
  EXPECT_THROW(g.forward(Tensor::zeros({3}, DType::i32)), Error);
  Tensor y = g.forward(Tensor::zeros({2, 3}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_THROW(g.backward(Tensor::zeros({3, 2})), Error);
  EXPECT_THROW(g.backward(Tensor::zeros({2, 3}, DType::f64)), Error);
}

}  // namespace
}  // namespace lowbit::nn

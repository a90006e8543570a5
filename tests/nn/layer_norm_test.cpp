// LayerNorm: torch's formula (biased variance), backward vs finite differences, f32 vs f64 within
// a first-order rounding bound, and thread-count independent bits for dx, dgamma and dbeta.
#include "lowbit/nn/layer_norm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

constexpr double kU32 = 5.9604644775390625e-8;  // f32 unit roundoff, 2^-24

Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::f64, double sd = 1.0) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng r(seed);
  r.fill_normal(t, 0, sd);
  return t;
}

TEST(LayerNorm, ForwardIsTorchFormula) {
  LayerNorm ln("ln", 4, 1e-5, DType::f64);
  ln.gamma.value.copy_from(Tensor::from_vector<double>({4}, {1, 2, -1, 0.5}));
  ln.beta.value.copy_from(Tensor::from_vector<double>({4}, {0, 1, 0, -3}));
  Tensor x = Tensor::from_vector<double>({2, 4}, {1, 2, 3, 4, -2, -2, -2, -2});
  auto y = ln.forward(x).to_vector();
  // Row 0: mean 2.5, biased variance 1.25.
  double rs = 1 / std::sqrt(1.25 + 1e-5);
  std::vector<double> xh = {-1.5 * rs, -0.5 * rs, 0.5 * rs, 1.5 * rs};
  EXPECT_NEAR(y[0], xh[0] * 1 + 0, 1e-15);
  EXPECT_NEAR(y[1], xh[1] * 2 + 1, 1e-15);
  EXPECT_NEAR(y[2], xh[2] * -1 + 0, 1e-15);
  EXPECT_NEAR(y[3], xh[3] * 0.5 - 3, 1e-15);
  // A constant row has xhat = 0: y = beta, finite thanks to eps.
  EXPECT_EQ(y[4], 0.0);
  EXPECT_EQ(y[5], 1.0);
  EXPECT_EQ(y[6], 0.0);
  EXPECT_EQ(y[7], -3.0);
}

void check_grads(int64_t m, int64_t c) {
  SCOPED_TRACE(::testing::Message() << "M=" << m << " C=" << c);
  LayerNorm ln("ln", c, 1e-12, DType::f64);
  Rng(1).fill_normal(ln.gamma.value, 1, 0.3);
  Rng(2).fill_normal(ln.beta.value, 0, 0.3);
  Tensor x = randn({m, c}, 3, DType::f64, 2.0), w = randn({m, c}, 4);
  auto loss = [&] { return testing::dot(ln.forward(x), w); };
  ln.zero_grad();
  ln.forward(x);
  Tensor dx = ln.backward(w);
  testing::expect_grad_close("dx", x, dx, loss);
  testing::expect_grad_close("dgamma", ln.gamma.value, ln.gamma.grad.clone(), loss);
  testing::expect_grad_close("dbeta", ln.beta.value, ln.beta.grad.clone(), loss);
}

TEST(LayerNorm, BackwardMatchesFiniteDifferences) {
  check_grads(1, 5);
  check_grads(7, 17);
  check_grads(33, 5);
  check_grads(70, 17);  // three row chunks: the partial dgamma/dbeta sums are combined
}

TEST(LayerNorm, BackwardAccumulates) {
  LayerNorm ln("ln", 5, 1e-12, DType::f64);
  Tensor x = randn({3, 5}, 1), dy = randn({3, 5}, 2);
  ln.forward(x);
  ln.backward(dy);
  auto g1 = ln.gamma.grad.to_vector(), b1 = ln.beta.grad.to_vector();
  ln.backward(dy);
  auto g2 = ln.gamma.grad.to_vector(), b2 = ln.beta.grad.to_vector();
  for (size_t j = 0; j < g1.size(); ++j) EXPECT_EQ(g2[j], 2 * g1[j]);  // x + x is exact
  for (size_t j = 0; j < b1.size(); ++j) EXPECT_EQ(b2[j], 2 * b1[j]);
}

// First-order rounding bound for f32 (u = 2^-24) against f64 on the same f32 inputs. A length-C
// sum errs by at most C u times the sum of |terms|, so with a = max|x| in the row and
// s = rstd: |d mean| <= C u a; x - mean errs by (C + 1) u a, x̂ by (C + 4) u (|x̂| + a s)
// (the variance sum adds C u relative, the square root and division a few u); then
// y = x̂ gamma + beta adds 2 u |y|. Backward, with g = dy gamma: mean(g) and mean(g x̂) err by
// (C + 6) u mean(|g| (1 + |x̂| + a s)), and dx = s (g - mean(g) - x̂ mean(g x̂)) inherits
// s (|x̂ err| |mean(g x̂)| + both mean errors) plus the relative error of s, (C + 4) u, and a
// few u of its own. dgamma and dbeta are M-term sums of dy x̂ and dy. Every bound gets a
// factor 4 of headroom.
TEST(LayerNorm, FloatMatchesDoubleWithinRoundingBound) {
  const int64_t m = 70, c = 96;
  LayerNorm l32("ln", c, 1e-6, DType::f32), l64("ln", c, 1e-6, DType::f64);
  l32.gamma.value.copy_from(randn({c}, 1, DType::f32, 0.5));
  l32.beta.value.copy_from(randn({c}, 2, DType::f32, 0.5));
  l64.gamma.value.copy_from(l32.gamma.value.to(DType::f64));
  l64.beta.value.copy_from(l32.beta.value.to(DType::f64));
  Tensor x32 = randn({m, c}, 3, DType::f32, 3.0), dy32 = randn({m, c}, 4, DType::f32);
  auto y32 = l32.forward(x32).to_vector(), y64 = l64.forward(x32.to(DType::f64)).to_vector();
  auto dx32 = l32.backward(dy32).to_vector(), dx64 = l64.backward(dy32.to(DType::f64)).to_vector();
  auto xv = x32.to_vector(), dyv = dy32.to_vector(), gv = l64.gamma.value.to_vector();
  std::vector<double> sg(c, 0.0), sb(c, 0.0);
  for (int64_t r = 0; r < m; ++r) {
    const double* xr = xv.data() + r * c;
    double mean = 0, var = 0, a = 0, g1 = 0, g2 = 0, mgx = 0;
    for (int64_t j = 0; j < c; ++j) mean += xr[j] / c, a = std::max(a, std::fabs(xr[j]));
    for (int64_t j = 0; j < c; ++j) var += (xr[j] - mean) * (xr[j] - mean) / c;
    const double s = 1 / std::sqrt(var + 1e-6);
    for (int64_t j = 0; j < c; ++j) {
      double xh = (xr[j] - mean) * s, g = dyv[r * c + j] * gv[j];
      g1 += std::fabs(g) * (1 + std::fabs(xh) + a * s) / c;
      mgx += g * xh / c;
      sg[j] += std::fabs(dyv[r * c + j]) * (std::fabs(xh) + a * s);
      sb[j] += std::fabs(dyv[r * c + j]);
    }
    for (int64_t j = 0; j < c; ++j) {
      const size_t e = r * c + j;
      double xh = (xr[j] - mean) * s, xh_err = (c + 4) * kU32 * (std::fabs(xh) + a * s);
      double tol_y = 4 * (std::fabs(gv[j]) * xh_err + 2 * kU32 * std::fabs(y64[e]));
      EXPECT_NEAR(y32[e], y64[e], tol_y) << "y " << r << "," << j;
      g2 = std::fabs(dyv[e] * gv[j]);
      double tol_dx =
          4 * (s * (xh_err * std::fabs(mgx) + (c + 6) * kU32 * g1 * (1 + std::fabs(xh))) +
               (c + 8) * kU32 * (std::fabs(dx64[e]) + s * g2));
      EXPECT_NEAR(dx32[e], dx64[e], tol_dx) << "dx " << r << "," << j;
    }
  }
  auto dg32 = l32.gamma.grad.to_vector(), dg64 = l64.gamma.grad.to_vector();
  auto db32 = l32.beta.grad.to_vector(), db64 = l64.beta.grad.to_vector();
  for (int64_t j = 0; j < c; ++j) {
    EXPECT_NEAR(dg32[j], dg64[j], 4 * (m + c + 6) * kU32 * sg[j]) << "dgamma " << j;
    EXPECT_NEAR(db32[j], db64[j], 4 * (m + 2) * kU32 * sb[j]) << "dbeta " << j;
  }
}

TEST(LayerNorm, BitsDoNotDependOnThreadCount) {
  // 257 rows = 9 chunks of 32 (the last holds one row); C = 96 is not a multiple of the lanes.
  const int64_t m = 257, c = 96;
  Tensor x = randn({m, c}, 1, DType::f32, 2.0), dy = randn({m, c}, 2, DType::f32);
  int saved = num_threads();
  std::vector<std::vector<double>> out;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    LayerNorm ln("ln", c, 1e-12, DType::f32);
    Rng(3).fill_normal(ln.gamma.value, 1, 0.2);
    out.push_back(ln.forward(x).to_vector());
    out.push_back(ln.backward(dy).to_vector());
    out.push_back(ln.gamma.grad.to_vector());
    out.push_back(ln.beta.grad.to_vector());
  }
  set_num_threads(saved);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(out[i], out[i + 4]) << "result " << i;
}

TEST(LayerNorm, Parameters) {
  LayerNorm ln("encoder.0.ln1", 6, 1e-12, DType::f32);
  auto ps = ln.params();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->name, "encoder.0.ln1.gamma");
  EXPECT_EQ(ps[1]->name, "encoder.0.ln1.beta");
  EXPECT_EQ(ps[0]->value.to_vector(), std::vector<double>(6, 1.0));
  EXPECT_EQ(ps[1]->value.to_vector(), std::vector<double>(6, 0.0));
  EXPECT_FALSE(ps[0]->decay);
  EXPECT_FALSE(ps[1]->decay);
}

TEST(LayerNorm, BadInputsThrow) {
  LayerNorm ln("ln", 5, 1e-12, DType::f32);
  EXPECT_THROW(ln.backward(Tensor::zeros({2, 5})), Error);
  try {
    ln.forward(Tensor::zeros({3, 4}));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "[layer_norm ln] x is (3, 4), expected (*, 5)");
  }
  EXPECT_THROW(ln.forward(Tensor::zeros({5})), Error);
  EXPECT_THROW(ln.forward(Tensor::zeros({2, 5}, DType::f64)), Error);
  ln.forward(Tensor::zeros({2, 5}));
  EXPECT_THROW(ln.backward(Tensor::zeros({3, 5})), Error);
  EXPECT_THROW(ln.backward(Tensor::zeros({2, 5}, DType::f64)), Error);
  EXPECT_THROW(LayerNorm("bad", 0, 1e-12, DType::f32), Error);
}

}  // namespace
}  // namespace lowbit::nn

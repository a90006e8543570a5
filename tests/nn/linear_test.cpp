// Linear: backward vs finite differences in double, f32 vs f64 within a rounding bound, bias
// gradient bits independent of the thread count, name-keyed initialization, shape errors.
#include "lowbit/nn/linear.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

constexpr double kU32 = 5.9604644775390625e-8;  // f32 unit roundoff, 2^-24

Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::f64) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng r(seed);
  r.fill_normal(t, 0, 1);
  return t;
}

void check_grads(int64_t m, int64_t in, int64_t out, bool bias) {
  SCOPED_TRACE(::testing::Message() << "M=" << m << " in=" << in << " out=" << out);
  Rng rng(7);
  Linear lin("fc", in, out, bias, rng, DType::f64);
  Rng(8).fill_normal(lin.weight.value, 0, 1);  // O(1) weights so every term matters
  if (bias) Rng(9).fill_normal(lin.bias.value, 0, 1);
  Tensor x = randn({m, in}, 10), w = randn({m, out}, 11);
  auto loss = [&] { return testing::dot(lin.forward(x), w); };
  lin.zero_grad();
  lin.forward(x);
  Tensor dx = lin.backward(w);
  testing::expect_grad_close("dx", x, dx, loss);
  testing::expect_grad_close("dweight", lin.weight.value, lin.weight.grad.clone(), loss);
  if (bias) testing::expect_grad_close("dbias", lin.bias.value, lin.bias.grad.clone(), loss);
}

TEST(Linear, BackwardMatchesFiniteDifferences) {
  check_grads(1, 5, 3, true);
  check_grads(7, 17, 5, true);
  check_grads(33, 5, 17, true);
  check_grads(7, 17, 5, false);
}

TEST(Linear, BackwardAccumulates) {
  Rng rng(1);
  Linear lin("fc", 5, 3, true, rng, DType::f64);
  Tensor x = randn({4, 5}, 2), dy = randn({4, 3}, 3);
  lin.forward(x);
  lin.backward(dy);
  auto g1 = lin.weight.grad.to_vector(), b1 = lin.bias.grad.to_vector();
  lin.backward(dy);
  auto g2 = lin.weight.grad.to_vector(), b2 = lin.bias.grad.to_vector();
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g2[i], 2 * g1[i], 1e-12);
  for (size_t i = 0; i < b1.size(); ++i) EXPECT_NEAR(b2[i], 2 * b1[i], 1e-12);
}

// sum_k |a_ik| |b_jk| (b_t: b is (N, K)) or sum_k |a_ki| |b_kj| (a is (K, M), b (K, N)).
std::vector<double> abs_products(const std::vector<double>& a, const std::vector<double>& b,
                                 int64_t m, int64_t n, int64_t k, bool nt) {
  std::vector<double> s(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        s[i * n + j] += nt ? std::fabs(a[i * k + p]) * std::fabs(b[j * k + p])
                           : std::fabs(a[p * m + i]) * std::fabs(b[p * n + j]);
  return s;
}

// A length-K f32 dot product (any summation order, FMA or not) is within (K + 1) u sum|terms|
// of the exact value; one more u per later add (the bias). The f64 result is exact to ~1e-16,
// so |f32 - f64| <= (K + 2) u (sum|terms| + |added|) bounds every output.
TEST(Linear, FloatMatchesDoubleWithinRoundingBound) {
  const int64_t m = 33, in = 130, out = 17;
  Rng rng(3);
  Linear l32("fc", in, out, true, rng, DType::f32);
  Linear l64("fc", in, out, true, rng, DType::f64);
  Rng(4).fill_normal(l32.bias.value, 0, 1);
  l64.weight.value.copy_from(l32.weight.value.to(DType::f64));
  l64.bias.value.copy_from(l32.bias.value.to(DType::f64));
  Tensor x32 = randn({m, in}, 5, DType::f32), dy32 = randn({m, out}, 6, DType::f32);
  Tensor x64 = x32.to(DType::f64), dy64 = dy32.to(DType::f64);

  auto y32 = l32.forward(x32).to_vector(), y64 = l64.forward(x64).to_vector();
  auto dx32 = l32.backward(dy32).to_vector(), dx64 = l64.backward(dy64).to_vector();
  auto xv = x64.to_vector(), wv = l64.weight.value.to_vector(), dyv = dy64.to_vector();
  auto bv = l64.bias.value.to_vector();

  auto fwd = abs_products(xv, wv, m, out, in, true);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < out; ++j) {
      size_t e = i * out + j;
      EXPECT_NEAR(y32[e], y64[e], (in + 2) * kU32 * (fwd[e] + std::fabs(bv[j]))) << i << "," << j;
    }
  // dx = dy W: K = out terms; W is (out, in) so b_kj = W[k, j].
  std::vector<double> sdx(static_cast<size_t>(m * in), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < in; ++j)
      for (int64_t k = 0; k < out; ++k)
        sdx[i * in + j] += std::fabs(dyv[i * out + k] * wv[k * in + j]);
  for (size_t e = 0; e < sdx.size(); ++e) EXPECT_NEAR(dx32[e], dx64[e], (out + 2) * kU32 * sdx[e]);
  // dW = dy^T x and db = column sums of dy: M terms each.
  auto sdw = abs_products(dyv, xv, out, in, m, false);
  auto dw32 = l32.weight.grad.to_vector(), dw64 = l64.weight.grad.to_vector();
  for (size_t e = 0; e < sdw.size(); ++e) EXPECT_NEAR(dw32[e], dw64[e], (m + 2) * kU32 * sdw[e]);
  auto db32 = l32.bias.grad.to_vector(), db64 = l64.bias.grad.to_vector();
  for (int64_t j = 0; j < out; ++j) {
    double s = 0;
    for (int64_t i = 0; i < m; ++i) s += std::fabs(dyv[i * out + j]);
    EXPECT_NEAR(db32[j], db64[j], (m + 2) * kU32 * s);
  }
}

TEST(Linear, GradientBitsDoNotDependOnThreadCount) {
  // 300 rows span 5 bias-sum chunks of 64; 300*33*40 MACs is above the GEMM's threading floor.
  const int64_t m = 300, in = 40, out = 33;
  Tensor x = randn({m, in}, 1, DType::f32), dy = randn({m, out}, 2, DType::f32);
  int saved = num_threads();
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Rng rng(3);
    Linear lin("fc", in, out, true, rng, DType::f32);
    Tensor y = lin.forward(x);
    Tensor dx = lin.backward(dy);
    results.push_back(y.to_vector());
    results.push_back(dx.to_vector());
    results.push_back(lin.weight.grad.to_vector());
    results.push_back(lin.bias.grad.to_vector());
  }
  set_num_threads(saved);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(results[i], results[i + 4]) << "result " << i;
}

TEST(Linear, InitDependsOnSeedAndNameOnly) {
  Rng rng(42);
  Linear a("encoder.0.ffn.fc1", 64, 256, true, rng, DType::f32);
  Linear b("encoder.0.ffn.fc2", 64, 256, true, rng, DType::f32);
  Rng rng2(42);
  Linear b2("encoder.0.ffn.fc2", 64, 256, true, rng2, DType::f32);  // built first this time
  Linear a2("encoder.0.ffn.fc1", 64, 256, true, rng2, DType::f32);
  EXPECT_EQ(a.weight.value.to_vector(), a2.weight.value.to_vector());
  EXPECT_EQ(b.weight.value.to_vector(), b2.weight.value.to_vector());
  EXPECT_NE(a.weight.value.to_vector(), b.weight.value.to_vector());

  // N(0, 0.02) over n = 16384 draws: the sample mean has sd 0.02/sqrt(n) = 1.6e-4 and the sample
  // sd a relative sd of 1/sqrt(2n) = 0.55%; 5 sigma bounds.
  auto v = a.weight.value.to_vector();
  double n = static_cast<double>(v.size()), s = 0, s2 = 0;
  for (double e : v) s += e, s2 += e * e;
  double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 5 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(sd, 0.02, 5 * 0.02 / std::sqrt(2 * n));
  for (double e : a.bias.value.to_vector()) EXPECT_EQ(e, 0.0);
}

TEST(Linear, ParametersAndNames) {
  Rng rng(1);
  Linear lin("pooler", 8, 4, true, rng, DType::f32);
  auto ps = lin.params();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->name, "pooler.weight");
  EXPECT_EQ(ps[0]->value.shape(), (Shape{4, 8}));
  EXPECT_TRUE(ps[0]->decay);
  EXPECT_EQ(ps[1]->name, "pooler.bias");
  EXPECT_EQ(ps[1]->value.shape(), (Shape{4}));
  EXPECT_FALSE(ps[1]->decay);
  EXPECT_EQ(lin.in_features(), 8);
  EXPECT_EQ(lin.out_features(), 4);
  Linear nobias("proj", 8, 4, false, rng, DType::f32);
  EXPECT_EQ(nobias.params().size(), 1u);
  EXPECT_FALSE(nobias.bias.value.defined());
}

TEST(Linear, EmptyBatch) {
  Rng rng(1);
  Linear lin("fc", 5, 3, true, rng, DType::f32);
  Tensor y = lin.forward(Tensor::zeros({0, 5}));
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  Tensor dx = lin.backward(Tensor::zeros({0, 3}));
  EXPECT_EQ(dx.shape(), (Shape{0, 5}));
  for (double g : lin.bias.grad.to_vector()) EXPECT_EQ(g, 0.0);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Linear, BadInputsThrow) {
  Rng rng(1);
  Linear lin("fc", 5, 3, true, rng, DType::f32);
  EXPECT_EQ(message_of([&] {
              lin.backward(Tensor::zeros({2, 3}));
            }),
            "[linear fc] backward called before forward");
  EXPECT_EQ(message_of([&] {
              lin.forward(Tensor::zeros({2, 4}));
            }),
            "[linear fc] x is (2, 4), expected (*, 5)");
  EXPECT_THROW(lin.forward(Tensor::zeros({5})), Error);
  EXPECT_THROW(lin.forward(Tensor::zeros({2, 5}, DType::f64)), Error);
  lin.forward(Tensor::zeros({2, 5}));
  EXPECT_EQ(message_of([&] {
              lin.backward(Tensor::zeros({3, 3}));
            }),
            "[linear fc] dy is (3, 3), expected (2, 3)");
  EXPECT_THROW(lin.backward(Tensor::zeros({2, 3}, DType::f64)), Error);
  EXPECT_THROW(Linear("bad", 0, 3, true, rng, DType::f32), Error);
  EXPECT_THROW(Linear("bad", 3, 3, true, rng, DType::i32), Error);
}

}  // namespace
}  // namespace lowbit::nn

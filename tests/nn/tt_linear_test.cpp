// TtLinear: forward equals the materialized dense W (f64 to 1e-12, f32 within a derived rounding
// bound), backward vs central finite differences in double for dx, every core and the bias,
// thread-count independent bits, init statistics, TT-SVD init, the factory and shape errors.
#include "lowbit/nn/tt_linear.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

constexpr double kU32 = 5.9604644775390625e-8;  // f32 unit roundoff, 2^-24

Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::f64) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng(seed).fill_normal(t, 0, 1);
  return t;
}

struct Case {
  std::vector<int64_t> in_modes, out_modes, ranks;
};
const Case kCases[] = {
    {{3, 5, 2}, {4, 3, 7}, {1, 3, 4, 1}},
    {{5, 6}, {7, 3}, {1, 4, 1}},
    {{4, 3}, {2, 5}, {1, 1, 1}},
    {{2, 3, 2, 3}, {3, 2, 1, 2}, {1, 2, 3, 2, 1}},
};

int64_t prod(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (auto x : v) p *= x;
  return p;
}

TtLinear make(const Case& c, bool bias, DType dtype, uint64_t seed = 1) {
  Rng rng(seed);
  TtLinear l("fc", prod(c.in_modes), prod(c.out_modes), bias, TtShape{c.in_modes, c.out_modes, c.ranks, 0},
             rng, dtype);
  // O(1) cores and bias so every term matters.
  for (size_t k = 0; k < l.cores.size(); ++k) Rng(100 + k).fill_normal(l.cores[k].value, 0, 1);
  if (bias) Rng(99).fill_normal(l.bias.value, 0, 1);
  return l;
}

// y = x·Wᵀ + b with plain loops in f64.
std::vector<double> dense_ref(const std::vector<double>& x, const std::vector<double>& w,
                              const std::vector<double>& b, int64_t m, int64_t in, int64_t out,
                              bool absolute) {
  std::vector<double> y(static_cast<size_t>(m * out), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < out; ++j) {
      double s = b.empty() ? 0.0 : (absolute ? std::fabs(b[j]) : b[j]);
      for (int64_t p = 0; p < in; ++p)
        s += absolute ? std::fabs(x[i * in + p] * w[j * in + p]) : x[i * in + p] * w[j * in + p];
      y[i * out + j] = s;
    }
  return y;
}

TEST(TtLinear, ForwardMatchesMaterializedInDouble) {
  for (const Case& c : kCases)
    for (int64_t m : {1, 7, 33}) {
      TtLinear l = make(c, true, DType::f64);
      SCOPED_TRACE(::testing::Message() << l.layout().str() << " M=" << m);
      Tensor x = randn({m, l.in_features()}, 5);
      auto y = l.forward(x).to_vector();
      auto ref = dense_ref(x.to_vector(), l.materialize().to_vector(), l.bias.value.to_vector(), m,
                           l.in_features(), l.out_features(), false);
      ASSERT_EQ(y.size(), ref.size());
      for (size_t e = 0; e < y.size(); ++e) ASSERT_NEAR(y[e], ref[e], 1e-12) << "element " << e;
    }
}

// The f32 forward is a chain of d GEMMs with inner lengths K_k = i_k·r_{k+1}, then a bias add.
// Each step's rounding is ≤ (K_k + 1)·u relative to the absolute values flowing through, so
// |y32 - y| ≤ (Σ_k (K_k + 1) + 1)·u·(|x|·|W|ᵀ + |b|) to first order, where |W| is the matrix
// materialized from the cores' absolute values (the entry-wise bound of every product path).
TEST(TtLinear, FloatMatchesDoubleWithinRoundingBound) {
  for (const Case& c : kCases)
    for (int64_t m : {1, 7, 33}) {
      TtLinear l64 = make(c, true, DType::f64);
      TtLinear l32 = make(c, true, DType::f32);
      for (size_t k = 0; k < l32.cores.size(); ++k)
        l64.cores[k].value.copy_from(l32.cores[k].value.to(DType::f64));
      l64.bias.value.copy_from(l32.bias.value.to(DType::f64));
      SCOPED_TRACE(::testing::Message() << l32.layout().str() << " M=" << m);
      Tensor x32 = randn({m, l32.in_features()}, 6, DType::f32);
      auto y32 = l32.forward(x32).to_vector();
      auto y64 = l64.forward(x32.to(DType::f64)).to_vector();
      // |W| from |cores|.
      TtLinear labs = make(c, true, DType::f64);
      for (size_t k = 0; k < labs.cores.size(); ++k) {
        auto v = l64.cores[k].value.to_vector();
        for (auto& e : v) e = std::fabs(e);
        labs.cores[k].value.copy_from(Tensor::from_vector(labs.cores[k].value.shape(), v));
      }
      auto abs_y = dense_ref(x32.to(DType::f64).to_vector(), labs.materialize().to_vector(),
                             l64.bias.value.to_vector(), m, l32.in_features(), l32.out_features(), true);
      double steps = 1;
      for (size_t k = 0; k < c.in_modes.size(); ++k) steps += c.in_modes[k] * c.ranks[k + 1] + 1;
      for (size_t e = 0; e < y32.size(); ++e)
        ASSERT_NEAR(y32[e], y64[e], steps * kU32 * abs_y[e]) << "element " << e;
    }
}

void check_grads(const Case& c, int64_t m, bool bias) {
  TtLinear l = make(c, bias, DType::f64);
  SCOPED_TRACE(::testing::Message() << l.layout().str() << " M=" << m << " bias=" << bias);
  Tensor x = randn({m, l.in_features()}, 10), w = randn({m, l.out_features()}, 11);
  auto loss = [&] { return testing::dot(l.forward(x), w); };
  l.zero_grad();
  l.forward(x);
  Tensor dx = l.backward(w);
  testing::expect_grad_close("dx", x, dx, loss);
  for (size_t k = 0; k < l.cores.size(); ++k)
    testing::expect_grad_close("dcore" + std::to_string(k), l.cores[k].value, l.cores[k].grad.clone(),
                               loss);
  if (bias) testing::expect_grad_close("dbias", l.bias.value, l.bias.grad.clone(), loss);
}

TEST(TtLinear, BackwardMatchesFiniteDifferences) {
  for (const Case& c : kCases) {
    check_grads(c, 1, true);
    check_grads(c, 7, true);
  }
  check_grads(kCases[0], 33, true);
  check_grads(kCases[1], 7, false);
}

TEST(TtLinear, BackwardAccumulates) {
  TtLinear l = make(kCases[0], true, DType::f64);
  Tensor x = randn({4, 30}, 2), dy = randn({4, 84}, 3);
  l.forward(x);
  l.backward(dy);
  auto g1 = l.cores[1].grad.to_vector(), b1 = l.bias.grad.to_vector();
  l.backward(dy);
  auto g2 = l.cores[1].grad.to_vector(), b2 = l.bias.grad.to_vector();
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g2[i], 2 * g1[i], 1e-12);
  for (size_t i = 0; i < b1.size(); ++i) EXPECT_NEAR(b2[i], 2 * b1[i], 1e-12);
}

TEST(TtLinear, GradientBitsDoNotDependOnThreadCount) {
  // 384 -> 384 at rank 8 and M = 300: every GEMM is above the GEMM threading floor (2^18 MACs)
  // and the transposes span several 64-row chunks.
  const int64_t m = 300;
  TtShape shape{{8, 8, 6}, {8, 6, 8}, {}, 8};
  Tensor x = randn({m, 384}, 1, DType::f32), dy = randn({m, 384}, 2, DType::f32);
  int saved = num_threads();
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Rng rng(3);
    TtLinear l("fc", 384, 384, true, shape, rng, DType::f32);
    results.push_back(l.forward(x).to_vector());
    results.push_back(l.backward(dy).to_vector());
    for (Param* p : l.params()) results.push_back(p->grad.to_vector());
  }
  set_num_threads(saved);
  const size_t half = results.size() / 2;
  for (size_t i = 0; i < half; ++i) EXPECT_EQ(results[i], results[i + half]) << "result " << i;
}

TEST(TtLinear, InitHasDenseStdAndDependsOnName) {
  Rng rng(42);
  TtShape shape{{8, 8, 12}, {16, 16, 12}, {}, 16};
  TtLinear a("encoder.0.ffn.fc1", 768, 3072, true, shape, rng, DType::f32);
  Rng rng2(42);
  TtLinear b("encoder.0.ffn.fc2", 768, 3072, true, shape, rng2, DType::f32);
  Rng rng3(42);
  TtLinear a2("encoder.0.ffn.fc1", 768, 3072, true, shape, rng3, DType::f32);
  EXPECT_EQ(a.cores[1].value.to_vector(), a2.cores[1].value.to_vector());
  EXPECT_NE(a.cores[1].value.to_vector(), b.cores[1].value.to_vector());
  // std of W's entries over its first 64 columns (196608 entries): the entries share cores, so
  // they are dependent; allow 15% rather than an i.i.d. sampling bound.
  Tensor x = Tensor::zeros({64, 768});
  for (int64_t i = 0; i < 64; ++i) x.data<float>()[i * 768 + i] = 1.0f;
  auto wt = a.forward(x).to_vector();  // rows of I·Wᵀ = columns of W
  double s2 = 0;
  for (double e : wt) s2 += e * e;
  EXPECT_NEAR(std::sqrt(s2 / wt.size()), 0.02, 0.003);
  EXPECT_EQ(a.params().size(), 4u);
  EXPECT_EQ(a.params()[0]->name, "encoder.0.ffn.fc1.core0");
  EXPECT_TRUE(a.params()[2]->decay);
  EXPECT_EQ(a.params()[3]->name, "encoder.0.ffn.fc1.bias");
  EXPECT_FALSE(a.params()[3]->decay);
  EXPECT_EQ(a.dense_numel(), 768 * 3072);
  EXPECT_EQ(a.params()[1]->value.shape(), (Shape{16, 16, 8, 16}));
}

TEST(TtLinear, FromDenseReproducesAtFullRankAndTruncates) {
  Rng rng(1);
  Linear dense("fc", 30, 84, true, rng, DType::f64);
  Rng(2).fill_normal(dense.bias.value, 0, 1);
  TtLinear full = tt_linear_from_dense("fc", dense, TtShape{{3, 5, 2}, {4, 3, 7}, {}, 1000});
  Tensor x = randn({7, 30}, 3);
  auto yd = dense.forward(x).to_vector(), yt = full.forward(x).to_vector();
  for (size_t e = 0; e < yd.size(); ++e) ASSERT_NEAR(yt[e], yd[e], 1e-12) << e;
  TtLinear low = tt_linear_from_dense("fc", dense, TtShape{{3, 5, 2}, {4, 3, 7}, {}, 2});
  EXPECT_EQ(low.layout().ranks, (std::vector<int64_t>{1, 2, 2, 1}));
  EXPECT_LT(low.layout().numel(), full.layout().numel());
  // Weights in f32 give f32 cores.
  TtLinear f = tt_linear_from_dense("fc", dense.weight.value.to(DType::f32), Tensor(),
                                    TtShape{{3, 5, 2}, {4, 3, 7}, {}, 2});
  EXPECT_EQ(f.cores[0].value.dtype(), DType::f32);
  EXPECT_EQ(f.params().size(), 3u);
}

TEST(TtLinear, FactoryPicksByName) {
  ProjectionFactory make_proj = tt_projections(TtOptions{{"ffn", "attention"}, 3, 8, {}});
  Rng rng(1);
  auto a = make_proj("encoder.0.ffn.fc1", 384, 1536, true, rng, DType::f32);
  auto b = make_proj("encoder.0.attention.q", 384, 384, true, rng, DType::f32);
  auto c = make_proj("pooler", 384, 384, true, rng, DType::f32);
  EXPECT_NE(dynamic_cast<TtLinear*>(a.get()), nullptr);
  EXPECT_NE(dynamic_cast<TtLinear*>(b.get()), nullptr);
  EXPECT_NE(dynamic_cast<Linear*>(c.get()), nullptr);
  EXPECT_EQ(a->out_features(), 1536);
  Tensor y = a->forward(Tensor::zeros({2, 384}));
  EXPECT_EQ(y.shape(), (Shape{2, 1536}));
}

TEST(TtLinear, EmptyBatch) {
  TtLinear l = make(kCases[0], true, DType::f32);
  Tensor y = l.forward(Tensor::zeros({0, 30}));
  EXPECT_EQ(y.shape(), (Shape{0, 84}));
  Tensor dx = l.backward(Tensor::zeros({0, 84}));
  EXPECT_EQ(dx.shape(), (Shape{0, 30}));
  for (double g : l.bias.grad.to_vector()) EXPECT_EQ(g, 0.0);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TtLinear, BadShapesThrowNamingTheLayer) {
  TtLinear l = make(kCases[0], true, DType::f32);
  EXPECT_EQ(message_of([&] { l.backward(Tensor::zeros({2, 84})); }),
            "[tt_linear fc] backward called before forward");
  EXPECT_EQ(message_of([&] { l.forward(Tensor::zeros({2, 31})); }),
            "[tt_linear fc] x is (2, 31), expected (*, 30)");
  EXPECT_EQ(message_of([&] { l.forward(Tensor::zeros({2, 30}, DType::f64)); }),
            "[tt_linear fc] x is f64 but the cores are f32");
  l.forward(Tensor::zeros({2, 30}));
  EXPECT_EQ(message_of([&] { l.backward(Tensor::zeros({3, 84})); }),
            "[tt_linear fc] dy is (3, 84), expected (2, 84)");
  Rng rng(1);
  EXPECT_EQ(message_of([&] { TtLinear("q", 30, 84, true, TtShape{{3, 5, 2}, {4, 3, 6}, {}, 2}, rng, DType::f32); }),
            "[tt_linear q] out modes (4, 3, 6) multiply to 72, expected out = 84");
  EXPECT_EQ(message_of([&] { TtLinear("q", 30, 84, true, TtShape{{3, 5, 2}, {4, 3, 7}, {}, 2}, rng, DType::i32); }),
            "[tt_linear q] dtype is i32, expected f32 or f64");
  EXPECT_THROW(tt_linear_from_dense("q", Tensor::zeros({84, 31}), Tensor(), TtShape{{3, 5, 2}, {4, 3, 7}, {}, 2}),
               Error);
}

}  // namespace
}  // namespace lowbit::nn

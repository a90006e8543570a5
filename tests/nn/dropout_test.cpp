// Dropout: masks are a pure function of (seed, stream, step, element), keep about 1 - p of the
// elements, scale by 1/(1-p) in forward and backward alike, and vanish in evaluation.
#include "lowbit/nn/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

std::vector<uint8_t> mask_of(const Rng& rng, uint64_t step, int64_t n, double p) {
  std::vector<uint8_t> m(static_cast<size_t>(n));
  dropout_mask(rng, step, n, p, m.data());
  return m;
}

// Also at p equal to some element's draw and one double ulp either side of it, where the
// kernel's integer threshold and the float comparison must agree exactly.
TEST(DropoutMask, IsTheKeyedUniformDraw) {
  const Rng rng = Rng(5).child(3);
  Rng c = rng.child(7);
  std::vector<double> ps = {0.3, 0.0, 0.5, 1.0 - 0x1p-24, 0x1p-24, 0x1p-30, 1.0};
  for (int64_t i : {0, 1, 500}) {
    const double u = u32_to_unit_float(c.u32_at(i));
    for (double q : {u, std::nextafter(u, 0.0), std::nextafter(u, 1.0)}) ps.push_back(q);
  }
  for (double p : ps) {
    auto m = mask_of(rng, 7, 1001, p);
    for (int64_t i = 0; i < 1001; ++i)
      ASSERT_EQ(m[i], u32_to_unit_float(c.u32_at(i)) >= p ? 1 : 0) << "element " << i << " p " << p;
  }
}

TEST(DropoutMask, DependsOnlyOnSeedStreamStepAndElement) {
  const Rng rng = Rng(5).child(3);
  auto full = mask_of(rng, 7, 1000, 0.5);
  auto prefix = mask_of(rng, 7, 37, 0.5);  // element i does not depend on n
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), full.begin()));
  EXPECT_NE(mask_of(rng, 8, 1000, 0.5), full);              // another step
  EXPECT_NE(mask_of(Rng(5).child(4), 7, 1000, 0.5), full);  // another layer stream
  EXPECT_NE(mask_of(Rng(6).child(3), 7, 1000, 0.5), full);  // another seed

  // 100003 elements span several parallel chunks with a ragged end.
  int saved = num_threads();
  set_num_threads(1);
  auto one = mask_of(rng, 9, 100003, 0.1);
  set_num_threads(2);
  auto two = mask_of(rng, 9, 100003, 0.1);
  set_num_threads(saved);
  EXPECT_EQ(one, two);
}

TEST(DropoutMask, KeepsAboutOneMinusP) {
  // Each element is kept independently with probability 1 - p (the draw is a multiple of 2^-24,
  // so the probability is exact for these p up to 2^-24). The kept fraction of n draws has
  // sd sqrt(p (1 - p) / n) <= 4.9e-4 at n = 2^20; 6 sd keeps false failures below 1e-8.
  const int64_t n = 1 << 20;
  for (double p : {0.1, 0.5, 0.9}) {
    auto m = mask_of(Rng(11), 1, n, p);
    double kept = 0;
    for (uint8_t v : m) kept += v;
    double sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(kept / n, 1 - p, 6 * sd) << "p = " << p;
  }
  auto none = mask_of(Rng(11), 1, 1000, 0.0);
  for (uint8_t v : none) EXPECT_EQ(v, 1);
}

TEST(Dropout, TrainingScalesKeptElementsForwardAndBackward) {
  for (DType dt : {DType::f32, DType::f64}) {
    const double p = 0.25;
    const Rng rng = Rng(2).child(1);
    Dropout drop(p, rng);
    Tensor x = Tensor::empty({7, 33}, dt);
    Rng(3).fill_normal(x, 0, 1);
    ForwardContext ctx{true, 41};
    Tensor y = drop.forward(x, ctx);
    auto m = mask_of(rng, 41, x.numel(), p);
    auto xv = x.to_vector(), yv = y.to_vector();
    const double scale = dt == DType::f32 ? static_cast<float>(1 / (1 - p)) : 1 / (1 - p);
    for (size_t i = 0; i < xv.size(); ++i) {
      double want =
          m[i] ? (dt == DType::f32 ? static_cast<float>(xv[i] * scale) : xv[i] * scale) : 0.0;
      ASSERT_EQ(yv[i], want) << "element " << i;
    }
    Tensor dy = Tensor::empty({7, 33}, dt);
    Rng(4).fill_normal(dy, 0, 1);
    auto dyv = dy.to_vector(), dxv = drop.backward(dy).to_vector();
    for (size_t i = 0; i < dyv.size(); ++i) {
      double want =
          m[i] ? (dt == DType::f32 ? static_cast<float>(dyv[i] * scale) : dyv[i] * scale) : 0.0;
      ASSERT_EQ(dxv[i], want) << "element " << i;
    }
  }
}

TEST(Dropout, SameStepSameMaskAcrossInstances) {
  Dropout a(0.5, Rng(9).child(2)), b(0.5, Rng(9).child(2));
  Tensor x = Tensor::full({1, 257}, 1.0);
  ForwardContext ctx{true, 3};
  EXPECT_EQ(a.forward(x, ctx).to_vector(), b.forward(x, ctx).to_vector());
  ForwardContext next{true, 4};
  EXPECT_NE(a.forward(x, ctx).to_vector(), a.forward(x, next).to_vector());
}

TEST(Dropout, IdentityInEvaluationAndAtZeroRate) {
  Dropout drop(0.5, Rng(1));
  Tensor x = Tensor::empty({5, 17});
  Rng(2).fill_normal(x, 0, 1);
  Tensor y = drop.forward(x, ForwardContext{false, 3});
  EXPECT_TRUE(y.same_storage(x));
  EXPECT_EQ(y.to_vector(), x.to_vector());
  Tensor dy = Tensor::full({5, 17}, 2.0);
  EXPECT_EQ(drop.backward(dy).to_vector(), dy.to_vector());

  Dropout off(0.0, Rng(1));
  EXPECT_EQ(off.forward(x, ForwardContext{true, 3}).to_vector(), x.to_vector());
  EXPECT_EQ(off.backward(dy).to_vector(), dy.to_vector());
}

TEST(Dropout, BackwardMatchesFiniteDifferences) {
  Dropout drop(0.4, Rng(8));
  ForwardContext ctx{true, 5};
  for (Shape shape : {Shape{1, 5}, Shape{7, 17}, Shape{33, 5}}) {
    Tensor x = Tensor::empty(shape, DType::f64), w = Tensor::empty(shape, DType::f64);
    Rng(1).fill_normal(x, 0, 1);
    Rng(2).fill_normal(w, 0, 1);
    auto loss = [&] { return testing::dot(drop.forward(x, ctx), w); };
    drop.forward(x, ctx);
    testing::expect_grad_close("dx", x, drop.backward(w), loss);
  }
}

TEST(Dropout, BadInputsThrow) {
  EXPECT_THROW(Dropout(1.0, Rng(1)), Error);
  EXPECT_THROW(Dropout(-0.1, Rng(1)), Error);
  Dropout drop(0.5, Rng(1));
  Tensor x = Tensor::zeros({4, 3});
  drop.forward(x, ForwardContext{true, 1});
  EXPECT_THROW(drop.backward(Tensor::zeros({3, 4})), Error);
  EXPECT_THROW(drop.forward(Tensor::zeros({4}, DType::i32), ForwardContext{true, 1}), Error);
}

}  // namespace
}  // namespace lowbit::nn

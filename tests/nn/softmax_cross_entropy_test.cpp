// Softmax cross-entropy: a hand-computed case, dlogits vs finite differences of the mean loss,
// stability at large logits, f32 vs f64, accuracy counting, and label/shape errors.
#include "lowbit/nn/softmax_cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/core/rng.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

constexpr double kU32 = 5.9604644775390625e-8;  // f32 unit roundoff, 2^-24

TEST(SoftmaxCrossEntropy, MatchesHandComputation) {
  Tensor logits = Tensor::from_vector<double>({2, 3}, {1, 2, 3, 1, 1, 1});
  Tensor labels = Tensor::from_vector<int32_t>({2}, {2, 0});
  SoftmaxCrossEntropy ce;
  double loss = ce.forward(logits, labels);
  const double z0 = std::exp(1) + std::exp(2) + std::exp(3);
  const double want = ((std::log(z0) - 3) + std::log(3.0)) / 2;  // 0.7531091265562449
  EXPECT_NEAR(loss, want, 1e-15);
  EXPECT_NEAR(loss, 0.7531091265562449, 1e-15);
  auto d = ce.backward().to_vector();
  const std::vector<double> wd = {std::exp(1) / z0 / 2,
                                  std::exp(2) / z0 / 2,
                                  (std::exp(3) / z0 - 1) / 2,
                                  (1.0 / 3 - 1) / 2,
                                  1.0 / 6,
                                  1.0 / 6};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(d[i], wd[i], 4e-16) << i;  // exp, log, divide: a few ulp
  EXPECT_EQ(ce.correct(), 2);  // row 1 ties: the first maximum (class 0) is the prediction

  Tensor other = Tensor::from_vector<int32_t>({2}, {1, 2});
  ce.forward(logits, other);
  EXPECT_EQ(ce.correct(), 0);
}

TEST(SoftmaxCrossEntropy, BackwardMatchesFiniteDifferences) {
  for (auto [b, k] : {std::pair<int64_t, int64_t>{1, 5}, {7, 17}, {33, 5}, {4, 1}}) {
    Tensor logits = Tensor::empty({b, k}, DType::f64);
    Rng(1).fill_normal(logits, 0, 3);
    Rng r(2);
    std::vector<int32_t> lv(static_cast<size_t>(b));
    for (auto& l : lv) l = static_cast<int32_t>(r.below(static_cast<uint64_t>(k)));
    Tensor labels = Tensor::from_vector<int32_t>({b}, lv);
    SoftmaxCrossEntropy ce;
    auto loss = [&] { return SoftmaxCrossEntropy().forward(logits, labels); };
    ce.forward(logits, labels);
    testing::expect_grad_close("dlogits", logits, ce.backward(), loss);
  }
}

TEST(SoftmaxCrossEntropy, StableAtLargeLogits) {
  Tensor big = Tensor::from_vector<float>({1, 3}, {1000, 1001, 1002});
  Tensor small = Tensor::from_vector<float>({1, 3}, {0, 1, 2});
  Tensor labels = Tensor::from_vector<int32_t>({1}, {0});
  SoftmaxCrossEntropy a, b;
  double lb = a.forward(big, labels), ls = b.forward(small, labels);
  EXPECT_TRUE(std::isfinite(lb));
  EXPECT_NEAR(lb, ls, 1e-12);
  auto da = a.backward().to_vector(), db = b.backward().to_vector();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(da[i], db[i], 1e-7);
  Tensor neg = Tensor::from_vector<float>({1, 2}, {-1e30f, 0});
  EXPECT_NEAR(a.forward(neg, Tensor::from_vector<int32_t>({1}, {1})), 0.0, 1e-300);
}

// Both dtypes sum in double from the same values, so the loss agrees to double rounding, and
// f32 dlogits is the double result rounded once: within u |d|.
TEST(SoftmaxCrossEntropy, FloatMatchesDouble) {
  Tensor l32 = Tensor::empty({9, 7});
  Rng(3).fill_normal(l32, 0, 4);
  std::vector<int32_t> lv = {0, 6, 3, 3, 1, 2, 5, 4, 0};
  Tensor labels = Tensor::from_vector<int32_t>({9}, lv);
  SoftmaxCrossEntropy c32, c64;
  double a = c32.forward(l32, labels), b = c64.forward(l32.to(DType::f64), labels);
  EXPECT_NEAR(a, b, 1e-14 * std::fabs(b));
  EXPECT_EQ(c32.correct(), c64.correct());
  Tensor d32 = c32.backward();
  EXPECT_EQ(d32.dtype(), DType::f32);
  auto x = d32.to_vector(), y = c64.backward().to_vector();
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], kU32 * std::fabs(y[i])) << i;
}

TEST(SoftmaxCrossEntropy, BadInputsThrow) {
  SoftmaxCrossEntropy ce;
  EXPECT_THROW(ce.backward(), Error);
  Tensor logits = Tensor::zeros({2, 3});
  try {
    ce.forward(logits, Tensor::from_vector<int32_t>({2}, {1, 3}));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("label 3 at row 1"), std::string::npos) << m;
    EXPECT_NE(m.find("3 classes"), std::string::npos) << m;
  }
  EXPECT_THROW(ce.forward(logits, Tensor::from_vector<int32_t>({2}, {-1, 0})), Error);
  EXPECT_THROW(ce.forward(logits, Tensor::from_vector<int32_t>({3}, {0, 0, 0})), Error);
  EXPECT_THROW(ce.forward(logits, Tensor::zeros({2})), Error);  // f32 labels
  EXPECT_THROW(ce.forward(Tensor::zeros({3}), Tensor::zeros({3}, DType::i32)), Error);
  EXPECT_THROW(ce.forward(Tensor::zeros({0, 3}), Tensor::zeros({0}, DType::i32)), Error);
  EXPECT_THROW(ce.forward(Tensor::zeros({2, 3}, DType::i32), Tensor::zeros({2}, DType::i32)),
               Error);
}

}  // namespace
}  // namespace lowbit::nn

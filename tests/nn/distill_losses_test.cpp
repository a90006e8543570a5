// Distillation losses: gradients against finite differences in double, the KL form's zero at a
// perfect student, the temperature's T^2 scale, thread-count independent bits, shape errors.
#include "lowbit/nn/distill_losses.h"

#include <gtest/gtest.h>

#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::f64, double sd = 1) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng(seed).fill_normal(t, 0, sd);
  return t;
}

TEST(DistillLosses, MseGradientMatchesFiniteDifferences) {
  for (int64_t n : {1, 7, 5000}) {
    Tensor s = randn({n, 3}, 1), t = randn({n, 3}, 2);
    Tensor ds;
    mse_loss(s, t, &ds);
    testing::expect_grad_close("dstudent", s, ds, [&] { return mse_loss(s, t, nullptr); });
  }
}

TEST(DistillLosses, MseValue) {
  Tensor s = Tensor::from_vector<double>({2, 2}, {1.0, 2.0, 3.0, 4.0});
  Tensor t = Tensor::from_vector<double>({2, 2}, {1.0, 0.0, 3.0, 5.0});
  EXPECT_DOUBLE_EQ(mse_loss(s, t, nullptr), (4.0 + 1.0) / 4.0);
}

TEST(DistillLosses, SoftCrossEntropyGradientMatchesFiniteDifferences) {
  for (double temp : {1.0, 2.5}) {
    Tensor s = randn({9, 5}, 3, DType::f64, 2), t = randn({9, 5}, 4, DType::f64, 2);
    Tensor ds;
    soft_cross_entropy(s, t, temp, &ds);
    testing::expect_grad_close("dstudent", s, ds,
                               [&] { return soft_cross_entropy(s, t, temp, nullptr); });
  }
}

TEST(DistillLosses, SoftCrossEntropyIsZeroAtTheTeacherAndPositiveElsewhere) {
  Tensor t = randn({4, 6}, 5);
  Tensor ds;
  EXPECT_NEAR(soft_cross_entropy(t, t, 2.0, &ds), 0.0, 1e-15);
  for (double g : ds.to_vector()) EXPECT_NEAR(g, 0.0, 1e-15);
  EXPECT_GT(soft_cross_entropy(randn({4, 6}, 6), t, 2.0, nullptr), 0.0);
}

TEST(DistillLosses, BitsDoNotDependOnThreads) {
  Tensor s = randn({300, 45}, 7, DType::f32), t = randn({300, 45}, 8, DType::f32);
  auto run = [&](int threads, double* mse, double* kl, Tensor* dm, Tensor* dk) {
    set_num_threads(threads);
    *mse = mse_loss(s, t, dm);
    *kl = soft_cross_entropy(s, t, 2.0, dk);
  };
  double m1, k1, m2, k2;
  Tensor dm1, dk1, dm2, dk2;
  run(1, &m1, &k1, &dm1, &dk1);
  run(2, &m2, &k2, &dm2, &dk2);
  set_num_threads(0);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(k1, k2);
  EXPECT_EQ(0, std::memcmp(dm1.raw(), dm2.raw(), dm1.nbytes()));
  EXPECT_EQ(0, std::memcmp(dk1.raw(), dk2.raw(), dk1.nbytes()));
}

TEST(DistillLosses, ShapeAndDtypeErrors) {
  EXPECT_THROW(mse_loss(randn({2, 3}, 1), randn({3, 2}, 2), nullptr), Error);
  EXPECT_THROW(mse_loss(randn({2, 3}, 1), randn({2, 3}, 2, DType::f32), nullptr), Error);
  EXPECT_THROW(soft_cross_entropy(randn({6}, 1), randn({6}, 2), 1.0, nullptr), Error);
  EXPECT_THROW(soft_cross_entropy(randn({2, 3}, 1), randn({2, 3}, 2), 0.0, nullptr), Error);
}

}  // namespace
}  // namespace lowbit::nn

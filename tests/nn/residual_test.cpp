// Residual add: exact elementwise sums, the y += y alias, and mismatches that must throw.
#include "lowbit/nn/residual.h"

#include <gtest/gtest.h>

namespace lowbit::nn {
namespace {

TEST(Residual, AddsElementwise) {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor y = Tensor::from_vector<double>({2, 3}, {1, 2, 3, 4, 5, 6}).to(dt);
    Tensor x = Tensor::from_vector<double>({2, 3}, {0.5, -2, 0, 1e3, -5, 0.25}).to(dt);
    add_inplace(y, x);
    EXPECT_EQ(y.to_vector(), (std::vector<double>{1.5, 0, 3, 1004, 0, 6.25}));
  }
}

TEST(Residual, LargeOddSizeAcrossChunks) {
  const int64_t n = (1 << 16) + 7;
  Tensor y = Tensor::full({n}, 1.0), x = Tensor::full({n}, 2.0);
  add_inplace(y, x);
  for (double v : y.to_vector()) ASSERT_EQ(v, 3.0);
}

TEST(Residual, SelfAliasDoubles) {
  Tensor y = Tensor::from_vector<float>({3}, {1, -2, 3});
  add_inplace(y, y);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{2, -4, 6}));
}

TEST(Residual, DisjointRowsOfOneTensorAreFine) {
  Tensor t = Tensor::from_vector<float>({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor top = t.rows(0, 2), bottom = t.rows(2, 4);
  add_inplace(top, bottom);
  EXPECT_EQ(t.to_vector(), (std::vector<double>{6, 8, 10, 12, 5, 6, 7, 8}));
}

TEST(Residual, MismatchesThrow) {
  Tensor y = Tensor::zeros({2, 3});
  EXPECT_THROW(add_inplace(y, Tensor::zeros({3, 2})), Error);
  EXPECT_THROW(add_inplace(y, Tensor::zeros({2, 3}, DType::f64)), Error);
  Tensor yi = Tensor::zeros({2}, DType::i32);
  EXPECT_THROW(add_inplace(yi, Tensor::zeros({2}, DType::i32)), Error);
  Tensor t = Tensor::zeros({4, 2});
  Tensor a = t.rows(0, 3), b = t.rows(1, 4);
  EXPECT_THROW(add_inplace(a, b), Error);
}

}  // namespace
}  // namespace lowbit::nn

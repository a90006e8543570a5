// Tensor basics: shapes, views, conversions and the error messages users see.
#include "lowbit/core/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace lowbit {

TEST(Tensor, AlignedAndZeroed) {
  Tensor t = Tensor::zeros({3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
  EXPECT_EQ(t.numel(), 15);
  for (double v : t.to_vector()) EXPECT_EQ(v, 0.0);
}

TEST(Tensor, ReshapeAndRowsShareStorage) {
  Tensor t = Tensor::from_vector<float>({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor r = t.reshape({3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  Tensor row1 = t.rows(1, 2);
  EXPECT_EQ(row1.shape(), (Shape{1, 3}));
  EXPECT_EQ(row1.data<float>()[0], 3.0f);
  row1.data<float>()[0] = 7;
  EXPECT_EQ(t.data<float>()[3], 7.0f);
  EXPECT_TRUE(row1.same_storage(t));
}

TEST(Tensor, ConversionsAndZeroSize) {
  Tensor t = Tensor::from_vector<int8_t>({3}, {-3, 0, 5});
  Tensor f = t.to(DType::f64);
  EXPECT_EQ(f.to_vector(), (std::vector<double>{-3, 0, 5}));
  Tensor e = Tensor::zeros({0, 7});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.clone().numel(), 0);
}

TEST(Tensor, ErrorsNameShapesAndTypes) {
  Tensor t = Tensor::zeros({2, 3});
  try {
    t.data<double>();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("f32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.reshape({4, 2}), Error);
  try {
    check_shape("linear", "weight", t, {3, -1});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "[linear] weight is (2, 3), expected (3, *)");
  }
}

}  // namespace lowbit

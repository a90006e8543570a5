// Bit splitting: every 8-bit code is 16·hi + lo + 8 with both parts in int4, and bit_split()
// holds exactly the codes (and scale) of quantize() at 8 bits with the same seed.
#include "lowbit/quant/bit_split.h"

#include <gtest/gtest.h>

#include "lowbit/core/rng.h"
#include "lowbit/quant/uniform.h"

namespace lowbit {
namespace {

TEST(BitSplit, EveryCodeReconstructsExactly) {
  int8_t c[256], hi[256], lo[256];
  for (int i = 0; i < 256; ++i) c[i] = static_cast<int8_t>(i - 128);
  bit_split_codes(c, 256, hi, lo);
  for (int i = 0; i < 256; ++i) {
    EXPECT_GE(hi[i], -8);
    EXPECT_LE(hi[i], 7);
    EXPECT_GE(lo[i], -8);
    EXPECT_LE(lo[i], 7);
    EXPECT_EQ(16 * hi[i] + lo[i] + 8, c[i]) << "code " << int(c[i]);
  }
}

TEST(BitSplit, PartsHoldTheEightBitQuantization) {
  Tensor x = Tensor::empty({13, 31});  // odd columns: packed rows end on a half byte
  Rng(4).fill_normal(x, 0, 2);
  BitSplit s = bit_split(x, 7, 9);
  QFormat f;
  f.bits = 8;
  f.rounding = Rounding::stochastic;
  QTensor q = quantize(x, f, 7, 9);
  EXPECT_EQ(s.scale, q.scales.data<float>()[0]);
  Tensor hi = qtensor_int_codes(s.hi), lo = qtensor_int_codes(s.lo), c = qtensor_int_codes(q);
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_EQ(16 * hi.data<int32_t>()[i] + lo.data<int32_t>()[i] + 8, c.data<int32_t>()[i]) << i;
}

}  // namespace
}  // namespace lowbit

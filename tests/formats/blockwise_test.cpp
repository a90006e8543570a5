// Dynamic 8-bit map (Dettmers et al.): construction against the definition and bitsandbytes'
// known values, exact nearest-code encoding (brute force), block-wise round-trip bound.
#include "lowbit/formats/blockwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

TEST(DynamicMap, PropertiesOfBothMaps) {
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map}) {
    const float* m = dynamic_map(w);
    for (int i = 0; i < 255; ++i) ASSERT_LT(m[i], m[i + 1]) << "not strictly ascending at " << i;
    EXPECT_EQ(m[255], 1.0f);
    EXPECT_NE(std::find(m, m + 256, 0.0f), m + 256);
  }
  const float* s = dynamic_map(DynamicMap::signed_map);
  // Signed: symmetric apart from +1 (bitsandbytes has 127 negatives, 0, 127 positives and 1).
  std::set<float> values(s, s + 256);
  int neg = 0;
  for (int i = 0; i < 256; ++i)
    if (s[i] < 0) {
      ++neg;
      EXPECT_TRUE(values.count(-s[i])) << s[i];
    }
  EXPECT_EQ(neg, 127);
  EXPECT_EQ(s[0], -0.99296875f);  // the most negative code is -(1 - 0.9/128)
  EXPECT_EQ(s[127], 0.0f);
  EXPECT_EQ(s[128], 5.5e-7f);     // 1e-6 * (0.1 + 1) / 2
  EXPECT_EQ(s[254], 0.99296875f);
  const float* u = dynamic_map(DynamicMap::unsigned_map);
  EXPECT_EQ(u[0], 0.0f);
  EXPECT_EQ(u[1], 3.25e-7f);      // 1e-6 * 0.325: two fraction values in the first decade
  EXPECT_EQ(u[2], 7.75e-7f);
  EXPECT_EQ(u[254], static_cast<float>(1.0 - 0.9 / 256));
}

// Every entry from the definition: decade i has 2^i (signed) or 2^(i+1) (unsigned) values
// 10^(i-6) * (0.1 + 0.9 * (k + 0.5) / count), written here independently as a sorted list.
TEST(DynamicMap, EntriesMatchTheDefinition) {
  for (bool is_signed : {true, false}) {
    std::vector<double> want = {0.0, 1.0};
    for (int i = 0; i <= 6; ++i) {
      int count = is_signed ? (1 << i) : (2 << i);
      for (int k = 0; k < count; ++k) {
        double v = std::pow(10.0, i - 6) * (0.1 + 0.9 * (2 * k + 1) / (2.0 * count));
        want.push_back(v);
        if (is_signed) want.push_back(-v);
      }
    }
    std::sort(want.begin(), want.end());
    ASSERT_EQ(want.size(), 256u);
    const float* m = dynamic_map(is_signed ? DynamicMap::signed_map : DynamicMap::unsigned_map);
    for (int i = 0; i < 256; ++i)
      EXPECT_EQ(m[i], static_cast<float>(want[i])) << (is_signed ? "signed " : "unsigned ") << i;
  }
}

int brute_nearest(double v, const float* m) {
  int best = 0;
  for (int k = 1; k < 256; ++k)
    if (std::fabs(v - m[k]) < std::fabs(v - m[best])) best = k;  // ties keep the lower code
  return best;
}

TEST(DynamicMap, EncodeIsExactNearest) {
  Rng rng(3);
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map}) {
    const float* m = dynamic_map(w);
    std::vector<float> probe;
    for (int i = 0; i < 20000; ++i) {
      float mag = std::pow(10.0f, -8.0f * rng.uniform());
      probe.push_back(rng.uniform() < 0.5f ? -mag : mag);
      probe.push_back(2 * rng.uniform() - 1);
    }
    for (int i = 0; i < 255; ++i) {  // exact midpoints and their neighbours
      float mid = static_cast<float>((double(m[i]) + m[i + 1]) / 2);
      for (float v : {mid, std::nextafter(mid, 2.0f), std::nextafter(mid, -2.0f), m[i]}) probe.push_back(v);
    }
    for (float v : probe) ASSERT_EQ(dynamic_encode(v, w), brute_nearest(v, m)) << "v=" << v;
  }
}

// |x - map[c] * absmax| <= half the gap between map[c] and its neighbour on x's side, times
// absmax (x / absmax has one float rounding: slack 2^-24 relative on each side). Below the
// signed map's lowest entry -0.99296875 there is no neighbour (the map has +1 but no -1): a
// block whose absmax is negative reconstructs it with error (1 - 0.99296875) * absmax.
TEST(Blockwise, RoundTripWithinHalfTheLocalGap) {
  for (int64_t block : {2048, 256})
    for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map}) {
      const int64_t n = 3 * block + 77;
      Tensor t = Tensor::empty({n});
      Rng(block).fill_normal(t, 0, 1);
      std::vector<float> x(t.data<float>(), t.data<float>() + n);
      if (w == DynamicMap::unsigned_map)
        for (float& v : x) v = v * v;  // non-negative, like Adam's second moment
      for (int64_t i = 0; i < block; ++i) x[i] = 0.0f;  // an all-zero block
      std::vector<uint8_t> codes(n);
      std::vector<float> absmax((n + block - 1) / block), back(n);
      blockwise_quantize(x.data(), n, block, w, codes.data(), absmax.data());
      blockwise_dequantize(codes.data(), absmax.data(), n, block, w, back.data());
      const float* m = dynamic_map(w);
      EXPECT_EQ(absmax[0], 0.0f);
      for (int64_t i = 0; i < n; ++i) {
        float a = absmax[i / block];
        if (a == 0.0f) {
          ASSERT_EQ(back[i], 0.0f);
          continue;
        }
        int c = codes[i];
        double v = double(x[i]) / a;
        double half = v >= m[c] ? (c < 255 ? m[c + 1] - m[c] : 0.0) / 2
                                : (c > 0 ? (m[c] - m[c - 1]) / 2 : m[0] + 1.0);
        double bound = half * a + 0x1p-23 * (std::fabs(x[i]) + a);
        ASSERT_LE(std::fabs(x[i] - back[i]), bound) << "block " << block << " i " << i;
      }
    }
}

}  // namespace
}  // namespace lowbit

// round_even against std::nearbyint (default rounding mode), bit for bit: a stride through all
// 2^32 float patterns, every half-integer and its neighbours up to 2^24, the limits and specials;
// doubles at random magnitudes and around 2^52.
#include "lowbit/core/round.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

template <class T, class U>
void expect_same(T v) {
  const T want = std::nearbyint(v), got = round_even(v);
  if (std::isnan(want)) {
    ASSERT_TRUE(std::isnan(got)) << v;
  } else {
    ASSERT_EQ(std::bit_cast<U>(got), std::bit_cast<U>(want)) << v;
  }
}

TEST(RoundEven, FloatMatchesNearbyint) {
  for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 997)
    expect_same<float, uint32_t>(std::bit_cast<float>(static_cast<uint32_t>(b)));
  for (float h = 0.5f; h < 16777216.0f; h += h < 4096.0f ? 1.0f : 4099.0f)
    for (float v : {h, std::nextafter(h, 0.0f), std::nextafter(h, 1e30f)}) {
      expect_same<float, uint32_t>(v);
      expect_same<float, uint32_t>(-v);
    }
  for (float v : {0.0f, -0.0f, 8388607.5f, 8388608.0f, 8388609.0f, -8388607.5f, 16777215.0f,
                  std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                  std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()})
    expect_same<float, uint32_t>(v);
}

TEST(RoundEven, DoubleMatchesNearbyint) {
  Rng rng(7);
  for (int i = 0; i < 200000; ++i) {
    const double v = std::ldexp(rng.uniform() - 0.5, static_cast<int>(rng.uniform() * 70) - 8);
    expect_same<double, uint64_t>(v);
  }
  const double big = 4503599627370496.0;
  for (double v : {0.5, 1.5, 2.5, -2.5, big - 0.5, big - 1.5, big, big + 1, -big + 0.5, 0.0, -0.0,
                   std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
    expect_same<double, uint64_t>(v);
}

}  // namespace
}  // namespace lowbit

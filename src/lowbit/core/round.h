// Round to the nearest integer, ties to even: std::nearbyint in the default rounding mode (the
// only one lowbit runs in), without its libm call. At baseline x86-64 (no SSE4.1 roundss) the
// call is most of an element-wise quantizer's time (LSQ's forward and backward: 40 % of a QAT
// training step). |v| < 2^23 (2^52 for double): adding 2^23 puts v where the float spacing is 1,
// so the addition rounds it (nearest even) and the subtraction is exact; larger |v| are already
// integers, and NaN and +-inf come back as they are. The sign is copied back, so -0.3 -> -0.
#pragma once

#include <cmath>
#include <type_traits>

namespace lowbit {

template <class T>
inline T round_even(T v) {
  static_assert(std::is_floating_point_v<T>);
  constexpr T kBig = std::is_same_v<T, float> ? T(8388608.0) : T(4503599627370496.0);
  const T a = std::fabs(v);
  if (!(a < kBig)) return v;
  return std::copysign((a + kBig) - kBig, v);
}

}  // namespace lowbit

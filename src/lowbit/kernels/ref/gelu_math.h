// The f32 erf-GELU element arithmetic, shared by the `_ref` and the ISA files of the gelu family:
// straight-line code (clamps on the bits, one division, 2^n built in the exponent) that compilers
// vectorize at any width with the same IEEE operations in the same order (ISA files are built
// with -ffp-contract=off), so every variant gives the reference's bits. Internal linkage only
// (an unnamed namespace, builtins rather than std:: inline functions), so no ISA copy can leak
// into baseline code through the linker.
#pragma once

#include <cstdint>

namespace lowbit {
namespace {

constexpr float kGeluSqrtHalf = 0.70710678118654752440f;
constexpr float kGeluInvSqrt2Pi = 0.39894228040143267794f;

inline int32_t gelu_bits(float a) {
  return __builtin_bit_cast(int32_t, a);
}
inline float gelu_float(int32_t b) {
  return __builtin_bit_cast(float, b);
}

// min(|a|, lim) with a's sign, on the bits: a float compare would block vectorization under
// -ftrapping-math (GCC's default). NaN clamps too, but x itself carries the NaN into y and dx.
inline float gelu_clamp_magnitude(float a, float lim) {
  const int32_t bits = gelu_bits(a);
  const int32_t cap = gelu_bits(lim);
  int32_t mag = bits & 0x7fffffff;
  mag = mag < cap ? mag : cap;
  return gelu_float(mag | (bits & static_cast<int32_t>(0x80000000u)));
}

// Eigen's rational erf; beyond |x| = 4 erf is 1 to f32 precision, the clamp keeps it in range.
inline float gelu_erf(float a) {
  const float x = gelu_clamp_magnitude(a, 4.0f);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 - 2.10102402082508e-06f;
  p = p * x2 - 5.69250639462346e-05f;
  p = p * x2 - 7.34990630326855e-04f;
  p = p * x2 - 2.95459980854025e-03f;
  p = p * x2 - 1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 - 2.13374055278905e-04f;
  q = q * x2 - 1.68282697438203e-03f;
  q = q * x2 - 7.37332916720468e-03f;
  q = q * x2 - 1.42647390514189e-02f;
  return x * p / q;
}

// exp(x) for x <= 0: x = n ln2 + r with |r| <= ln2/2, a degree-7 polynomial for e^r, and 2^n
// built in the exponent bits. Rounding by the 1.5 * 2^23 trick avoids SSE4.1's roundps.
inline float gelu_exp_nonpos(float a) {
  const float x = gelu_float(gelu_bits(gelu_clamp_magnitude(a, 87.0f)) | static_cast<int32_t>(0x80000000u));
  const float shifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return e * gelu_float(bits);
}

inline void gelu_forward_loop(const float* __restrict x, float* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + gelu_erf(v * kGeluSqrtHalf));
  }
}

inline void gelu_backward_loop(const float* __restrict x, const float* __restrict dy,
                               float* __restrict dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float cdf = 0.5f * (1.0f + gelu_erf(v * kGeluSqrtHalf));
    dx[i] = dy[i] * (cdf + v * kGeluInvSqrt2Pi * gelu_exp_nonpos(-0.5f * v * v));
  }
}

}  // namespace
}  // namespace lowbit

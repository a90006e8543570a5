// Exact GELU forward/backward. The f32 path is straight-line arithmetic (clamps on the bits, one
// division, 2^n built in the exponent), so the element loops vectorize with no calls into libm.
#include "lowbit/nn/gelu.h"

#include <bit>
#include <cmath>
#include <cstdint>

#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per parallel chunk
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// min(|a|, lim) with a's sign, on the bits: a float compare would block vectorization under
// -ftrapping-math (GCC's default). NaN clamps too, but x itself carries the NaN into y and dx.
inline float clamp_magnitude(float a, float lim) {
  const int32_t bits = std::bit_cast<int32_t>(a);
  const int32_t cap = std::bit_cast<int32_t>(lim);
  int32_t mag = bits & 0x7fffffff;
  mag = mag < cap ? mag : cap;
  return std::bit_cast<float>(mag | (bits & static_cast<int32_t>(0x80000000u)));
}

inline float erf_f32(float a) {
  // Beyond |x| = 4 erf is 1 to f32 precision; clamping keeps the polynomials in range.
  const float x = clamp_magnitude(a, 4.0f);
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
inline float exp_nonpos_f32(float a) {
  const float x = -std::fabs(clamp_magnitude(a, 87.0f));
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
  return e * std::bit_cast<float>(bits);
}

inline float erf_of(float x) {
  return erf_f32(x);
}
inline double erf_of(double x) {
  return std::erf(x);
}
inline float gauss_of(float x) {
  return exp_nonpos_f32(-0.5f * x * x);
}
inline double gauss_of(double x) {
  return std::exp(-0.5 * x * x);
}

template <class T>
void gelu_forward_t(const T* __restrict x, T* __restrict y, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T v = x[i];
      y[i] = T(0.5) * v * (T(1) + erf_of(v * T(kSqrtHalf)));
    }
  });
}

template <class T>
void gelu_backward_t(const T* __restrict x, const T* __restrict dy, T* __restrict dx, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T v = x[i];
      const T cdf = T(0.5) * (T(1) + erf_of(v * T(kSqrtHalf)));
      dx[i] = dy[i] * (cdf + v * T(kInvSqrt2Pi) * gauss_of(v));
    }
  });
}

void check_float(const char* what, const Tensor& t) {
  LB_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, "[gelu] ", what, " is ",
           dtype_name(t.dtype()), ", expected f32 or f64");
}

}  // namespace

float gelu_erf_f32(float x) {
  return erf_f32(x);
}
float gelu_exp_f32(float x) {
  return exp_nonpos_f32(x);
}

Tensor Gelu::forward(const Tensor& x) {
  check_float("x", x);
  x_ = x;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  if (x.dtype() == DType::f32)
    gelu_forward_t(x.data<float>(), y.data<float>(), x.numel());
  else
    gelu_forward_t(x.data<double>(), y.data<double>(), x.numel());
  return y;
}

Tensor Gelu::backward(const Tensor& dy) {
  LB_CHECK(x_.defined(), "[gelu] backward called before forward");
  LB_CHECK(dy.shape() == x_.shape() && dy.dtype() == x_.dtype(), "[gelu] dy is ", dy.shape_string(),
           " ", dtype_name(dy.dtype()), ", expected ", x_.shape_string(), " ",
           dtype_name(x_.dtype()), " (the shape of the forward input)");
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype());
  if (dy.dtype() == DType::f32)
    gelu_backward_t(x_.data<float>(), dy.data<float>(), dx.data<float>(), dy.numel());
  else
    gelu_backward_t(x_.data<double>(), dy.data<double>(), dx.data<double>(), dy.numel());
  return dx;
}

}  // namespace lowbit::nn

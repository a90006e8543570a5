// Exact GELU forward/backward: f32 through the gelu kernel family (kernels/ref/gelu_math.h,
// straight-line arithmetic that vectorizes), f64 through std::erf / std::exp.
#include "lowbit/nn/gelu.h"

#include <cmath>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/gelu_kernels.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per parallel chunk
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

void gelu_forward_f64(const double* __restrict x, double* __restrict y, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = 0.5 * x[i] * (1.0 + std::erf(x[i] * kSqrtHalf));
  });
}

void gelu_backward_f64(const double* __restrict x, const double* __restrict dy,
                       double* __restrict dx, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double v = x[i];
      const double cdf = 0.5 * (1.0 + std::erf(v * kSqrtHalf));
      dx[i] = dy[i] * (cdf + v * kInvSqrt2Pi * std::exp(-0.5 * v * v));
    }
  });
}

void check_float(const char* what, const Tensor& t) {
  LB_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, "[gelu] ", what, " is ",
           dtype_name(t.dtype()), ", expected f32 or f64");
}

}  // namespace

float gelu_erf_f32(float x) {
  return gelu_erf_ref(x);
}
float gelu_exp_f32(float x) {
  return gelu_exp_nonpos_ref(x);
}

Tensor Gelu::forward(const Tensor& x) {
  check_float("x", x);
  x_ = x;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  if (x.dtype() == DType::f32) {
    const GeluKernel& k = gelu_kernels().chosen();
    const float* xp = x.data<float>();
    float* yp = y.data<float>();
    parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) { k.forward(xp + b, yp + b, e - b); });
  } else {
    gelu_forward_f64(x.data<double>(), y.data<double>(), x.numel());
  }
  return y;
}

Tensor Gelu::backward(const Tensor& dy) {
  LB_CHECK(x_.defined(), "[gelu] backward called before forward");
  LB_CHECK(dy.shape() == x_.shape() && dy.dtype() == x_.dtype(), "[gelu] dy is ", dy.shape_string(),
           " ", dtype_name(dy.dtype()), ", expected ", x_.shape_string(), " ",
           dtype_name(x_.dtype()), " (the shape of the forward input)");
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype());
  if (dy.dtype() == DType::f32) {
    const GeluKernel& k = gelu_kernels().chosen();
    const float *xp = x_.data<float>(), *dyp = dy.data<float>();
    float* dxp = dx.data<float>();
    parallel_for(dy.numel(), kGrain,
                 [&](int64_t b, int64_t e) { k.backward(xp + b, dyp + b, dxp + b, e - b); });
  } else {
    gelu_backward_f64(x_.data<double>(), dy.data<double>(), dx.data<double>(), dy.numel());
  }
  return dx;
}

}  // namespace lowbit::nn

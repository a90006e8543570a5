// Exact (erf) GELU, y = x * Phi(x), the default of torch.nn.functional.gelu, with its backward.
// f64 calls std::erf/std::exp (the reference); f32 uses branch-free approximations that vectorize.
#pragma once

#include "lowbit/core/tensor.h"

namespace lowbit::nn {

class Gelu {
 public:
  // x (any shape) f32|f64 -> same shape; keeps a reference to x for backward (not a copy), so x
  // must not be modified in place before backward.
  Tensor forward(const Tensor& x);
  // dy (shape of x) -> dx = dy * (Phi(x) + x * phi(x)).
  Tensor backward(const Tensor& dy);

 private:
  Tensor x_;
};

// The f32 approximations, exposed for their accuracy test. gelu_erf_f32: Eigen's rational
// approximation, |x| clamped to 4 (erf is +-1 in f32 beyond); |error| <= 5e-7 absolute (the
// f32 evaluation reaches 4.2e-7 near |x| = 3.6). gelu_exp_f32: Cephes expf for x <= 0, relative
// error <= 2 ulp down to -87 (inputs below are clamped to -87: the true value is a denormal).
float gelu_erf_f32(float x);
float gelu_exp_f32(float x);

}  // namespace lowbit::nn

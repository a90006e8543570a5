// Gradient utilities for the trainer: the global L2 norm (deterministic at any thread count),
// torch-style norm clipping, and locating the first NaN/Inf gradient element for the error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit::optim {

// Elements per partial sum: each parameter's gradient is cut into chunks of this size (chunks
// never span parameters); chunk sums of squares are accumulated in double and added in
// parameter-then-chunk order, so the norm's bits do not depend on the thread count.
inline constexpr int64_t kNormChunk = 4096;

// sqrt(sum over all gradient elements of g^2). Infinite or NaN iff some gradient element is
// (f32 squares summed in double cannot overflow).
double grad_global_norm(const std::vector<nn::Param*>& params);

// g[i] *= c: the one multiply of clipping, wherever it is done.
template <class T>
void scale_in_place(T* g, int64_t n, T c) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) g[i] *= c;
}

// The factor clipping multiplies the gradients by: max_norm / (norm + 1e-6) when that is below
// 1, else 1 (and 1 for a non-finite norm, which find_nonfinite reports).
double clip_coefficient(double max_norm, double norm);

// torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6); when coef < 1 every
// gradient is multiplied by coef (rounded to the gradient dtype). Returns the norm before
// clipping. A non-finite norm leaves the gradients untouched, for find_nonfinite to report.
double clip_grad_norm(const std::vector<nn::Param*>& params, double max_norm);

struct NonFinite {
  std::string param;   // empty when every gradient element is finite
  int64_t index = -1;  // flat element index within that parameter's gradient
  double value = 0;    // the NaN or Inf found
  bool found() const { return !param.empty(); }
};

// The first non-finite gradient element, scanning parameters in order, then elements in order.
NonFinite find_nonfinite(const std::vector<nn::Param*>& params);

// "step 123: gradient of encoder.0.attn.query.weight has NaN at element 42"
std::string nonfinite_message(int64_t step, const NonFinite& bad);

}  // namespace lowbit::optim

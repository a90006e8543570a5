// How a layer computes its three matrix products (Y = X·Wᵀ, dX = dY·W, dW += dYᵀ·X): plain FP32,
// or a quantized scheme (integer, FP8, 4-bit) chosen per layer by the recipe's numerics.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit::nn {

// One object per layer: it keeps whatever backward needs from forward (a quantized scheme keeps
// its low-bit codes, so saved-activation memory drops with the bit-width).
class GemmNumerics {
 public:
  virtual ~GemmNumerics() = default;
  // x (M, K), w (N, K) -> y (M, N) in x's dtype. ctx.step keys stochastic rounding.
  virtual Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext& ctx) = 0;
  // forward plus a bias row (N); an undefined bias adds nothing. The default adds it after the
  // product; a scheme whose kernel epilogue adds it overrides this and saves a pass over Y.
  virtual Tensor forward_bias(const Tensor& x, const Tensor& w, const Tensor& bias,
                              const ForwardContext& ctx);
  // dy (M, N) -> dx (M, K), with the w of the last forward.
  virtual Tensor backward_input(const Tensor& dy) = 0;
  // dw (N, K) += dyᵀ·x, with the x of the last forward.
  virtual void backward_weight(const Tensor& dy, Tensor& dw) = 0;
  // Drops what forward kept (after backward, or when only inference ran).
  virtual void release() = 0;
  // One line for the run report: "fp32", "int8 dfp/sr (x, w, dy)", ...
  virtual std::string describe() const = 0;
  // Learnable parameters of the scheme itself (QAT step sizes), which the layer appends after
  // its own, so they are optimized, checkpointed and resumed with the model.
  virtual void collect_params(std::vector<Param*>& out) {}
  // The layer's parameter dtype, given once when the layer installs the numerics.
  virtual void set_param_dtype(DType dtype) {}
};

// The default: the registered f32 GEMM kernels (f64 for gradient tests).
std::unique_ptr<GemmNumerics> make_fp32_numerics();

}  // namespace lowbit::nn

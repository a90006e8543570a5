// Layer normalization over the last dimension (torch.nn.functional.layer_norm: biased variance,
// eps inside the square root) with its hand-written backward.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowbit/nn/int_layer_norm.h"
#include "lowbit/nn/module.h"

namespace lowbit::nn {

class LayerNorm : public Module {
 public:
  // Parameters "<name>.gamma" (C) = 1 and "<name>.beta" (C) = 0, not decayed.
  LayerNorm(std::string name, int64_t hidden, double eps, DType dtype);
  // x (M, C) -> (M, C). Keeps a reference to x (not a copy) and each row's mean and 1/std, so
  // x must not be modified in place before backward; the integer norm keeps codes instead and
  // keys its stochastic rounding with ctx.
  Tensor forward(const Tensor& x, const ForwardContext& ctx = {});
  // dy (M, C) -> dx (M, C); accumulates into gamma.grad and beta.grad.
  Tensor backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;
  // policy(name, LayerKind::layer_norm) installs the integer norm (f32 parameters only) or
  // removes it.
  void set_int_layer_policy(const IntLayerPolicy& policy) override;
  const IntLayerNorm* int_numerics() const { return int_.get(); }  // nullptr: floating point

  int64_t hidden() const { return gamma.value.dim(0); }
  double eps() const { return eps_; }
  const std::string& name() const { return name_; }

  Param gamma, beta;

 private:
  std::string name_;
  double eps_;
  Tensor x_;            // (M, C) the last forward's input (floating point only)
  Tensor mean_, rstd_;  // (M) per row, in x's dtype
  int64_t rows_ = -1;   // M of the last forward (-1: none)
  std::unique_ptr<IntLayerNorm> int_;
};

}  // namespace lowbit::nn

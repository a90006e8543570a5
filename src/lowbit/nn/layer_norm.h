// Layer normalization over the last dimension (torch.nn.functional.layer_norm: biased variance,
// eps inside the square root) with its hand-written backward.
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit::nn {

class LayerNorm : public Module {
 public:
  // Parameters "<name>.gamma" (C) = 1 and "<name>.beta" (C) = 0, not decayed.
  LayerNorm(std::string name, int64_t hidden, double eps, DType dtype);
  // x (M, C) -> (M, C). Keeps a reference to x (not a copy) and each row's mean and 1/std, so
  // x must not be modified in place before backward.
  Tensor forward(const Tensor& x);
  // dy (M, C) -> dx (M, C); accumulates into gamma.grad and beta.grad.
  Tensor backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;

  int64_t hidden() const { return gamma.value.dim(0); }
  double eps() const { return eps_; }
  const std::string& name() const { return name_; }

  Param gamma, beta;

 private:
  std::string name_;
  double eps_;
  Tensor x_;            // (M, C) the last forward's input
  Tensor mean_, rstd_;  // (M) per row, in x's dtype
};

}  // namespace lowbit::nn

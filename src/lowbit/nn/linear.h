// Linear layer Y = X·Wᵀ + b with its hand-written backward (dX = dY·W, dW += dYᵀ·X, db += Σ dY),
// through the registered GEMM kernels; f32 in training, f64 in gradient tests.
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit::nn {

class Linear : public Module {
 public:
  // Parameters "<name>.weight" (out, in), decayed, and "<name>.bias" (out), not decayed.
  // The weight is N(0, 0.02) (BERT's initializer) from rng.child(<hash of name>), so a layer's
  // initial values depend on the seed and its name only; the bias starts at zero.
  Linear(std::string name, int64_t in_features, int64_t out_features, bool bias, Rng& rng,
         DType dtype);
  // x (M, in) -> (M, out); keeps x for backward.
  Tensor forward(const Tensor& x);
  // dy (M, out) -> dx (M, in); accumulates into weight.grad and bias.grad.
  Tensor backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;

  int64_t in_features() const { return weight.value.dim(1); }
  int64_t out_features() const { return weight.value.dim(0); }
  const std::string& name() const { return name_; }

  Param weight;
  Param bias;  // undefined tensors when the layer has no bias

 private:
  std::string name_;
  bool has_bias_;
  Tensor x_;  // (M, in) saved input
};

}  // namespace lowbit::nn

// Linear layer Y = X·Wᵀ + b with its hand-written backward (dX = dY·W, dW += dYᵀ·X, db += Σ dY),
// through the registered GEMM kernels; f32 in training, f64 in gradient tests.
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/nn/module.h"
#include "lowbit/nn/projection.h"

namespace lowbit::nn {

class Linear : public Projection {
 public:
  // Parameters "<name>.weight" (out, in), decayed, and "<name>.bias" (out), not decayed, then
  // those of the numerics (QAT: "<name>.weight_step", "<name>.act_step").
  // The weight is N(0, 0.02) (BERT's initializer) from rng.child(<hash of name>), so a layer's
  // initial values depend on the seed and its name only; the bias starts at zero.
  Linear(std::string name, int64_t in_features, int64_t out_features, bool bias, Rng& rng,
         DType dtype);
  // x (M, in) -> (M, out); the numerics keep what backward needs (x, or its low-bit codes).
  Tensor forward(const Tensor& x, const ForwardContext& ctx = {}) override;
  // dy (M, out) -> dx (M, in); accumulates into weight.grad and bias.grad.
  Tensor backward(const Tensor& dy) override;
  // The parameter gradients alone, for a first layer whose input needs no gradient (PatchEmbed).
  void backward_params(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;
  // The numerics' own parameters (if any) join collect_params after weight and bias.
  void set_numerics(const NumericsPolicy& policy, LayerKind kind) {
    numerics_ = policy(name_, kind);
    numerics_->set_param_dtype(weight.value.dtype());
  }
  void set_numerics(const NumericsPolicy& policy) override { set_numerics(policy, LayerKind::linear); }
  const GemmNumerics& numerics() const { return *numerics_; }

  int64_t in_features() const override { return weight.value.dim(1); }
  int64_t out_features() const override { return weight.value.dim(0); }
  const std::string& name() const override { return name_; }

  Param weight;
  Param bias;  // undefined tensors when the layer has no bias

 private:
  std::string name_;
  bool has_bias_;
  std::unique_ptr<GemmNumerics> numerics_ = make_fp32_numerics();
  int64_t rows_ = -1;  // M of the last forward (-1: none pending)
};

}  // namespace lowbit::nn

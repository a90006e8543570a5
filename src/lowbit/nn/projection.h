// A learned linear map Y = X·Wᵀ (+ b) as the transformer blocks use it, whatever stores W: a
// dense nn::Linear, or a tensor-train factorization (nn::TtLinear) that never forms W.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lowbit/nn/module.h"

namespace lowbit::nn {

class Projection : public Module {
 public:
  // x (M, in) -> (M, out); keeps what backward needs.
  virtual Tensor forward(const Tensor& x, const ForwardContext& ctx = {}) = 0;
  // dy (M, out) -> dx (M, in); accumulates into the parameters' gradients.
  virtual Tensor backward(const Tensor& dy) = 0;
  virtual int64_t in_features() const = 0;
  virtual int64_t out_features() const = 0;
  virtual const std::string& name() const = 0;
  // Stored parameter count and what the same map costs as a dense f32 matrix (for the
  // compression report).
  virtual int64_t dense_numel() const { return in_features() * out_features(); }
};

// Builds the projection called `name` (in -> out, with or without bias): the models take one,
// so a recipe decides per layer whether it is dense or tensor-train.
using ProjectionFactory = std::function<std::unique_ptr<Projection>(
    const std::string& name, int64_t in, int64_t out, bool bias, Rng& rng, DType dtype)>;

// The default factory: a dense nn::Linear.
ProjectionFactory dense_projections();

}  // namespace lowbit::nn

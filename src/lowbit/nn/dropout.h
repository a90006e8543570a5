// Dropout with masks that are a pure function of (seed, layer stream, step, element), so a
// run replays bit for bit at any thread count and after --resume.
#pragma once

#include <cstdint>

#include "lowbit/nn/module.h"

namespace lowbit::nn {

// Keep-mask for one call: mask[i] = 1 with probability 1 - p, from rng.child(step) at
// position i (so it does not depend on thread count or on the order of other draws).
void dropout_mask(const Rng& rng, uint64_t step, int64_t n, double p, uint8_t* mask);

class Dropout {
 public:
  Dropout(double p, Rng rng);
  // Identity unless ctx.training and p > 0; then y = x * mask / (1 - p).
  Tensor forward(const Tensor& x, const ForwardContext& ctx);
  Tensor backward(const Tensor& dy);
  double p() const { return p_; }

 private:
  double p_;
  Rng rng_;
  Tensor mask_;  // u8, shape of x; undefined when the last forward was the identity
};

}  // namespace lowbit::nn

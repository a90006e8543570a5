// Shared helpers for the optimizer tests: a random parameter set with mixed sizes (tails,
// several blocks) and decay flags, and deterministic per-step gradients.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/nn/module.h"

namespace lowbit::testing {

struct ParamSet {
  std::vector<nn::Param> params;
  std::vector<nn::Param*> ptrs() {
    std::vector<nn::Param*> out;
    for (auto& p : params) out.push_back(&p);
    return out;
  }
  // Deep copy (values and grads), for a second optimizer on the same starting point.
  ParamSet clone() const {
    ParamSet c;
    for (const auto& p : params)
      c.params.push_back({p.name, p.value.clone(), p.grad.clone(), p.decay});
    return c;
  }
};

// Sizes straddle the 2048-element state block (0, 1, 7, 2047, 2048, 2049, 5003 by default).
inline ParamSet make_param_set(DType dtype,
                               std::vector<int64_t> sizes = {1, 7, 2047, 0, 2048, 2049, 5003},
                               uint64_t seed = 7) {
  ParamSet s;
  Rng rng(seed);
  for (size_t i = 0; i < sizes.size(); ++i) {
    // Every other parameter is a "bias" without weight decay.
    s.params.push_back(nn::make_param("layer" + std::to_string(i) + (i % 2 ? ".bias" : ".weight"),
                                      {sizes[i]}, dtype, i % 2 == 0));
    rng.fill_normal(s.params.back().value, 0.0, 1.0);
  }
  return s;
}

// Gradients for step t are a pure function of (seed, t), so split runs see the same ones.
inline void fill_grads(ParamSet& s, int64_t t, uint64_t seed = 11) {
  for (size_t i = 0; i < s.params.size(); ++i) {
    Rng rng(seed, static_cast<uint64_t>(t) * 1000 + i);
    // Scales differ per parameter so that v spans several magnitudes.
    rng.fill_normal(s.params[i].grad, 0.0, 0.1 * static_cast<double>(i + 1));
  }
}

}  // namespace lowbit::testing

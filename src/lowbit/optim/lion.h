// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), in lion-pytorch's
// operation order: the update is the sign of an interpolation of momentum and gradient, with
// decoupled weight decay; one state (the momentum), so 8-bit state halves Adam's 8-bit memory.
#pragma once

#include "lowbit/optim/optimizer.h"

namespace lowbit::optim {

// State prefix "lion", one state per parameter: "lion.m.<param name>". Uses config beta1 and
// beta2 (the paper's defaults are 0.9 and 0.99: set beta2 = 0.99, OptimizerConfig's default
// 0.999 is Adam's) and weight_decay (p *= 1 - lr * wd, skipped for decay == false).
class Lion final : public Optimizer {
 public:
  Lion(std::vector<nn::Param*> params, const OptimizerConfig& config,
       StateStoreFactory factory = {});
  void step(double lr) override;
};

}  // namespace lowbit::optim

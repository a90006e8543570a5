// SGD with momentum, matching torch.optim.SGD (dampening 0, no Nesterov): the buffer starts as
// the first gradient, then buf = momentum * buf + g; weight decay adds wd * p to g first.
#pragma once

#include "lowbit/optim/optimizer.h"

namespace lowbit::optim {

// State prefix "sgd", one state per parameter: "sgd.momentum.<param name>". momentum = 0 gives
// plain SGD (the buffer then equals the gradient).
class SgdMomentum final : public Optimizer {
 public:
  SgdMomentum(std::vector<nn::Param*> params, const OptimizerConfig& config,
              StateStoreFactory factory = {});
  void step(double lr) override;
};

}  // namespace lowbit::optim

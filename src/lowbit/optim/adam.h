// Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), matching torch.optim.Adam / AdamW:
// bias-corrected moments, eps added outside the square root, weight decay decoupled (AdamW)
// or added to the gradient (Adam), skipped for parameters with decay == false.
#pragma once

#include "lowbit/optim/optimizer.h"

namespace lowbit::optim {

class Adam final : public Optimizer {
 public:
  // decoupled: true = AdamW ("adamw" state prefix), false = Adam with L2 decay ("adam").
  Adam(std::vector<nn::Param*> params, const OptimizerConfig& config, bool decoupled,
       StateStoreFactory factory = {});
  void step(double lr) override;

 private:
  bool decoupled_;
};

}  // namespace lowbit::optim

// The distillation hooks' defaults and the level-by-level backward the encoders share.
#include "lowbit/models/classifier.h"

#include "lowbit/nn/residual.h"

namespace lowbit::models {

std::vector<Tensor> Classifier::hidden_levels() const {
  LB_FAIL("[", describe(), "] has no hidden levels for layer-by-layer distillation");
}

void Classifier::backward_levels(const std::vector<Tensor>&) {
  LB_FAIL("[", describe(), "] has no backward from hidden levels for layer-by-layer distillation");
}

Tensor backward_through_levels(const std::vector<Tensor>& dlevels,
                               const std::function<Tensor(size_t, const Tensor&)>& block_backward) {
  size_t top = dlevels.size();
  while (top > 0 && !dlevels[top - 1].defined()) --top;
  LB_CHECK(top > 0, "[distill] backward_levels: no level has a gradient");
  Tensor dh = dlevels[top - 1].clone();
  for (size_t l = top - 1; l >= 1; --l) {
    dh = block_backward(l - 1, dh);
    if (dlevels[l - 1].defined()) nn::add_inplace(dh, dlevels[l - 1]);
  }
  return dh;
}

}  // namespace lowbit::models

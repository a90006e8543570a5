// LSQ fake quantization of a tensor train's cores (numerics.mode = qat), shared by TtLinear and
// TtEmbedding: one learned step "<name>.core{k}_step" per core (signed bits), the contractions
// run on the grid values, and the gradient w.r.t. the grid values goes through each quantizer
// (straight through + step gradient, quant/lsq.h) into the core's gradient.
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/module.h"
#include "lowbit/quant/lsq.h"

namespace lowbit::nn {

class TtCoreQuantizers {
 public:
  TtCoreQuantizers() = default;  // off: the contractions use the cores as they are
  TtCoreQuantizers(const std::string& name, int cores, int bits, double step_lr_scale,
                   DType dtype);
  void collect_params(std::vector<Param*>& out);

  // The operands of this forward: the cores, or their grid values (kept for backward).
  std::vector<const Tensor*> forward(const std::vector<Param>& cores);
  // The operands of the last forward again, and where the contraction's core gradients go: the
  // cores' grads, or (on) zeroed grid-value gradients that finish_backward passes through.
  std::vector<const Tensor*> saved_operands(const std::vector<Param>& cores) const;
  std::vector<Tensor*> gradient_targets(std::vector<Param>& cores);
  void finish_backward(std::vector<Param>& cores);

 private:
  std::vector<LsqQuantizer> q_;  // one per core; empty when off
  std::vector<Tensor> hat_;      // the grid values of the last forward
  std::vector<Tensor> dhat_;     // their gradients during backward
};

}  // namespace lowbit::nn

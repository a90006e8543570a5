#include "lowbit/nn/tt_core_qat.h"

#include "lowbit/nn/residual.h"

namespace lowbit::nn {

TtCoreQuantizers::TtCoreQuantizers(const std::string& name, int cores, int bits,
                                   double step_lr_scale, DType dtype) {
  for (int k = 0; k < cores; ++k) {
    q_.emplace_back(cat(name, ".core", k, "_step"), bits, true, dtype);
    q_.back().step().lr_scale = step_lr_scale;
  }
}

void TtCoreQuantizers::collect_params(std::vector<Param*>& out) {
  for (LsqQuantizer& q : q_) out.push_back(&q.step());
}

std::vector<const Tensor*> TtCoreQuantizers::forward(const std::vector<Param>& cores) {
  if (!q_.empty()) {
    hat_.clear();
    for (size_t k = 0; k < cores.size(); ++k) hat_.push_back(q_[k].forward(cores[k].value));
  }
  return saved_operands(cores);
}

std::vector<const Tensor*> TtCoreQuantizers::saved_operands(const std::vector<Param>& cores) const {
  std::vector<const Tensor*> v;
  for (size_t k = 0; k < cores.size(); ++k) v.push_back(q_.empty() ? &cores[k].value : &hat_[k]);
  return v;
}

std::vector<Tensor*> TtCoreQuantizers::gradient_targets(std::vector<Param>& cores) {
  dhat_.clear();
  for (size_t k = 0; k < cores.size() && !q_.empty(); ++k)
    dhat_.push_back(Tensor::zeros(cores[k].value.shape(), cores[k].value.dtype()));
  std::vector<Tensor*> v;
  for (size_t k = 0; k < cores.size(); ++k) v.push_back(q_.empty() ? &cores[k].grad : &dhat_[k]);
  return v;
}

void TtCoreQuantizers::finish_backward(std::vector<Param>& cores) {
  for (size_t k = 0; k < dhat_.size(); ++k) add_inplace(cores[k].grad, q_[k].backward(dhat_[k]));
  dhat_.clear();
}

}  // namespace lowbit::nn

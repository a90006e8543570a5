// SGD-momentum step: per-parameter scalars, then the shared block arithmetic of update_math.h.
// The first step scales the zero-initialised buffer by 0, so it becomes exactly the gradient.
#include "lowbit/optim/sgd_momentum.h"

#include <cmath>

#include "lowbit/optim/update_math.h"

namespace lowbit::optim {

SgdMomentum::SgdMomentum(std::vector<nn::Param*> params, const OptimizerConfig& config,
                         StateStoreFactory factory)
    : Optimizer("sgd", std::move(params), config, {{"momentum", StateSign::any}},
                std::move(factory)) {
  LB_CHECK(config_.momentum >= 0 && config_.momentum < 1, "[sgd] momentum = ", config_.momentum,
           ", expected 0 <= momentum < 1");
  LB_CHECK(config_.weight_decay >= 0 && std::isfinite(config_.weight_decay),
           "[sgd] weight_decay = ", config_.weight_decay, ", expected >= 0");
}

void SgdMomentum::step(double lr) {
  LB_CHECK(lr >= 0 && std::isfinite(lr), "[sgd] step ", steps_ + 1, ": lr = ", lr,
           ", expected a finite value >= 0");
  const bool first = ++steps_ == 1;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    std::vector<SgdCoeffs<T>> coeffs;
    coeffs.reserve(params_.size());
    for (const nn::Param* p : params_)
      coeffs.push_back({static_cast<T>(first ? 0.0 : config_.momentum),
                        static_cast<T>(p->decay ? config_.weight_decay : 0.0),
                        static_cast<T>(-lr * p->lr_scale)});
    for_each_block<T>([&](int32_t i, int64_t n, T* p, const T* g, std::array<T*, kMaxStates>& st) {
      sgd_update_block(coeffs[i], n, p, g, st[0]);
    });
  };
  if (dtype_ == DType::f32)
    run(0.0f);
  else
    run(0.0);
}

}  // namespace lowbit::optim

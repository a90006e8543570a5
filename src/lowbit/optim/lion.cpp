// Lion step: per-parameter scalars in double, then the shared block arithmetic of update_math.h
// (in place for f32 state, on decoded scratch for 8-bit state).
#include "lowbit/optim/lion.h"

#include <cmath>

#include "lowbit/optim/update_math.h"

namespace lowbit::optim {

Lion::Lion(std::vector<nn::Param*> params, const OptimizerConfig& config, StateStoreFactory factory)
    : Optimizer("lion", std::move(params), config, {{"m", StateSign::any}}, std::move(factory)) {
  const OptimizerConfig& c = config_;
  LB_CHECK(c.beta1 >= 0 && c.beta1 <= 1, "[lion] beta1 = ", c.beta1, ", expected 0 <= beta1 <= 1");
  LB_CHECK(c.beta2 >= 0 && c.beta2 < 1, "[lion] beta2 = ", c.beta2, ", expected 0 <= beta2 < 1");
  LB_CHECK(c.weight_decay >= 0 && std::isfinite(c.weight_decay),
           "[lion] weight_decay = ", c.weight_decay, ", expected >= 0");
}

void Lion::step(double lr) {
  LB_CHECK(lr >= 0 && std::isfinite(lr), "[lion] step ", steps_ + 1, ": lr = ", lr,
           ", expected a finite value >= 0");
  ++steps_;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    std::vector<LionCoeffs<T>> coeffs;
    coeffs.reserve(params_.size());
    for (const nn::Param* p : params_) {
      double wd = p->decay ? config_.weight_decay : 0.0;
      const double plr = lr * p->lr_scale;
      coeffs.push_back({static_cast<T>(config_.beta1), static_cast<T>(1.0 - config_.beta1),
                        static_cast<T>(config_.beta2), static_cast<T>(1.0 - config_.beta2),
                        static_cast<T>(1.0 - plr * wd), static_cast<T>(-plr)});
    }
    for_each_block<T>([&](int32_t i, int64_t n, T* p, const T* g, std::array<T*, kMaxStates>& st) {
      lion_update_block(coeffs[i], n, p, g, st[0]);
    });
  };
  if (dtype_ == DType::f32)
    run(0.0f);
  else
    run(0.0);
}

}  // namespace lowbit::optim

// Adam(W) step: scalars per step in double (as PyTorch computes them in Python), then the
// shared block arithmetic of update_math.h over every block of every parameter.
#include "lowbit/optim/adam.h"

#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/optim/update_math.h"

namespace lowbit::optim {

namespace {

void check_adam_config(const char* op, const OptimizerConfig& c) {
  LB_CHECK(c.beta1 >= 0 && c.beta1 < 1, op, " beta1 = ", c.beta1, ", expected 0 <= beta1 < 1");
  LB_CHECK(c.beta2 >= 0 && c.beta2 < 1, op, " beta2 = ", c.beta2, ", expected 0 <= beta2 < 1");
  LB_CHECK(c.eps >= 0 && std::isfinite(c.eps), op, " eps = ", c.eps, ", expected >= 0");
  LB_CHECK(c.weight_decay >= 0 && std::isfinite(c.weight_decay), op,
           " weight_decay = ", c.weight_decay, ", expected >= 0");
}

template <class T>
AdamCoeffs<T> adam_coeffs(const OptimizerConfig& c, bool decoupled, bool decay, double lr,
                          int64_t t) {
  double wd = decay ? c.weight_decay : 0.0;
  double bias1 = 1.0 - std::pow(c.beta1, static_cast<double>(t));
  double bias2 = 1.0 - std::pow(c.beta2, static_cast<double>(t));
  AdamCoeffs<T> k;
  k.one_minus_beta1 = static_cast<T>(1.0 - c.beta1);
  k.beta2 = static_cast<T>(c.beta2);
  k.one_minus_beta2 = static_cast<T>(1.0 - c.beta2);
  k.bias2_sqrt = static_cast<T>(std::sqrt(bias2));
  k.eps = static_cast<T>(c.eps);
  k.neg_step_size = static_cast<T>(-(lr / bias1));
  k.decay_factor = static_cast<T>(decoupled ? 1.0 - lr * wd : 1.0);
  k.l2 = static_cast<T>(decoupled ? 0.0 : wd);
  return k;
}

}  // namespace

Adam::Adam(std::vector<nn::Param*> params, const OptimizerConfig& config, bool decoupled,
           StateStoreFactory factory)
    : Optimizer(decoupled ? "adamw" : "adam", std::move(params), config,
                {{"m", StateSign::any}, {"v", StateSign::nonnegative}}, std::move(factory)),
      decoupled_(decoupled) {
  check_adam_config(decoupled ? "[adamw]" : "[adam]", config_);
}

void Adam::step(double lr) {
  LB_CHECK(lr >= 0 && std::isfinite(lr), "[", kind_, "] step ", steps_ + 1, ": lr = ", lr,
           ", expected a finite value >= 0");
  const int64_t t = ++steps_;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    std::vector<AdamCoeffs<T>> coeffs;
    coeffs.reserve(params_.size());
    for (const nn::Param* p : params_)
      coeffs.push_back(adam_coeffs<T>(config_, decoupled_, p->decay, lr * p->lr_scale, t));
    // Parameters whose m and v are both 8-bit with one block size take the fused kernel.
    std::vector<std::pair<Blockwise8StateStore*, Blockwise8StateStore*>> fused(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) {
      Blockwise8StateStore *m = store(i, 0).as_blockwise8(), *v = store(i, 1).as_blockwise8();
      if (m && v && m->qblock() == v->qblock()) fused[i] = {m, v};
    }
    const Adam8Kernel& k8 = adam8_kernels().chosen();
    for_each_block<T>(
        [&](int32_t i, int64_t n, T* p, const T* g, std::array<T*, kMaxStates>& st) {
          adam_update_block(coeffs[i], n, p, g, st[0], st[1]);
        },
        [&](int32_t i, int64_t block, int64_t n, T* p, const T* g) {
          if constexpr (std::is_same_v<T, float>) {
            auto [m, v] = fused[i];
            if (!m) return false;
            k8.block(coeffs[i], n, m->qblock(), p, g, m->span(block), v->span(block));
            return true;
          }
          return false;
        });
  };
  if (dtype_ == DType::f32)
    run(0.0f);
  else
    run(0.0);
}

}  // namespace lowbit::optim

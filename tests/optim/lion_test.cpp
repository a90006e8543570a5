// Lion against a direct double implementation of the paper's update (Chen et al. 2023), in f32
// and f64, plus thread-count determinism and a bit-exact save / load resume.
#include "lowbit/optim/lion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "optim/optim_test_util.h"

namespace lowbit::optim {
namespace {

using testing::fill_grads;
using testing::make_param_set;
using testing::ParamSet;

constexpr int kSteps = 5;
double lr_for(int64_t t) {
  return 1e-3 * (1.0 + 0.25 * static_cast<double>(t));
}

OptimizerConfig lion_config() {
  OptimizerConfig c;
  c.beta1 = 0.9;
  c.beta2 = 0.99;
  c.weight_decay = 0.5;
  return c;
}

// Tolerance: p's error is 2 roundings per step of unit u relative to |p| + lr, so tol = S * 2u *
// (max|p| + lr_max), times 4 for slack; except where some step's c was within rounding of 0
// (|c| <= 64u (|beta1 m| + |(1 - beta1) g|)): there sign(c) may differ and the error may reach
// 2 lr per such step. Those elements are counted (a handful in 13K) and get 2 * sum(lr) more.
void check_lion(DType dtype) {
  OptimizerConfig c = lion_config();
  const double u = dtype == DType::f32 ? std::ldexp(1.0, -24) : std::ldexp(1.0, -53);
  ParamSet s = make_param_set(dtype);
  std::vector<std::vector<double>> p, m;
  std::vector<std::vector<bool>> fragile;
  for (auto& prm : s.params) {
    p.push_back(prm.value.to_vector());
    m.emplace_back(prm.value.numel(), 0.0);
    fragile.emplace_back(prm.value.numel(), false);
  }
  auto opt = make_optimizer("lion", s.ptrs(), c);
  double max_p = 0, sum_lr = 0;
  for (int t = 1; t <= kSteps; ++t) {
    fill_grads(s, t);
    sum_lr += lr_for(t);
    for (size_t i = 0; i < p.size(); ++i) {
      auto g = s.params[i].grad.to_vector();
      double wd = s.params[i].decay ? c.weight_decay : 0.0;
      for (size_t j = 0; j < p[i].size(); ++j) {
        double a = c.beta1 * m[i][j], b = (1 - c.beta1) * g[j], cj = a + b;
        if (std::fabs(cj) <= 64 * u * (std::fabs(a) + std::fabs(b))) fragile[i][j] = true;
        p[i][j] = p[i][j] * (1 - lr_for(t) * wd) - lr_for(t) * (cj > 0 ? 1.0 : cj < 0 ? -1.0 : 0.0);
        m[i][j] = c.beta2 * m[i][j] + (1 - c.beta2) * g[j];
        max_p = std::max(max_p, std::fabs(p[i][j]));
      }
    }
    opt->step(lr_for(t));
  }
  const double tol = kSteps * 2 * u * (max_p + lr_for(kSteps)) * 4;
  int nfragile = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    auto got = s.params[i].value.to_vector();
    for (size_t j = 0; j < got.size(); ++j) {
      nfragile += fragile[i][j];
      ASSERT_NEAR(got[j], p[i][j], tol + (fragile[i][j] ? 2 * sum_lr : 0.0))
          << s.params[i].name << " element " << j;
    }
  }
  EXPECT_LT(nfragile, 10);
}

TEST(Lion, MatchesReferenceF32) {
  check_lion(DType::f32);
}
TEST(Lion, MatchesReferenceF64) {
  check_lion(DType::f64);
}

bool same_bits(ParamSet& a, ParamSet& b) {
  for (size_t i = 0; i < a.params.size(); ++i)
    if (std::memcmp(a.params[i].value.raw(), b.params[i].value.raw(), a.params[i].value.nbytes()))
      return false;
  return true;
}

TEST(Lion, ThreadsAndResumeGiveTheSameBits) {
  ParamSet a = make_param_set(DType::f32, {100003, 33, 70001}), b = a.clone(), r = a.clone();
  auto oa = make_optimizer("lion", a.ptrs(), lion_config());
  auto ob = make_optimizer("lion", b.ptrs(), lion_config());
  int saved = num_threads();
  for (int t = 1; t <= 4; ++t) {
    set_num_threads(1);
    fill_grads(a, t);
    oa->step(lr_for(t));
    set_num_threads(2);
    fill_grads(b, t);
    ob->step(lr_for(t));
  }
  set_num_threads(saved);
  EXPECT_TRUE(same_bits(a, b));
  auto o3 = make_optimizer("lion", r.ptrs(), lion_config());
  for (int t = 1; t <= 2; ++t) {
    fill_grads(r, t);
    o3->step(lr_for(t));
  }
  ParamSet resumed = r.clone();
  auto o2 = make_optimizer("lion", resumed.ptrs(), lion_config());
  o2->load_state(o3->state_tensors());
  for (int t = 3; t <= 4; ++t) {
    fill_grads(resumed, t);
    o2->step(lr_for(t));
  }
  EXPECT_TRUE(same_bits(a, resumed));
  EXPECT_EQ(o2->state_tensors()[1].first, "lion.m.layer0.weight");
}

}  // namespace
}  // namespace lowbit::optim

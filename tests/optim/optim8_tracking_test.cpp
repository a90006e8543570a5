// 8-bit state tracks 32-bit state over 200 steps of a linear regression (the paper's claim: the
// same hyperparameters give the same result), for AdamW and SGD-momentum, both block sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/optim/optimizer.h"

namespace lowbit::optim {
namespace {

// y = W* x + b* + noise; fit W (K x D = 8192 elements: 8-bit state) and b (K: f32 state, under
// the 4096 threshold) to mean squared error over a fixed batch of N > D examples (so the
// least-squares solution is unique and the weights of two runs can be compared).
struct Regression {
  static constexpr int64_t N = 96, D = 64, K = 128;
  std::vector<float> x, y;  // (N, D), (N, K)
  Regression() : x(N * D), y(N * K) {
    Rng rng(42);
    std::vector<float> w(K * D), b(K);
    for (auto& v : w) v = rng.normal() / std::sqrt(float(D));
    for (auto& v : b) v = rng.normal();
    for (auto& v : x) v = rng.normal();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) {
        float acc = b[k] + 0.05f * rng.normal();
        for (int64_t d = 0; d < D; ++d) acc += w[k * D + d] * x[n * D + d];
        y[n * K + k] = acc;
      }
  }
  // Loss 1/(2N) sum |W x + b - y|^2; writes the gradients.
  double loss_and_grad(nn::Param& w, nn::Param& b) const {
    const float* W = w.value.data<float>();
    const float* B = b.value.data<float>();
    float* dW = w.grad.data<float>();
    float* dB = b.grad.data<float>();
    std::fill(dW, dW + K * D, 0.0f);
    std::fill(dB, dB + K, 0.0f);
    double loss = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) {
        float r = B[k] - y[n * K + k];
        for (int64_t d = 0; d < D; ++d) r += W[k * D + d] * x[n * D + d];
        loss += 0.5 * double(r) * r / N;
        float rn = r / N;
        dB[k] += rn;
        for (int64_t d = 0; d < D; ++d) dW[k * D + d] += rn * x[n * D + d];
      }
    return loss;
  }
};

struct Run {
  std::vector<double> loss;
  std::vector<float> w;
};

Run train(const char* kind, const OptimizerConfig& c, double lr, int steps) {
  static const Regression problem;
  std::vector<nn::Param> ps = {
      nn::make_param("w", {Regression::K, Regression::D}, DType::f32, true),
      nn::make_param("b", {Regression::K}, DType::f32, false)};
  auto opt = make_optimizer(kind, {&ps[0], &ps[1]}, c);
  Run r;
  for (int t = 0; t < steps; ++t) {
    r.loss.push_back(problem.loss_and_grad(ps[0], ps[1]));
    opt->step(lr);
  }
  r.loss.push_back(problem.loss_and_grad(ps[0], ps[1]));
  r.w.assign(ps[0].value.data<float>(), ps[0].value.data<float>() + ps[0].value.numel());
  return r;
}

double rel_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += double(a[i] - b[i]) * (a[i] - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

// Requirement (the paper's claim, not a rounding bound: 8-bit state perturbs every step by up to
// half a map gap, ~0.4% of the block absmax near it, and those perturbations compound through a
// non-linear update): over 200 steps the 8-bit loss stays within 2% of the 32-bit loss plus 1e-3
// of the starting loss at every step, both fall by more than 10x, and the final weights are within
// 3% (relative L2) of each other. Measured when written: worst loss gap 0.28 of that allowance,
// weights 0.9% / 1.2% (AdamW, block 256 / 2048) and 0.003% (SGD) apart.
void check_tracks(const char* kind, double lr) {
  const int steps = 200;
  OptimizerConfig c32;
  c32.weight_decay = 0.01;
  Run r32 = train(kind, c32, lr, steps);
  for (int64_t block : {256, 2048}) {
    OptimizerConfig c8 = c32;
    c8.state_codec = "8bit";
    c8.state_block = block;
    Run r8 = train(kind, c8, lr, steps);
    double worst = 0;
    for (int t = 0; t <= steps; ++t) {
      double gap = std::fabs(r8.loss[t] - r32.loss[t]);
      worst = std::max(worst, gap / (0.02 * r32.loss[t] + 1e-3 * r32.loss[0]));
      ASSERT_LE(gap, 0.02 * r32.loss[t] + 1e-3 * r32.loss[0])
          << kind << " block " << block << " step " << t << ": 8-bit loss " << r8.loss[t]
          << ", 32-bit " << r32.loss[t];
    }
    EXPECT_LT(r32.loss[steps], 0.1 * r32.loss[0]) << kind;
    EXPECT_LT(r8.loss[steps], 0.1 * r8.loss[0]) << kind;
    double dist = rel_distance(r8.w, r32.w);
    EXPECT_LT(dist, 0.03) << kind << " block " << block;
    std::printf(
        "%s block %lld: loss %.4g -> %.4g (32-bit %.4g), worst gap %.2f of the allowance, "
        "weights %.3g%% apart\n",
        kind, static_cast<long long>(block), r8.loss[0], r8.loss[steps], r32.loss[steps], worst,
        100 * dist);
  }
}

TEST(Optim8Tracking, AdamWTracks32Bit) {
  check_tracks("adamw", 1e-2);
}
TEST(Optim8Tracking, SgdMomentumTracks32Bit) {
  check_tracks("sgd", 0.05);
}

}  // namespace
}  // namespace lowbit::optim

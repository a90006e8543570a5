// Integer layer norm (numerics.mode = int, Tayaranian et al. 2022): mean, variance, the gamma
// product and every backward reduction computed on dynamic fixed-point codes with int64 sums.
#pragma once

#include <string>

#include "lowbit/core/qtensor.h"
#include "lowbit/nn/module.h"

namespace lowbit::nn {

// With x = s q (act bits), the row sums S1 = sum q and S2 = sum q^2 are exact, and so is
// C^2 var / s^2 = C S2 - S1^2; rstd = 1 / sqrt(var + eps) is the one floating-point step.
// x̂ = (C q - S1) s rstd / C is mapped to dynamic fixed point again (act bits, codes h, scale
// s_h), gamma too (weight bits, nearest, codes g), and y = (h g) s_h s_g + beta with h g an
// integer product and beta added in f32 (as Linear's bias). Backward, with dy = s_d e (grad
// bits, stochastic), the straight-through gradient of those operands:
//   dx = rstd s_d s_g (e g - sum(e g) / C - s_h^2 h sum(e g h) / C),
//   dgamma += s_d s_h sum_rows e h,  dbeta += s_d sum_rows e,
// every sum over int64 products of codes. x and x̂ round stochastically in training and to
// nearest in evaluation, gamma always to nearest; the stochastic streams are
// IntGemmNumerics::stream(layer, step, operand) with operand 0 = x, 2 = dy, 3 = x̂.
class IntLayerNorm {
 public:
  // Throws when a width is outside 2..16.
  IntLayerNorm(std::string layer, IntNumericsConfig cfg);
  // x (M, C) f32, gamma and beta (C) f32 -> y (M, C). Keeps the x̂ and gamma codes and rstd (M).
  Tensor forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps,
                 const ForwardContext& ctx);
  // dy (M, C) f32 -> dx (M, C); dgamma, dbeta (C) f32 accumulate.
  Tensor backward(const Tensor& dy, Tensor& dgamma, Tensor& dbeta);
  // One line for the run report.
  static std::string describe(const IntNumericsConfig& cfg);

  // What the last forward kept, and the last backward's dy codes (for tests).
  const QTensor& saved_xhat() const { return hq_; }
  const QTensor& saved_gamma() const { return gq_; }
  const Tensor& saved_rstd() const { return rstd_; }
  const QTensor& saved_dy() const { return dyq_; }
  int64_t rows() const { return rstd_.defined() ? rstd_.dim(0) : -1; }

 private:
  std::string layer_;
  IntNumericsConfig cfg_;
  uint64_t step_ = 0;
  QTensor hq_, gq_, dyq_;
  Tensor rstd_;  // (M) f32
};

}  // namespace lowbit::nn

// Integer fine-tuning numerics (Tayaranian et al. 2022, on Ghaffari et al.'s integer training):
// X, W and dY in dynamic fixed point (one power-of-two scale per tensor), products in integers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lowbit/core/qtensor.h"
#include "lowbit/nn/gemm_numerics.h"

namespace lowbit::nn {

// Bits include the sign: 2..16 (int8 kernels for <= 8, int16 for 9..16).
struct IntNumericsConfig {
  int weight_bits = 8;
  int act_bits = 8;
  int grad_bits = 8;
  uint64_t seed = 0;  // train.seed: keys stochastic rounding with (layer, step, operand)
};

// Rounding (docs/DESIGN.md, integer fine-tuning): X and dY are stochastically rounded in
// training, X to nearest in evaluation; W is always rounded to nearest, so the codes an eval
// forward uses are exactly those the training forward used for the same weights.
class IntGemmNumerics final : public GemmNumerics {
 public:
  IntGemmNumerics(std::string layer, IntNumericsConfig cfg);
  Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext& ctx) override;
  Tensor backward_input(const Tensor& dy) override;
  void backward_weight(const Tensor& dy, Tensor& dw) override;
  void release() override;
  std::string describe() const override;

  // What the last forward kept (x: its codes replace the f32 activation) and its dY codes.
  const QTensor& saved_x() const { return xq_; }
  const QTensor& saved_w() const { return wq_; }
  const QTensor& saved_dy() const { return dyq_; }

  // The format of an operand of `bits` bits: intn, pow2 tensor scale, i8 or i16 storage.
  static QFormat format(int bits, bool stochastic);
  // Stream of Rng(seed, stream) for (layer, step, operand): 0 = x, 1 = w, 2 = dy.
  static uint64_t stream(const std::string& layer, uint64_t step, int operand);

 private:
  std::string layer_;
  IntNumericsConfig cfg_;
  uint64_t step_ = 0;
  QTensor xq_, wq_, dyq_;
  const void* dy_ptr_ = nullptr;  // the dy that dyq_ quantizes (backward_input, then _weight)
  const QTensor& quantize_dy(const Tensor& dy);
};

std::unique_ptr<GemmNumerics> make_int_numerics(const std::string& layer, IntNumericsConfig cfg);

}  // namespace lowbit::nn

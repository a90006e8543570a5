// Integer fine-tuning numerics (Tayaranian et al. 2022, on Ghaffari et al.'s integer training):
// X, W and dY in dynamic fixed point (one power-of-two scale per tensor), products in integers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lowbit/core/qtensor.h"
#include "lowbit/nn/gemm_numerics.h"

namespace lowbit::nn {

// IntNumericsConfig (nn/module.h): int8 kernels for <= 8 bits, int16 for 9..16. Throws naming
// the layer and the pass when a width is outside 2..16.
void int_numerics_check(const std::string& layer, const IntNumericsConfig& cfg);

// Rounding (docs/DESIGN.md, integer fine-tuning): X and dY are stochastically rounded in
// training, X to nearest in evaluation; W is always rounded to nearest, so the codes an eval
// forward uses are exactly those the training forward used for the same weights.
class IntGemmNumerics final : public GemmNumerics {
 public:
  IntGemmNumerics(std::string layer, IntNumericsConfig cfg);
  Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext& ctx) override {
    return forward_bias(x, w, Tensor(), ctx);
  }
  // The bias is added in the integer GEMM's epilogue.
  Tensor forward_bias(const Tensor& x, const Tensor& w, const Tensor& bias,
                      const ForwardContext& ctx) override;
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
  // Stream of Rng(seed, stream) for (layer, step, operand): 0 = x, 1 = w, 2 = dy, 3 = a layer
  // norm's normalized x̂; operand < 4.
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

// The one scale of a tensor-granularity QTensor (a power of two in dynamic fixed point).
inline float tensor_scale(const QTensor& q) {
  return q.scales.data<float>()[0];
}

// fn(codes) with q's codes as const int8_t* (i8 storage) or const int16_t* (i16), so integer
// loops are written once for both widths.
template <class Fn>
decltype(auto) with_codes(const QTensor& q, Fn&& fn) {
  if (q.codes.dtype() == DType::i8) return fn(q.codes.data<int8_t>());
  LB_CHECK(q.codes.dtype() == DType::i16, "[with_codes] codes are ", dtype_name(q.codes.dtype()),
           ", expected i8 or i16");
  return fn(q.codes.data<int16_t>());
}

}  // namespace lowbit::nn

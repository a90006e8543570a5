// 4-bit training numerics (Xi, Li, Chen, Zhu 2023): Hadamard quantizer forward, bit splitting
// for dX and leverage-score sampling for dW, every product through the int4 GEMM.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lowbit/core/qtensor.h"
#include "lowbit/nn/gemm_numerics.h"

namespace lowbit::nn {

struct Int4NumericsConfig {
  bool hadamard = true;       // X·H and W·H (block-diagonal along K, K zero-padded to a block)
  int64_t hadamard_block = 64;
  bool bit_split = true;      // dY in 8 bits = hi/lo int4 parts (false: dY in int4)
  bool leverage_sampling = true;
  double sample_fraction = 0.5;
  uint64_t seed = 0;
};

// Forward: X·H and W·H to int4 (amax tensor scale, nearest), Y = int4 GEMM, kept for backward
// as packed codes (half a byte per activation). dX = (dY·(W·H))·H: the forward's weight codes
// and the Hadamard rotation applied back. dW = ((dYᵀ·(X·H))·H): rows sampled (LSS), dY split.
class Int4GemmNumerics final : public GemmNumerics {
 public:
  Int4GemmNumerics(std::string layer, Int4NumericsConfig cfg);
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

  const QTensor& saved_x() const { return xq_; }
  const QTensor& saved_w() const { return wq_; }
  int64_t padded_k() const { return kp_; }
  int64_t last_sampled_rows() const { return sampled_rows_; }

 private:
  std::string layer_;
  Int4NumericsConfig cfg_;
  uint64_t step_ = 0;
  int64_t k_ = 0, kp_ = 0;  // K and K padded to whole Hadamard blocks
  int64_t sampled_rows_ = -1;
  QTensor xq_, wq_;  // packed int4 of X·H (M, Kp) and W·H (N, Kp)
};

// op(C) (m, r) · B (r, n) in f32 for a bit-split gradient: C the 8-bit codes bit_split splits
// (quantize with bit_split_format()), B packed int4 codes; the result is the two int4 parts'
// products combined, (16·hi·B + lo·B + 8·colsum(B)) · s_c·s_b, computed as the one exact integer
// product c·B it equals (c = 16·hi + lo + 8): x86 multiplies int4 codes on int8 units anyway,
// so the split would only double the products. The same integers, hence the same bits (tested).
Tensor int4_split_product(const QTensor& c, bool c_trans, const QTensor& b);

std::unique_ptr<GemmNumerics> make_int4_numerics(const std::string& layer, Int4NumericsConfig cfg);

}  // namespace lowbit::nn

// Quantization-aware training numerics (numerics.mode = qat; SEEDS 5): the weight and the layer
// input are LSQ fake-quantized with learnable step sizes, then the f32 GEMMs run on the grid
// values.
//
//   Y  = x̂ · ŵᵀ,  x̂ = lsq_a(X) (signed act_bits),  ŵ = lsq_w(W) (signed weight_bits)
//   dX = STE_a(dY · ŵ),  dW += STE_w(dYᵀ · x̂),  plus each quantizer's step gradient (quant/lsq.h)
// The steps are parameters "<layer>.weight_step" and "<layer>.act_step" (shape (1), not decayed),
// initialised from the first forward's data. The layer keeps ŵ (weight-sized) and a reference to
// X; x̂ is recomputed from X in backward (bit-identical), so no activation-sized copy is saved.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/quant/lsq.h"

namespace lowbit::nn {

struct QatNumericsConfig {
  int weight_bits = 8;  // numerics.qat_weight_bits, 2..8
  int act_bits = 8;     // numerics.qat_act_bits, 2..8
  double step_lr_scale = 0.01;  // numerics.qat_step_lr_scale: the steps' Param::lr_scale
};

class QatGemmNumerics final : public GemmNumerics {
 public:
  QatGemmNumerics(const std::string& layer, QatNumericsConfig cfg);
  Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext& ctx) override;
  Tensor backward_input(const Tensor& dy) override;
  void backward_weight(const Tensor& dy, Tensor& dw) override;
  void release() override;
  std::string describe() const override;
  void collect_params(std::vector<Param*>& out) override;
  void set_param_dtype(DType dtype) override;

  LsqQuantizer& weight_quantizer() { return wq_; }
  LsqQuantizer& act_quantizer() { return aq_; }

 private:
  std::string layer_;
  QatNumericsConfig cfg_;
  LsqQuantizer wq_, aq_;
  Tensor w_hat_;             // ŵ of the last forward
  bool input_done_ = false;  // backward_input ran since the forward (it feeds the act step)
};

std::unique_ptr<GemmNumerics> make_qat_numerics(const std::string& layer, QatNumericsConfig cfg);

}  // namespace lowbit::nn

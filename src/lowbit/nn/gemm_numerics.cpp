// FP32 numerics: the three training products through ops/gemm, keeping X and W by reference
// (the layer's input and weight are not modified before backward).
#include "lowbit/nn/gemm_numerics.h"

#include "lowbit/nn/bias.h"
#include "lowbit/ops/gemm.h"

namespace lowbit::nn {

Tensor GemmNumerics::forward_bias(const Tensor& x, const Tensor& w, const Tensor& bias,
                                  const ForwardContext& ctx) {
  Tensor y = forward(x, w, ctx);
  if (bias.defined()) bias_add_rows(y, bias);
  return y;
}

namespace {

class Fp32GemmNumerics final : public GemmNumerics {
 public:
  Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext&) override {
    x_ = x;
    w_ = w;
    return ops::matmul_nt(x, w);
  }
  Tensor backward_input(const Tensor& dy) override { return ops::matmul_nn(dy, w_); }
  void backward_weight(const Tensor& dy, Tensor& dw) override { ops::matmul_tn_acc(dy, x_, dw); }
  void release() override {
    x_ = Tensor();
    w_ = Tensor();
  }
  std::string describe() const override { return "fp32"; }

 private:
  Tensor x_, w_;
};

}  // namespace

std::unique_ptr<GemmNumerics> make_fp32_numerics() { return std::make_unique<Fp32GemmNumerics>(); }

}  // namespace lowbit::nn

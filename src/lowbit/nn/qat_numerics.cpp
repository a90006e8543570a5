// QAT numerics: two LSQ quantizers around the f32 GEMMs. A first layer whose input needs no
// gradient (PatchEmbed calls backward_weight only) still trains its activation step.
#include "lowbit/nn/qat_numerics.h"

#include "lowbit/ops/gemm.h"

namespace lowbit::nn {

namespace {

int checked_bits(const std::string& layer, const char* key, int bits) {
  LB_CHECK(bits >= 2 && bits <= 8, "[qat ", layer, "] ", key, " = ", bits,
           ", expected 2..8 (LSQ codes are stored in 8 bits)");
  return bits;
}

}  // namespace

QatGemmNumerics::QatGemmNumerics(const std::string& layer, QatNumericsConfig cfg)
    : layer_(layer),
      cfg_(cfg),
      wq_(layer + ".weight_step", checked_bits(layer, "numerics.qat_weight_bits", cfg.weight_bits),
          true),
      aq_(layer + ".act_step", checked_bits(layer, "numerics.qat_act_bits", cfg.act_bits), true) {
  wq_.step().lr_scale = aq_.step().lr_scale = cfg.step_lr_scale;
}

Tensor QatGemmNumerics::forward(const Tensor& x, const Tensor& w, const ForwardContext&) {
  LB_CHECK(x.dtype() == w.dtype() && x.dtype() == wq_.step().value.dtype(), "[qat ", layer_,
           "] x is ", dtype_name(x.dtype()), ", w ", dtype_name(w.dtype()), ", the steps ",
           dtype_name(wq_.step().value.dtype()));
  w_hat_ = wq_.forward(w);
  Tensor x_hat = aq_.forward(x);
  input_done_ = false;
  return ops::matmul_nt(x_hat, w_hat_);
}

Tensor QatGemmNumerics::backward_input(const Tensor& dy) {
  LB_CHECK(w_hat_.defined(), "[qat ", layer_, "] backward before forward");
  input_done_ = true;
  return aq_.backward(ops::matmul_nn(dy, w_hat_));
}

void QatGemmNumerics::backward_weight(const Tensor& dy, Tensor& dw) {
  LB_CHECK(w_hat_.defined(), "[qat ", layer_, "] backward before forward");
  if (!input_done_) {  // the activation step's gradient needs dŶ·ŵ even when dX is not wanted
    aq_.backward(ops::matmul_nn(dy, w_hat_));
    input_done_ = true;
  }
  Tensor dw_hat = Tensor::zeros(dw.shape(), dw.dtype());
  ops::matmul_tn_acc(dy, aq_.saved_fake_quantized(), dw_hat);
  Tensor g = wq_.backward(dw_hat);
  if (dw.dtype() == DType::f32) {
    float* d = dw.data<float>();
    const float* s = g.data<float>();
    for (int64_t i = 0; i < dw.numel(); ++i) d[i] += s[i];
  } else {
    double* d = dw.data<double>();
    const double* s = g.data<double>();
    for (int64_t i = 0; i < dw.numel(); ++i) d[i] += s[i];
  }
}

void QatGemmNumerics::release() {
  w_hat_ = Tensor();
  wq_.release();
  aq_.release();
}

std::string QatGemmNumerics::describe() const {
  return "qat lsq w" + std::to_string(cfg_.weight_bits) + " a" + std::to_string(cfg_.act_bits);
}

void QatGemmNumerics::collect_params(std::vector<Param*>& out) {
  out.push_back(&wq_.step());
  out.push_back(&aq_.step());
}

void QatGemmNumerics::set_param_dtype(DType dtype) {
  wq_.set_dtype(dtype);
  aq_.set_dtype(dtype);
}

std::unique_ptr<GemmNumerics> make_qat_numerics(const std::string& layer, QatNumericsConfig cfg) {
  return std::make_unique<QatGemmNumerics>(layer, cfg);
}

}  // namespace lowbit::nn

// FP8 training numerics: per-tensor E4M3 / E5M2 quantization with delayed or current scaling,
// products of the decoded operands through the f32 GEMM (see fp8_numerics.h for the formulas).
#include "lowbit/nn/fp8_numerics.h"

#include <cmath>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/formats/fp8.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/ops/gemm.h"
#include "lowbit/quant/uniform.h"

namespace lowbit::nn {

namespace {

// One tensor's scale state and its quantize -> dequantize step.
class Fp8TensorScaler {
 public:
  Fp8TensorScaler(Fp8Kind kind, const Fp8TrainingOptions& o)
      : kind_(kind), scaling_(o.scaling), delayed_(kind, o.amax_history) {}

  // t f32 -> codes (returned) and their decoded values / scale (into dq, same shape, f32).
  // `record` adds this amax to the delayed history (training steps only).
  Tensor quantize(const Tensor& t, bool record, Tensor* dq) {
    const float amax = absmax_of(t.data<float>(), t.numel());
    float scale;
    if (scaling_ == Fp8Scaling::current || delayed_.history_size() == 0)
      scale = fp8_scale_from_amax(amax, kind_);  // no history yet: this tensor's own amax
    else
      scale = delayed_.scale();
    if (record) delayed_.update(amax);
    last_scale_ = scale;
    Tensor codes = Tensor::empty(t.shape(), DType::u8);
    Fp8CodecParams p;
    p.kind = kind_;
    p.saturate = true;
    p.scale = scale;
    const Fp8EncodeFn enc = fp8_encode_kernels().chosen().fn;
    const Fp8DecodeFn dec = fp8_decode_kernels().chosen().fn;
    const float* x = t.data<float>();
    uint8_t* c = codes.data<uint8_t>();
    if (dq) *dq = Tensor::empty(t.shape(), DType::f32);
    float* d = dq ? dq->data<float>() : nullptr;
    Fp8CodecParams pd = p;
    pd.scale = 1.0f / scale;
    parallel_for(t.numel(), 1 << 16, [&](int64_t i0, int64_t i1) {
      enc(x + i0, i1 - i0, p, c + i0);
      if (d) dec(c + i0, i1 - i0, pd, d + i0);
    });
    return codes;
  }
  float last_scale() const { return last_scale_; }
  Fp8Kind kind() const { return kind_; }

 private:
  Fp8Kind kind_;
  Fp8Scaling scaling_;
  Fp8DelayedScaling delayed_;
  float last_scale_ = 1.0f;
};

Tensor decode(const Tensor& codes, Fp8Kind kind, float scale) {
  Tensor out = Tensor::empty(codes.shape(), DType::f32);
  Fp8CodecParams p;
  p.kind = kind;
  p.scale = 1.0f / scale;
  const Fp8DecodeFn dec = fp8_decode_kernels().chosen().fn;
  const uint8_t* c = codes.data<uint8_t>();
  float* o = out.data<float>();
  parallel_for(codes.numel(), 1 << 16, [&](int64_t i0, int64_t i1) { dec(c + i0, i1 - i0, p, o + i0); });
  return out;
}

class Fp8GemmNumerics final : public GemmNumerics {
 public:
  explicit Fp8GemmNumerics(const Fp8TrainingOptions& o)
      : opts_(o), x_(Fp8Kind::e4m3, o), w_(Fp8Kind::e4m3, o), dy_(Fp8Kind::e5m2, o) {}

  Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext& ctx) override {
    LB_CHECK(x.dtype() == DType::f32 && w.dtype() == DType::f32,
             "[fp8] numerics.mode = fp8 computes on f32 tensors, got ", dtype_name(x.dtype()));
    Tensor xdq, wdq;
    x_codes_ = x_.quantize(x, ctx.training, &xdq);
    w_.quantize(w, ctx.training, &wdq);
    w_dq_ = wdq;
    training_ = ctx.training;
    return ops::matmul_nt(xdq, wdq);
  }
  Tensor backward_input(const Tensor& dy) override {
    LB_CHECK(w_dq_.defined(), "[fp8] backward before forward");
    dy_codes_ = dy_.quantize(dy, true, &dy_dq_);
    return ops::matmul_nn(dy_dq_, w_dq_);
  }
  void backward_weight(const Tensor& dy, Tensor& dw) override {
    if (!dy_dq_.defined()) dy_codes_ = dy_.quantize(dy, true, &dy_dq_);
    Tensor xdq = decode(x_codes_, Fp8Kind::e4m3, x_.last_scale());
    ops::matmul_tn_acc(dy_dq_, xdq, dw);
    dy_dq_ = Tensor();
  }
  void release() override {
    x_codes_ = Tensor();
    w_dq_ = Tensor();
    dy_codes_ = Tensor();
    dy_dq_ = Tensor();
  }
  std::string describe() const override {
    return std::string("fp8 e4m3 (x, w) / e5m2 (dy), ") +
           (opts_.scaling == Fp8Scaling::delayed
                ? "delayed scaling, history " + std::to_string(opts_.amax_history)
                : std::string("current scaling"));
  }

 private:
  Fp8TrainingOptions opts_;
  Fp8TensorScaler x_, w_, dy_;
  bool training_ = false;
  Tensor x_codes_, w_dq_, dy_codes_, dy_dq_;
};

}  // namespace

std::unique_ptr<GemmNumerics> make_fp8_numerics(const Fp8TrainingOptions& o) {
  return std::make_unique<Fp8GemmNumerics>(o);
}

}  // namespace lowbit::nn

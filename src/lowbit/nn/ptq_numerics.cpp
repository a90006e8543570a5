// Quantized-inference numerics (PTQ): FP8 products emulated exactly in f64, int8 products through
// the exact integer GEMM with its fused scale epilogue.
//
// Why f64 is exact for E4M3: every E4M3 value is an integer times 2^-9 with |value| <= 448, so a
// product of two is an integer multiple of 2^-18 with magnitude <= 448^2 < 2^17.62. Every partial
// sum of K such products is a multiple of 2^-18 below K * 448^2; while that is < 2^35 (K <= 171196)
// it has at most 53 significant bits, so each f64 addition is exact, in any order. The f64 GEMM
// therefore returns the exact sum S (thread and tile splits cannot change it); then
// y = float(S * (double(s_x) * double(s_w))): the scale product is exact (24 + 24 bits), S * that
// is rounded once to f64 and once to f32 (|y - exact| <= 2^-24 |y| + 2^-53 |y|, and bit-identical
// to the reference in tests). E5M2 spans 2^-16 .. 57344: products need up to 64 bits of range, so
// f64 is not exact there; the error of the f64 sum is bounded by K * 2^-53 * sum |products|
// (Higham's gamma_K), i.e. below f32 output rounding unless the sum cancels by a factor > 2^29 / K.
// f32 accumulation would lose up to K * 2^-24 * sum |products|, which is why we do not use it.
#include "lowbit/nn/ptq_numerics.h"

#include <cmath>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/formats/fp8.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/ops/gemm.h"
#include "lowbit/ops/gemm_int.h"

namespace lowbit::nn {

namespace {

Fp8Kind fp8_kind(PtqFormat f) { return f == PtqFormat::e4m3 ? Fp8Kind::e4m3 : Fp8Kind::e5m2; }

// Codes -> unscaled values in double (exact: FP8 values have <= 4 significant bits).
Tensor decode_f64(const void* codes, int64_t rows, int64_t cols, PtqFormat f) {
  Tensor out = Tensor::empty({rows, cols}, DType::f64);
  double* o = out.data<double>();
  const int64_t n = rows * cols;
  if (f == PtqFormat::int8) {
    const auto* c = static_cast<const int8_t*>(codes);
    for (int64_t i = 0; i < n; ++i) o[i] = c[i];
  } else {
    const float* table = fp8_decode_table(fp8_kind(f));
    const auto* c = static_cast<const uint8_t*>(codes);
    for (int64_t i = 0; i < n; ++i) o[i] = table[c[i]];
  }
  return out;
}

class PtqGemmNumerics final : public GemmNumerics {
 public:
  PtqGemmNumerics(std::shared_ptr<const PtqLayer> layer, std::string name)
      : layer_(std::move(layer)), name_(std::move(name)) {
    if (layer_->format != PtqFormat::int8)
      w_values_ = decode_f64(layer_->w_codes.raw(), layer_->w_codes.dim(0), layer_->w_codes.dim(1),
                             layer_->format);
  }

  Tensor forward(const Tensor& x, const Tensor& w, const ForwardContext&) override {
    const PtqLayer& L = *layer_;
    const int64_t m = x.dim(0), k = x.dim(1), n = L.w_codes.dim(0);
    LB_CHECK(x.dtype() == DType::f32, "[ptq ", name_, "] x is ", dtype_name(x.dtype()),
             ", quantized inference runs on f32 activations");
    LB_CHECK(w.dim(0) == n && w.dim(1) == k && L.w_codes.dim(1) == k, "[ptq ", name_,
             "] weight is ", w.shape_string(), " but the stored codes are ",
             L.w_codes.shape_string());
    const int64_t ns = L.w_scales.numel();
    const float* ws = L.w_scales.data<float>();
    Tensor y = Tensor::empty({m, n}, DType::f32);
    if (L.format == PtqFormat::int8) {
      ops::IntMatrix a{GemmIntSrc::f32, x.data<float>(), k, false, 8, L.x_scale};
      ops::IntMatrix b{GemmIntSrc::s8, L.w_codes.raw(), k, true, 8, 0.0f};
      ops::IntOutput out;
      out.mode = GemmIntOut::f32;
      out.c = y.data<float>();
      out.ldc = n;
      out.row_scale = &L.x_scale;
      out.row_scale_len = 1;
      out.col_scale = ws;
      out.col_scale_len = ns;
      ops::gemm_int(m, n, k, a, b, out);
      return y;
    }
    if (L.format == PtqFormat::e4m3)
      LB_CHECK(k <= 171196, "[ptq ", name_, "] K = ", k, " exceeds 171196, where f64 sums of E4M3 "
               "products stop being exact");
    std::vector<uint8_t> xc(static_cast<size_t>(m * k));
    ptq_encode(x.data<float>(), m * k, L.x_scale, L.format, xc.data());
    Tensor xv = decode_f64(xc.data(), m, k, L.format);
    Tensor acc = ops::matmul_nt(xv, w_values_);
    const double* s = acc.data<double>();
    float* o = y.data<float>();
    parallel_for(m, 64, [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const double sc = static_cast<double>(L.x_scale) * ws[ns == 1 ? 0 : j];
          o[i * n + j] = static_cast<float>(s[i * n + j] * sc);
        }
    });
    return y;
  }
  Tensor backward_input(const Tensor&) override {
    LB_FAIL("[ptq ", name_, "] a post-training-quantized layer has no backward; train from the "
            "fp32 checkpoint (or use numerics.mode = fp8)");
  }
  void backward_weight(const Tensor&, Tensor&) override { backward_input(Tensor()); }
  void release() override {}
  std::string describe() const override {
    return std::string("ptq ") + ptq_format_name(layer_->format) +
           (layer_->w_scales.numel() > 1 ? " per-channel" : " per-tensor");
  }

 private:
  std::shared_ptr<const PtqLayer> layer_;
  std::string name_;
  Tensor w_values_;  // fp8: unscaled weight values (N, K) f64
};

}  // namespace

const char* ptq_format_name(PtqFormat f) {
  return f == PtqFormat::e4m3 ? "e4m3" : f == PtqFormat::e5m2 ? "e5m2" : "int8";
}

PtqFormat ptq_format_parse(const std::string& s) {
  if (s == "e4m3") return PtqFormat::e4m3;
  if (s == "e5m2") return PtqFormat::e5m2;
  if (s == "int8") return PtqFormat::int8;
  LB_FAIL("quantization format '", s, "' is not one of e4m3|e5m2|int8");
}

float ptq_format_max(PtqFormat f) {
  return f == PtqFormat::int8 ? 127.0f : fp8_spec(fp8_kind(f)).max;
}

DType ptq_format_dtype(PtqFormat f) {
  return f == PtqFormat::e4m3 ? DType::f8_e4m3 : f == PtqFormat::e5m2 ? DType::f8_e5m2 : DType::i8;
}

float ptq_scale_for_clip(float clip, PtqFormat f) {
  if (!(clip > 0.0f) || !std::isfinite(clip)) return 1.0f;
  const float s = clip / ptq_format_max(f);
  return s > 0.0f ? s : 1.0f;
}

void ptq_encode(const float* x, int64_t n, float s, PtqFormat f, void* codes) {
  if (f == PtqFormat::int8) {
    intn_quant_kernels().chosen().to_s8(x, n, s, 127, static_cast<int8_t*>(codes));
    return;
  }
  Fp8CodecParams p;
  p.kind = fp8_kind(f);
  p.saturate = true;
  p.scale = 1.0f / s;
  const Fp8EncodeFn fn = fp8_encode_kernels().chosen().fn;
  auto* out = static_cast<uint8_t*>(codes);
  parallel_for(n, 1 << 16, [&](int64_t i0, int64_t i1) { fn(x + i0, i1 - i0, p, out + i0); });
}

float ptq_code_value(const void* codes, int64_t i, PtqFormat f) {
  if (f == PtqFormat::int8) return static_cast<const int8_t*>(codes)[i];
  return fp8_decode_table(fp8_kind(f))[static_cast<const uint8_t*>(codes)[i]];
}

PtqLayer ptq_quantize_weight(const Tensor& w, PtqFormat f, bool per_channel, float x_scale) {
  LB_CHECK(w.ndim() == 2 && w.dtype() == DType::f32, "[ptq] weight is ", w.shape_string(), " ",
           dtype_name(w.dtype()), ", expected a 2-D f32 matrix");
  const int64_t n = w.dim(0), k = w.dim(1);
  PtqLayer L;
  L.format = f;
  L.x_scale = x_scale;
  L.w_codes = Tensor::empty({n, k}, ptq_format_dtype(f));
  L.w_scales = Tensor::empty({per_channel ? n : 1}, DType::f32);
  const float* wp = w.data<float>();
  float* sp = L.w_scales.data<float>();
  auto amax_of = [](const float* p, int64_t len) {
    float a = 0.0f;
    for (int64_t i = 0; i < len; ++i) a = std::fmax(a, std::fabs(p[i]));
    return a;
  };
  auto* codes = static_cast<uint8_t*>(L.w_codes.raw());
  if (per_channel) {
    for (int64_t r = 0; r < n; ++r) {
      sp[r] = ptq_scale_for_clip(amax_of(wp + r * k, k), f);
      ptq_encode(wp + r * k, k, sp[r], f, codes + r * k);
    }
  } else {
    sp[0] = ptq_scale_for_clip(amax_of(wp, n * k), f);
    ptq_encode(wp, n * k, sp[0], f, codes);
  }
  return L;
}

Tensor ptq_dequantize_weight(const PtqLayer& L) {
  const int64_t n = L.w_codes.dim(0), k = L.w_codes.dim(1);
  Tensor w = Tensor::empty({n, k}, DType::f32);
  float* o = w.data<float>();
  const float* s = L.w_scales.data<float>();
  const bool pc = L.w_scales.numel() > 1;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      o[r * k + c] = ptq_code_value(L.w_codes.raw(), r * k + c, L.format) * s[pc ? r : 0];
  return w;
}

std::unique_ptr<GemmNumerics> make_ptq_numerics(std::shared_ptr<const PtqLayer> layer,
                                                std::string name) {
  return std::make_unique<PtqGemmNumerics>(std::move(layer), std::move(name));
}

}  // namespace lowbit::nn

// Integer numerics: quantize() with pow2 scales and seeded stochastic rounding, then the three
// products through ops/gemm_int (exact integer sums, scales in the f32 epilogue).
#include "lowbit/nn/int_numerics.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "lowbit/ops/gemm_int.h"
#include "lowbit/quant/uniform.h"

namespace lowbit::nn {

namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

uint64_t splitmix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void check_bits(const std::string& layer, const char* what, int bits) {
  LB_CHECK(bits >= 2 && bits <= 16, "[int numerics ", layer, "] ", what, " = ", bits,
           " bits, expected 2..16");
}

}  // namespace

void int_numerics_check(const std::string& layer, const IntNumericsConfig& cfg) {
  check_bits(layer, "weight_bits", cfg.weight_bits);
  check_bits(layer, "act_bits", cfg.act_bits);
  check_bits(layer, "grad_bits", cfg.grad_bits);
}

QFormat IntGemmNumerics::format(int bits, bool stochastic) {
  QFormat f;
  f.storage = bits <= 8 ? DType::i8 : DType::i16;
  f.bits = bits;
  f.gran = Granularity::tensor;
  f.rounding = stochastic ? Rounding::stochastic : Rounding::nearest_even;
  f.scale_kind = ScaleKind::pow2;
  f.encoding = Encoding::intn;
  return f;
}

uint64_t IntGemmNumerics::stream(const std::string& layer, uint64_t step, int operand) {
  return splitmix(fnv1a(layer) ^ splitmix(step * 4 + static_cast<uint64_t>(operand)));
}

IntGemmNumerics::IntGemmNumerics(std::string layer, IntNumericsConfig cfg)
    : layer_(std::move(layer)), cfg_(cfg) {
  int_numerics_check(layer_, cfg_);
}

Tensor IntGemmNumerics::forward_bias(const Tensor& x, const Tensor& w, const Tensor& bias,
                                     const ForwardContext& ctx) {
  LB_CHECK(x.dtype() == DType::f32 && w.dtype() == DType::f32, "[int numerics ", layer_,
           "] x is ", dtype_name(x.dtype()), " and w ", dtype_name(w.dtype()),
           ", expected f32 (integer numerics train in f32; gradient tests use fp32 numerics)");
  step_ = ctx.step;
  xq_ = quantize(x, format(cfg_.act_bits, ctx.training), cfg_.seed, stream(layer_, step_, 0));
  wq_ = quantize(w, format(cfg_.weight_bits, false), cfg_.seed, stream(layer_, step_, 1));
  dyq_ = QTensor();
  dy_ptr_ = nullptr;
  return ops::matmul_nt_int(xq_, wq_, bias);
}

// dY is quantized once per backward (same codes for dX and dW).
const QTensor& IntGemmNumerics::quantize_dy(const Tensor& dy) {
  LB_CHECK(dy.dtype() == DType::f32, "[int numerics ", layer_, "] dy is ", dtype_name(dy.dtype()),
           ", expected f32");
  dyq_ = quantize(dy, format(cfg_.grad_bits, true), cfg_.seed, stream(layer_, step_, 2));
  dy_ptr_ = dy.raw();
  return dyq_;
}

Tensor IntGemmNumerics::backward_input(const Tensor& dy) {
  LB_CHECK(wq_.codes.defined(), "[int numerics ", layer_, "] backward before forward");
  return ops::matmul_nn_int(quantize_dy(dy), wq_);  // Linear passes the same dy to _weight next
}

void IntGemmNumerics::backward_weight(const Tensor& dy, Tensor& dw) {
  LB_CHECK(xq_.codes.defined(), "[int numerics ", layer_, "] backward before forward");
  const bool same = dyq_.codes.defined() && dy_ptr_ == dy.raw();
  ops::matmul_tn_acc_int(same ? dyq_ : quantize_dy(dy), xq_, dw);
}

void IntGemmNumerics::release() {
  xq_ = QTensor();
  wq_ = QTensor();
  dyq_ = QTensor();
  dy_ptr_ = nullptr;
}

std::string IntGemmNumerics::describe() const {
  auto w = [](int b) { return "int" + std::to_string(b); };
  std::string s = "int dfp (pow2 tensor scale): w " + w(cfg_.weight_bits) + " rne, x " +
                  w(cfg_.act_bits) + " sr/rne-eval, dy " + w(cfg_.grad_bits) + " sr; ";
  auto kern = [](int b) { return b <= 8 ? "s8" : "s16"; };
  s += std::string("Y ") + kern(std::max(cfg_.act_bits, cfg_.weight_bits)) + ", dX " +
       kern(std::max(cfg_.grad_bits, cfg_.weight_bits)) + ", dW " +
       kern(std::max(cfg_.grad_bits, cfg_.act_bits)) + " GEMM";
  return s;
}

std::unique_ptr<GemmNumerics> make_int_numerics(const std::string& layer, IntNumericsConfig cfg) {
  return std::make_unique<IntGemmNumerics>(layer, cfg);
}

}  // namespace lowbit::nn

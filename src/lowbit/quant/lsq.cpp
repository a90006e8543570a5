// LSQ fake quantizer: element-parallel forward (fixed chunks), and a backward whose step-gradient
// sum runs in index order in double, so the result is the paper's formula bit for bit.
#include "lowbit/quant/lsq.h"

#include <cmath>
#include <utility>

#include "lowbit/core/parallel.h"
#include "lowbit/core/round.h"

namespace lowbit {

namespace {

constexpr int64_t kChunk = 1 << 14;

// The element's value on the grid: round(x / s) clipped to [-qn, qp], in T. Comparisons, not
// fmin/fmax, so a NaN stays NaN (and the trainer's non-finite check sees it). `+ 0` turns a
// rounded -0 into +0, so q = code * s holds for the integer code 0 too, sign bit included.
template <class T>
inline T grid_code(T x, T s, T lo, T hi) {  // lo = T(-Q_N): +0 when Q_N = 0
  const T r = round_even(x / s) + T(0);
  return r < lo ? lo : (r > hi ? hi : r);
}

template <class T>
T step_of(const nn::Param& p) {
  return p.value.data<T>()[0];
}

template <class T>
Tensor fake_quantize(const Tensor& x, T s, int64_t qn, int64_t qp) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const T* px = x.data<T>();
  T* po = out.data<T>();
  const T lo = static_cast<T>(-qn), hi = static_cast<T>(qp);
  parallel_for(x.numel(), kChunk, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) po[i] = grid_code(px[i], s, lo, hi) * s;
  });
  return out;
}

}  // namespace

double lsq_initial_step(const Tensor& x, int64_t q_p) {
  LB_CHECK(x.dtype() == DType::f32 || x.dtype() == DType::f64, "[lsq] x is ", dtype_name(x.dtype()),
           ", expected f32 or f64");
  if (x.numel() == 0) return 0.0;
  double sum = 0;
  if (x.dtype() == DType::f32) {
    const float* p = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) sum += std::fabs(static_cast<double>(p[i]));
  } else {
    const double* p = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) sum += std::fabs(p[i]);
  }
  return 2.0 * (sum / static_cast<double>(x.numel())) / std::sqrt(static_cast<double>(q_p));
}

LsqQuantizer::LsqQuantizer(std::string param_name, int bits, bool is_signed, DType dtype)
    : bits_(bits), signed_(is_signed) {
  LB_CHECK(bits >= 2 && bits <= 8, "[lsq ", param_name, "] ", bits, " bits, expected 2..8");
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[lsq ", param_name, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  qn_ = signed_ ? (int64_t{1} << (bits - 1)) : 0;
  qp_ = signed_ ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
  step_ = nn::make_param(std::move(param_name), {1}, dtype, /*decay=*/false);
}

double LsqQuantizer::step_value() const {
  return step_.value.dtype() == DType::f32 ? step_of<float>(step_) : step_of<double>(step_);
}

void LsqQuantizer::set_dtype(DType dtype) {
  if (dtype == step_.value.dtype()) return;
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[lsq ", step_.name, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  step_.value = step_.value.to(dtype);
  step_.grad = Tensor::zeros({1}, dtype);
}

void LsqQuantizer::check_step(const char* when) const {
  const double s = step_value();
  LB_CHECK(std::isfinite(s) && s > 0, "[lsq] ", when, ": step size ", step_.name, " = ", s,
           ", expected a finite value > 0 (a step this far off usually means optim.lr is too "
           "large for the step sizes; lower it)");
}

Tensor LsqQuantizer::forward(const Tensor& x) {
  LB_CHECK(x.dtype() == step_.value.dtype(), "[lsq ", step_.name, "] x is ", dtype_name(x.dtype()),
           " but the step is ", dtype_name(step_.value.dtype()));
  if (step_value() == 0) {
    const double s0 = lsq_initial_step(x, qp_);
    LB_CHECK(std::isfinite(s0), "[lsq ", step_.name, "] cannot initialise the step: mean |x| is ",
             "not finite (x has NaN or Inf)");
    if (x.dtype() == DType::f32)
      step_.value.data<float>()[0] = static_cast<float>(s0);
    else
      step_.value.data<double>()[0] = s0;
  }
  x_ = x;
  if (step_value() == 0) return Tensor::zeros(x.shape(), x.dtype());  // x is all zeros
  check_step("forward");
  return saved_fake_quantized();
}

Tensor LsqQuantizer::saved_fake_quantized() const {
  LB_CHECK(x_.defined(), "[lsq ", step_.name, "] no forward to recompute");
  if (step_value() == 0) return Tensor::zeros(x_.shape(), x_.dtype());
  if (x_.dtype() == DType::f32) return fake_quantize<float>(x_, step_of<float>(step_), qn_, qp_);
  return fake_quantize<double>(x_, step_of<double>(step_), qn_, qp_);
}

namespace {

// dx = dq inside the range, 0 outside; returns sum_i dq_i * t_i in double, index order.
template <class T>
double lsq_backward(const Tensor& x, const Tensor& dq, T s, int64_t qn_i, int64_t qp_i,
                    Tensor& dx) {
  const T* px = x.data<T>();
  const T* pg = dq.data<T>();
  T* pd = dx.data<T>();
  const T qn = static_cast<T>(qn_i), qp = static_cast<T>(qp_i);
  double sum = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const T v = px[i] / s;
    const bool inside = v > -qn && v < qp;
    pd[i] = inside ? pg[i] : T(0);
    const T t = inside ? round_even(v) - v : (v <= -qn ? -qn : qp);
    sum += static_cast<double>(pg[i]) * static_cast<double>(t);
  }
  return sum;
}

}  // namespace

Tensor LsqQuantizer::backward(const Tensor& dq) {
  LB_CHECK(x_.defined(), "[lsq ", step_.name, "] backward before forward");
  LB_CHECK(dq.shape() == x_.shape() && dq.dtype() == x_.dtype(), "[lsq ", step_.name, "] dq is ",
           dq.shape_string(), " ", dtype_name(dq.dtype()), ", expected ", x_.shape_string(), " ",
           dtype_name(x_.dtype()));
  // An all-zero x left the step at 0: q = 0 does not depend on s, and x passes straight through.
  if (step_value() == 0) return dq.clone();
  check_step("backward");
  Tensor dx = Tensor::empty(dq.shape(), dq.dtype());
  const double g = 1.0 / std::sqrt(static_cast<double>(x_.numel()) * static_cast<double>(qp_));
  if (x_.dtype() == DType::f32) {
    double sum = lsq_backward<float>(x_, dq, step_of<float>(step_), qn_, qp_, dx);
    step_.grad.data<float>()[0] += static_cast<float>(g * sum);
  } else {
    double sum = lsq_backward<double>(x_, dq, step_of<double>(step_), qn_, qp_, dx);
    step_.grad.data<double>()[0] += g * sum;
  }
  return dx;
}

LsqCodes LsqQuantizer::codes(const Tensor& x) const {
  LB_CHECK(x.dtype() == DType::f32 && step_.value.dtype() == DType::f32, "[lsq ", step_.name,
           "] codes are for f32 tensors and steps, got ", dtype_name(x.dtype()));
  const float s = step_of<float>(step_);
  check_step("codes");
  LsqCodes out;
  out.step = s;
  out.codes = Tensor::empty(x.shape(), signed_ ? DType::i8 : DType::u8);
  const float* px = x.data<float>();
  const float lo = static_cast<float>(-qn_), hi = static_cast<float>(qp_);
  for (int64_t i = 0; i < x.numel(); ++i)
    LB_CHECK(std::isfinite(px[i]), "[lsq ", step_.name, "] element ", i, " is ", px[i],
             "; only finite values have codes");
  if (signed_) {
    int8_t* pc = out.codes.data<int8_t>();
    for (int64_t i = 0; i < x.numel(); ++i)
      pc[i] = static_cast<int8_t>(grid_code(px[i], s, lo, hi));
  } else {
    uint8_t* pc = out.codes.data<uint8_t>();
    for (int64_t i = 0; i < x.numel(); ++i)
      pc[i] = static_cast<uint8_t>(grid_code(px[i], s, lo, hi));
  }
  return out;
}

}  // namespace lowbit

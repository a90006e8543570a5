// [CLS] row gather/scatter and tanh.
#include "lowbit/models/pooling.h"

#include <cmath>
#include <cstring>

namespace lowbit::models {

namespace {
template <class Fn>
void float_dispatch(const Tensor& t, Fn&& fn) {
  LB_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, "[pooling] expects f32 or f64, got ",
           dtype_name(t.dtype()));
  if (t.dtype() == DType::f32) fn(float{}); else fn(double{});
}
}  // namespace

Tensor first_token_rows(const Tensor& x, int64_t batch, int64_t seq) {
  int64_t c = x.dim(1);
  LB_CHECK(x.dim(0) == batch * seq, "[pooling] x is ", x.shape_string(), ", expected (", batch * seq, ", C)");
  Tensor out = Tensor::empty({batch, c}, x.dtype());
  size_t row = static_cast<size_t>(c) * dtype_bytes(x.dtype());
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(static_cast<char*>(out.raw()) + b * row,
                static_cast<const char*>(x.raw()) + b * seq * row, row);
  return out;
}

Tensor first_token_rows_backward(const Tensor& dy, int64_t batch, int64_t seq) {
  int64_t c = dy.dim(1);
  Tensor dx = Tensor::zeros({batch * seq, c}, dy.dtype());
  size_t row = static_cast<size_t>(c) * dtype_bytes(dy.dtype());
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(static_cast<char*>(dx.raw()) + b * seq * row,
                static_cast<const char*>(dy.raw()) + b * row, row);
  return dx;
}

Tensor tanh_forward(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  float_dispatch(x, [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = std::tanh(px[i]);
  });
  return y;
}

Tensor tanh_backward(const Tensor& dy, const Tensor& y) {
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype());
  float_dispatch(dy, [&](auto tag) {
    using T = decltype(tag);
    const T* pd = dy.data<T>();
    const T* py = y.data<T>();
    T* out = dx.data<T>();
    for (int64_t i = 0; i < dy.numel(); ++i) out[i] = pd[i] * (T(1) - py[i] * py[i]);
  });
  return dx;
}

}  // namespace lowbit::models

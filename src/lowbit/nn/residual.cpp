// The residual add y += x, elementwise in fixed chunks; used for activations and for the
// gradients that meet at every skip connection.
#include "lowbit/nn/residual.h"

#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {
template <class T>
void add_t(T* y, const T* x, int64_t n) {
  if (y == x) {  // y += y: __restrict below would be a lie
    parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] += y[i];
    });
    return;
  }
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    T* __restrict yy = y;
    const T* __restrict xx = x;
#pragma omp simd
    for (int64_t i = b; i < e; ++i) yy[i] += xx[i];
  });
}

bool partly_overlap(const Tensor& a, const Tensor& b) {
  if (!a.same_storage(b) || a.raw() == b.raw() || a.nbytes() == 0) return false;
  const char* pa = static_cast<const char*>(a.raw());
  const char* pb = static_cast<const char*>(b.raw());
  return pa < pb + b.nbytes() && pb < pa + a.nbytes();
}
}  // namespace

void add_inplace(Tensor& y, const Tensor& x) {
  LB_CHECK(y.shape() == x.shape() && y.dtype() == x.dtype(), "[residual] y is ", y.shape_string(),
           " ", dtype_name(y.dtype()), ", x is ", x.shape_string(), " ", dtype_name(x.dtype()),
           ": expected the same shape and dtype");
  LB_CHECK(y.dtype() == DType::f32 || y.dtype() == DType::f64, "[residual] y is ",
           dtype_name(y.dtype()), ", expected f32 or f64");
  LB_CHECK(!partly_overlap(y, x), "[residual] y and x are partly overlapping views of one tensor");
  if (y.dtype() == DType::f32)
    add_t(y.data<float>(), x.data<float>(), y.numel());
  else
    add_t(y.data<double>(), x.data<double>(), y.numel());
}

}  // namespace lowbit::nn

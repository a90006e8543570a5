// Dropout: the keep-mask of a call is a pure function of (seed, layer stream, step, element),
// drawn four elements per Philox block and kept as u8 for backward.
#include "lowbit/nn/dropout.h"

#include <algorithm>
#include <cmath>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/rng_kernels.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kGrain = 1 << 14;  // a multiple of 4: one Philox block never spans two chunks

template <class T>
void apply_mask(const T* __restrict x, const uint8_t* __restrict mask, T scale, T* __restrict y,
                int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) y[i] = x[i] * (static_cast<T>(mask[i]) * scale);
  });
}

Tensor masked(const Tensor& x, const Tensor& mask, double p) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const uint8_t* m = mask.data<uint8_t>();
  if (x.dtype() == DType::f32)
    apply_mask(x.data<float>(), m, static_cast<float>(1.0 / (1.0 - p)), y.data<float>(), x.numel());
  else
    apply_mask(x.data<double>(), m, 1.0 / (1.0 - p), y.data<double>(), x.numel());
  return y;
}

}  // namespace

void dropout_mask(const Rng& rng, uint64_t step, int64_t n, double p, uint8_t* mask) {
  LB_ASSERT(n >= 0 && p >= 0.0 && p <= 1.0);
  const Rng c = rng.child(step);
  // mask[i] = u32_to_unit_float(c.u32_at(i)) >= p, the words drawn in bulk (rng_words family).
  const RngWordsKernel& words = rng_words_kernels().chosen();
  // u32_to_unit_float(w) is (w >> 8) / 2^24 exactly and p * 2^24 is exact in double, so the
  // comparison is (w >> 8) >= ceil(p * 2^24): integers, which the compiler vectorizes.
  const uint32_t keep_from = static_cast<uint32_t>(std::ceil(p * 16777216.0));
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    uint32_t w[256];
    const uint32_t from = keep_from;  // locals: a byte store may alias anything captured
    for (int64_t i = b; i < e; i += 256) {
      const int64_t len = std::min<int64_t>(256, e - i);
      words.fn(c.seed(), c.stream(), static_cast<uint64_t>(i), len, w);
      uint8_t* out = mask + i;
#pragma omp simd
      for (int64_t k = 0; k < len; ++k) out[k] = (w[k] >> 8) >= from;
    }
  });
}

Dropout::Dropout(double p, Rng rng) : p_(p), rng_(rng) {
  LB_CHECK(p >= 0.0 && p < 1.0, "[dropout] p is ", p, ", expected 0 <= p < 1");
}

Tensor Dropout::forward(const Tensor& x, const ForwardContext& ctx) {
  if (!ctx.training || p_ == 0.0) {
    mask_ = Tensor();
    return x;  // the same storage: no copy in evaluation
  }
  LB_CHECK(x.dtype() == DType::f32 || x.dtype() == DType::f64, "[dropout] x is ",
           dtype_name(x.dtype()), ", expected f32 or f64");
  mask_ = Tensor::empty(x.shape(), DType::u8);
  dropout_mask(rng_, ctx.step, x.numel(), p_, mask_.data<uint8_t>());
  return masked(x, mask_, p_);
}

Tensor Dropout::backward(const Tensor& dy) {
  if (!mask_.defined()) return dy;
  LB_CHECK(dy.shape() == mask_.shape(), "[dropout] dy is ", dy.shape_string(), ", expected ",
           mask_.shape_string(), " (the shape of the forward input)");
  LB_CHECK(dy.dtype() == DType::f32 || dy.dtype() == DType::f64, "[dropout] dy is ",
           dtype_name(dy.dtype()), ", expected f32 or f64");
  return masked(dy, mask_, p_);
}

}  // namespace lowbit::nn

// Row-parallel loops over fixed chunks of kRowsPerChunk rows.
#include "lowbit/nn/bias.h"

#include <algorithm>
#include <vector>

#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kRowsPerChunk = 64;

template <class T>
void add_bias_rows(T* y, const T* bias, int64_t m, int64_t n) {
  parallel_for(m, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      T* __restrict row = y + r * n;
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
    }
  });
}

// out[j] += sum_r dy[r, j]: each fixed chunk of rows sums into its own partial, and the
// partials are added in chunk order.
template <class T>
void column_sums_acc(const T* dy, int64_t m, int64_t n, T* out) {
  const int64_t chunks = (m + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<T> part(static_cast<size_t>(chunks * n), T(0));
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      T* __restrict acc = part.data() + c * n;
      for (int64_t r = c * kRowsPerChunk; r < std::min(m, (c + 1) * kRowsPerChunk); ++r) {
        const T* __restrict row = dy + r * n;
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) acc[j] += row[j];
      }
    }
  });
  for (int64_t c = 0; c < chunks; ++c) {
    const T* __restrict acc = part.data() + c * n;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] += acc[j];
  }
}

}  // namespace

void bias_add_rows(Tensor& y, const Tensor& bias) {
  if (y.numel() == 0) return;
  if (y.dtype() == DType::f32)
    add_bias_rows(y.data<float>(), bias.data<float>(), y.dim(0), y.dim(1));
  else
    add_bias_rows(y.data<double>(), bias.data<double>(), y.dim(0), y.dim(1));
}

void bias_grad_acc(const Tensor& dy, Tensor& dbias) {
  if (dy.dtype() == DType::f32)
    column_sums_acc(dy.data<float>(), dy.dim(0), dy.dim(1), dbias.data<float>());
  else
    column_sums_acc(dy.data<double>(), dy.dim(0), dy.dim(1), dbias.data<double>());
}

}  // namespace lowbit::nn

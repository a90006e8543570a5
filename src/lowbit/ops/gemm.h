// GEMM for training: validates, then runs the best registered f32 kernel (threaded) or the
// reference for f64. The three training products have Tensor-level helpers.
#pragma once

#include <cstdint>

#include "lowbit/core/tensor.h"

namespace lowbit::ops {

// C(m,n) = alpha * op(A) * op(B) + beta * C (row-major; see gemm_ref.h for the layout rules).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);

// Y = X·Wᵀ: x (M, K), w (N, K) -> (M, N). f32 or f64 (both the same dtype).
Tensor matmul_nt(const Tensor& x, const Tensor& w);
// dX = dY·W: dy (M, N), w (N, K) -> (M, K).
Tensor matmul_nn(const Tensor& dy, const Tensor& w);
// dW += dYᵀ·X: dy (M, N), x (M, K), dw (N, K) accumulated in place.
void matmul_tn_acc(const Tensor& dy, const Tensor& x, Tensor& dw);

}  // namespace lowbit::ops

// The specification of GEMM: plain loops, templated so f64 finite-difference tests run the
// very same code. Every optimized GEMM is tested against this.
#pragma once

#include <cstdint>

namespace lowbit {

// C(m,n) = alpha * op(A) * op(B) + beta * C, all row-major.
// op(A) is (m,k): A itself (lda >= k) or, with trans_a, the transpose of a (k,m) A (lda >= m).
// op(B) is (k,n): B itself (ldb >= n) or, with trans_b, the transpose of an (n,k) B (ldb >= k).
// beta == 0 ignores C's old contents (NaN in C does not leak through).
// Each C element sums over k in increasing order, so the result is independent of threading.
template <class T, class Acc = T>
void gemm_ref(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
              int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      Acc acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        T av = trans_a ? a[p * lda + i] : a[i * lda + p];
        T bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += static_cast<Acc>(av) * static_cast<Acc>(bv);
      }
      T prod = alpha * static_cast<T>(acc);
      c[i * ldc + j] = beta == T(0) ? prod : prod + beta * c[i * ldc + j];
    }
  }
}

}  // namespace lowbit

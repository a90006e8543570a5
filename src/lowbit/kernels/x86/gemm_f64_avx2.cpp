// AVX2 f64 GEMM: for each 8-column panel, op(B) is packed k-major (8 doubles per k), then each
// 4-row tile keeps 4 x 8 sums in eight ymm registers and adds a(i,p) * b(p,j) in increasing p,
// with a separate multiply and add (this file is built with -ffp-contract=off), as gemm_ref.
// Rows and columns past the last full tile go to gemm_f64_ref (a call into the baseline file:
// instantiating gemm_ref here would emit an AVX2 copy the linker may hand to every caller).
#include <immintrin.h>

#include "lowbit/kernels/gemm_f64.h"

namespace lowbit {

namespace {
constexpr int64_t kMr = 4, kNr = 8;

// C[0:4, 0:8] = epilogue(sum_p op(A)[i][p] * panel[p][j]).
void tile(bool ta, int64_t k, double alpha, const double* a, int64_t lda, const double* panel,
          double beta, double* c, int64_t ldc) {
  __m256d acc[kMr][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_pd();
  const int64_t row_step = ta ? 1 : lda, k_step = ta ? lda : 1;
  for (int64_t p = 0; p < k; ++p) {
    const __m256d b0 = _mm256_loadu_pd(panel + p * kNr), b1 = _mm256_loadu_pd(panel + p * kNr + 4);
    const double* ap = a + p * k_step;
    for (int64_t i = 0; i < kMr; ++i) {
      const __m256d ai = _mm256_broadcast_sd(ap + i * row_step);
      acc[i][0] = _mm256_add_pd(acc[i][0], _mm256_mul_pd(ai, b0));
      acc[i][1] = _mm256_add_pd(acc[i][1], _mm256_mul_pd(ai, b1));
    }
  }
  const __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
  for (int64_t i = 0; i < kMr; ++i)
    for (int h = 0; h < 2; ++h) {
      double* ci = c + i * ldc + 4 * h;
      __m256d prod = _mm256_mul_pd(va, acc[i][h]);
      if (beta != 0.0) prod = _mm256_add_pd(prod, _mm256_mul_pd(vb, _mm256_loadu_pd(ci)));
      _mm256_storeu_pd(ci, prod);
    }
}
}  // namespace

void gemm_f64_avx2(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                   const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                   double* c, int64_t ldc) {
  const int64_t m_full = m / kMr * kMr, n_full = n / kNr * kNr;
  auto a_rows = [&](int64_t i) { return ta ? a + i : a + i * lda; };
  auto b_cols = [&](int64_t j) { return tb ? b + j * ldb : b + j; };
  if (m_full > 0 && n_full > 0) {
    double* panel = gemm_f64_scratch(k * kNr);
    for (int64_t j0 = 0; j0 < n_full; j0 += kNr) {
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < kNr; ++j)
          panel[p * kNr + j] = tb ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j];
      for (int64_t i0 = 0; i0 < m_full; i0 += kMr)
        tile(ta, k, alpha, a_rows(i0), lda, panel, beta, c + i0 * ldc + j0, ldc);
    }
  }
  if (n_full < n && m_full > 0)  // right edge of the full rows
    gemm_f64_ref(ta, tb, m_full, n - n_full, k, alpha, a, lda, b_cols(n_full), ldb, beta,
                     c + n_full, ldc);
  if (m_full < m)  // bottom rows, every column
    gemm_f64_ref(ta, tb, m - m_full, n, k, alpha, a_rows(m_full), lda, b, ldb, beta,
                     c + m_full * ldc, ldc);
}

}  // namespace lowbit

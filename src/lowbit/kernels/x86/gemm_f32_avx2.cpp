// AVX2 + FMA gemm_f32 variant: a 6x16 register tile (12 ymm accumulators, 2 B vectors, 1
// broadcast) on packed panels, sized for Zen 2's two 256-bit FMA pipes of latency 5.
#include <immintrin.h>

#include "lowbit/kernels/gemm_f32.h"
#include "lowbit/kernels/x86/gemm_f32_pack_x86.h"

namespace lowbit {

namespace {
constexpr int kMr = 6, kNr = 16;

// Full 6x16 tile into c (leading dimension ldc). A is a packed panel (a[p*6 + i]) or, with
// kRows, six rows in place (a[i*lda + p]); the FMAs are the same either way.
template <bool kRows>
void micro_full(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
                const GemmF32Epilogue& epi) {
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) {
    acc[i][0] = _mm256_setzero_ps();
    acc[i][1] = _mm256_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNr - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    __m256 b0 = _mm256_loadu_ps(b);
    __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m256 ai = _mm256_broadcast_ss(kRows ? a + i * lda : a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kRows ? 1 : kMr;
    b += kNr;
  }
  __m256 alpha = _mm256_set1_ps(epi.alpha);
  if (epi.beta == 0.0f) {
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(alpha, acc[i][0]));
      _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(alpha, acc[i][1]));
    }
  } else {
    __m256 beta = _mm256_set1_ps(epi.beta);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      float* row = c + i * ldc;
      _mm256_storeu_ps(row, _mm256_fmadd_ps(alpha, acc[i][0], _mm256_mul_ps(beta, _mm256_loadu_ps(row))));
      _mm256_storeu_ps(row + 8,
                       _mm256_fmadd_ps(alpha, acc[i][1], _mm256_mul_ps(beta, _mm256_loadu_ps(row + 8))));
    }
  }
}

// Full tiles straight into c; edge tiles: the same full-tile arithmetic on a local copy, so
// values match interior tiles.
template <bool kRows>
void micro_tile(int64_t kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc,
                int64_t m, int64_t n, const GemmF32Epilogue& epi) {
  LB_ASSERT(kc >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  if (m == kMr && n == kNr) return micro_full<kRows>(kc, a, lda, b, c, ldc, epi);
  alignas(32) float tile[kMr * kNr] = {};
  if (epi.beta != 0.0f)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) tile[i * kNr + j] = c[i * ldc + j];
  micro_full<kRows>(kc, a, lda, b, tile, kNr, epi);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = tile[i * kNr + j];
}
}  // namespace

void gemm_f32_micro_avx2(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                         int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi) {
  micro_tile<false>(kc, a_panel, 0, b_panel, c, ldc, m, n, epi);
}

void gemm_f32_micro_rows_avx2(int64_t kc, const float* a, int64_t lda, const float* b_panel,
                              float* c, int64_t ldc, int64_t n, const GemmF32Epilogue& epi) {
  micro_tile<true>(kc, a, lda, b_panel, c, ldc, kMr, n, epi);
}

void gemm_f32_pack_a_avx2(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                          float* dst) {
  pack_a_x86<kMr>(trans, mc, kc, a, lda, dst);
}

void gemm_f32_pack_b_avx2(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                          float* dst) {
  pack_b_x86<kNr>(trans, kc, nc, b, ldb, dst);
}

}  // namespace lowbit

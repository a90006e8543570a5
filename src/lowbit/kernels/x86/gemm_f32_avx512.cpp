// AVX-512 gemm_f32 variant: the AVX2 6x16 kernel widened to 6x32 (12 zmm accumulators, 2 B
// vectors, 1 broadcast); line for line the same structure so it is right where it cannot run here.
#include <immintrin.h>

#include "lowbit/kernels/gemm_f32.h"
#include "lowbit/kernels/x86/gemm_f32_pack_x86.h"

namespace lowbit {

namespace {
constexpr int kMr = 6, kNr = 32;

// Full 6x32 tile into c (leading dimension ldc).
void micro_full(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                const GemmF32Epilogue& epi) {
  __m512 acc[kMr][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNr - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b0 = _mm512_loadu_ps(b);
    __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kMr;
    b += kNr;
  }
  __m512 alpha = _mm512_set1_ps(epi.alpha);
  if (epi.beta == 0.0f) {
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(alpha, acc[i][0]));
      _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(alpha, acc[i][1]));
    }
  } else {
    __m512 beta = _mm512_set1_ps(epi.beta);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      float* row = c + i * ldc;
      _mm512_storeu_ps(row, _mm512_fmadd_ps(alpha, acc[i][0], _mm512_mul_ps(beta, _mm512_loadu_ps(row))));
      _mm512_storeu_ps(row + 16,
                       _mm512_fmadd_ps(alpha, acc[i][1], _mm512_mul_ps(beta, _mm512_loadu_ps(row + 16))));
    }
  }
}
}  // namespace

void gemm_f32_micro_avx512(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                           int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi) {
  LB_ASSERT(kc >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  if (m == kMr && n == kNr) return micro_full(kc, a_panel, b_panel, c, ldc, epi);
  // Edge tile: the same full-tile arithmetic on a local copy, so values match interior tiles.
  alignas(64) float tile[kMr * kNr] = {};
  if (epi.beta != 0.0f)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) tile[i * kNr + j] = c[i * ldc + j];
  micro_full(kc, a_panel, b_panel, tile, kNr, epi);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = tile[i * kNr + j];
}

void gemm_f32_pack_a_avx512(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                          float* dst) {
  pack_a_x86<kMr>(trans, mc, kc, a, lda, dst);
}

void gemm_f32_pack_b_avx512(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                          float* dst) {
  pack_b_x86<kNr>(trans, kc, nc, b, ldb, dst);
}

}  // namespace lowbit

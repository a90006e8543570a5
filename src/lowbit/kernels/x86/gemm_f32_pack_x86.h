// AVX2 packers for the gemm_f32 panels (layout in kernels/gemm_f32.h), shared by the AVX2 and
// AVX-512 files. Include only from files compiled with at least -mavx2; internal linkage only.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/gemm_f32.h"

namespace lowbit {
namespace {

// In-place 8x8 transpose: r[i] lane j  ->  r[j] lane i.
inline void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// MR <= 8 rows per panel. Row-major A: 8 steps of p at a time through an 8x8 transpose whose
// stores overlap (each writes 8 lanes, MR of them meaningful; the next store or the next panel
// overwrites the rest, hence gemm_f32_pack_slack). Transposed A: MR contiguous floats per p.
template <int MR>
void pack_a_x86(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* dst) {
  static_assert(MR >= 1 && MR <= 8);
  for (int64_t r0 = 0; r0 < mc; r0 += MR, dst += kc * MR) {
    if (mc - r0 < MR) {
      gemm_f32_pack_a_generic(MR, trans, mc - r0, kc, trans ? a + r0 : a + r0 * lda, lda, dst);
      continue;
    }
    if (trans) {
      const float* src = a + r0;
      if (MR == 6) {  // 4 + 2 lanes per step; never touches memory outside the panel
        for (int64_t p = 0; p < kc; ++p) {
          _mm_storeu_ps(dst + p * 6, _mm_loadu_ps(src + p * lda));
          _mm_storel_pi(reinterpret_cast<__m64*>(dst + p * 6 + 4),
                        _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(src + p * lda + 4)));
        }
      } else {
        for (int64_t p = 0; p < kc; ++p)
          for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[p * lda + i];
      }
      continue;
    }
    const float* src = a + r0 * lda;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i)
        r[i] = i < MR ? _mm256_loadu_ps(src + i * lda + p) : _mm256_setzero_ps();
      transpose8x8(r);
      for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p + q) * MR, r[q]);
    }
    for (; p < kc; ++p)
      for (int i = 0; i < MR; ++i) dst[p * MR + i] = src[i * lda + p];
  }
}

// NR a multiple of 8. Row-major B: NR contiguous floats per p. Transposed B: 8x8 transposes
// of 8 rows of the (n, k) source at a time.
template <int NR>
void pack_b_x86(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* dst) {
  static_assert(NR % 8 == 0);
  for (int64_t s0 = 0; s0 < nc; s0 += NR, dst += kc * NR) {
    if (nc - s0 < NR) {
      gemm_f32_pack_b_generic(NR, trans, kc, nc - s0, trans ? b + s0 * ldb : b + s0, ldb, dst);
      continue;
    }
    if (!trans) {
      const float* src = b + s0;
      for (int64_t p = 0; p < kc; ++p)
        for (int g = 0; g < NR; g += 8)
          _mm256_storeu_ps(dst + p * NR + g, _mm256_loadu_ps(src + p * ldb + g));
      continue;
    }
    const float* src = b + s0 * ldb;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int g = 0; g < NR; g += 8) {
        __m256 r[8];
        for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + (g + j) * ldb + p);
        transpose8x8(r);
        for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p + q) * NR + g, r[q]);
      }
    }
    for (; p < kc; ++p)
      for (int j = 0; j < NR; ++j) dst[p * NR + j] = src[j * ldb + p];
  }
}

}  // namespace
}  // namespace lowbit

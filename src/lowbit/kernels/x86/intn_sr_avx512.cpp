// AVX-512 stochastic rounding to n-bit integers: Philox4x32-10 on 16 blocks at once (64 words, one
// per position, kernels/x86/philox_x86.h), then the reference's IEEE operations (x / scale,
// floor, compare, clamp) 16 lanes at a time, so codes match intn_sr_*_ref bit for bit. The AVX2
// file is the same on 8 blocks.
#include <immintrin.h>

#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/philox_x86.h"

namespace lowbit {

namespace {

// 16 codes (int32 lanes) of x[0..15] with the words w.
inline __m512i sr16(const float* x, __m512i w, __m512 scale, __m512 lo, __m512 hi) {
  const __m512 v = _mm512_div_ps(_mm512_loadu_ps(x), scale);
  const __m512 fl = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)),
                                 _mm512_set1_ps(1.0f / 16777216.0f));
  const __mmask16 up = _mm512_cmp_ps_mask(u, _mm512_sub_ps(v, fl), _CMP_LT_OQ);
  const __m512 r = _mm512_add_ps(fl, _mm512_maskz_mov_ps(up, _mm512_set1_ps(1.0f)));
  const __mmask16 ordered = _mm512_cmp_ps_mask(r, r, _CMP_ORD_Q);  // NaN -> 0, as the reference
  const __m512 clamped = _mm512_maskz_mov_ps(ordered, _mm512_min_ps(_mm512_max_ps(r, lo), hi));
  return _mm512_cvtps_epi32(clamped);
}

// Runs of 64 positions through sr16, the rest through the reference (for_each_words).
template <class Q, class Ref, class Store>
void sr_run(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed, uint64_t stream,
            uint64_t pos0, Q* q, Ref ref, Store store) {
  LB_ASSERT(scale > 0.0f);
  const __m512 sc = _mm512_set1_ps(scale), hi = _mm512_set1_ps(static_cast<float>(qmax));
  const __m512 lo = _mm512_set1_ps(-static_cast<float>(qmax));
  for_each_words<Philox16>(
      seed, stream, pos0, n,
      [&](int64_t i, int64_t len) {
        ref(x + i, len, scale, qmax, seed, stream, pos0 + static_cast<uint64_t>(i), q + i);
      },
      [&](int64_t i, const __m512i w[4]) {
        for (int t = 0; t < 4; ++t) store(q + i + 16 * t, sr16(x + i + 16 * t, w[t], sc, lo, hi));
      });
}

}  // namespace

void intn_sr_s8_avx512(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                       uint64_t stream, uint64_t pos0, int8_t* q) {
  // |code| <= qmax <= 127: the saturating narrowing is a plain one.
  sr_run(x, n, scale, qmax, seed, stream, pos0, q, intn_sr_s8_ref, [](int8_t* out, __m512i c) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtsepi32_epi8(c));
  });
}

void intn_sr_s16_avx512(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                        uint64_t stream, uint64_t pos0, int16_t* q) {
  sr_run(x, n, scale, qmax, seed, stream, pos0, q, intn_sr_s16_ref, [](int16_t* out, __m512i c) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtsepi32_epi16(c));
  });
}

}  // namespace lowbit

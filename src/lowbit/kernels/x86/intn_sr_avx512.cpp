// AVX-512 stochastic rounding to n-bit integers: Philox4x32-10 on 16 blocks at once (64 words, one
// per position), then the reference's IEEE operations (x / scale, floor, compare, clamp) 16 lanes
// at a time, so codes match intn_sr_*_ref bit for bit. The AVX2 file is the same on 8 blocks.
#include <immintrin.h>

#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {

// hi and lo words of the 64-bit products c * m for 16 lanes.
inline void mulhilo(__m512i c, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(c, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// philox4x32(key, ctr_hi, j0 + b) for blocks b = 0..15 (lane b of c[w] = word w), when j0 and
// j0 + 15 share their high 32 bits.
inline void philox16(uint64_t key, uint64_t ctr_hi, uint64_t j0, __m512i c[4]) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  c[0] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0))),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  c[1] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0 >> 32)));
  c[2] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi)));
  c[3] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi >> 32)));
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    __m512i hi0, lo0, hi1, lo1;
    mulhilo(c[0], m0, hi0, lo0);
    mulhilo(c[2], m1, hi1, lo1);
    const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c[1]), _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c[3]), _mm512_set1_epi32(static_cast<int>(k1)));
    c[0] = n0, c[1] = lo1, c[2] = n2, c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// Words of blocks 4t .. 4t + 3 in position order, t = 0..3: a 4 x 16 transpose of c (within
// 128-bit lanes as in the AVX2 file, then a 4 x 4 transpose of the lanes).
inline void words_in_order(const __m512i c[4], __m512i out[4]) {
  const __m512i t0 = _mm512_unpacklo_epi32(c[0], c[1]), t1 = _mm512_unpackhi_epi32(c[0], c[1]);
  const __m512i t2 = _mm512_unpacklo_epi32(c[2], c[3]), t3 = _mm512_unpackhi_epi32(c[2], c[3]);
  const __m512i b0 = _mm512_unpacklo_epi64(t0, t2), b1 = _mm512_unpackhi_epi64(t0, t2);
  const __m512i b2 = _mm512_unpacklo_epi64(t1, t3), b3 = _mm512_unpackhi_epi64(t1, t3);
  // Lane L of bq holds block 4L + q.
  const __m512i x0 = _mm512_shuffle_i32x4(b0, b1, 0x44), x1 = _mm512_shuffle_i32x4(b0, b1, 0xEE);
  const __m512i y0 = _mm512_shuffle_i32x4(b2, b3, 0x44), y1 = _mm512_shuffle_i32x4(b2, b3, 0xEE);
  out[0] = _mm512_shuffle_i32x4(x0, y0, 0x88);
  out[1] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
  out[2] = _mm512_shuffle_i32x4(x1, y1, 0x88);
  out[3] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
}

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

// Runs of 64 positions through sr16, the rest (head to a block boundary, tail, 16 blocks across a
// change of the counter's high word) through the reference.
template <class Q, class Ref, class Store>
void sr_run(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed, uint64_t stream,
            uint64_t pos0, Q* q, Ref ref, Store store) {
  LB_ASSERT(scale > 0.0f);
  const __m512 sc = _mm512_set1_ps(scale), hi = _mm512_set1_ps(static_cast<float>(qmax));
  const __m512 lo = _mm512_set1_ps(-static_cast<float>(qmax));
  const int64_t head = static_cast<int64_t>((4 - (pos0 & 3)) & 3);
  int64_t i = head < n ? head : n;
  ref(x, i, scale, qmax, seed, stream, pos0, q);
  for (; i + 64 <= n; i += 64) {
    const uint64_t pos = pos0 + static_cast<uint64_t>(i), j0 = pos >> 2;
    if ((j0 >> 32) != ((j0 + 15) >> 32)) {  // rare
      ref(x + i, 64, scale, qmax, seed, stream, pos, q + i);
      continue;
    }
    __m512i c[4], w[4];
    philox16(seed, stream, j0, c);
    words_in_order(c, w);
    for (int t = 0; t < 4; ++t) store(q + i + 16 * t, sr16(x + i + 16 * t, w[t], sc, lo, hi));
  }
  ref(x + i, n - i, scale, qmax, seed, stream, pos0 + static_cast<uint64_t>(i), q + i);
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

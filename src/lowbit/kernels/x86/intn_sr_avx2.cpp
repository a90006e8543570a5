// AVX2 stochastic rounding to n-bit integers: Philox4x32-10 on 8 blocks at once (32 words, one
// per position), then the reference's IEEE operations (x / scale, floor, compare, clamp) 8 lanes
// at a time, so codes match intn_sr_*_ref bit for bit. Philox's 32 x 32 -> 64-bit products use
// VPMULUDQ on the even and the odd lanes separately.
#include <immintrin.h>

#include <algorithm>

#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {

// hi and lo words of the 64-bit products m * c for 8 lanes.
inline void mulhilo(__m256i c, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(c, m), odd = _mm256_mul_epu32(_mm256_srli_epi64(c, 32), m);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// philox4x32(key, ctr_hi, j0 + b) for blocks b = 0..7 (lane b of c[w] = word w), when j0 and
// j0 + 7 share their high 32 bits.
inline void philox8(uint64_t key, uint64_t ctr_hi, uint64_t j0, __m256i c[4]) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  c[0] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0))),
                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  c[1] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0 >> 32)));
  c[2] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi)));
  c[3] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi >> 32)));
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo(c[0], m0, hi0, lo0);
    mulhilo(c[2], m1, hi1, lo1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), _mm256_set1_epi32(static_cast<int>(k1)));
    c[0] = n0, c[1] = lo1, c[2] = n2, c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// Words of blocks (2t, 2t + 1) in position order, t = 0..3: a 4 x 8 transpose of c.
inline void words_in_order(const __m256i c[4], __m256i out[4]) {
  const __m256i t0 = _mm256_unpacklo_epi32(c[0], c[1]), t1 = _mm256_unpackhi_epi32(c[0], c[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(c[2], c[3]), t3 = _mm256_unpackhi_epi32(c[2], c[3]);
  const __m256i b04 = _mm256_unpacklo_epi64(t0, t2), b15 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i b26 = _mm256_unpacklo_epi64(t1, t3), b37 = _mm256_unpackhi_epi64(t1, t3);
  out[0] = _mm256_permute2x128_si256(b04, b15, 0x20);
  out[1] = _mm256_permute2x128_si256(b26, b37, 0x20);
  out[2] = _mm256_permute2x128_si256(b04, b15, 0x31);
  out[3] = _mm256_permute2x128_si256(b26, b37, 0x31);
}

// 8 codes (int32 lanes) of x[0..7] with the words w.
inline __m256i sr8(const float* x, __m256i w, __m256 scale, __m256 lo, __m256 hi) {
  const __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), scale), fl = _mm256_floor_ps(v);
  const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)),
                                 _mm256_set1_ps(1.0f / 16777216.0f));
  const __m256 up = _mm256_and_ps(_mm256_cmp_ps(u, _mm256_sub_ps(v, fl), _CMP_LT_OQ),
                                  _mm256_set1_ps(1.0f));
  const __m256 r = _mm256_add_ps(fl, up);
  const __m256 ordered = _mm256_cmp_ps(r, r, _CMP_ORD_Q);  // NaN -> 0, as the reference
  const __m256 clamped = _mm256_and_ps(_mm256_min_ps(_mm256_max_ps(r, lo), hi), ordered);
  return _mm256_cvtps_epi32(clamped);
}

inline __m128i pack16(__m256i q) {
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}

// Head to a block boundary and tail through the reference; 32 positions per step between.
template <class Q, class Ref, class Store>
void sr_run(const float* x, int64_t n, float scale, int32_t qmax, const Rng& rng, uint64_t pos0,
            Q* q, Ref ref, Store store) {
  LB_ASSERT(scale > 0.0f);
  const __m256 sc = _mm256_set1_ps(scale), hi = _mm256_set1_ps(static_cast<float>(qmax));
  const __m256 lo = _mm256_set1_ps(-static_cast<float>(qmax));
  int64_t i = std::min<int64_t>(n, static_cast<int64_t>((4 - (pos0 & 3)) & 3));
  ref(x, i, scale, qmax, rng, pos0, q);
  for (; i + 32 <= n; i += 32) {
    const uint64_t j0 = (pos0 + static_cast<uint64_t>(i)) >> 2;
    if ((j0 >> 32) != ((j0 + 7) >> 32)) {  // the counter's high word changes inside: rare
      ref(x + i, 32, scale, qmax, rng, pos0 + static_cast<uint64_t>(i), q + i);
      continue;
    }
    __m256i c[4], w[4];
    philox8(rng.seed(), rng.stream(), j0, c);
    words_in_order(c, w);
    __m256i codes[4];
    for (int t = 0; t < 4; ++t) codes[t] = sr8(x + i + 8 * t, w[t], sc, lo, hi);
    store(q + i, codes);
  }
  ref(x + i, n - i, scale, qmax, rng, pos0 + static_cast<uint64_t>(i), q + i);
}

}  // namespace

void intn_sr_s8_avx2(const float* x, int64_t n, float scale, int32_t qmax, const Rng& rng,
                     uint64_t pos0, int8_t* q) {
  sr_run(x, n, scale, qmax, rng, pos0, q, intn_sr_s8_ref, [](int8_t* out, const __m256i c[4]) {
    for (int h = 0; h < 2; ++h)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * h),
                       _mm_packs_epi16(pack16(c[2 * h]), pack16(c[2 * h + 1])));
  });
}

void intn_sr_s16_avx2(const float* x, int64_t n, float scale, int32_t qmax, const Rng& rng,
                      uint64_t pos0, int16_t* q) {
  sr_run(x, n, scale, qmax, rng, pos0, q, intn_sr_s16_ref, [](int16_t* out, const __m256i c[4]) {
    for (int t = 0; t < 4; ++t)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8 * t), pack16(c[t]));
  });
}

}  // namespace lowbit

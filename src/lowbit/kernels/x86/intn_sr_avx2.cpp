// AVX2 stochastic rounding to n-bit integers: Philox4x32-10 on 16 blocks at once (64 words, a
// 16-bit half per position, kernels/x86/philox_x86.h), then the reference's IEEE operations
// (x / scale, floor, compare, clamp) 8 lanes at a time, so codes match intn_sr_*_ref bit for bit.
#include <immintrin.h>

#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/philox_x86.h"

namespace lowbit {

namespace {

// 8 codes (int32 lanes) of x[0..7] with the 16-bit random halves h (zero-extended lanes; u =
// h / 2^16, the reference's u32_to_unit_float(sr_word(...)) exactly).
inline __m256i sr8(const float* x, __m256i h, __m256 scale, __m256 lo, __m256 hi) {
  const __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), scale), fl = _mm256_floor_ps(v);
  const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(h), _mm256_set1_ps(1.0f / 65536.0f));
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

// Runs of 128 positions through sr8, the rest through the reference (for_each_halves).
template <class Q, class Ref, class Store>
void sr_run(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed, uint64_t stream,
            uint64_t pos0, Q* q, Ref ref, Store store) {
  LB_ASSERT(scale > 0.0f);
  const __m256 sc = _mm256_set1_ps(scale), hi = _mm256_set1_ps(static_cast<float>(qmax));
  const __m256 lo = _mm256_set1_ps(-static_cast<float>(qmax));
  for_each_halves<Philox16>(
      seed, stream, pos0, n,
      [&](int64_t i, int64_t len) {
        ref(x + i, len, scale, qmax, seed, stream, pos0 + static_cast<uint64_t>(i), q + i);
      },
      [&](int64_t i, const __m256i w[8]) {
        for (int run = 0; run < 4; ++run) {  // 32 positions (two words' registers) each
          __m256i codes[4];
          for (int t = 0; t < 4; ++t) {
            const __m256i& v = w[2 * run + t / 2];
            const __m128i h = t % 2 ? _mm256_extracti128_si256(v, 1) : _mm256_castsi256_si128(v);
            codes[t] = sr8(x + i + 32 * run + 8 * t, _mm256_cvtepu16_epi32(h), sc, lo, hi);
          }
          store(q + i + 32 * run, codes);
        }
      });
}

}  // namespace

void intn_sr_s8_avx2(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                     uint64_t stream, uint64_t pos0, int8_t* q) {
  sr_run(x, n, scale, qmax, seed, stream, pos0, q, intn_sr_s8_ref, [](int8_t* out, const __m256i c[4]) {
    for (int h = 0; h < 2; ++h)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * h),
                       _mm_packs_epi16(pack16(c[2 * h]), pack16(c[2 * h + 1])));
  });
}

void intn_sr_s16_avx2(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                      uint64_t stream, uint64_t pos0, int16_t* q) {
  sr_run(x, n, scale, qmax, seed, stream, pos0, q, intn_sr_s16_ref, [](int16_t* out, const __m256i c[4]) {
    for (int t = 0; t < 4; ++t)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8 * t), pack16(c[t]));
  });
}

}  // namespace lowbit

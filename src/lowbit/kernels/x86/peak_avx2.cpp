// AVX2 peak probes (see kernels/peak.h): 12 independent dependency chains (each step feeds the
// next, so nothing can be hoisted) hide the 4-10 cycle latencies at up to two per cycle.
#include <immintrin.h>

#include "lowbit/kernels/peak.h"

namespace lowbit {

namespace {
constexpr int kAcc = 12;

int32_t fold(const __m256i* acc) {
  __m256i s = acc[0];
  for (int i = 1; i < kAcc; ++i) s = _mm256_add_epi32(s, acc[i]);
  return _mm256_extract_epi32(s, 0) + _mm256_extract_epi32(s, 5);
}
}  // namespace

int64_t peak_fma_f32_avx2(int64_t iters, float* sink) {
  __m256 acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.0001f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_fmadd_ps(a, acc[i], b);
  __m256 s = acc[0];
  for (int i = 1; i < kAcc; ++i) s = _mm256_add_ps(s, acc[i]);
  *sink = _mm256_cvtss_f32(s);
  return iters * kAcc * 8;
}

int64_t peak_madd_s16_avx2(int64_t iters, int32_t* sink) {
  __m256i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_epi32(i);
  const __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(-5);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_add_epi32(_mm256_madd_epi16(acc[i], a), b);
  }
  *sink = fold(acc);
  return iters * kAcc * 16;
}

int64_t peak_maddubs_s8_avx2(int64_t iters, int32_t* sink) {
  __m256i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_epi32(i);
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i)
      acc[i] = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(a, acc[i]), ones), b);
  }
  *sink = fold(acc);
  return iters * kAcc * 32;
}

int64_t peak_maddubs_acc16_s4_avx2(int64_t iters, int32_t* sink) {
  __m256i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_epi16(static_cast<int16_t>(i));
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_add_epi16(_mm256_maddubs_epi16(a, acc[i]), b);
  }
  *sink = fold(acc);
  return iters * kAcc * 32;
}

}  // namespace lowbit

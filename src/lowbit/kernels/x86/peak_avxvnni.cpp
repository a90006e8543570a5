// AVX-VNNI peak probes (see kernels/peak.h): VPDPBUSD / VPDPWSSD ymm on 12 accumulators.
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

int64_t peak_dpbusd_avxvnni(int64_t iters, int32_t* sink) {
  __m256i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_epi32(i);
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_dpbusd_avx_epi32(acc[i], a, b);
  }
  *sink = fold(acc);
  return iters * kAcc * 32;
}

int64_t peak_dpwssd_avxvnni(int64_t iters, int32_t* sink) {
  __m256i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_epi32(i);
  const __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(-5);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_dpwssd_avx_epi32(acc[i], a, b);
  }
  *sink = fold(acc);
  return iters * kAcc * 16;
}

}  // namespace lowbit

// AVX-512 (VNNI) peak probes (see kernels/peak.h): FMA, VPDPBUSD and VPDPWSSD zmm on 12
// accumulators. The f32 probe needs AVX-512F only, but lives here beside its integer peers.
#include <immintrin.h>

#include "lowbit/kernels/peak.h"

namespace lowbit {

namespace {
constexpr int kAcc = 12;

int32_t fold(const __m512i* acc) {
  __m512i s = acc[0];
  for (int i = 1; i < kAcc; ++i) s = _mm512_add_epi32(s, acc[i]);
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, s);
  return lanes[0] + lanes[7];
}
}  // namespace

int64_t peak_fma_f32_avx512(int64_t iters, float* sink) {
  __m512 acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.0001f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_fmadd_ps(a, acc[i], b);
  __m512 s = acc[0];
  for (int i = 1; i < kAcc; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  *sink = lanes[0] + lanes[9];
  return iters * kAcc * 16;
}

int64_t peak_dpbusd_avx512vnni(int64_t iters, int32_t* sink) {
  __m512i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_epi32(i);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-5);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  }
  *sink = fold(acc);
  return iters * kAcc * 64;
}

int64_t peak_dpwssd_avx512vnni(int64_t iters, int32_t* sink) {
  __m512i acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_epi32(i);
  const __m512i a = _mm512_set1_epi16(3), b = _mm512_set1_epi16(-5);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_dpwssd_epi32(acc[i], a, b);
  }
  *sink = fold(acc);
  return iters * kAcc * 32;
}

}  // namespace lowbit

// AVX-512 VNNI integer GEMM micro-kernels (zmm): 6x32 VPDPBUSD on u8 x s8 k-quads and 6x32
// VPDPWSSD on int16 k-pairs. Line for line the AVX-VNNI file with zmm registers (16 lanes).
#include <immintrin.h>

#include <cstring>

#include "lowbit/kernels/gemm_int.h"

namespace lowbit {

namespace {
constexpr int kMr = 6, kNr = 32;

inline __m512i broadcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

inline void store_tile(const __m512i acc[kMr][2], int32_t* c, int64_t ldc) {
  for (int i = 0; i < kMr; ++i) {
    _mm512_storeu_si512(reinterpret_cast<__m512i*>(c + i * ldc), acc[i][0]);
    _mm512_storeu_si512(reinterpret_cast<__m512i*>(c + i * ldc + 16), acc[i][1]);
  }
}

// u8s8_k4: per k-quad, B is 32 columns x 4 int8 (two zmm), A is 6 rows x 4 uint8 (a + offset,
// broadcast). The accumulators start at B's trailer, -offset * column sums. VPDPBUSD (not the
// saturating VPDPBUSDS) wraps, so the tile is exact modulo 2^32.
void u8s8k4_full(int64_t k, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc) {
  const int64_t groups = (k + 3) / 4;
  const auto* corr = reinterpret_cast<const __m512i*>(b + groups * kNr * 4);
  __m512i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) {
    acc[i][0] = _mm512_loadu_si512(corr);
    acc[i][1] = _mm512_loadu_si512(corr + 1);
  }
#pragma GCC unroll 2
  for (int64_t g = 0; g < groups; ++g) {
    __m512i b0 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b));
    __m512i b1 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b + 64));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m512i ai = broadcast32(a + 4 * i);
      acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], ai, b1);
    }
    a += 4 * kMr;
    b += 4 * kNr;
  }
  store_tile(acc, c, ldc);
}

// s16_k2: the AVX-VNNI kernel in zmm: VPDPWSSD (not the saturating VPDPWSSDS) wraps.
void s16k2_full(int64_t k, const int16_t* a, const int16_t* b, int32_t* c, int64_t ldc) {
  __m512i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
  const int64_t groups = (k + 1) / 2;
#pragma GCC unroll 2
  for (int64_t g = 0; g < groups; ++g) {
    __m512i b0 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b));
    __m512i b1 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b + 32));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m512i ai = broadcast32(a + 2 * i);
      acc[i][0] = _mm512_dpwssd_epi32(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpwssd_epi32(acc[i][1], ai, b1);
    }
    a += 2 * kMr;
    b += 2 * kNr;
  }
  store_tile(acc, c, ldc);
}

template <class Full, class A, class B>
void run_tile(Full full, int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
              int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  if (m == kMr && n == kNr)
    return full(k, static_cast<const A*>(a), static_cast<const B*>(b), c, ldc);
  int32_t tile[kMr * kNr];
  full(k, static_cast<const A*>(a), static_cast<const B*>(b), tile, kNr);
  for (int64_t i = 0; i < m; ++i) std::memcpy(c + i * ldc, tile + i * kNr, n * sizeof(int32_t));
}
}  // namespace

void gemm_u8s8k4_micro_avx512vnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                                  int64_t m, int64_t n) {
  run_tile<decltype(&u8s8k4_full), uint8_t, int8_t>(u8s8k4_full, k, a, b, c, ldc, m, n);
}

void gemm_s16k2_micro_avx512vnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                                 int64_t m, int64_t n) {
  run_tile<decltype(&s16k2_full), int16_t, int16_t>(s16k2_full, k, a, b, c, ldc, m, n);
}

}  // namespace lowbit

// AVX-VNNI integer GEMM micro-kernels (ymm): 6x16 VPDPBUSD on u8 x s8 k-quads and 6x16
// VPDPWSSD on int16 k-pairs. Line for line the AVX2 VPMADDWD kernel with the multiply-add fused.
#include <immintrin.h>

#include <cstring>

#include "lowbit/kernels/gemm_int.h"

namespace lowbit {

namespace {
constexpr int kMr = 6, kNr = 16;

// VBROADCASTSS from memory: a pure load (as in the AVX2 file).
inline __m256i broadcast32(const void* p) {
  return _mm256_castps_si256(_mm256_broadcast_ss(static_cast<const float*>(p)));
}

// acc += the dot products, in place: with the intrinsics GCC 12 moved each accumulator between
// two registers around every product (as in gemm_int_avx512vnni.cpp; here the k-loop stays
// unrolled twice, 5-10 % faster than once). {vex}: the AVX-VNNI encoding, not the EVEX one a
// CPU without AVX-512 VNNI lacks.
inline __m256i dpbusd(__m256i acc, __m256i u8, __m256i s8) {
  asm("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u8), "x"(s8));
  return acc;
}
inline __m256i dpwssd(__m256i acc, __m256i a, __m256i b) {
  asm("%{vex%} vpdpwssd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b));
  return acc;
}

inline void store_tile(const __m256i acc[kMr][2], int32_t* c, int64_t ldc) {
  for (int i = 0; i < kMr; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * ldc), acc[i][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * ldc + 8), acc[i][1]);
  }
}

// u8s8_k4: per k-quad, B is 16 columns x 4 int8 (two ymm), A is 6 rows x 4 uint8 (a + offset,
// broadcast). The accumulators start at B's trailer, -offset * column sums. VPDPBUSD (not the
// saturating VPDPBUSDS) wraps, so the tile is exact modulo 2^32.
void u8s8k4_full(int64_t k, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc) {
  const int64_t groups = (k + 3) / 4;
  const auto* corr = reinterpret_cast<const __m256i*>(b + groups * kNr * 4);
  __m256i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) {
    acc[i][0] = _mm256_loadu_si256(corr);
    acc[i][1] = _mm256_loadu_si256(corr + 1);
  }
#pragma GCC unroll 2
  for (int64_t g = 0; g < groups; ++g) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m256i ai = broadcast32(a + 4 * i);
      acc[i][0] = dpbusd(acc[i][0], ai, b0);
      acc[i][1] = dpbusd(acc[i][1], ai, b1);
    }
    a += 4 * kMr;
    b += 4 * kNr;
  }
  store_tile(acc, c, ldc);
}

// s16_k2: as the AVX2 kernel, VPMADDWD + VPADDD fused into VPDPWSSD (non-saturating: wraps).
void s16k2_full(int64_t k, const int16_t* a, const int16_t* b, int32_t* c, int64_t ldc) {
  __m256i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const int64_t groups = (k + 1) / 2;
#pragma GCC unroll 2
  for (int64_t g = 0; g < groups; ++g) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m256i ai = broadcast32(a + 2 * i);
      acc[i][0] = dpwssd(acc[i][0], ai, b0);
      acc[i][1] = dpwssd(acc[i][1], ai, b1);
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

void gemm_u8s8k4_micro_avxvnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                               int64_t m, int64_t n) {
  run_tile<decltype(&u8s8k4_full), uint8_t, int8_t>(u8s8k4_full, k, a, b, c, ldc, m, n);
}

void gemm_s16k2_micro_avxvnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                              int64_t m, int64_t n) {
  run_tile<decltype(&s16k2_full), int16_t, int16_t>(s16k2_full, k, a, b, c, ldc, m, n);
}

}  // namespace lowbit

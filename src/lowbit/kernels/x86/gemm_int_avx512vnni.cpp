// AVX-512 VNNI integer GEMM micro-kernels (zmm): 6x32 VPDPBUSD on u8 x s8 k-quads and 6x32
// VPDPWSSD on int16 k-pairs. Line for line the AVX-VNNI file with zmm registers (16 lanes), plus
// the f32 epilogue done on the accumulators in registers (the `_f32` entry points): the same IEEE
// operations in the same order as gemm_int_epilogue_i32 (this file is built with
// -ffp-contract=off), with masked loads and stores for partial tiles instead of a tile buffer.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "lowbit/kernels/gemm_int.h"
#include "lowbit/kernels/x86/gemm_int_store_avx512.h"

namespace lowbit {

namespace {
constexpr int kMr = 6, kNr = 32;

inline __m512i broadcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// acc += the dot products, in place. GCC 12 allocates the intrinsics' tied accumulator badly: it
// copied every accumulator to a scratch register and back around each VPDPBUSD (two zmm moves per
// product, the loop then bound by rename width at ~70 % of the VPDPBUSD rate); the asm ties it.
inline __m512i dpbusd(__m512i acc, __m512i u8, __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
  return acc;
}
inline __m512i dpwssd(__m512i acc, __m512i a, __m512i b) {
  asm("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
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
template <class Sink>
void u8s8k4_full(int64_t k, const uint8_t* a, const int8_t* b, Sink&& sink) {
  const int64_t groups = (k + 3) / 4;
  const auto* corr = reinterpret_cast<const __m512i*>(b + groups * kNr * 4);
  __m512i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) {
    acc[i][0] = _mm512_loadu_si512(corr);
    acc[i][1] = _mm512_loadu_si512(corr + 1);
  }
#pragma GCC unroll 1
  for (int64_t g = 0; g < groups; ++g) {
    __m512i b0 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b));
    __m512i b1 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b + 64));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m512i ai = broadcast32(a + 4 * i);
      acc[i][0] = dpbusd(acc[i][0], ai, b0);
      acc[i][1] = dpbusd(acc[i][1], ai, b1);
    }
    a += 4 * kMr;
    b += 4 * kNr;
  }
  sink(acc);
}

// s16_k2: the AVX-VNNI kernel in zmm: VPDPWSSD (not the saturating VPDPWSSDS) wraps.
template <class Sink>
void s16k2_full(int64_t k, const int16_t* a, const int16_t* b, Sink&& sink) {
  __m512i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
  const int64_t groups = (k + 1) / 2;
#pragma GCC unroll 1
  for (int64_t g = 0; g < groups; ++g) {
    __m512i b0 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b));
    __m512i b1 = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(b + 32));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m512i ai = broadcast32(a + 2 * i);
      acc[i][0] = dpwssd(acc[i][0], ai, b0);
      acc[i][1] = dpwssd(acc[i][1], ai, b1);
    }
    a += 2 * kMr;
    b += 2 * kNr;
  }
  sink(acc);
}

// Whether a tile of n columns goes out through non-temporal stores (GemmIntEpilogue::stream):
// plain f32 output (f32_acc reads its rows) of whole tiles.
inline bool streams(const GemmIntEpilogue& e, int64_t n) {
  return e.stream && e.out == GemmIntOut::f32 && n == kNr;
}

// The two tile kernels as types, so that one driver takes either and the sink stays inlined.
struct U8S8 {
  template <class Sink>
  void operator()(int64_t k, const void* a, const void* b, Sink&& sink) const {
    u8s8k4_full(k, static_cast<const uint8_t*>(a), static_cast<const int8_t*>(b), sink);
  }
};
struct S16 {
  template <class Sink>
  void operator()(int64_t k, const void* a, const void* b, Sink&& sink) const {
    s16k2_full(k, static_cast<const int16_t*>(a), static_cast<const int16_t*>(b), sink);
  }
};
using Acc = __m512i[kMr][2];

// The m output rows of a tile (32 four-byte values each), fetched while its K loop runs
// instead of missed at its store: large outputs do not stay in cache between tiles.
inline void prefetch_rows(const void* c, int64_t ldc, int64_t m) {
  for (int64_t i = 0; i < m; ++i) {
    const char* row = static_cast<const char*>(c) + i * ldc * 4;
    _mm_prefetch(row, _MM_HINT_T0);
    _mm_prefetch(row + 64, _MM_HINT_T0);
    _mm_prefetch(row + 127, _MM_HINT_T0);
  }
}

template <class Kern>
void run_tile(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc, int64_t m,
              int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  prefetch_rows(c, ldc, m);
  if (m == kMr && n == kNr) return Kern{}(k, a, b, [&](const Acc& acc) { store_tile(acc, c, ldc); });
  int32_t tile[kMr * kNr];
  Kern{}(k, a, b, [&](const Acc& acc) { store_tile(acc, tile, kNr); });
  for (int64_t i = 0; i < m; ++i) std::memcpy(c + i * ldc, tile + i * kNr, n * sizeof(int32_t));
}

// gemm_int_epilogue_i32's f32 modes down a column strip of m rows (tiles of kMr, their A panels
// a_stride bytes apart) against one B panel, from the accumulators in registers; the column
// part of the epilogue (scales, bias, masks) is set up once per strip: at K = 384 a tile's
// products take ~600 cycles, and a per-tile call and setup were a tenth of that.
template <class Kern>
void run_rows_f32(int64_t k, const void* a, int64_t a_stride, const void* b,
                  const GemmIntEpilogue& e, int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && n >= 0 && n <= kNr);
  LB_ASSERT(e.out == GemmIntOut::f32 || e.out == GemmIntOut::f32_acc);
  LB_ASSERT(e.row_scale_stride <= 1 && e.col_scale_stride <= 1);  // what epilogue_at makes
  // Streamed rows skip the cache: fetching them first would bring back the read streaming saves.
  const bool stream = streams(e, n);
  const F32TileRows rows(e, n, stream);
  const auto* ap = static_cast<const char*>(a);
  for (int64_t i0 = 0; i0 < m; i0 += kMr, ap += a_stride) {
    const int64_t mm = m - i0 < kMr ? m - i0 : kMr;
    if (!stream) prefetch_rows(static_cast<const float*>(e.c) + i0 * e.ldc, e.ldc, mm);
    Kern{}(k, ap, b, [&](const Acc& acc) {
      for (int i = 0; i < kMr && i < mm; ++i) rows.row(i0 + i, acc[i][0], acc[i][1]);
    });
  }
}
}  // namespace

void gemm_u8s8k4_micro_avx512vnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                                  int64_t m, int64_t n) {
  run_tile<U8S8>(k, a, b, c, ldc, m, n);
}

void gemm_s16k2_micro_avx512vnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                                 int64_t m, int64_t n) {
  run_tile<S16>(k, a, b, c, ldc, m, n);
}

void gemm_u8s8k4_micro_f32_avx512vnni(int64_t k, const void* a, const void* b,
                                      const GemmIntEpilogue& e, int64_t m, int64_t n) {
  LB_ASSERT(m <= kMr);
  run_rows_f32<U8S8>(k, a, 0, b, e, m, n);
}

void gemm_s16k2_micro_f32_avx512vnni(int64_t k, const void* a, const void* b,
                                     const GemmIntEpilogue& e, int64_t m, int64_t n) {
  LB_ASSERT(m <= kMr);
  run_rows_f32<S16>(k, a, 0, b, e, m, n);
}

void gemm_u8s8k4_micro_f32_rows_avx512vnni(int64_t k, const void* a, int64_t a_stride,
                                           const void* b, const GemmIntEpilogue& e, int64_t m,
                                           int64_t n) {
  run_rows_f32<U8S8>(k, a, a_stride, b, e, m, n);
}

void gemm_s16k2_micro_f32_rows_avx512vnni(int64_t k, const void* a, int64_t a_stride,
                                          const void* b, const GemmIntEpilogue& e, int64_t m,
                                          int64_t n) {
  run_rows_f32<S16>(k, a, a_stride, b, e, m, n);
}

}  // namespace lowbit

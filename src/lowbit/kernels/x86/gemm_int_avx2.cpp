// AVX2 integer GEMM micro-kernels, 6x16 each: VPMADDWD on int16 k-pairs (any int8 / int16
// codes), VPSIGNB + VPMADDUBSW on int8 k-quads (B without -128), and VPMADDUBSW with int16
// accumulation on u8 x s8 k-quads for codes of <= 4 bits. The first two also write f32 tiles
// directly (the epilogue of gemm_int_epilogue_i32 on the registers, the same IEEE operations in
// the same order: -ffp-contract=off), with masked loads and stores for partial tiles.
#include <immintrin.h>

#include <cstring>

#include "lowbit/kernels/gemm_int.h"

namespace lowbit {

namespace {
constexpr int kMr = 6, kNr = 16;

// VBROADCASTSS from memory is a pure load on Zen 2 (VPBROADCASTD also takes a vector ALU slot).
inline __m256i broadcast32(const void* p) {
  return _mm256_castps_si256(_mm256_broadcast_ss(static_cast<const float*>(p)));
}

inline void store_tile(const __m256i acc[kMr][2], int32_t* c, int64_t ldc) {
  for (int i = 0; i < kMr; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * ldc), acc[i][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * ldc + 8), acc[i][1]);
  }
}

// s16_k2: per k-pair, B is 16 columns x 2 int16 (two ymm), A is 6 rows x 2 int16 (broadcast).
// VPMADDWD is exact (a pair sum of int16 products wraps only at 2 * (-32768)^2 = 2^31, which is
// 2^31 modulo 2^32 all the same), so the tile is exact modulo 2^32.
template <class Sink>
void s16k2_full(int64_t k, const int16_t* a, const int16_t* b, Sink&& sink) {
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
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(ai, b0));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(ai, b1));
    }
    a += 2 * kMr;
    b += 2 * kNr;
  }
  sink(acc);
}

// u8s8_k4 with a_offset 0 (both int8) for B codes in [-127, 127]: VPMADDUBSW takes |a| as
// unsigned (|-128| = 128 as a byte) and b with a's sign (VPSIGNB; exact since b != -128), so a
// lane is |a0| b0' + |a1| b1' with |.| <= 2 * 128 * 127 = 32512: it never saturates. VPMADDWD
// by ones then adds the two k-halves of a column into int32. Twice the multiply-adds of
// VPMADDWD per multiply instruction, for two extra ALU operations (VPABSB, VPSIGNB).
template <class Sink>
void s8s8k4_full(int64_t k, const int8_t* a, const int8_t* b, Sink&& sink) {
  __m256i acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1);
  const int64_t groups = (k + 3) / 4;
#pragma GCC unroll 2
  for (int64_t g = 0; g < groups; ++g) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m256i ai = broadcast32(a + 4 * i), ua = _mm256_abs_epi8(ai);
      acc[i][0] = _mm256_add_epi32(
          acc[i][0], _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(b0, ai)), ones));
      acc[i][1] = _mm256_add_epi32(
          acc[i][1], _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(b1, ai)), ones));
    }
    a += 4 * kMr;
    b += 4 * kNr;
  }
  sink(acc);
}

// u8s8_k4 for codes of <= 4 bits (A stored as a + 8 in [0, 15], B in [-8, 7]): a VPMADDUBSW
// lane is u0*b0 + u1*b1 in [-240, 210], so it never saturates, and kFlush steps of int16
// accumulation stay within 240 * 128 = 30720 < 32767. Every kFlush groups the int16 sums are
// widened (VPMADDWD by ones adds the two k-halves of a column) into the int32 tile in memory,
// which starts at B's trailer (-8 * column sums).
constexpr int64_t kFlush = 128;

void u4s4k4_full(int64_t k, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc) {
  const int64_t groups = (k + 3) / 4;
  alignas(32) int32_t wide[kMr][kNr];
  const int32_t* corr = reinterpret_cast<const int32_t*>(b + groups * kNr * 4);
  for (int i = 0; i < kMr; ++i) std::memcpy(wide[i], corr, sizeof(wide[i]));
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t g0 = 0; g0 < groups; g0 += kFlush) {
    const int64_t g1 = g0 + kFlush < groups ? g0 + kFlush : groups;
    __m256i acc[kMr][2];
    for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
#pragma GCC unroll 2
    for (int64_t g = g0; g < g1; ++g) {
      __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
      __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 6
      for (int i = 0; i < kMr; ++i) {
        __m256i ai = broadcast32(a + 4 * i);
        acc[i][0] = _mm256_add_epi16(acc[i][0], _mm256_maddubs_epi16(ai, b0));
        acc[i][1] = _mm256_add_epi16(acc[i][1], _mm256_maddubs_epi16(ai, b1));
      }
      a += 4 * kMr;
      b += 4 * kNr;
    }
    for (int i = 0; i < kMr; ++i)
      for (int h = 0; h < 2; ++h) {
        auto* w = reinterpret_cast<__m256i*>(&wide[i][8 * h]);
        _mm256_store_si256(
            w, _mm256_add_epi32(_mm256_load_si256(w), _mm256_madd_epi16(acc[i][h], ones)));
      }
  }
  for (int i = 0; i < kMr; ++i) std::memcpy(c + i * ldc, wide[i], sizeof(wide[i]));
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

// Lanes j < n of 8 (as VMASKMOVPS wants them: the sign bit set).
inline __m256i lanes(int64_t n) {
  const int32_t c = static_cast<int32_t>(n < 0 ? 0 : (n > 8 ? 8 : n));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// gemm_int_epilogue_i32's f32 modes on an m x n (<= 6 x 16) tile held in registers:
// t = float(acc); t *= row scale; t *= column scale; t += bias; f32_acc: c + t. kFull: n = 16,
// plain loads and stores (VMASKMOVPS stores are microcoded on Zen 2/3: masked only for tails).
template <bool kFull>
inline void store_tile_f32(const __m256i acc[kMr][2], const GemmIntEpilogue& e, int64_t m,
                           int64_t n) {
  const __m256i mk[2] = {lanes(n), lanes(n - 8)};
  auto load = [&](const float* p, int h) {
    return kFull ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mk[h]);
  };
  __m256 cs[2], bias[2];
  for (int h = 0; h < 2; ++h) {
    if (!e.col_scale)
      cs[h] = _mm256_set1_ps(1.0f);
    else if (e.col_scale_stride == 0)
      cs[h] = _mm256_set1_ps(e.col_scale[0]);
    else
      cs[h] = load(e.col_scale + 8 * h, h);
    bias[h] = e.bias ? load(e.bias + 8 * h, h) : _mm256_setzero_ps();
  }
  const bool accumulate = e.out == GemmIntOut::f32_acc;
  for (int i = 0; i < kMr; ++i) {
    if (i >= m) break;
    const __m256 r = _mm256_set1_ps(e.row_scale ? e.row_scale[i * e.row_scale_stride] : 1.0f);
    float* row = static_cast<float*>(e.c) + i * e.ldc;
    for (int h = 0; h < 2; ++h) {
      __m256 t = _mm256_cvtepi32_ps(acc[i][h]);
      t = _mm256_mul_ps(t, r);
      t = _mm256_mul_ps(t, cs[h]);
      if (e.bias) t = _mm256_add_ps(t, bias[h]);
      if (accumulate) t = _mm256_add_ps(load(row + 8 * h, h), t);
      if (kFull)
        _mm256_storeu_ps(row + 8 * h, t);
      else
        _mm256_maskstore_ps(row + 8 * h, mk[h], t);
    }
  }
}

template <class Full, class A, class B>
void run_tile_f32(Full&& full, int64_t k, const void* a, const void* b, const GemmIntEpilogue& e,
                  int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  LB_ASSERT(e.out == GemmIntOut::f32 || e.out == GemmIntOut::f32_acc);
  LB_ASSERT(e.row_scale_stride <= 1 && e.col_scale_stride <= 1);  // what epilogue_at makes
  const A* pa = static_cast<const A*>(a);
  const B* pb = static_cast<const B*>(b);
  if (n == kNr)
    return full(k, pa, pb, [&](const __m256i acc[kMr][2]) { store_tile_f32<true>(acc, e, m, n); });
  full(k, pa, pb, [&](const __m256i acc[kMr][2]) { store_tile_f32<false>(acc, e, m, n); });
}

// The two sink kernels as types, so one driver takes either and the sink stays inlined; called
// with (c, ldc) instead of a sink they store the int32 tile, the form run_tile takes.
struct S16 {
  template <class Sink>
  void operator()(int64_t k, const int16_t* a, const int16_t* b, Sink&& sink) const {
    s16k2_full(k, a, b, sink);
  }
  void operator()(int64_t k, const int16_t* a, const int16_t* b, int32_t* c, int64_t ldc) const {
    s16k2_full(k, a, b, [&](const __m256i acc[kMr][2]) { store_tile(acc, c, ldc); });
  }
};
struct S8 {
  template <class Sink>
  void operator()(int64_t k, const int8_t* a, const int8_t* b, Sink&& sink) const {
    s8s8k4_full(k, a, b, sink);
  }
  void operator()(int64_t k, const int8_t* a, const int8_t* b, int32_t* c, int64_t ldc) const {
    s8s8k4_full(k, a, b, [&](const __m256i acc[kMr][2]) { store_tile(acc, c, ldc); });
  }
};
}  // namespace

void gemm_s16k2_micro_avx2(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                           int64_t m, int64_t n) {
  run_tile<S16, int16_t, int16_t>(S16{}, k, a, b, c, ldc, m, n);
}

void gemm_s8s8k4_micro_avx2(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                            int64_t m, int64_t n) {
  run_tile<S8, int8_t, int8_t>(S8{}, k, a, b, c, ldc, m, n);
}

void gemm_s16k2_micro_f32_avx2(int64_t k, const void* a, const void* b, const GemmIntEpilogue& e,
                               int64_t m, int64_t n) {
  run_tile_f32<S16, int16_t, int16_t>(S16{}, k, a, b, e, m, n);
}

void gemm_s8s8k4_micro_f32_avx2(int64_t k, const void* a, const void* b, const GemmIntEpilogue& e,
                                int64_t m, int64_t n) {
  run_tile_f32<S8, int8_t, int8_t>(S8{}, k, a, b, e, m, n);
}

void gemm_u4s4k4_micro_avx2(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                            int64_t m, int64_t n) {
  run_tile<decltype(&u4s4k4_full), uint8_t, int8_t>(u4s4k4_full, k, a, b, c, ldc, m, n);
}

}  // namespace lowbit

// AVX-512 fast path of the int8 packer (gemm_int_pack.cpp): 16 rows of a row-major int8 source
// by 16 k-quads (64 bytes each) into the u8s8_k4 panel layout as one 16 x 16 transpose of 32-bit
// units in registers (two unpack stages within 128-bit lanes, two lane shuffles), 64 shuffles
// per KiB where the SSE2 path does 4 x 4 transposes; a transposed source into 32-row B panels,
// 64 columns of four source rows at a time; and B's trailer of column sums, 16 columns per
// register. The bytes are those of the generic loop and quad_column_corrections.
#include <immintrin.h>

#include "lowbit/kernels/gemm_int.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

// The two in-lane stages of a transpose of 32-bit units, in place on kRows (8 or 16) registers
// (r[i] = 16 units of row i): then r[4b + c], lane L, holds rows 4b .. 4b + 3 of unit 4L + c.
template <int kRows>
inline void transpose_in_lanes(__m512i r[kRows]) {
#pragma GCC unroll 8
  for (int i = 0; i < kRows / 2; ++i) {
    const __m512i a = r[2 * i], b = r[2 * i + 1];
    r[2 * i] = _mm512_unpacklo_epi32(a, b);
    r[2 * i + 1] = _mm512_unpackhi_epi32(a, b);
  }
#pragma GCC unroll 4
  for (int b = 0; b < kRows / 4; ++b) {
    const __m512i t0 = r[4 * b], t1 = r[4 * b + 1], t2 = r[4 * b + 2], t3 = r[4 * b + 3];
    r[4 * b] = _mm512_unpacklo_epi64(t0, t2);
    r[4 * b + 1] = _mm512_unpackhi_epi64(t0, t2);
    r[4 * b + 2] = _mm512_unpacklo_epi64(t1, t3);
    r[4 * b + 3] = _mm512_unpackhi_epi64(t1, t3);
  }
}

// r[i] = 16 units of row i  ->  r[q] = unit q of rows 0..15, in place (20 live registers: a
// form with separate arrays per stage spilled to the stack).
inline void transpose16x16_epi32(__m512i r[16]) {
  transpose_in_lanes<16>(r);
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512i v = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x88);
    const __m512i w = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xDD);
    const __m512i v2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x88);
    const __m512i w2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xDD);
    r[c] = _mm512_shuffle_i32x4(v, v2, 0x88);
    r[8 + c] = _mm512_shuffle_i32x4(v, v2, 0xDD);
    r[4 + c] = _mm512_shuffle_i32x4(w, w2, 0x88);
    r[12 + c] = _mm512_shuffle_i32x4(w, w2, 0xDD);
  }
}

}  // namespace

int64_t gemm_int_pack_s8_rows16_avx512(const int8_t* src, int64_t ld, int R, int64_t groups,
                                       uint8_t* out) {
  LB_ASSERT(R % 16 == 0 && groups >= 0);
  const int64_t blocks = groups / 16;
  for (int64_t gb = 0; gb < blocks; ++gb)
    for (int rb = 0; rb < R; rb += 16) {
      __m512i r[16];
      for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_si512(src + (rb + i) * ld + gb * 64);
      transpose16x16_epi32(r);
      for (int q = 0; q < 16; ++q) _mm512_storeu_si512(out + ((gb * 16 + q) * R + rb) * 4, r[q]);
    }
  return blocks * 16;
}

int64_t gemm_int_pack_s8_rows6_avx512(const int8_t* src, int64_t ld, int64_t groups, int a_offset,
                                      uint8_t* out) {
  const __m512i off = _mm512_set1_epi8(static_cast<char>(a_offset));
  const int64_t blocks = groups / 16;
  for (int64_t gb = 0; gb < blocks; ++gb) {
    __m512i r[8];
    for (int i = 0; i < 6; ++i)
      r[i] = _mm512_add_epi8(_mm512_loadu_si512(src + i * ld + gb * 64), off);
    r[6] = r[7] = _mm512_setzero_si512();
    transpose_in_lanes<8>(r);
    uint8_t* o = out + gb * 16 * 24;
    for (int c = 0; c < 4; ++c) {
      // [unit c | unit 8 + c] and [unit 4 + c | unit 12 + c], rows 0..7 each; rows 0..5 stored.
      const __m512i v = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x88);
      const __m512i w = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xDD);
      const __m512i lo = _mm512_shuffle_i32x4(v, v, 0xD8), hi = _mm512_shuffle_i32x4(w, w, 0xD8);
      _mm256_mask_storeu_epi32(o + c * 24, 0x3F, _mm512_castsi512_si256(lo));
      _mm256_mask_storeu_epi32(o + (8 + c) * 24, 0x3F, _mm512_extracti64x4_epi64(lo, 1));
      _mm256_mask_storeu_epi32(o + (4 + c) * 24, 0x3F, _mm512_castsi512_si256(hi));
      _mm256_mask_storeu_epi32(o + (12 + c) * 24, 0x3F, _mm512_extracti64x4_epi64(hi, 1));
    }
  }
  return blocks * 16;
}

int64_t gemm_int_pack_s8_trans32_avx512(const int8_t* src, int64_t ld, int64_t cols,
                                        int64_t groups, int64_t panel_bytes, uint8_t* out) {
  const int64_t done = cols / 64 * 64;
  for (int64_t g = 0; g < groups; ++g) {
    const int8_t* s = src + 4 * g * ld;
    uint8_t* o = out + g * 128;
    for (int64_t c = 0; c < done; c += 64) {
      __m512i v[4];
      for (int t = 0; t < 4; ++t) {
        // The rows four k-quads on (the prefetcher does not follow a walk down the rows).
        prefetch_after<_MM_HINT_T0>(s + c, (16 + t) * ld);
        v[t] = _mm512_loadu_si512(s + t * ld + c);
      }
      // Lane L of a, b, cc, d: the k-quads of columns 16L + 0..3, 4..7, 8..11, 12..15.
      const __m512i t0 = _mm512_unpacklo_epi8(v[0], v[1]), t1 = _mm512_unpackhi_epi8(v[0], v[1]);
      const __m512i t2 = _mm512_unpacklo_epi8(v[2], v[3]), t3 = _mm512_unpackhi_epi8(v[2], v[3]);
      const __m512i a = _mm512_unpacklo_epi16(t0, t2), b = _mm512_unpackhi_epi16(t0, t2);
      const __m512i cc = _mm512_unpacklo_epi16(t1, t3), d = _mm512_unpackhi_epi16(t1, t3);
      // Columns 16L .. 16L + 15 are [a.L, b.L, cc.L, d.L]: a 4 x 4 transpose of lanes.
      const __m512i ab01 = _mm512_shuffle_i64x2(a, b, 0x44);
      const __m512i cd01 = _mm512_shuffle_i64x2(cc, d, 0x44);
      const __m512i ab23 = _mm512_shuffle_i64x2(a, b, 0xEE);
      const __m512i cd23 = _mm512_shuffle_i64x2(cc, d, 0xEE);
      uint8_t* p0 = o + c / 32 * panel_bytes;
      _mm512_storeu_si512(p0, _mm512_shuffle_i64x2(ab01, cd01, 0x88));
      _mm512_storeu_si512(p0 + 64, _mm512_shuffle_i64x2(ab01, cd01, 0xDD));
      _mm512_storeu_si512(p0 + panel_bytes, _mm512_shuffle_i64x2(ab23, cd23, 0x88));
      _mm512_storeu_si512(p0 + panel_bytes + 64, _mm512_shuffle_i64x2(ab23, cd23, 0xDD));
    }
  }
  return done;
}

void gemm_int_quad_sums_avx512(const int8_t* codes, int64_t groups, int R, int32_t a_offset,
                               int32_t* corr) {
  LB_ASSERT(R % 16 == 0 && R <= 64);
  const __m512i ones8 = _mm512_set1_epi8(1), ones16 = _mm512_set1_epi16(1);
  __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
  for (int64_t g = 0; g < groups; ++g)
    for (int c = 0; c < R / 16; ++c) {
      // The 4 codes of each of 16 columns: byte pairs (VPMADDUBSW, at most 254), then the pairs.
      const __m512i v = _mm512_loadu_si512(codes + (g * R + 16 * c) * 4);
      acc[c] = _mm512_add_epi32(acc[c], _mm512_madd_epi16(_mm512_maddubs_epi16(ones8, v), ones16));
    }
  const __m512i off = _mm512_set1_epi32(-a_offset);
  for (int c = 0; c < R / 16; ++c)
    _mm512_storeu_si512(corr + 16 * c, _mm512_mullo_epi32(acc[c], off));
}

}  // namespace lowbit

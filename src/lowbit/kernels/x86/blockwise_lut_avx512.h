// The lookup-table encode of blockwise_lut.h on 16 normalised values (blockwise_encode_lut_avx512,
// and adam8_block_avx512's own encode loop). Include only from files built with -mavx512f;
// internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/ref/blockwise_lut.h"

namespace lowbit {
namespace {

// The table lookup of blockwise_lut.h for 16 normalised values, as int32 codes. kNonneg: the
// table has negatives_as_zero, so a value with the sign bit set goes to the first bucket of the
// positive row (its arithmetic shift is negative) and needs no sign handling.
template <bool kNonneg = false>
inline __m512i lut_encode16(__m512 v, const uint32_t* lut) {
  const __m512i b = _mm512_castps_si512(v);
  const __m512i a = kNonneg ? b : _mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF));
  const __m512i neg = _mm512_srai_epi32(b, 31);
  __m512i idx;
  if constexpr (kNonneg) {
    idx = _mm512_sub_epi32(
        _mm512_min_epi32(_mm512_max_epi32(_mm512_srai_epi32(b, 16), _mm512_set1_epi32(kLutFirst)),
                         _mm512_set1_epi32(kLutLast)),
        _mm512_set1_epi32(kLutFirst));
  } else {
    // a >> 16 < 2^15: the unsigned saturating 16-bit subtraction is the lower clamp and the
    // offset in one (the upper halves are 0 - 0).
    idx = _mm512_subs_epu16(_mm512_srli_epi32(a, 16), _mm512_set1_epi32(kLutFirst));
    idx = _mm512_min_epi32(idx, _mm512_set1_epi32(kLutBuckets - 1));
    idx = _mm512_add_epi32(idx, _mm512_and_si512(neg, _mm512_set1_epi32(kLutBuckets)));
  }
  // A zmm gather costs ~19 cycles on Zen 4, still less than 16 scalar loads through memory.
  const __m512i e = _mm512_i32gather_epi32(idx, reinterpret_cast<const int*>(lut), 4);
  // (a & 0xFFFF) | 0x10000 as one ternary-logic operation (A & B | C).
  const __m512i low = _mm512_ternarylogic_epi32(a, _mm512_set1_epi32(0xFFFF),
                                                _mm512_set1_epi32(0x10000), 0xEA);
  __m512i hit =
      _mm512_srli_epi32(_mm512_sub_epi32(low, _mm512_and_si512(e, _mm512_set1_epi32(0x1FFFF))), 16);
  if constexpr (!kNonneg)
    hit = _mm512_sub_epi32(_mm512_xor_si512(hit, neg), neg);  // -hit for negative values
  const __m512i code = _mm512_add_epi32(_mm512_srli_epi32(e, 17), hit);
  // Signed compare: a negative NaN (kNonneg) is below and already has code 0.
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7F800000));
  return _mm512_mask_mov_epi32(code, nan, _mm512_setzero_si512());
}

// Codes are 0..255: the unsigned saturating narrowing is a plain one.
inline void store_codes16(uint8_t* out, __m512i code) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtusepi32_epi8(code));
}

}  // namespace
}  // namespace lowbit

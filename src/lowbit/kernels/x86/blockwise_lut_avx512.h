// The lookup-table encode of blockwise_lut.h on 16 values (blockwise_encode_lut_avx512, and
// adam8_block_avx512's own encode loop). Include only from files built with -mavx512f;
// internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/ref/blockwise_lut.h"

namespace lowbit {
namespace {

// The table lookup of blockwise_lut.h for 16 normalised values, bucket shift kS, as int32 codes.
// kNonneg: the table has negatives_as_zero, so a value with the sign bit set goes to the first
// bucket of the positive row (its arithmetic shift is negative) and needs no sign handling.
template <int kS, bool kNonneg = false>
inline __m512i lut_encode16(__m512 v, const uint32_t* lut) {
  // constexpr locals: calls evaluated at compile time, nothing emitted in the ISA object.
  constexpr int32_t first = lut_first(kS), last = lut_last(kS), buckets = lut_buckets(kS);
  const __m512i b = _mm512_castps_si512(v);
  const __m512i a = kNonneg ? b : _mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF));
  const __m512i neg = _mm512_srai_epi32(b, 31);
  __m512i idx;
  if constexpr (kNonneg) {
    idx = _mm512_sub_epi32(
        _mm512_min_epi32(_mm512_max_epi32(_mm512_srai_epi32(b, kS), _mm512_set1_epi32(first)),
                         _mm512_set1_epi32(last)),
        _mm512_set1_epi32(first));
  } else {
    // a >> kS < 2^15: the unsigned saturating 16-bit subtraction is the lower clamp and the
    // offset in one (the upper halves are 0 - 0).
    idx = _mm512_subs_epu16(_mm512_srli_epi32(a, kS), _mm512_set1_epi32(first));
    idx = _mm512_min_epi32(idx, _mm512_set1_epi32(buckets - 1));
    idx = _mm512_add_epi32(idx, _mm512_and_si512(neg, _mm512_set1_epi32(buckets)));
  }
  // A zmm gather costs ~19 cycles on Zen 4, still less than 16 scalar loads through memory.
  const __m512i e = _mm512_i32gather_epi32(idx, reinterpret_cast<const int*>(lut), 4);
  // (a & (2^kS - 1)) | 2^kS as one ternary-logic operation (A & B | C).
  const __m512i low = _mm512_ternarylogic_epi32(a, _mm512_set1_epi32((1 << kS) - 1),
                                                _mm512_set1_epi32(1 << kS), 0xEA);
  __m512i hit = _mm512_srli_epi32(
      _mm512_sub_epi32(low, _mm512_and_si512(e, _mm512_set1_epi32(0xFFFFFF))), kS);
  if constexpr (!kNonneg)
    hit = _mm512_sub_epi32(_mm512_xor_si512(hit, neg), neg);  // -hit for negative values
  const __m512i code = _mm512_add_epi32(_mm512_srli_epi32(e, 24), hit);
  // Signed compare: a negative NaN (kNonneg) is below and already has code 0.
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7F800000));
  return _mm512_mask_mov_epi32(code, nan, _mm512_setzero_si512());
}

// Calls fn.template operator()<kS, kNonneg>() for table t's shift and sign handling.
template <class Fn>
inline decltype(auto) with_lut_kind(const DynamicTables& t, Fn&& fn) {
  LB_ASSERT(t.lut_shift == 16 || t.lut_shift == 17);
  if (t.lut_shift == 17)
    return t.negatives_as_zero ? fn.template operator()<17, true>()
                               : fn.template operator()<17, false>();
  return t.negatives_as_zero ? fn.template operator()<16, true>()
                             : fn.template operator()<16, false>();
}

// x / absmax for 16 values, or zeros when absmax is not > 0: blockwise_encode_ref's input.
struct LutQuotient {
  bool zero;
  __m512 div;
  explicit LutQuotient(float absmax)
      : zero(!(absmax > 0.0f)), div(_mm512_set1_ps(zero ? 1.0f : absmax)) {}
  __m512 operator()(const float* x) const {
    return zero ? _mm512_setzero_ps() : _mm512_div_ps(_mm512_loadu_ps(x), div);
  }
};

// Codes are 0..255: the unsigned saturating narrowing is a plain one.
inline void store_codes16(uint8_t* out, __m512i code) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtusepi32_epi8(code));
}

}  // namespace
}  // namespace lowbit

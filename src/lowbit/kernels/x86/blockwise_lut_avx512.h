// The lookup-table encode of blockwise_lut.h on 16 values (blockwise_encode_lut_avx512, and
// adam8_block_avx512's own encode loop). Include only from files built with -mavx512f;
// internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/x86/lookup_avx2.h"
#include "lowbit/kernels/x86/lut_kind_x86.h"

namespace lowbit {
namespace {

// r - lut[j] of blockwise_lut.h for 16 normalised values, bucket shift kS: the code in its top
// byte, the distance to the bucket's step (or watched edge) in its low 24 bits. kNonneg: the
// table has negatives_as_zero, so r needs no sign (entry 0 gives code 0 for any r) and the tiny
// buckets clamp to lut_first's. kGather: the entries by one VPGATHERDD, else by sixteen scalar
// loads into lanes (lookup_avx2.h): a zmm gather costs ~19 cycles on Zen 4, and the loads gave
// the Zen 5 encode +26 % (docs/RESULTS.md), while Intel cores since Sapphire Rapids gather fast.
template <int kS, bool kNonneg, bool kGather = true>
inline __m512i lut_diff16(__m512 v, const uint32_t* lut) {
  const __m512i b = _mm512_castps_si512(v), mant = _mm512_set1_epi32((1 << kS) - 1);
  __m512i j = _mm512_srli_epi32(b, kS), r;
  if constexpr (kNonneg) {
    constexpr int32_t first = lut_first(kS);  // constexpr: nothing emitted in the ISA object
    j = _mm512_max_epi32(j, _mm512_set1_epi32(first));
    r = _mm512_and_si512(b, mant);
  } else {
    // (b ^ (b >> 31)) & mant in one ternary-logic operation ((A ^ B) & C).
    r = _mm512_ternarylogic_epi32(b, _mm512_srai_epi32(b, 31), mant, 0x28);
  }
  if constexpr (kGather)
    return _mm512_sub_epi32(r, _mm512_i32gather_epi32(j, reinterpret_cast<const int*>(lut), 4));
  const __m256i lo = lookup8(lut, _mm512_castsi512_si256(j));
  const __m256i hi = lookup8(lut, _mm512_extracti64x4_epi64(j, 1));
  return _mm512_sub_epi32(r, _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
}

// The codes of 16 values x / absmax (blockwise_encode_ref's contract: all code(0) when absmax is
// not > 0) from table t, of lookup kind <kS, kNonneg>. Where t is reciprocal_safe and absmax in
// [2^-125, 2^125], the quotient is x * RN(1 / absmax), no division: blockwise_lut.h says why it
// gives the same codes unless a lane is flagged, and a flagged vector (about one in a hundred)
// is redone with the division.
template <int kS, bool kNonneg, bool kGather = true>
class LutEncode16 {
 public:
  LutEncode16(float absmax, const DynamicTables& t)
      : lut_(t.lut),
        mode_(!(absmax > 0.0f) ? kZero
              : t.reciprocal_safe && absmax >= 0x1p-125f && absmax <= 0x1p125f ? kReciprocal
                                                                             : kDivide),
        absmax_(_mm512_set1_ps(mode_ == kZero ? 1.0f : absmax)),
        inverse_(_mm512_set1_ps(mode_ == kZero ? 1.0f : 1.0f / absmax)) {}

  __m512i operator()(const float* x) const {
    const __m512 xv = _mm512_loadu_ps(x);
    if (mode_ == kReciprocal) {
      const __m512i d = lut_diff16<kS, kNonneg, kGather>(_mm512_mul_ps(xv, inverse_), lut_);
      // Unflagged: (d + w) mod 2^24 >= 2w, r is w or more from the step.
      constexpr int32_t w = kLutReciprocalWindow, far = 0xFFFFFF & -(2 * w);
      const __mmask16 clear = _mm512_test_epi32_mask(_mm512_add_epi32(d, _mm512_set1_epi32(w)),
                                                     _mm512_set1_epi32(far));
      if (clear == 0xFFFF) return _mm512_srli_epi32(d, 24);
    }
    const __m512 q = mode_ == kZero ? _mm512_setzero_ps() : _mm512_div_ps(xv, absmax_);
    const __m512i d = lut_diff16<kS, kNonneg, kGather>(q, lut_);
    return _mm512_srli_epi32(d, 24);
  }

 private:
  enum Mode { kZero, kDivide, kReciprocal };
  const uint32_t* lut_;
  Mode mode_;
  __m512 absmax_, inverse_;
};

// Codes are 0..255: the unsigned saturating narrowing is a plain one.
inline void store_codes16(uint8_t* out, __m512i code) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtusepi32_epi8(code));
}

}  // namespace
}  // namespace lowbit

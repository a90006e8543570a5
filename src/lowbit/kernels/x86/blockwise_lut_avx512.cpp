// AVX-512 lookup-table encode of the block-wise dynamic 8-bit format: the AVX2 kernel on 16
// values per step (one 16-lane gather), the same x / absmax division as `_ref` first, so the codes
// match it exactly. adam8_block_avx512 encodes its states through it.
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {

// The table lookup of blockwise_lut.h for 16 normalised values, as int32 codes.
inline __m512i lut_encode16(__m512 v, const uint32_t* lut) {
  const __m512i b = _mm512_castps_si512(v);
  const __m512i a = _mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF));
  const __m512i neg = _mm512_srai_epi32(b, 31);
  __m512i j = _mm512_srli_epi32(a, 16);
  j = _mm512_min_epi32(_mm512_max_epi32(j, _mm512_set1_epi32(kLutFirst)),
                       _mm512_set1_epi32(kLutLast));
  __m512i idx = _mm512_sub_epi32(j, _mm512_set1_epi32(kLutFirst));
  idx = _mm512_add_epi32(idx, _mm512_and_si512(neg, _mm512_set1_epi32(kLutBuckets)));
  // A zmm gather costs ~19 cycles on Zen 4, still less than 16 scalar loads through memory.
  const __m512i e = _mm512_i32gather_epi32(idx, reinterpret_cast<const int*>(lut), 4);
  const __m512i low =
      _mm512_or_si512(_mm512_and_si512(a, _mm512_set1_epi32(0xFFFF)), _mm512_set1_epi32(0x10000));
  __m512i hit =
      _mm512_srli_epi32(_mm512_sub_epi32(low, _mm512_and_si512(e, _mm512_set1_epi32(0x1FFFF))), 16);
  hit = _mm512_sub_epi32(_mm512_xor_si512(hit, neg), neg);  // -hit for negative values
  const __m512i code = _mm512_add_epi32(_mm512_srli_epi32(e, 17), hit);
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7F800000));
  return _mm512_mask_mov_epi32(code, nan, _mm512_setzero_si512());
}

}  // namespace

void blockwise_encode_lut_avx512(const float* x, int64_t n, float absmax, const DynamicTables& t,
                                 uint8_t* codes) {
  const bool zero = !(absmax > 0.0f);
  const __m512 div = _mm512_set1_ps(zero ? 1.0f : absmax);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = zero ? _mm512_setzero_ps() : _mm512_div_ps(_mm512_loadu_ps(x + i), div);
    // Codes are 0..255: the unsigned saturating narrowing is a plain one.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + i),
                     _mm512_cvtusepi32_epi8(lut_encode16(v, t.lut)));
  }
  blockwise_encode_ref(x + i, n - i, absmax, t.thresholds, codes + i);
}

}  // namespace lowbit

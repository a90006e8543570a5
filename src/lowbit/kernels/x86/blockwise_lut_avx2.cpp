// AVX2 lookup-table encode of the block-wise dynamic 8-bit format: the AVX-512 encode
// (blockwise_lut_avx512.h) on 8 values per step, with the table entries fetched by eight scalar
// loads instead of a gather (lookup_avx2.h), after the same x / absmax division as `_ref`, so
// the codes match it exactly. (The AVX-512 encode's reciprocal quotient, tried here, was no
// faster: a ymm division is one uop, and it overlaps the loads.)
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/lookup_avx2.h"
#include "lowbit/kernels/x86/lut_kind_x86.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

// r - lut[j] for 8 normalised values (lut_diff16 of blockwise_lut_avx512.h).
template <int kS, bool kNonneg>
inline __m256i lut_diff8(__m256 v, const uint32_t* lut) {
  const __m256i b = _mm256_castps_si256(v), mant = _mm256_set1_epi32((1 << kS) - 1);
  __m256i j = _mm256_srli_epi32(b, kS), r;
  if constexpr (kNonneg) {
    constexpr int32_t first = lut_first(kS);  // constexpr: nothing emitted in the ISA object
    j = _mm256_max_epi32(j, _mm256_set1_epi32(first));
    r = _mm256_and_si256(b, mant);
  } else {
    r = _mm256_and_si256(_mm256_xor_si256(b, _mm256_srai_epi32(b, 31)), mant);
  }
  return _mm256_sub_epi32(r, lookup8(lut, j));
}

// Codes are 0..255: the saturating packs are plain narrowings.
inline void store_codes8(uint8_t* out, __m256i code) {
  const __m128i w =
      _mm_packus_epi32(_mm256_castsi256_si128(code), _mm256_extracti128_si256(code, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(w, w));
}

// The codes c0 then c1 as 16 bytes: the ymm packs work within 128-bit lanes, leaving the dwords
// c0[0..3], c1[0..3], c0[4..7], c1[4..7]; one PSHUFD puts them in order.
inline void store_codes16(uint8_t* out, __m256i c0, __m256i c1) {
  const __m256i w = _mm256_packus_epi32(c0, c1);
  const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi32(b, _MM_SHUFFLE(3, 1, 2, 0)));
}

template <bool kPrefetch>
void encode(const float* x, int64_t n, float absmax, const DynamicTables& t, uint8_t* codes) {
  const bool zero = !(absmax > 0.0f);
  const __m256 div = _mm256_set1_ps(zero ? 1.0f : absmax);
  const int64_t i = with_lut_kind(t, [&]<int kS, bool kNonneg>() {
    auto code8 = [&](int64_t j) {
      const __m256 q = zero ? _mm256_setzero_ps() : _mm256_div_ps(_mm256_loadu_ps(x + j), div);
      return _mm256_srli_epi32(lut_diff8<kS, kNonneg>(q, t.lut), 24);
    };
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
      // The values after this call's, where a caller walking a tensor block by block reads next
      // (as the AVX-512 encode): the memory stream would otherwise idle while this loop works
      // from L1.
      if (kPrefetch) prefetch_after(x, 4 * (n + j));
      store_codes16(codes + j, code8(j), code8(j + 8));
    }
    for (; j + 8 <= n; j += 8) store_codes8(codes + j, code8(j));
    return j;
  });
  blockwise_encode_ref(x + i, n - i, absmax, t.thresholds, codes + i);
}

}  // namespace

void blockwise_encode_lut_avx2(const float* x, int64_t n, float absmax, const DynamicTables& t,
                               uint8_t* codes) {
  encode<true>(x, n, absmax, t, codes);
}

void blockwise_encode_lut_l1_avx2(const float* x, int64_t n, float absmax,
                                  const DynamicTables& t, uint8_t* codes) {
  encode<false>(x, n, absmax, t, codes);
}

}  // namespace lowbit

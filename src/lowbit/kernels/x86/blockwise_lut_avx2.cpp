// AVX2 lookup-table encode of the block-wise dynamic 8-bit format: the AVX-512 encode
// (blockwise_lut_avx512.h) on 8 values per step, with the table entries fetched by eight scalar
// loads instead of a gather (lookup_avx2.h), after the same x / absmax division as `_ref`, so
// the codes match it exactly. (The AVX-512 encode's reciprocal quotient, tried here, was no
// faster: the division overlaps the loads.)
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/lookup_avx2.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

inline void store8_u8(uint8_t* out, __m256i v32) {
  __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v32), _mm256_extracti128_si256(v32, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(w, w));
}

// r - lut[j] of blockwise_lut.h for 8 normalised values (lut_diff16 of blockwise_lut_avx512.h).
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

template <int kS, bool kNonneg, bool kPrefetch>
int64_t encode_run(const float* x, int64_t n, float absmax, const DynamicTables& t,
                   uint8_t* codes) {
  const bool zero = !(absmax > 0.0f);
  const __m256 div = _mm256_set1_ps(zero ? 1.0f : absmax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // The values after this call's, where a caller walking a tensor block by block reads next
    // (as the AVX-512 encode): the memory stream would otherwise idle while this loop works from L1.
    if (kPrefetch && i % 16 == 0) prefetch_after(x, 4 * (n + i));
    const __m256 q = zero ? _mm256_setzero_ps() : _mm256_div_ps(_mm256_loadu_ps(x + i), div);
    store8_u8(codes + i, _mm256_srli_epi32(lut_diff8<kS, kNonneg>(q, t.lut), 24));
  }
  return i;
}

template <bool kPrefetch>
void encode(const float* x, int64_t n, float absmax, const DynamicTables& t, uint8_t* codes) {
  // The two lookup kinds (with_lut_kind of blockwise_lut_avx512.h).
  LB_ASSERT(t.lut_shift == (t.negatives_as_zero ? 16 : 17));
  const int64_t i = t.negatives_as_zero
                        ? encode_run<16, true, kPrefetch>(x, n, absmax, t, codes)
                        : encode_run<17, false, kPrefetch>(x, n, absmax, t, codes);
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

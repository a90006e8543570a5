// AVX2 lookup-table encode of the block-wise dynamic 8-bit format: 8 values per step, one
// gather instead of the threshold search's four permutes and four gathers. Integer work after
// the same x / absmax division as `_ref`, so the codes match it exactly.
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

inline void store8_u8(uint8_t* out, __m256i v32) {
  __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v32), _mm256_extracti128_si256(v32, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(w, w));
}

// The table lookup of blockwise_lut.h for 8 normalised values, bucket shift kS.
template <int kS>
inline __m256i lut_encode8(__m256 v, const uint32_t* lut) {
  const __m256i b = _mm256_castps_si256(v);
  const __m256i r = _mm256_and_si256(_mm256_xor_si256(b, _mm256_srai_epi32(b, 31)),
                                     _mm256_set1_epi32((1 << kS) - 1));
  const __m256i e =
      _mm256_i32gather_epi32(reinterpret_cast<const int*>(lut), _mm256_srli_epi32(b, kS), 4);
  return _mm256_srli_epi32(_mm256_sub_epi32(r, e), 24);
}

template <int kS, bool kPrefetch>
int64_t encode_run(const float* x, int64_t n, float absmax, const uint32_t* lut, uint8_t* codes) {
  const bool zero = !(absmax > 0.0f);
  const __m256 div = _mm256_set1_ps(zero ? 1.0f : absmax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // The values after this call's, where a caller walking a tensor block by block reads next
    // (as the AVX-512 encode): the memory stream would otherwise idle while this loop works from L1.
    if (kPrefetch && i % 16 == 0) prefetch_after(x, 4 * (n + i));
    __m256 v = zero ? _mm256_setzero_ps() : _mm256_div_ps(_mm256_loadu_ps(x + i), div);
    store8_u8(codes + i, lut_encode8<kS>(v, lut));
  }
  return i;
}

template <bool kPrefetch>
void encode(const float* x, int64_t n, float absmax, const DynamicTables& t, uint8_t* codes) {
  const int64_t i = t.lut_shift == 17 ? encode_run<17, kPrefetch>(x, n, absmax, t.lut, codes)
                                      : encode_run<16, kPrefetch>(x, n, absmax, t.lut, codes);
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

// AVX-512 codecs: FP8 encode and n-bit integer round-to-nearest-even quantization, the AVX2
// file's arithmetic on 16 lanes with mask registers instead of byte blends and VPMOV* narrowing
// instead of pack chains (same IEEE operations, so results match `_ref` bit for bit).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

void fp8_encode_avx512(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out) {
  const Fp8EncodeConsts c = fp8_encode_consts(p);
  const int shift = c.shift;
  const __m512 scale = _mm512_set1_ps(p.scale);
  const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF), sign80 = _mm512_set1_epi32(0x80);
  const __m512i round_half = _mm512_set1_epi32(c.round_half), one = _mm512_set1_epi32(1);
  const __m512i rebias = _mm512_set1_epi32(c.rebias), min_normal = _mm512_set1_epi32(c.min_normal);
  const __m512i magic_i = _mm512_set1_epi32(c.magic_bits);
  const __m512 magic = _mm512_castsi512_ps(magic_i);
  const __m512i max_code = _mm512_set1_epi32(c.max_code), inf_bits = _mm512_set1_epi32(0x7F800000);
  const __m512i ovf_code = _mm512_set1_epi32(c.ovf_code), nan_code = _mm512_set1_epi32(c.nan_code);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i bits = _mm512_castps_si512(_mm512_mul_ps(_mm512_loadu_ps(x + i), scale));
    const __m512i sign = _mm512_and_si512(_mm512_srli_epi32(bits, 24), sign80);
    const __m512i a = _mm512_and_si512(bits, abs_mask);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(a, shift), one);
    const __m512i r = _mm512_add_epi32(_mm512_add_epi32(a, round_half), odd);
    const __m512i code_n = _mm512_sub_epi32(_mm512_srli_epi32(r, shift), rebias);
    const __m512 sum = _mm512_add_ps(_mm512_castsi512_ps(a), magic);
    const __m512i code_s = _mm512_sub_epi32(_mm512_castps_si512(sum), magic_i);
    __m512i code = _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(min_normal, a), code_n, code_s);
    code = _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(code, max_code), code, ovf_code);
    code = _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(a, inf_bits), code, nan_code);
    // Every lane is a byte value (code <= 0x7F, sign 0 or 0x80): truncating is exact.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm512_cvtepi32_epi8(_mm512_or_si512(code, sign)));
  }
  for (; i < n; ++i) out[i] = fp8_encode(x[i] * p.scale, p.kind, p.saturate);
}

namespace {
// round-nearest-even(x / scale) clamped to [-qmax, qmax], NaN -> 0, as 16 int32.
inline __m512i quant16(const float* x, __m512 scale, __m512 lo, __m512 hi) {
  const __m512 v = _mm512_div_ps(_mm512_loadu_ps(x), scale);
  __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), r);
  r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
  return _mm512_cvtps_epi32(r);
}

// Whole 16-value runs through quant16 and `narrow` (|code| <= qmax fits the storage, so the
// saturating narrowings are plain ones), the tail through the reference.
template <class Q, class Ref, class Narrow>
void quant_run(const float* x, int64_t n, float scale, int32_t qmax, Q* q, Ref ref, Narrow narrow) {
  LB_ASSERT(scale > 0.0f);
  const __m512 sc = _mm512_set1_ps(scale), hi = _mm512_set1_ps(static_cast<float>(qmax));
  const __m512 lo = _mm512_set1_ps(-static_cast<float>(qmax));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) narrow(q + i, quant16(x + i, sc, lo, hi));
  ref(x + i, n - i, scale, qmax, q + i);
}
}  // namespace

void intn_quant_s8_avx512(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q) {
  quant_run(x, n, scale, qmax, q, intn_quant_s8_ref, [](int8_t* out, __m512i c) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtsepi32_epi8(c));
  });
}

void intn_quant_s16_avx512(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q) {
  quant_run(x, n, scale, qmax, q, intn_quant_s16_ref, [](int16_t* out, __m512i c) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtsepi32_epi16(c));
  });
}

}  // namespace lowbit

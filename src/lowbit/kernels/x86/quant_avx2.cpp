// AVX2 codecs: FP8 encode/decode, n-bit integer RNE quantize, block-wise dynamic 8-bit codec.
// Each does the reference's arithmetic (same IEEE operations), so results match `_ref` bit for bit.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/lookup_avx2.h"

namespace lowbit {

namespace {
inline void store8_u8(uint8_t* out, __m256i v32) {
  __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v32), _mm256_extracti128_si256(v32, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(w, w));
}
}  // namespace

void fp8_encode_avx2(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out) {
  const Fp8EncodeConsts c = fp8_encode_consts(p);
  const int shift = c.shift;
  const __m256 scale = _mm256_set1_ps(p.scale);
  const __m256i abs_mask = _mm256_set1_epi32(0x7FFFFFFF), sign80 = _mm256_set1_epi32(0x80);
  const __m256i round_half = _mm256_set1_epi32(c.round_half), one = _mm256_set1_epi32(1);
  const __m256i rebias = _mm256_set1_epi32(c.rebias), min_normal = _mm256_set1_epi32(c.min_normal);
  const __m256i magic_i = _mm256_set1_epi32(c.magic_bits);
  const __m256 magic = _mm256_castsi256_ps(magic_i);
  const __m256i max_code = _mm256_set1_epi32(c.max_code), inf_bits = _mm256_set1_epi32(0x7F800000);
  const __m256i ovf_code = _mm256_set1_epi32(c.ovf_code), nan_code = _mm256_set1_epi32(c.nan_code);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i bits = _mm256_castps_si256(_mm256_mul_ps(_mm256_loadu_ps(x + i), scale));
    __m256i sign = _mm256_and_si256(_mm256_srli_epi32(bits, 24), sign80);
    __m256i a = _mm256_and_si256(bits, abs_mask);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(a, shift), one);
    __m256i r = _mm256_add_epi32(_mm256_add_epi32(a, round_half), odd);
    __m256i code_n = _mm256_sub_epi32(_mm256_srli_epi32(r, shift), rebias);
    __m256 sum = _mm256_add_ps(_mm256_castsi256_ps(a), magic);
    __m256i code_s = _mm256_sub_epi32(_mm256_castps_si256(sum), magic_i);
    __m256i is_sub = _mm256_cmpgt_epi32(min_normal, a);
    __m256i code = _mm256_blendv_epi8(code_n, code_s, is_sub);
    code = _mm256_blendv_epi8(code, ovf_code, _mm256_cmpgt_epi32(code, max_code));
    code = _mm256_blendv_epi8(code, nan_code, _mm256_cmpgt_epi32(a, inf_bits));
    store8_u8(out + i, _mm256_or_si256(code, sign));
  }
  for (; i < n; ++i) out[i] = fp8_encode(x[i] * p.scale, p.kind, p.saturate);
}

void fp8_decode_avx2(const uint8_t* codes, int64_t n, const Fp8CodecParams& p, float* out) {
  const Fp8Spec& s = fp8_spec(p.kind);
  const __m256 scale = _mm256_set1_ps(p.scale);
  const __m256i m7f = _mm256_set1_epi32(0x7F), m80 = _mm256_set1_epi32(0x80);
  const __m256i rebias = _mm256_set1_epi32((127 - s.bias) << 23);
  const __m256i sub_lim = _mm256_set1_epi32((1 << s.man_bits) - 1);
  const __m256 min_sub = _mm256_set1_ps(s.min_subnormal);
  // Codes at or above `special` are inf (== inf_code, E5M2 only) or NaN.
  const __m256i special = _mm256_set1_epi32(s.has_inf ? 0x7B : 0x7E);
  const __m256i inf_code = _mm256_set1_epi32(s.has_inf ? 0x7C : 0x100);
  const __m256i qnan = _mm256_set1_epi32(0x7FC00000), inf = _mm256_set1_epi32(0x7F800000);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i)));
    __m256i sign = _mm256_slli_epi32(_mm256_and_si256(c, m80), 24);
    __m256i mag = _mm256_and_si256(c, m7f);
    __m256i normal = _mm256_add_epi32(_mm256_slli_epi32(mag, 23 - s.man_bits), rebias);
    __m256i sub = _mm256_castps_si256(_mm256_mul_ps(_mm256_cvtepi32_ps(mag), min_sub));
    __m256i v = _mm256_blendv_epi8(normal, sub, _mm256_cmpgt_epi32(_mm256_add_epi32(sub_lim, _mm256_set1_epi32(1)), mag));
    __m256i spec = _mm256_blendv_epi8(qnan, inf, _mm256_cmpeq_epi32(mag, inf_code));
    v = _mm256_blendv_epi8(v, spec, _mm256_cmpgt_epi32(mag, special));
    __m256 f = _mm256_castsi256_ps(_mm256_or_si256(v, sign));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(f, scale));
  }
  const float* table = fp8_decode_table(p.kind);
  for (; i < n; ++i) out[i] = table[codes[i]] * p.scale;
}

namespace {
// round-nearest-even(x / scale) clamped to [-qmax, qmax], NaN -> 0, as 8 int32.
inline __m256i quant8(const float* x, __m256 scale, __m256 lo, __m256 hi) {
  __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), scale);
  __m256 r = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_and_ps(r, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
  r = _mm256_min_ps(_mm256_max_ps(r, lo), hi);
  return _mm256_cvtps_epi32(r);
}
inline __m128i pack16(__m256i q) {
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}
}  // namespace

void intn_quant_s8_avx2(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q) {
  LB_ASSERT(scale > 0.0f);
  const __m256 sc = _mm256_set1_ps(scale), hi = _mm256_set1_ps(static_cast<float>(qmax));
  const __m256 lo = _mm256_set1_ps(-static_cast<float>(qmax));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i a = pack16(quant8(x + i, sc, lo, hi)), b = pack16(quant8(x + i + 8, sc, lo, hi));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(a, b));
  }
  intn_quant_s8_ref(x + i, n - i, scale, qmax, q + i);
}

void intn_quant_s16_avx2(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q) {
  LB_ASSERT(scale > 0.0f);
  const __m256 sc = _mm256_set1_ps(scale), hi = _mm256_set1_ps(static_cast<float>(qmax));
  const __m256 lo = _mm256_set1_ps(-static_cast<float>(qmax));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), pack16(quant8(x + i, sc, lo, hi)));
  intn_quant_s16_ref(x + i, n - i, scale, qmax, q + i);
}

float blockwise_absmax_avx2(const float* x, int64_t n) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), abs_mask), m0);  // NaN skipped
    m1 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i + 8), abs_mask), m1);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_max_ps(m0, m1));
  float m = blockwise_absmax_ref(x + i, n - i);
  for (float v : lanes) m = v > m ? v : m;  // fmax: the lanes hold no NaN
  return m;
}

// The two dynamic maps through the lookup table (blockwise_encode_lut_avx2: eight table loads per
// 8 values instead of the search's four permutes and four gathers), any other table through the
// search below.
void blockwise_encode_avx2(const float* x, int64_t n, float absmax, const float* thresholds,
                           uint8_t* codes) {
  blockwise_encode_lut_or(x, n, absmax, thresholds, codes, blockwise_encode_lut_avx2,
                          blockwise_encode_search_avx2);
}

void blockwise_encode_search_avx2(const float* x, int64_t n, float absmax,
                                  const float* thresholds, uint8_t* codes) {
  // The first four search steps look at thresholds[32j + s - 1] (pos is a multiple of 32), so
  // they are register permutes; the last four are gathers.
  __m256i idx32 = _mm256_setr_epi32(0, 32, 64, 96, 128, 160, 192, 224);
  __m256 table[4];
  for (int k = 0; k < 4; ++k)
    table[k] = _mm256_i32gather_ps(thresholds, _mm256_add_epi32(idx32, _mm256_set1_epi32((128 >> k) - 1)), 4);
  const bool zero = !(absmax > 0.0f);
  const __m256 div = _mm256_set1_ps(zero ? 1.0f : absmax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = zero ? _mm256_setzero_ps() : _mm256_div_ps(_mm256_loadu_ps(x + i), div);
    __m256i pos = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      __m256 t = _mm256_permutevar8x32_ps(table[k], _mm256_srli_epi32(pos, 5));
      __m256i le = _mm256_castps_si256(_mm256_cmp_ps(t, v, _CMP_LE_OQ));
      pos = _mm256_add_epi32(pos, _mm256_and_si256(le, _mm256_set1_epi32(128 >> k)));
    }
    for (int step = 8; step >= 1; step >>= 1) {
      __m256 t = _mm256_i32gather_ps(thresholds, _mm256_add_epi32(pos, _mm256_set1_epi32(step - 1)), 4);
      __m256i le = _mm256_castps_si256(_mm256_cmp_ps(t, v, _CMP_LE_OQ));
      pos = _mm256_add_epi32(pos, _mm256_and_si256(le, _mm256_set1_epi32(step)));
    }
    store8_u8(codes + i, pos);
  }
  blockwise_encode_ref(x + i, n - i, absmax, thresholds, codes + i);
}

void blockwise_decode_avx2(const uint8_t* codes, int64_t n, float absmax, const float* map,
                           float* x) {
  const __m256 am = _mm256_set1_ps(absmax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(x + i, _mm256_mul_ps(map8(map, codes + i), am));
  }
  blockwise_decode_ref(codes + i, n - i, absmax, map, x + i);
}

}  // namespace lowbit

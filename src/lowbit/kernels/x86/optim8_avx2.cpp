// AVX2 fused 8-bit optimizer kernels: per quantization block, one pass decodes the states
// (gather from the map), runs the update and tracks the new absmax, a second encodes through the
// one-gather lookup table. Same IEEE operations in the same order as `_ref`: bit-exact.
// -mfma lets GCC contract a * b + c into one FMA (it does, even in ISO mode); `_ref` is built
// without FMA, so contraction is switched off here to keep every rounding step the same.
#pragma GCC optimize("fp-contract=off")

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "lowbit/kernels/ref/optim8_kernels.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {

inline void store8_u8(uint8_t* out, __m256i v32) {
  __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v32), _mm256_extracti128_si256(v32, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(w, w));
}

inline __m256i load8_u8(const uint8_t* codes) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes)));
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

inline __m256 abs8(__m256 x) {
  return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
}

// The lookup-table encode of optim8_kernels.h for 8 normalised values.
inline __m256i lut_encode8(__m256 v, const uint32_t* lut) {
  const __m256i b = _mm256_castps_si256(v);
  const __m256i a = _mm256_and_si256(b, _mm256_set1_epi32(0x7FFFFFFF));
  const __m256i neg = _mm256_srai_epi32(b, 31);
  __m256i j = _mm256_srli_epi32(a, 16);
  j = _mm256_min_epi32(_mm256_max_epi32(j, _mm256_set1_epi32(kLutFirst)),
                       _mm256_set1_epi32(kLutLast));
  __m256i idx = _mm256_sub_epi32(j, _mm256_set1_epi32(kLutFirst));
  idx = _mm256_add_epi32(idx, _mm256_and_si256(neg, _mm256_set1_epi32(kLutBuckets)));
  const __m256i e = _mm256_i32gather_epi32(reinterpret_cast<const int*>(lut), idx, 4);
  const __m256i low = _mm256_or_si256(_mm256_and_si256(a, _mm256_set1_epi32(0xFFFF)),
                                      _mm256_set1_epi32(0x10000));
  __m256i hit = _mm256_srli_epi32(
      _mm256_sub_epi32(low, _mm256_and_si256(e, _mm256_set1_epi32(0x1FFFF))), 16);
  hit = _mm256_sub_epi32(_mm256_xor_si256(hit, neg), neg);  // -hit for negative values
  const __m256i code = _mm256_add_epi32(_mm256_srli_epi32(e, 17), hit);
  const __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
  return _mm256_andnot_si256(nan, code);
}

inline __m256 decode8(const uint8_t* codes, const float* map, __m256 absmax) {
  return _mm256_mul_ps(_mm256_i32gather_ps(map, load8_u8(codes), 4), absmax);
}

}  // namespace

void q8_encode_avx2(const float* x, int64_t n, float absmax, const Q8Tables& t, uint8_t* codes) {
  const bool zero = !(absmax > 0.0f);
  const __m256 div = _mm256_set1_ps(zero ? 1.0f : absmax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = zero ? _mm256_setzero_ps() : _mm256_div_ps(_mm256_loadu_ps(x + i), div);
    store8_u8(codes + i, lut_encode8(v, t.lut));
  }
  blockwise_encode_ref(x + i, n - i, absmax, t.thresholds, codes + i);
}

void adam8_block_avx2(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Q8Block& m, const Q8Block& v, float* scratch) {
  LB_ASSERT(qblock > 0 && n >= 0);
  const __m256 w1 = _mm256_set1_ps(k.one_minus_beta1), b2 = _mm256_set1_ps(k.beta2);
  const __m256 w2 = _mm256_set1_ps(k.one_minus_beta2), bc = _mm256_set1_ps(k.bias2_sqrt);
  const __m256 eps = _mm256_set1_ps(k.eps), ss = _mm256_set1_ps(k.neg_step_size);
  const __m256 df = _mm256_set1_ps(k.decay_factor), l2 = _mm256_set1_ps(k.l2);
  const bool use_l2 = k.l2 != 0.0f;
  const float* map_m = m.tables->map;
  const float* map_v = v.tables->map;
  float* fm = scratch;
  float* fv = scratch + n;
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = std::min(qblock, n - off);
    const __m256 am_m = _mm256_set1_ps(m.absmax[b]), am_v = _mm256_set1_ps(v.absmax[b]);
    __m256 mx_m = _mm256_setzero_ps(), mx_v = _mm256_setzero_ps();
    int64_t i = off;
    for (; i + 8 <= off + len; i += 8) {
      __m256 mi = decode8(m.codes + i, map_m, am_m);
      __m256 vi = decode8(v.codes + i, map_v, am_v);
      __m256 pi = _mm256_loadu_ps(p + i), gi = _mm256_loadu_ps(g + i);
      if (use_l2)
        gi = _mm256_add_ps(gi, _mm256_mul_ps(l2, pi));
      else
        pi = _mm256_mul_ps(pi, df);
      mi = _mm256_add_ps(mi, _mm256_mul_ps(w1, _mm256_sub_ps(gi, mi)));
      vi = _mm256_add_ps(_mm256_mul_ps(vi, b2), _mm256_mul_ps(_mm256_mul_ps(w2, gi), gi));
      __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc), eps);
      _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(ss, mi), denom)));
      _mm256_storeu_ps(fm + i, mi);
      _mm256_storeu_ps(fv + i, vi);
      mx_m = _mm256_max_ps(abs8(mi), mx_m);  // NaN lanes keep the running max, as fmax does
      mx_v = _mm256_max_ps(abs8(vi), mx_v);
    }
    float a_m = hmax(mx_m), a_v = hmax(mx_v);
    if (const int64_t r = off + len - i; r > 0) {
      blockwise_decode_ref(m.codes + i, r, m.absmax[b], map_m, fm + i);
      blockwise_decode_ref(v.codes + i, r, v.absmax[b], map_v, fv + i);
      adam_update_f32_ref(k, r, p + i, g + i, fm + i, fv + i);
      a_m = std::fmax(a_m, blockwise_absmax_ref(fm + i, r));
      a_v = std::fmax(a_v, blockwise_absmax_ref(fv + i, r));
    }
    m.absmax[b] = a_m;
    v.absmax[b] = a_v;
    q8_encode_avx2(fm + off, len, a_m, *m.tables, m.codes + off);
    q8_encode_avx2(fv + off, len, a_v, *v.tables, v.codes + off);
  }
}

void sgd8_block_avx2(const optim::SgdCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Q8Block& buf, float* scratch) {
  LB_ASSERT(qblock > 0 && n >= 0);
  const __m256 mom = _mm256_set1_ps(k.momentum), l2 = _mm256_set1_ps(k.l2);
  const __m256 nlr = _mm256_set1_ps(k.neg_lr);
  const bool use_l2 = k.l2 != 0.0f;
  const float* map = buf.tables->map;
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = std::min(qblock, n - off);
    const __m256 am = _mm256_set1_ps(buf.absmax[b]);
    __m256 mx = _mm256_setzero_ps();
    int64_t i = off;
    for (; i + 8 <= off + len; i += 8) {
      __m256 bi = decode8(buf.codes + i, map, am);
      __m256 pi = _mm256_loadu_ps(p + i), gi = _mm256_loadu_ps(g + i);
      if (use_l2) gi = _mm256_add_ps(gi, _mm256_mul_ps(l2, pi));
      bi = _mm256_add_ps(_mm256_mul_ps(bi, mom), gi);
      _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_mul_ps(nlr, bi)));
      _mm256_storeu_ps(scratch + i, bi);
      mx = _mm256_max_ps(abs8(bi), mx);
    }
    float a = hmax(mx);
    if (const int64_t r = off + len - i; r > 0) {
      blockwise_decode_ref(buf.codes + i, r, buf.absmax[b], map, scratch + i);
      sgd_update_f32_ref(k, r, p + i, g + i, scratch + i);
      a = std::fmax(a, blockwise_absmax_ref(scratch + i, r));
    }
    buf.absmax[b] = a;
    q8_encode_avx2(scratch + off, len, a, *buf.tables, buf.codes + off);
  }
}

void lion8_block_avx2(const optim::LionCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Q8Block& m, float* scratch) {
  LB_ASSERT(qblock > 0 && n >= 0);
  const __m256 b1 = _mm256_set1_ps(k.beta1), w1 = _mm256_set1_ps(k.one_minus_beta1);
  const __m256 b2 = _mm256_set1_ps(k.beta2), w2 = _mm256_set1_ps(k.one_minus_beta2);
  const __m256 df = _mm256_set1_ps(k.decay_factor), nlr = _mm256_set1_ps(k.neg_lr);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  const float* map = m.tables->map;
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = std::min(qblock, n - off);
    const __m256 am = _mm256_set1_ps(m.absmax[b]);
    __m256 mx = _mm256_setzero_ps();
    int64_t i = off;
    for (; i + 8 <= off + len; i += 8) {
      __m256 mi = decode8(m.codes + i, map, am);
      __m256 gi = _mm256_loadu_ps(g + i);
      __m256 c = _mm256_add_ps(_mm256_mul_ps(mi, b1), _mm256_mul_ps(w1, gi));
      __m256 s = _mm256_sub_ps(_mm256_and_ps(_mm256_cmp_ps(zero, c, _CMP_LT_OQ), one),
                               _mm256_and_ps(_mm256_cmp_ps(c, zero, _CMP_LT_OQ), one));
      __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), df);
      _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_mul_ps(nlr, s)));
      mi = _mm256_add_ps(_mm256_mul_ps(mi, b2), _mm256_mul_ps(w2, gi));
      _mm256_storeu_ps(scratch + i, mi);
      mx = _mm256_max_ps(abs8(mi), mx);
    }
    float a = hmax(mx);
    if (const int64_t r = off + len - i; r > 0) {
      blockwise_decode_ref(m.codes + i, r, m.absmax[b], map, scratch + i);
      lion_update_f32_ref(k, r, p + i, g + i, scratch + i);
      a = std::fmax(a, blockwise_absmax_ref(scratch + i, r));
    }
    m.absmax[b] = a;
    q8_encode_avx2(scratch + off, len, a, *m.tables, m.codes + off);
  }
}

}  // namespace lowbit

// AVX-512 fused 8-bit Adam(W) block: the AVX2 kernel (adam8_avx2.cpp, which explains the method)
// on 16 lanes, with the 16-lane table encode (blockwise_encode_lut_avx512). The same IEEE
// operations in the same order (-ffp-contract=off), so the bits match adam8_block_ref.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {

struct Vk {
  __m512 w1, b2, w2, bc, eps, ss, df, l2;
  explicit Vk(const optim::AdamCoeffs<float>& k)
      : w1(_mm512_set1_ps(k.one_minus_beta1)), b2(_mm512_set1_ps(k.beta2)),
        w2(_mm512_set1_ps(k.one_minus_beta2)), bc(_mm512_set1_ps(k.bias2_sqrt)),
        eps(_mm512_set1_ps(k.eps)), ss(_mm512_set1_ps(k.neg_step_size)),
        df(_mm512_set1_ps(k.decay_factor)), l2(_mm512_set1_ps(k.l2)) {}
};

// 8 slots in the low lanes (a slot index is 0..7).
inline __m512 table8(const float* slots) {
  return _mm512_insertf32x8(_mm512_setzero_ps(), _mm256_loadu_ps(slots), 0);
}

// dynamic_decode_affine for 16 codes, times absmax.
struct AffineV {
  __m512 ah, al, bh, bl;
  __m512i offset, zero_code;
  explicit AffineV(const DynamicAffine& a)
      : ah(table8(a.ah)), al(table8(a.al)), bh(table8(a.bh)), bl(table8(a.bl)),
        offset(_mm512_set1_epi32(a.offset)),
        zero_code(_mm512_set1_epi32(a.zero_code)) {}
};

inline __m512 decode16(const uint8_t* codes, const AffineV& a, __m512 absmax) {
  const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes)));
  const __m512i d = _mm512_sub_epi32(c, a.offset);
  const __m512 uf = _mm512_cvtepi32_ps(_mm512_abs_epi32(d));
  const __m512i ub = _mm512_castps_si512(uf);
  // The exponent's low 3 bits: vpermps read them implicitly, vpermps zmm would read 4.
  const __m512i slot = _mm512_and_si512(_mm512_srli_epi32(ub, 23), _mm512_set1_epi32(7));
  const __m512 kf = _mm512_sub_ps(
      uf, _mm512_castsi512_ps(_mm512_and_si512(ub, _mm512_set1_epi32(int32_t(0xFF800000u)))));
  const __m512 ah = _mm512_permutexvar_ps(slot, a.ah), al = _mm512_permutexvar_ps(slot, a.al);
  const __m512 bh = _mm512_permutexvar_ps(slot, a.bh), bl = _mm512_permutexvar_ps(slot, a.bl);
  const __m512 p = _mm512_mul_ps(bh, kf);
  const __m512 pe = _mm512_fmsub_ps(bh, kf, p);
  const __m512 t = _mm512_fmadd_ps(bl, kf, al);
  const __m512 s = _mm512_add_ps(p, ah), b = _mm512_sub_ps(s, p);
  const __m512 se = _mm512_add_ps(_mm512_sub_ps(p, _mm512_sub_ps(s, b)), _mm512_sub_ps(ah, b));
  __m512 v = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(se, pe), t));
  v = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_castps_si512(v), _mm512_and_si512(d, _mm512_set1_epi32(INT32_MIN))));
  v = _mm512_maskz_mov_ps(_mm512_cmpneq_epi32_mask(c, a.zero_code), v);
  return _mm512_mul_ps(v, absmax);
}

// max over lanes holding no NaN.
inline float hmax(__m512 v) {
  return _mm512_reduce_max_ps(v);
}

template <bool kL2>
void block(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p, const float* g,
           const Blockwise8Span& m, const Blockwise8Span& v) {
  alignas(64) float sm[kAdam8MaxBlock], sv[kAdam8MaxBlock];
  const Vk c(k);
  const AffineV dm(*m.t->affine), dv(*v.t->affine);
  const float *map_m = m.t->map, *map_v = v.t->map;
  
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = qblock < n - off ? qblock : n - off;
    const __m512 am = _mm512_set1_ps(m.absmax[b]), av = _mm512_set1_ps(v.absmax[b]);
    __m512 mx_m = _mm512_setzero_ps(), mx_v = _mm512_setzero_ps();
    float* pb = p + off;
    const float* gb = g + off;
    int64_t i = 0;
    for (; i + 16 <= len; i += 16) {
      __m512 mi = decode16(m.codes + off + i, dm, am);
      __m512 vi = decode16(v.codes + off + i, dv, av);
      __m512 pi = _mm512_loadu_ps(pb + i), gi = _mm512_loadu_ps(gb + i);
      if constexpr (kL2)
        gi = _mm512_add_ps(gi, _mm512_mul_ps(c.l2, pi));
      else
        pi = _mm512_mul_ps(pi, c.df);
      mi = _mm512_add_ps(mi, _mm512_mul_ps(c.w1, _mm512_sub_ps(gi, mi)));
      vi = _mm512_add_ps(_mm512_mul_ps(vi, c.b2), _mm512_mul_ps(_mm512_mul_ps(c.w2, gi), gi));
      __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), c.bc), c.eps);
      pi = _mm512_add_ps(pi, _mm512_div_ps(_mm512_mul_ps(c.ss, mi), denom));
      _mm512_storeu_ps(pb + i, pi);
      _mm512_store_ps(sm + i, mi);
      _mm512_store_ps(sv + i, vi);
      mx_m = _mm512_max_ps(_mm512_abs_ps(mi), mx_m);  // NaN skipped, as fmax
      mx_v = _mm512_max_ps(_mm512_abs_ps(vi), mx_v);
    }
    float new_m = hmax(mx_m), new_v = hmax(mx_v);
    if (i < len) {  // tail: the reference arithmetic on the last len - i elements
      blockwise_decode_ref(m.codes + off + i, len - i, m.absmax[b], map_m, sm + i);
      blockwise_decode_ref(v.codes + off + i, len - i, v.absmax[b], map_v, sv + i);
      adam_update_block_f32(k, len - i, pb + i, gb + i, sm + i, sv + i);
      const float tm = blockwise_absmax_ref(sm + i, len - i), tv = blockwise_absmax_ref(sv + i, len - i);
      new_m = tm > new_m ? tm : new_m;  // fmax: neither is NaN
      new_v = tv > new_v ? tv : new_v;
    }
    m.absmax[b] = new_m;
    v.absmax[b] = new_v;
    blockwise_encode_lut_avx512(sm, len, new_m, *m.t, m.codes + off);
    blockwise_encode_lut_avx512(sv, len, new_v, *v.t, v.codes + off);
  }
}

}  // namespace

void adam8_block_avx512(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  LB_ASSERT(n > 0 && n <= kAdam8MaxBlock && qblock > 0 && kAdam8MaxBlock % qblock == 0);
  if (k.l2 != 0.0f)
    block<true>(k, n, qblock, p, g, m, v);
  else
    block<false>(k, n, qblock, p, g, m, v);
}

}  // namespace lowbit

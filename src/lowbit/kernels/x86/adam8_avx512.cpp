// AVX-512 fused 8-bit Adam(W) block: the AVX2 kernel (adam8_avx2.cpp, which explains the method)
// on 16 lanes, with the 16-lane table encode (blockwise_lut_avx512.h). The same IEEE
// operations in the same order (-ffp-contract=off), so the bits match adam8_block_ref.
// Two variants. One decodes through the map's decade lines (no table load: gathers are slow on
// Zen 4/5 and on Intel cores under the GDS microcode mitigation). The other, registered under
// Isa::amx as a marker of Sapphire Rapids and later cores (fast gathers, no GDS mitigation; a
// VM that withholds the tile state just gets the first), gathers map[code], since there the
// lines' vector work competes with the update's divisions for ports 0 and 5; it also splits
// those divisions into ymm halves. Both encode the two states in one prefetching loop. What
// each gave: docs/DESIGN.md, 8-bit optimizer state.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/blockwise_lut_avx512.h"
#include "lowbit/kernels/x86/dynamic_decode_avx512.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

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

// map[code] * absmax for 16 codes, through one gather.
inline __m512 gather_decode16(const uint8_t* codes, const float* map, __m512 absmax) {
  const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes)));
  return _mm512_mul_ps(_mm512_i32gather_ps(c, map, 4), absmax);
}

// a / b, with kHalves as two ymm divisions (a zmm VDIVPS is three uops on Sapphire Rapids, a ymm
// one one), the same correctly rounded bits.
template <bool kHalves>
inline __m512 div_ps(__m512 a, __m512 b) {
  if constexpr (!kHalves) return _mm512_div_ps(a, b);
  const __m256 lo = _mm256_div_ps(_mm512_castps512_ps256(a), _mm512_castps512_ps256(b));
  const __m256 hi = _mm256_div_ps(_mm512_extractf32x8_ps(a, 1), _mm512_extractf32x8_ps(b, 1));
  return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
}

// The new codes of both states (blockwise_encode_lut_avx512's arithmetic, 16 of each per step)
// for absmaxes am and av, prefetching the len values after this quantization block (p, g and
// both code arrays): the memory streams would otherwise idle while this phase runs from L1.
// kSM, kNM / kSV, kNV: the two tables' lookup kinds (with_lut_kind).
template <int kSM, bool kNM, int kSV, bool kNV>
void encode_both(const float* sm, const float* sv, int64_t len, float am, float av,
                 const Blockwise8Span& m, const Blockwise8Span& v, int64_t off, const float* pb,
                 const float* gb) {
  const LutQuotient qm(am), qv(av);
  uint8_t *cm = m.codes + off, *cv = v.codes + off;
  const uint32_t *lut_m = m.t->lut, *lut_v = v.t->lut;  // not reloaded after each code store
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) {
    prefetch_after(pb, 4 * (len + i));
    prefetch_after(gb, 4 * (len + i));
    if ((i & 63) == 0) {
      prefetch_after(cm, len + i);
      prefetch_after(cv, len + i);
    }
    store_codes16(cm + i, lut_encode16<kSM, kNM>(qm(sm + i), lut_m));
    store_codes16(cv + i, lut_encode16<kSV, kNV>(qv(sv + i), lut_v));
  }
  blockwise_encode_ref(sm + i, len - i, am, m.t->thresholds, cm + i);
  blockwise_encode_ref(sv + i, len - i, av, v.t->thresholds, cv + i);
}

using EncodeBothFn = void (*)(const float*, const float*, int64_t, float, float,
                              const Blockwise8Span&, const Blockwise8Span&, int64_t, const float*,
                              const float*);

// The encode_both instance for the two states' tables, picked once per call (a lambda that
// captured the block's locals would keep them out of registers).
EncodeBothFn encode_both_for(const DynamicTables& tm, const DynamicTables& tv) {
  return with_lut_kind(tm, [&tv]<int kSM, bool kNM>() {
    return with_lut_kind(tv, []<int kSV, bool kNV>() -> EncodeBothFn {
      return &encode_both<kSM, kNM, kSV, kNV>;
    });
  });
}

// max over lanes holding no NaN.
inline float hmax(__m512 v) {
  return _mm512_reduce_max_ps(v);
}

template <bool kL2, bool kGather>
void block(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p, const float* g,
           const Blockwise8Span& m, const Blockwise8Span& v) {
  alignas(64) float sm[kAdam8MaxBlock], sv[kAdam8MaxBlock];
  const Vk c(k);
  const AffineV dm(*m.t->affine), dv(*v.t->affine);
  const EncodeBothFn encode = encode_both_for(*m.t, *v.t);
  const float *map_m = m.t->map, *map_v = v.t->map;
  
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = qblock < n - off ? qblock : n - off;
    const __m512 am = _mm512_set1_ps(m.absmax[b]), av = _mm512_set1_ps(v.absmax[b]);
    __m512 mx_m = _mm512_setzero_ps(), mx_v = _mm512_setzero_ps();
    float* pb = p + off;
    const float* gb = g + off;
    int64_t i = 0;
    for (; i + 16 <= len; i += 16) {
      __m512 mi, vi;
      if constexpr (kGather) {
        mi = gather_decode16(m.codes + off + i, map_m, am);
        vi = gather_decode16(v.codes + off + i, map_v, av);
      } else {
        mi = decode16(m.codes + off + i, dm, am);
        vi = decode16(v.codes + off + i, dv, av);
      }
      __m512 pi = _mm512_loadu_ps(pb + i), gi = _mm512_loadu_ps(gb + i);
      if constexpr (kL2)
        gi = _mm512_add_ps(gi, _mm512_mul_ps(c.l2, pi));
      else
        pi = _mm512_mul_ps(pi, c.df);
      mi = _mm512_add_ps(mi, _mm512_mul_ps(c.w1, _mm512_sub_ps(gi, mi)));
      vi = _mm512_add_ps(_mm512_mul_ps(vi, c.b2), _mm512_mul_ps(_mm512_mul_ps(c.w2, gi), gi));
      __m512 denom = _mm512_add_ps(div_ps<kGather>(_mm512_sqrt_ps(vi), c.bc), c.eps);
      pi = _mm512_add_ps(pi, div_ps<kGather>(_mm512_mul_ps(c.ss, mi), denom));
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
    encode(sm, sv, len, new_m, new_v, m, v, off, pb, gb);
  }
}

template <bool kGather>
void dispatch(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
              const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  LB_ASSERT(n > 0 && n <= kAdam8MaxBlock && qblock > 0 && kAdam8MaxBlock % qblock == 0);
  if (k.l2 != 0.0f)
    block<true, kGather>(k, n, qblock, p, g, m, v);
  else
    block<false, kGather>(k, n, qblock, p, g, m, v);
}

}  // namespace

void adam8_block_avx512(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                        const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  dispatch<false>(k, n, qblock, p, g, m, v);
}

void adam8_block_avx512_gather(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock,
                               float* p, const float* g, const Blockwise8Span& m,
                               const Blockwise8Span& v) {
  dispatch<true>(k, n, qblock, p, g, m, v);
}

}  // namespace lowbit

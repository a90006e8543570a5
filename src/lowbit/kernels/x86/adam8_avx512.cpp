// AVX-512 fused 8-bit Adam(W): the AVX2 kernel (adam8_avx2.cpp, which explains the method) on 16
// lanes, with the 16-lane table encode (blockwise_lut_avx512.h). The same IEEE operations in the
// same order (-ffp-contract=off), so the bits match adam8_block_ref.
// The loop is software-pipelined over quantization blocks: the update of block b (decode, Adam,
// the new states into the scratch, their absmax) runs in one loop with the encode of block b - 1,
// whose absmax is known by then and whose states the scratch still holds at each index until b's
// overwrite them. The update is bound by the divider (the sqrt and two divisions), the encode by
// the table gathers and integer work: in one loop they share the cores' ports.
// Two variants. One decodes through the map's decade lines (no table load: gathers are slow on
// Zen 4/5 and on Intel cores under the GDS microcode mitigation). The other, registered under
// Isa::amx as a marker of Sapphire Rapids and later cores (fast gathers, no GDS mitigation; a
// VM that withholds the tile state just gets the first), gathers map[code], since there the
// lines' vector work competes with the update's divisions for ports 0 and 5; it also splits
// those divisions into ymm halves. What each gave: docs/DESIGN.md, 8-bit optimizer state.
#include <immintrin.h>

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

// A quantization block's new states, in the scratch, waiting for their encode.
struct Pending {
  int64_t off = 0, len = 0;
  float am = 0.0f, av = 0.0f;
};

// The encode of a pending block's two states, 16 values of each per call.
template <int kSM, bool kNM, int kSV, bool kNV>
struct EncodeBoth {
  LutEncode16<kSM, kNM> em;
  LutEncode16<kSV, kNV> ev;
  uint8_t *cm, *cv;
  EncodeBoth(const Pending& q, const Blockwise8Span& m, const Blockwise8Span& v)
      : em(q.am, *m.t), ev(q.av, *v.t), cm(m.codes + q.off), cv(v.codes + q.off) {}
  void operator()(const float* sm, const float* sv, int64_t i) const {
    store_codes16(cm + i, em(sm + i));
    store_codes16(cv + i, ev(sv + i));
  }
  // Indices [from, len) of the pending block: vectors, then the reference on the tail.
  void finish(const float* sm, const float* sv, int64_t from, const Pending& q,
              const Blockwise8Span& m, const Blockwise8Span& v) const {
    int64_t i = from;
    for (; i + 16 <= q.len; i += 16) (*this)(sm, sv, i);
    if (i < q.len) {
      blockwise_encode_ref(sm + i, q.len - i, q.am, m.t->thresholds, cm + i);
      blockwise_encode_ref(sv + i, q.len - i, q.av, v.t->thresholds, cv + i);
    }
  }
};

// One block's update loop state: its coefficients, decode tables, old absmaxes and the running
// absmax of the new states.
template <bool kL2, bool kGather>
struct Update16 {
  const Vk& c;
  const AffineV &dm, &dv;
  const float *map_m, *map_v;
  __m512 am, av, mx_m = _mm512_setzero_ps(), mx_v = _mm512_setzero_ps();

  // Elements [i, i + 16) of the block at p, g, codes cm and cv; len: the block's length, for
  // the prefetch of the next block's p, g and codes.
  inline __attribute__((always_inline)) void operator()(int64_t i, int64_t len, float* p,
                                                         const float* g, const uint8_t* cm,
                                                         const uint8_t* cv, float* sm, float* sv) {
    __m512 mi, vi;
    if constexpr (kGather) {
      mi = gather_decode16(cm + i, map_m, am);
      vi = gather_decode16(cv + i, map_v, av);
    } else {
      mi = decode16(cm + i, dm, am);
      vi = decode16(cv + i, dv, av);
    }
    prefetch_after(p, 4 * (len + i));
    prefetch_after(g, 4 * (len + i));
    if ((i & 63) == 0) {
      prefetch_after(cm, len + i);
      prefetch_after(cv, len + i);
    }
    __m512 pi = _mm512_loadu_ps(p + i), gi = _mm512_loadu_ps(g + i);
    if constexpr (kL2)
      gi = _mm512_add_ps(gi, _mm512_mul_ps(c.l2, pi));
    else
      pi = _mm512_mul_ps(pi, c.df);
    mi = _mm512_add_ps(mi, _mm512_mul_ps(c.w1, _mm512_sub_ps(gi, mi)));
    vi = _mm512_add_ps(_mm512_mul_ps(vi, c.b2), _mm512_mul_ps(_mm512_mul_ps(c.w2, gi), gi));
    __m512 denom = _mm512_add_ps(div_ps<kGather>(_mm512_sqrt_ps(vi), c.bc), c.eps);
    pi = _mm512_add_ps(pi, div_ps<kGather>(_mm512_mul_ps(c.ss, mi), denom));
    _mm512_storeu_ps(p + i, pi);
    _mm512_store_ps(sm + i, mi);
    _mm512_store_ps(sv + i, vi);
    mx_m = _mm512_max_ps(_mm512_abs_ps(mi), mx_m);  // NaN skipped, as fmax
    mx_v = _mm512_max_ps(_mm512_abs_ps(vi), mx_v);
  }
};

template <bool kL2, bool kGather, int kSM, bool kNM, int kSV, bool kNV>
void run(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p, const float* g,
         const Blockwise8Span& m, const Blockwise8Span& v) {
  alignas(64) float sm[kAdam8MaxBlock], sv[kAdam8MaxBlock];
  const Vk c(k);
  const AffineV dm(*m.t->affine), dv(*v.t->affine);
  using Encode = EncodeBoth<kSM, kNM, kSV, kNV>;
  Pending prev;  // len 0: none
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = qblock < n - off ? qblock : n - off, vec = len & ~int64_t{15};
    const Encode enc(prev, m, v);
    Update16<kL2, kGather> up{c, dm, dv, m.t->map, v.t->map, _mm512_set1_ps(m.absmax[b]),
                              _mm512_set1_ps(v.absmax[b])};
    float* pb = p + off;
    const float* gb = g + off;
    const uint8_t *cm = m.codes + off, *cv = v.codes + off;
    // The previous block is whole (only the last may be short): both run over [0, both).
    const int64_t both = vec < prev.len ? vec : prev.len & ~int64_t{15};
    int64_t i = 0;
    for (; i < both; i += 16) {
      enc(sm, sv, i);  // reads index i of the scratch before the update overwrites it
      up(i, len, pb, gb, cm, cv, sm, sv);
    }
    if (prev.len > 0) enc.finish(sm, sv, i, prev, m, v);
    for (; i < vec; i += 16) up(i, len, pb, gb, cm, cv, sm, sv);
    float new_m = _mm512_reduce_max_ps(up.mx_m), new_v = _mm512_reduce_max_ps(up.mx_v);
    if (i < len) {  // tail: the reference arithmetic on the last len - i elements
      blockwise_decode_ref(cm + i, len - i, m.absmax[b], m.t->map, sm + i);
      blockwise_decode_ref(cv + i, len - i, v.absmax[b], v.t->map, sv + i);
      adam_update_block_f32(k, len - i, pb + i, gb + i, sm + i, sv + i);
      const float tm = blockwise_absmax_ref(sm + i, len - i), tv = blockwise_absmax_ref(sv + i, len - i);
      new_m = tm > new_m ? tm : new_m;  // fmax: neither is NaN
      new_v = tv > new_v ? tv : new_v;
    }
    m.absmax[b] = new_m;
    v.absmax[b] = new_v;
    prev = {off, len, new_m, new_v};
  }
  Encode(prev, m, v).finish(sm, sv, 0, prev, m, v);
}

// The two maps' lookup kinds (EachMapHasItsLookupKind), as with_lut_kind.
template <bool kL2, bool kGather>
void run_for_tables(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                    const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  with_lut_kind(*m.t, [&]<int kSM, bool kNM>() {
    with_lut_kind(*v.t, [&]<int kSV, bool kNV>() {
      run<kL2, kGather, kSM, kNM, kSV, kNV>(k, n, qblock, p, g, m, v);
    });
  });
}

template <bool kGather>
void dispatch(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
              const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  LB_ASSERT(n > 0 && qblock > 0 && kAdam8MaxBlock % qblock == 0);
  if (k.l2 != 0.0f)
    run_for_tables<true, kGather>(k, n, qblock, p, g, m, v);
  else
    run_for_tables<false, kGather>(k, n, qblock, p, g, m, v);
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

// The AVX-512 fused 8-bit Adam(W) loop, shared by adam8_avx512.cpp and adam8_avx512vbmi.cpp,
// which differ in how they decode the old codes (a Decoder: kLanes codes of each state per call,
// kLanes 16 or 64, and decode16 for the rest). The AVX2 kernel (adam8_avx2.cpp) explains the
// method; these are the same IEEE operations in the same order (-ffp-contract=off), so the bits
// match adam8_block_ref.
// Software-pipelined over quantization blocks: the update of block b (decode, Adam, the new
// states into the scratch, their absmax) runs in one loop with the encode of block b - 1, whose
// absmax is known by then and whose states the scratch still holds at each index until b's
// overwrite them. The update is bound by the divider (the sqrt and two divisions, as ymm halves:
// a zmm VDIVPS is three uops on Sapphire Rapids, a ymm one one), the encode by its table
// gathers and integer work; in one loop they share the ports. The update prefetches the next
// block's p, g and codes, so the prefetches have a whole block's time to arrive.
// Include only from files built with -mavx512f; internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/blockwise_lut_avx512.h"
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

// a / b as two ymm divisions: the same correctly rounded bits.
inline __m512 div_halves(__m512 a, __m512 b) {
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
  Pending q;
  const Blockwise8Span &m, &v;
  LutEncode16<kSM, kNM> em;
  LutEncode16<kSV, kNV> ev;
  uint8_t *cm, *cv;
  EncodeBoth(const Pending& q, const Blockwise8Span& m, const Blockwise8Span& v)
      : q(q), m(m), v(v), em(q.am, *m.t), ev(q.av, *v.t), cm(m.codes + q.off),
        cv(v.codes + q.off) {}
  void operator()(const float* sm, const float* sv, int64_t i) const {
    store_codes16(cm + i, em(sm + i));
    store_codes16(cv + i, ev(sv + i));
  }
  // Indices [from, len) of the pending block: vectors, then the reference on the tail.
  void finish(const float* sm, const float* sv, int64_t from) const {
    int64_t i = from;
    for (; i + 16 <= q.len; i += 16) (*this)(sm, sv, i);
    if (i < q.len) {
      blockwise_encode_ref(sm + i, q.len - i, q.am, m.t->thresholds, cm + i);
      blockwise_encode_ref(sv + i, q.len - i, q.av, v.t->thresholds, cv + i);
    }
  }
};

// One block's update: p, g and the codes at the block, the scratch, and the running absmax of
// the new states.
template <bool kL2>
struct BlockUpdate {
  const Vk& c;
  float* p;
  const float* g;
  const uint8_t *cm, *cv;
  int64_t len;
  float *sm, *sv;
  __m512 mx_m = _mm512_setzero_ps(), mx_v = _mm512_setzero_ps();

  // Elements [i, i + 16), whose old states decoded are mi and vi.
  inline __attribute__((always_inline)) void operator()(int64_t i, __m512 mi, __m512 vi) {
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
    __m512 denom = _mm512_add_ps(div_halves(_mm512_sqrt_ps(vi), c.bc), c.eps);
    pi = _mm512_add_ps(pi, div_halves(_mm512_mul_ps(c.ss, mi), denom));
    _mm512_storeu_ps(p + i, pi);
    _mm512_store_ps(sm + i, mi);
    _mm512_store_ps(sv + i, vi);
    mx_m = _mm512_max_ps(_mm512_abs_ps(mi), mx_m);  // NaN skipped, as fmax
    mx_v = _mm512_max_ps(_mm512_abs_ps(vi), mx_v);
  }
};

// Updates [i, end) of a block (end a multiple of 16), each group of 16 after the pending
// block's encode of the same indices when enc is given; returns end.
template <class Decoder, bool kL2, class Encode>
inline __attribute__((always_inline)) int64_t update_span(
    int64_t i, int64_t end, const Decoder& dec, __m512 am, __m512 av, BlockUpdate<kL2>& up,
    const Encode* enc) {
  constexpr int kLanes = Decoder::kLanes;
  __m512 mi[kLanes / 16], vi[kLanes / 16];
  for (; i + kLanes <= end; i += kLanes) {
    dec.decode(up.cm + i, up.cv + i, am, av, mi, vi);
#pragma GCC unroll 4
    for (int q = 0; q < kLanes / 16; ++q) {
      if (enc) (*enc)(up.sm, up.sv, i + 16 * q);  // reads the scratch before the update writes
      up(i + 16 * q, mi[q], vi[q]);
    }
  }
  for (; i < end; i += 16) {
    dec.decode16(up.cm + i, up.cv + i, am, av, mi, vi);
    if (enc) (*enc)(up.sm, up.sv, i);
    up(i, mi[0], vi[0]);
  }
  return i;
}

template <class Decoder, bool kL2, int kSM, bool kNM, int kSV, bool kNV>
void adam8_pipeline(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                    const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  alignas(64) float sm[kAdam8MaxBlock], sv[kAdam8MaxBlock];
  const Vk c(k);
  const Decoder dec(m, v);
  using Encode = EncodeBoth<kSM, kNM, kSV, kNV>;
  Pending prev;  // len 0: none
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = qblock < n - off ? qblock : n - off, vec = len & ~int64_t{15};
    const __m512 am = _mm512_set1_ps(m.absmax[b]), av = _mm512_set1_ps(v.absmax[b]);
    const Encode enc(prev, m, v);
    BlockUpdate<kL2> up{c, p + off, g + off, m.codes + off, v.codes + off, len, sm, sv};
    // The previous block is whole (only the last may be short): both run over [0, both).
    const int64_t both = vec < prev.len ? vec : prev.len & ~int64_t{15};
    int64_t i = update_span(0, both, dec, am, av, up, &enc);
    if (prev.len > 0) enc.finish(sm, sv, i);
    i = update_span(i, vec, dec, am, av, up, static_cast<const Encode*>(nullptr));
    float new_m = _mm512_reduce_max_ps(up.mx_m), new_v = _mm512_reduce_max_ps(up.mx_v);
    if (i < len) {  // tail: the reference arithmetic on the last len - i elements
      blockwise_decode_ref(up.cm + i, len - i, m.absmax[b], m.t->map, sm + i);
      blockwise_decode_ref(up.cv + i, len - i, v.absmax[b], v.t->map, sv + i);
      adam_update_block_f32(k, len - i, up.p + i, up.g + i, sm + i, sv + i);
      const float tm = blockwise_absmax_ref(sm + i, len - i), tv = blockwise_absmax_ref(sv + i, len - i);
      new_m = tm > new_m ? tm : new_m;  // fmax: neither is NaN
      new_v = tv > new_v ? tv : new_v;
    }
    m.absmax[b] = new_m;
    v.absmax[b] = new_v;
    prev = {off, len, new_m, new_v};
  }
  Encode(prev, m, v).finish(sm, sv, 0);
}

// adam8_pipeline for the coefficients' decay style and the two maps' lookup kinds.
template <class Decoder>
void adam8_pipeline_for(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                        const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  LB_ASSERT(n > 0 && qblock > 0 && kAdam8MaxBlock % qblock == 0);
  with_lut_kind(*m.t, [&]<int kSM, bool kNM>() {
    with_lut_kind(*v.t, [&]<int kSV, bool kNV>() {
      if (k.l2 != 0.0f)
        adam8_pipeline<Decoder, true, kSM, kNM, kSV, kNV>(k, n, qblock, p, g, m, v);
      else
        adam8_pipeline<Decoder, false, kSM, kNM, kSV, kNV>(k, n, qblock, p, g, m, v);
    });
  });
}

}  // namespace
}  // namespace lowbit

// AVX2 fused 8-bit Adam(W) block. Per quantization block: one pass decodes m and v into an L1
// scratch (blockwise_decode_avx2: map[code] * absmax, eight scalar map loads per 8 codes), a
// second does update_math.h's arithmetic on it (the same IEEE operations in the same order; this
// file is built with -ffp-contract=off), stores p and the new m and v, keeps their absmax in
// registers and prefetches the next block's p, g and codes, and a third encodes the scratch
// through the lookup table (blockwise_encode_lut_l1_avx2). Against the decade-line decode
// (DynamicAffine, ~22 vector operations per 8 codes) and without the prefetch, the step ran ~1.6x
// slower on Zen 3 (docs/RESULTS.md, "Zen 3 (AVX2), third session"). Tried and dropped there: the
// AVX-512 kernel's software pipeline (the encode of block b - 1 in the update loop of block b),
// no faster, since one loop holding ~180 instructions per 8 values spills; and, earlier, the
// decade-line decode in the update loop (its dependency chain with the update's sqrt and two
// divisions left the out-of-order window short of independent work).
#include <immintrin.h>

#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

struct Vk {
  __m256 w1, b2, w2, bc, eps, ss, df, l2;
  explicit Vk(const optim::AdamCoeffs<float>& k)
      : w1(_mm256_set1_ps(k.one_minus_beta1)), b2(_mm256_set1_ps(k.beta2)),
        w2(_mm256_set1_ps(k.one_minus_beta2)), bc(_mm256_set1_ps(k.bias2_sqrt)),
        eps(_mm256_set1_ps(k.eps)), ss(_mm256_set1_ps(k.neg_step_size)),
        df(_mm256_set1_ps(k.decay_factor)), l2(_mm256_set1_ps(k.l2)) {}
};

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

template <bool kL2>
void block(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p, const float* g,
           const Blockwise8Span& m, const Blockwise8Span& v) {
  alignas(64) float sm[kAdam8MaxBlock], sv[kAdam8MaxBlock];
  const Vk c(k);
  const float *map_m = m.t->map, *map_v = v.t->map;
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    const int64_t len = qblock < n - off ? qblock : n - off;
    __m256 mx_m = _mm256_setzero_ps(), mx_v = _mm256_setzero_ps();
    float* pb = p + off;
    const float* gb = g + off;
    blockwise_decode_avx2(m.codes + off, len, m.absmax[b], map_m, sm);
    blockwise_decode_avx2(v.codes + off, len, v.absmax[b], map_v, sv);
    int64_t i = 0;
    for (; i + 8 <= len; i += 8) {
      // The next block's p, g and codes, while this one's update has the divider busy.
      if (i % 16 == 0) {
        prefetch_after(pb, 4 * (len + i));
        prefetch_after(gb, 4 * (len + i));
      }
      if (i % 64 == 0) {
        prefetch_after(m.codes + off, len + i);
        prefetch_after(v.codes + off, len + i);
      }
      __m256 mi = _mm256_load_ps(sm + i), vi = _mm256_load_ps(sv + i);
      __m256 pi = _mm256_loadu_ps(pb + i), gi = _mm256_loadu_ps(gb + i);
      if constexpr (kL2)
        gi = _mm256_add_ps(gi, _mm256_mul_ps(c.l2, pi));
      else
        pi = _mm256_mul_ps(pi, c.df);
      mi = _mm256_add_ps(mi, _mm256_mul_ps(c.w1, _mm256_sub_ps(gi, mi)));
      vi = _mm256_add_ps(_mm256_mul_ps(vi, c.b2), _mm256_mul_ps(_mm256_mul_ps(c.w2, gi), gi));
      __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), c.bc), c.eps);
      pi = _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(c.ss, mi), denom));
      _mm256_storeu_ps(pb + i, pi);
      _mm256_store_ps(sm + i, mi);
      _mm256_store_ps(sv + i, vi);
      mx_m = _mm256_max_ps(_mm256_and_ps(mi, abs_mask), mx_m);  // NaN skipped, as fmax
      mx_v = _mm256_max_ps(_mm256_and_ps(vi, abs_mask), mx_v);
    }
    float new_m = hmax(mx_m), new_v = hmax(mx_v);
    if (i < len) {  // tail: the reference arithmetic on the last len - i elements
      adam_update_block_f32(k, len - i, pb + i, gb + i, sm + i, sv + i);
      const float tm = blockwise_absmax_ref(sm + i, len - i), tv = blockwise_absmax_ref(sv + i, len - i);
      new_m = tm > new_m ? tm : new_m;  // fmax: neither is NaN
      new_v = tv > new_v ? tv : new_v;
    }
    m.absmax[b] = new_m;
    v.absmax[b] = new_v;
    blockwise_encode_lut_l1_avx2(sm, len, new_m, *m.t, m.codes + off);
    blockwise_encode_lut_l1_avx2(sv, len, new_v, *v.t, v.codes + off);
  }
}

}  // namespace

void adam8_block_avx2(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Blockwise8Span& m, const Blockwise8Span& v) {
  LB_ASSERT(n > 0 && qblock > 0 && kAdam8MaxBlock % qblock == 0);
  if (k.l2 != 0.0f)
    block<true>(k, n, qblock, p, g, m, v);
  else
    block<false>(k, n, qblock, p, g, m, v);
}

}  // namespace lowbit

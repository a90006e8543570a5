// AVX-512 fused 8-bit Adam(W) with VBMI (Ice Lake, Zen 4 and later): the shared pipelined loop
// (adam8_pipeline_avx512.h) decoding 64 old codes at a time through the map's four byte planes
// (DynamicTables::planes): two VPERMT2B over 128 entries and one blend per plane, then byte
// and word unpacks back to floats, exactly map[code]. About 5 vector uops per 16 codes and no
// gather: the table encode keeps the load ports and the decade lines' ~25 uops are gone.
#include <immintrin.h>

#include "lowbit/kernels/x86/adam8_pipeline_avx512.h"

namespace lowbit {

namespace {

// The byte shuffle that makes the unpacks give codes in order: after the four planes' bytes are
// interleaved by unpacklo/hi_epi8 and then epi16 within each 128-bit lane, float q of lane L of
// result r is the code at position 16 L + 4 r + q, so that position holds code 16 r + 4 L + q.
alignas(64) constexpr uint8_t kPlaneOrder[64] = {
#define LB_ORDER(L, r) 16 * r + 4 * L, 16 * r + 4 * L + 1, 16 * r + 4 * L + 2, 16 * r + 4 * L + 3
    LB_ORDER(0, 0), LB_ORDER(0, 1), LB_ORDER(0, 2), LB_ORDER(0, 3),
    LB_ORDER(1, 0), LB_ORDER(1, 1), LB_ORDER(1, 2), LB_ORDER(1, 3),
    LB_ORDER(2, 0), LB_ORDER(2, 1), LB_ORDER(2, 2), LB_ORDER(2, 3),
    LB_ORDER(3, 0), LB_ORDER(3, 1), LB_ORDER(3, 2), LB_ORDER(3, 3)};
#undef LB_ORDER

// map[code] * absmax for the 64 codes in c (only the first 16 when the rest are padding: they
// land in out[0] alone).
inline void decode64(__m512i c, const uint8_t* planes, __m512 absmax, __m512* out) {
  c = _mm512_permutexvar_epi8(_mm512_load_si512(kPlaneOrder), c);
  const __mmask64 upper = _mm512_movepi8_mask(c);  // code >= 128: the planes' second half
  __m512i r[4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const uint8_t* pk = planes + 256 * k;
    const __m512i lo =
        _mm512_permutex2var_epi8(_mm512_load_si512(pk), c, _mm512_load_si512(pk + 64));
    const __m512i hi =
        _mm512_permutex2var_epi8(_mm512_load_si512(pk + 128), c, _mm512_load_si512(pk + 192));
    r[k] = _mm512_mask_blend_epi8(upper, lo, hi);
  }
  const __m512i b01l = _mm512_unpacklo_epi8(r[0], r[1]), b01h = _mm512_unpackhi_epi8(r[0], r[1]);
  const __m512i b23l = _mm512_unpacklo_epi8(r[2], r[3]), b23h = _mm512_unpackhi_epi8(r[2], r[3]);
  const __m512i f[4] = {_mm512_unpacklo_epi16(b01l, b23l), _mm512_unpackhi_epi16(b01l, b23l),
                        _mm512_unpacklo_epi16(b01h, b23h), _mm512_unpackhi_epi16(b01h, b23h)};
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) out[q] = _mm512_mul_ps(_mm512_castsi512_ps(f[q]), absmax);
}

struct PlaneDecoder {
  static constexpr int kLanes = 64;
  const uint8_t *pm, *pv;
  PlaneDecoder(const Blockwise8Span& m, const Blockwise8Span& v)
      : pm(m.t->planes), pv(v.t->planes) {}
  void decode(const uint8_t* cm, const uint8_t* cv, __m512 am, __m512 av, __m512* mi,
              __m512* vi) const {
    decode64(_mm512_loadu_si512(cm), pm, am, mi);
    decode64(_mm512_loadu_si512(cv), pv, av, vi);
  }
  void decode16(const uint8_t* cm, const uint8_t* cv, __m512 am, __m512 av, __m512* mi,
                __m512* vi) const {
    __m512 m4[4], v4[4];
    decode64(_mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(cm))), pm,
             am, m4);
    decode64(_mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(cv))), pv,
             av, v4);
    mi[0] = m4[0];
    vi[0] = v4[0];
  }
};

}  // namespace

void adam8_block_avx512vbmi(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock,
                            float* p, const float* g, const Blockwise8Span& m,
                            const Blockwise8Span& v) {
  adam8_pipeline_for<PlaneDecoder>(k, n, qblock, p, g, m, v);
}

}  // namespace lowbit

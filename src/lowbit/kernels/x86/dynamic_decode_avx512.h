// dynamic_decode_affine (blockwise_lut.h) on 16 codes with AVX-512: the map value of each code
// from its decade's line through four permutes and a double-float evaluation, no table gather,
// times absmax: bit for bit map[code] * absmax. Include only from files built with -mavx512f;
// internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/ref/blockwise_lut.h"

namespace lowbit {
namespace {

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

}  // namespace
}  // namespace lowbit

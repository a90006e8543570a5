// AVX-512 block-wise dynamic 8-bit codec without the AVX2 variant's gathers (slower than the
// scalar table loop on Zen 5): absmax 32 values a step; for the two dynamic maps, the
// nearest-code encode through the lookup table (blockwise_encode_lut_avx512) and the decode
// through the map's decade lines (dynamic_decode_avx512.h); any other map or threshold table goes
// to the AVX2 entries. Every result is bit for bit the `_ref` one.
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/dynamic_decode_avx512.h"

namespace lowbit {

namespace {

// The dynamic map whose values (or thresholds) `p` is, or null.
const DynamicTables* tables_of(const float* p) {
  const DynamicTables& s = dynamic_tables(DynamicMap::signed_map);
  const DynamicTables& u = dynamic_tables(DynamicMap::unsigned_map);
  if (p == s.map || p == s.thresholds) return &s;
  if (p == u.map || p == u.thresholds) return &u;
  return nullptr;
}

}  // namespace

float blockwise_absmax_avx512(const float* x, int64_t n) {
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(x + i), abs_mask), m0);  // NaN skipped
    m1 = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(x + i + 16), abs_mask), m1);
  }
  const float lanes = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));  // the lanes hold no NaN
  const float tail = blockwise_absmax_ref(x + i, n - i);
  return lanes > tail ? lanes : tail;  // fmax: neither is NaN
}

void blockwise_encode_avx512(const float* x, int64_t n, float absmax, const float* thresholds,
                             uint8_t* codes) {
  const DynamicTables* t = tables_of(thresholds);
  if (t && thresholds == t->thresholds) return blockwise_encode_lut_avx512(x, n, absmax, *t, codes);
  blockwise_encode_avx2(x, n, absmax, thresholds, codes);
}

void blockwise_decode_avx512(const uint8_t* codes, int64_t n, float absmax, const float* map,
                             float* x) {
  const DynamicTables* t = tables_of(map);
  if (!t || map != t->map) return blockwise_decode_avx2(codes, n, absmax, map, x);
  const AffineV a(*t->affine);
  const __m512 am = _mm512_set1_ps(absmax);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, decode16(codes + i, a, am));
  blockwise_decode_ref(codes + i, n - i, absmax, map, x + i);
}

}  // namespace lowbit

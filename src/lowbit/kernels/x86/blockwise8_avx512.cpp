// AVX-512 block-wise dynamic 8-bit codec without the AVX2 variant's gathers (slower than the
// scalar table loop on Zen 5): for the two dynamic maps, the nearest-code encode through the
// lookup table (blockwise_encode_lut_avx512) and the decode through the map's decade lines
// (dynamic_decode_avx512.h); any other map or threshold table goes to the AVX2 search and
// gather, and absmax to the AVX2 one (memory-bound). Every result is bit for bit the `_ref` one.
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/dynamic_decode_avx512.h"

namespace lowbit {

void blockwise_encode_avx512(const float* x, int64_t n, float absmax, const float* thresholds,
                             uint8_t* codes) {
  static const BlockwiseLutEncodeFn lut = blockwise_encode_lut_best_avx512();
  blockwise_encode_lut_or(x, n, absmax, thresholds, codes, lut, blockwise_encode_search_avx2);
}

void blockwise_decode_avx512(const uint8_t* codes, int64_t n, float absmax, const float* map,
                             float* x) {
  const DynamicTables* t = dynamic_tables_of(map, &DynamicTables::map);
  if (!t) return blockwise_decode_avx2(codes, n, absmax, map, x);
  const AffineV a(*t->affine);
  const __m512 am = _mm512_set1_ps(absmax);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, decode16(codes + i, a, am));
  blockwise_decode_ref(codes + i, n - i, absmax, map, x + i);
}

}  // namespace lowbit

// AVX-512 lookup-table encode of the block-wise dynamic 8-bit format: the AVX2 kernel on 16
// values per step (the entries by one 16-lane gather, or by scalar loads where gathers are slow:
// AMD), the same x / absmax division as `_ref` first, so the codes
// match it exactly. adam8_block_avx512 encodes its states through it.
#include <immintrin.h>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/blockwise_lut_avx512.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

template <int kS, bool kNonneg, bool kGather>
int64_t encode_run(const float* x, int64_t n, float absmax, const DynamicTables& t,
                   uint8_t* codes) {
  const LutEncode16<kS, kNonneg, kGather> encode(absmax, t);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // The values after this call's, where a caller walking a tensor block by block reads next:
    // the memory stream would otherwise idle while this loop works from L1.
    prefetch_after(x, 4 * (n + i));
    store_codes16(codes + i, encode(x + i));
  }
  return i;
}

template <bool kGather>
void encode(const float* x, int64_t n, float absmax, const DynamicTables& t, uint8_t* codes) {
  const int64_t i = with_lut_kind(t, [&]<int kS, bool kNonneg>() {
    return encode_run<kS, kNonneg, kGather>(x, n, absmax, t, codes);
  });
  blockwise_encode_ref(x + i, n - i, absmax, t.thresholds, codes + i);
}

}  // namespace

void blockwise_encode_lut_avx512(const float* x, int64_t n, float absmax, const DynamicTables& t,
                                 uint8_t* codes) {
  encode<true>(x, n, absmax, t, codes);
}

void blockwise_encode_lut_loads_avx512(const float* x, int64_t n, float absmax,
                                       const DynamicTables& t, uint8_t* codes) {
  encode<false>(x, n, absmax, t, codes);
}

}  // namespace lowbit

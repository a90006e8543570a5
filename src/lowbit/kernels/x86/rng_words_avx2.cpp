// AVX2 bulk random words: 32 positions (8 Philox blocks) per step, head and tail through the
// reference, so every word equals Rng::u32_at.
#include <immintrin.h>

#include "lowbit/kernels/ref/rng_kernels.h"
#include "lowbit/kernels/x86/philox_x86.h"

namespace lowbit {

void rng_words_avx2(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out) {
  const int64_t head = static_cast<int64_t>((4 - (pos0 & 3)) & 3);  // to a block boundary
  int64_t i = head < n ? head : n;
  rng_words_ref(seed, stream, pos0, i, out);
  for (; i + 32 <= n; i += 32) {
    const uint64_t j0 = (pos0 + static_cast<uint64_t>(i)) >> 2;
    if ((j0 >> 32) != ((j0 + 7) >> 32)) {  // the counter's high word changes inside: rare
      rng_words_ref(seed, stream, pos0 + static_cast<uint64_t>(i), 32, out + i);
      continue;
    }
    __m256i c[4], w[4];
    philox8(seed, stream, j0, c);
    words_in_order(c, w);
    for (int t = 0; t < 4; ++t)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i + 8 * t), w[t]);
  }
  rng_words_ref(seed, stream, pos0 + static_cast<uint64_t>(i), n - i, out + i);
}

}  // namespace lowbit

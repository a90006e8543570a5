// AVX2 bulk random words: 32 positions (8 Philox blocks) per step, head and tail through the
// reference, so every word equals Rng::u32_at.
#include <immintrin.h>

#include "lowbit/kernels/ref/rng_kernels.h"
#include "lowbit/kernels/x86/philox_x86.h"

namespace lowbit {

void rng_words_avx2(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out) {
  for_each_words<Philox8>(
      seed, stream, pos0, n,
      [&](int64_t i, int64_t len) {
        rng_words_ref(seed, stream, pos0 + static_cast<uint64_t>(i), len, out + i);
      },
      [&](int64_t i, const __m256i w[4]) {
        for (int t = 0; t < 4; ++t)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i + 8 * t), w[t]);
      });
}

}  // namespace lowbit

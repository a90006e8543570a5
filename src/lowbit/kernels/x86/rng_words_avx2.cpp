// AVX2 bulk random words: 64 positions (16 Philox blocks) per step, head and tail through the
// reference, so every word equals Rng::u32_at.
#include <immintrin.h>

#include "lowbit/kernels/ref/rng_kernels.h"
#include "lowbit/kernels/x86/philox_x86.h"

namespace lowbit {

void rng_words_avx2(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out) {
  fill_words<Philox16>(seed, stream, pos0, n, out, rng_words_ref);
}

}  // namespace lowbit

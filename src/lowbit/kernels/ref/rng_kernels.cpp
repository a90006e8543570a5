// The bulk random-word family: its `_ref` draws one Philox block per 4 positions.
#include "lowbit/kernels/ref/rng_kernels.h"

#include <array>

#include "lowbit/core/rng.h"

namespace lowbit {

void rng_words_ref(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out) {
  std::array<uint32_t, 4> w{};
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t pos = pos0 + static_cast<uint64_t>(i);
    if (i == 0 || (pos & 3) == 0) w = philox4x32(seed, stream, pos >> 2);
    out[i] = w[pos & 3];
  }
}

const KernelFamily<RngWordsKernel>& rng_words_kernels() {
  static const KernelFamily<RngWordsKernel> f(
      "rng_words", {{"rng_words_avx512", Isa::avx512, rng_words_avx512},
                    {"rng_words_avx2", Isa::avx2, rng_words_avx2},
                    {"rng_words_ref", Isa::scalar, rng_words_ref}});
  return f;
}

}  // namespace lowbit

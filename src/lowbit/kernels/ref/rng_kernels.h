// Counter-based random words in bulk: the same words as Rng::u32_at, many at a time (dropout
// masks). A `_ref`, an AVX2 variant (Philox on 16 blocks at once) and an AVX-512 one (32).
#pragma once

#include <cstdint>

#include "lowbit/kernels/registry.h"

namespace lowbit {

// out[i] = Rng(seed, stream).u32_at(pos0 + i) for i < n (seed and stream as integers: ISA files
// do not use Rng's inline members).
using RngWordsFn = void (*)(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out);
struct RngWordsKernel {
  const char* name;
  Isa isa;
  RngWordsFn fn;
};

void rng_words_ref(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out);
void rng_words_avx2(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out);
void rng_words_avx512(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out);

const KernelFamily<RngWordsKernel>& rng_words_kernels();

}  // namespace lowbit

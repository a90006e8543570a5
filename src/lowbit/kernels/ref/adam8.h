// Fused 8-bit AdamW update of one optimizer block (Dettmers et al. block-wise dynamic states):
// decode m and v, the shared Adam(W) arithmetic of optim/update_math.h, the new absmax of each
// quantization block and the exact nearest-code encode, in one call per block with the states
// held in L1 scratch. The `_ref` is the unfused composition (blockwise_decode_ref ->
// adam_update_block -> blockwise_absmax_ref -> blockwise_encode_ref), so every variant gives the
// bits of the plain decode / update / encode path.
#pragma once

#include <cstdint>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/registry.h"
#include "lowbit/optim/update_math.h"

namespace lowbit {

// Largest quantization block (optim::kStateBlock): the kernels' scratch holds one.
inline constexpr int64_t kAdam8MaxBlock = 2048;

// One 8-bit state over the call's n elements: codes (n) and ceil(n / qblock) absmaxes, read as
// the old state and overwritten with the new one; t: the tables of its dynamic map.
struct Blockwise8Span {
  uint8_t* codes;
  float* absmax;
  const DynamicTables* t;
};

// p, g: (n), n > 0, any number of quantization blocks (a run of optimizer blocks of one
// parameter: the AVX-512 kernel overlaps one block's encode with the next one's update); qblock
// divides kAdam8MaxBlock. For each quantization block:
// m = map_m[code] * absmax (v alike), adam_update_block(k, ...), absmax = max |x| (NaN skipped),
// codes = nearest code of x / absmax (ties to the lower code; all the code of 0.0 when absmax is
// not > 0). p is updated in place. Every variant gives the reference's bits, except that where p
// becomes NaN its sign and payload are unspecified (x86 returns an operation's first NaN operand
// and the compiler may order an addition's operands either way, in the reference too).
using Adam8BlockFn = void (*)(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock,
                              float* p, const float* g, const Blockwise8Span& m,
                              const Blockwise8Span& v);
struct Adam8Kernel {
  const char* name;
  Isa isa;
  Adam8BlockFn block;
};

void adam8_block_ref(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Blockwise8Span& m, const Blockwise8Span& v);
// optim::adam_update_block<float>, compiled in baseline code: the AVX2 kernel's tail calls this
// rather than instantiating the template under -mavx2 (kernels/x86 rule, docs/DESIGN.md).
void adam_update_block_f32(const optim::AdamCoeffs<float>& k, int64_t n, float* p, const float* g,
                           float* m, float* v);
void adam8_block_avx2(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                      const float* g, const Blockwise8Span& m, const Blockwise8Span& v);
void adam8_block_avx512(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                        const float* g, const Blockwise8Span& m, const Blockwise8Span& v);
// The same decoding through byte permutes: needs AVX-512 VBMI as well (CpuFeatures::avx512_vbmi),
// so it is registered under Isa::avx512 only where the CPU has it (adam8_avx512vbmi.cpp).
void adam8_block_avx512vbmi(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock,
                            float* p, const float* g, const Blockwise8Span& m,
                            const Blockwise8Span& v);

const KernelFamily<Adam8Kernel>& adam8_kernels();

}  // namespace lowbit

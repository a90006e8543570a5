// Bit splitting (Xi et al. 2023): an 8-bit gradient as two 4-bit parts, so dY·W costs two int4
// products: code c = 16·hi + lo + 8 exactly, hi = c >> 4 in [-8, 7], lo = (c & 15) - 8 in [-8, 7].
#pragma once

#include <cstdint>

#include "lowbit/core/qtensor.h"

namespace lowbit {

// hi and lo are packed int4 QTensors (u8, bits 4, tensor granularity) sharing `scale`:
// x ~= scale · (16·hi + lo + 8), the 8-bit codes being quantize(x, int8/tensor/amax/sr).
struct BitSplit {
  QTensor hi, lo;
  float scale = 0.0f;
};

// The 8-bit codes bit_split splits: int8, tensor amax scale, stochastic rounding.
QFormat bit_split_format();

// c: n codes in [-128, 127] -> hi, lo in [-8, 7] with c == 16 * hi + lo + 8.
void bit_split_codes(const int8_t* c, int64_t n, int8_t* hi, int8_t* lo);

// x: f32 (rows, cols). Stochastic rounding from Rng(seed, stream) as in quantize().
BitSplit bit_split(const Tensor& x, uint64_t seed, uint64_t stream);

}  // namespace lowbit

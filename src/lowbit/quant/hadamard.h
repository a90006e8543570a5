// Block-diagonal Hadamard rotation along the last dimension (the HQ quantizer of Xi et al.):
// orthonormal and self-inverse, so (X·H)(W·H)ᵀ = X·Wᵀ and applying it twice gives X back.
#pragma once

#include <cstdint>

#include "lowbit/core/tensor.h"

namespace lowbit {

// x: f32 or f64, (..., C) with C a multiple of block; block a power of two in 16..256 (2..256
// accepted for tests). In place, rows in parallel.
void hadamard_rows_(Tensor& x, int64_t block);
// The same rotation into a new tensor (x unchanged): copy and transform fused per chunk of rows.
Tensor hadamard_rows(const Tensor& x, int64_t block);

}  // namespace lowbit

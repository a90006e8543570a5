// Fast Walsh-Hadamard transform on blocks of a row: the specification (templated so double
// tests run the same code). Sylvester order: H_2n = [[H_n, H_n], [H_n, -H_n]], scaled 1/sqrt(n).
#pragma once

#include <cmath>
#include <cstdint>

#include "lowbit/core/error.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

// x: (rows, cols) row-major, cols a multiple of block, block a power of two. In place:
// every run of `block` elements of a row becomes H_block * run / sqrt(block). Self-inverse.
template <class T>
void fwht_rows_ref(T* x, int64_t rows, int64_t cols, int64_t block) {
  LB_ASSERT(block >= 1 && (block & (block - 1)) == 0 && cols % block == 0);
  const T norm = T(1) / std::sqrt(static_cast<T>(block));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b0 = 0; b0 < cols; b0 += block) {
      T* v = x + r * cols + b0;
      for (int64_t h = 1; h < block; h *= 2)
        for (int64_t i = 0; i < block; i += 2 * h)
          for (int64_t j = i; j < i + h; ++j) {
            T a = v[j], b = v[j + h];
            v[j] = a + b;
            v[j + h] = a - b;
          }
      for (int64_t j = 0; j < block; ++j) v[j] *= norm;
    }
  }
}

// The f32 family: the same adds, subtracts and final multiply per element as fwht_rows_ref<float>
// (each butterfly stage's values do not depend on the order it is computed in), so every variant
// matches it bit for bit.
using FwhtRowsFn = void (*)(float* x, int64_t rows, int64_t cols, int64_t block);
struct FwhtKernel {
  const char* name;
  Isa isa;
  FwhtRowsFn fn;
};
void fwht_rows_f32_ref(float* x, int64_t rows, int64_t cols, int64_t block);
// Blocks of 8 or more: stages 1, 2, 4 by in-register shuffles, the rest on whole vectors.
void fwht_rows_f32_avx2(float* x, int64_t rows, int64_t cols, int64_t block);
const KernelFamily<FwhtKernel>& fwht_kernels();

}  // namespace lowbit

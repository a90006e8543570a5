// Scalar twin of the integer GEMM micro-kernels: a 4x8 tile on s32_k1 panels, plain loops.
// It is every integer family's `_ref` entry and the spec the SIMD variants are tested against.
#include "lowbit/kernels/gemm_int.h"

namespace lowbit {

namespace {
constexpr int kMr = 4, kNr = 8;
}  // namespace

void gemm_s32k1_micro_ref(int64_t k, const void* a_panel, const void* b_panel, int32_t* c,
                          int64_t ldc, int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  const auto* a = static_cast<const int32_t*>(a_panel);
  const auto* b = static_cast<const int32_t*>(b_panel);
  // Unsigned arithmetic: wraps modulo 2^32 like the SIMD instructions (signed overflow is UB).
  uint32_t acc[kMr][kNr] = {};
  for (int64_t p = 0; p < k; ++p)
    for (int i = 0; i < kMr; ++i)
      for (int j = 0; j < kNr; ++j)
        acc[i][j] += static_cast<uint32_t>(a[p * kMr + i]) * static_cast<uint32_t>(b[p * kNr + j]);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = static_cast<int32_t>(acc[i][j]);
}

}  // namespace lowbit

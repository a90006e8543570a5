// The specification of integer GEMM: plain loops with an exact int64 sum and the epilogue's
// f32 arithmetic spelled out. Every integer GEMM path is tested bit for bit against this.
#pragma once

#include <cstdint>

namespace lowbit {

// acc(m, n) = sum over p in [0, k) of op(A)[i][p] * op(B)[p][j], exactly (int64).
// op(A)[i][p] = get_a(i, p), op(B)[p][j] = get_b(p, j): callables returning the integer codes,
// so tests can read any storage (int8, int16, packed int4, quantized f32) and orientation.
template <class GetA, class GetB>
void gemm_int_ref(int64_t m, int64_t n, int64_t k, GetA get_a, GetB get_b, int64_t* acc,
                  int64_t ldacc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < k; ++p) s += static_cast<int64_t>(get_a(i, p)) * get_b(p, j);
      acc[i * ldacc + j] = s;
    }
}

// One f32 output element: float(acc), times the row scale, times the column scale, plus the
// bias, then (accumulate) added to the old value; each step one IEEE single operation.
inline float gemm_int_epilogue_ref(int64_t acc, float row_scale, float col_scale, const float* bias,
                                   bool accumulate, float old) {
  float t = static_cast<float>(acc);
  t = t * row_scale;
  t = t * col_scale;
  if (bias) t = t + *bias;
  return accumulate ? old + t : t;
}

}  // namespace lowbit

// The gemm_f32 kernel family (best first) and the generic scalar packers every variant's
// layout is defined by (see the layout comment in gemm_f32.h).
#include "lowbit/kernels/gemm_f32.h"

namespace lowbit {

const KernelFamily<GemmF32Kernel>& gemm_f32_kernels() {
  static const KernelFamily<GemmF32Kernel> family(
      "gemm_f32",
      {
          {"gemm_f32_avx512", Isa::avx512, 6, 32, gemm_f32_micro_avx512, gemm_f32_pack_a_avx512,
           gemm_f32_pack_b_avx512},
          {"gemm_f32_avx2", Isa::avx2, 6, 16, gemm_f32_micro_avx2, gemm_f32_pack_a_avx2,
           gemm_f32_pack_b_avx2, gemm_f32_micro_rows_avx2},
          {"gemm_f32_ref", Isa::scalar, 4, 8, gemm_f32_micro_ref, gemm_f32_pack_a_ref,
           gemm_f32_pack_b_ref},
      });
  return family;
}

void gemm_f32_pack_a_generic(int mr, bool trans, int64_t mc, int64_t kc, const float* a,
                             int64_t lda, float* dst) {
  for (int64_t r0 = 0; r0 < mc; r0 += mr) {
    int64_t rows = mc - r0 < mr ? mc - r0 : mr;
    for (int64_t p = 0; p < kc; ++p) {
      float* out = dst + p * mr;
      for (int64_t i = 0; i < rows; ++i)
        out[i] = trans ? a[p * lda + r0 + i] : a[(r0 + i) * lda + p];
      for (int64_t i = rows; i < mr; ++i) out[i] = 0.0f;
    }
    dst += kc * mr;
  }
}

void gemm_f32_pack_b_generic(int nr, bool trans, int64_t kc, int64_t nc, const float* b,
                             int64_t ldb, float* dst) {
  for (int64_t s0 = 0; s0 < nc; s0 += nr) {
    int64_t cols = nc - s0 < nr ? nc - s0 : nr;
    for (int64_t p = 0; p < kc; ++p) {
      float* out = dst + p * nr;
      for (int64_t j = 0; j < cols; ++j)
        out[j] = trans ? b[(s0 + j) * ldb + p] : b[p * ldb + s0 + j];
      for (int64_t j = cols; j < nr; ++j) out[j] = 0.0f;
    }
    dst += kc * nr;
  }
}

}  // namespace lowbit

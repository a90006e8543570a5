// Scalar twin of the gemm_f32 micro-kernels: a 4x8 tile on packed panels, plain loops.
// It is the family's `_ref` entry (any CPU) and the spec the SIMD variants are tested against.
#include "lowbit/kernels/gemm_f32.h"

namespace lowbit {

namespace {
constexpr int kMr = 4, kNr = 8;
}  // namespace

void gemm_f32_micro_ref(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                        int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi) {
  LB_ASSERT(kc >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p)
    for (int i = 0; i < kMr; ++i)
      for (int j = 0; j < kNr; ++j) acc[i][j] += a_panel[p * kMr + i] * b_panel[p * kNr + j];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float prod = epi.alpha * acc[i][j];
      float& out = c[i * ldc + j];
      out = epi.beta == 0.0f ? prod : prod + epi.beta * out;
    }
}

void gemm_f32_pack_a_ref(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                         float* dst) {
  gemm_f32_pack_a_generic(kMr, trans, mc, kc, a, lda, dst);
}

void gemm_f32_pack_b_ref(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                         float* dst) {
  gemm_f32_pack_b_generic(kNr, trans, kc, nc, b, ldb, dst);
}

}  // namespace lowbit

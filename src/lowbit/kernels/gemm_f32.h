// FP32 GEMM micro-kernel family: packing routines and an mr x nr register-tile kernel per ISA.
// The op layer (ops/gemm.cpp) blocks, packs with these and threads over output tiles.
//
// Packed layouts (what pack_a / pack_b write and micro reads), all f32, no gaps:
//   A block (mc x kc)  -> ceil(mc/mr) panels of kc*mr floats; panel r, step p holds
//                         op(A)[r*mr + i][p] at panel[p*mr + i]; rows past mc are zero.
//   B block (kc x nc)  -> ceil(nc/nr) panels of kc*nr floats; panel s, step p holds
//                         op(B)[p][s*nr + j] at panel[p*nr + j]; columns past nc are zero.
// pack_a may store up to gemm_f32_pack_slack floats past its last panel (overlapping vector
// stores), so A buffers need that slack; pack_b writes only inside its panels, so disjoint
// B panels may be packed concurrently.
#pragma once

#include <cstdint>

#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

inline constexpr int64_t gemm_f32_pack_slack = 16;

// Epilogue of one micro-tile: C = alpha * acc + beta * C; beta == 0 ignores C (NaN-safe).
// Every variant computes this the same way for full and partial tiles, so a C element's value
// does not depend on where tile boundaries fall.
struct GemmF32Epilogue {
  float alpha = 1.0f;
  float beta = 0.0f;
};

// acc = sum_p a_panel[p*mr + i] * b_panel[p*nr + j] for p in [0, kc) in increasing order,
// then the epilogue on C[i*ldc + j] for i < m, j < n (m <= mr, n <= nr: edge tiles).
using GemmF32MicroFn = void (*)(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                                int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi);
// Packs op(A)[0:mc, 0:kc]. op(A)[i][p] is a[i*lda + p], or a[p*lda + i] when trans.
using GemmF32PackAFn = void (*)(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                                float* dst);
// Packs op(B)[0:kc, 0:nc]. op(B)[p][j] is b[p*ldb + j], or b[j*ldb + p] when trans.
using GemmF32PackBFn = void (*)(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                                float* dst);

// The same sums as GemmF32MicroFn for a full mr-row tile whose A rows are read in place:
// op(A)[i][p] = a[i*lda + p] (row-major A, not transposed), so small GEMMs skip packing A. The
// multiply-adds are those of the packed micro-kernel in the same order: identical bits.
using GemmF32MicroRowsFn = void (*)(int64_t kc, const float* a, int64_t lda, const float* b_panel,
                                    float* c, int64_t ldc, int64_t n, const GemmF32Epilogue& epi);
struct GemmF32Kernel {
  const char* name;
  Isa isa;
  int mr, nr;
  GemmF32MicroFn micro;
  GemmF32PackAFn pack_a;
  GemmF32PackBFn pack_b;
  GemmF32MicroRowsFn micro_rows = nullptr;  // optional: nullptr packs A always
};

// Best first: avx512 (6x32), avx2 (6x16), gemm_f32_ref (scalar 4x8).
const KernelFamily<GemmF32Kernel>& gemm_f32_kernels();

// The variants, one per ISA file (exposed for direct parity tests).
void gemm_f32_micro_avx512(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                           int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi);
void gemm_f32_pack_a_avx512(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                            float* dst);
void gemm_f32_pack_b_avx512(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                            float* dst);
void gemm_f32_micro_avx2(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                         int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi);
void gemm_f32_micro_rows_avx2(int64_t kc, const float* a, int64_t lda, const float* b_panel,
                              float* c, int64_t ldc, int64_t n, const GemmF32Epilogue& epi);
void gemm_f32_pack_a_avx2(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                          float* dst);
void gemm_f32_pack_b_avx2(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                          float* dst);
void gemm_f32_micro_ref(int64_t kc, const float* a_panel, const float* b_panel, float* c,
                        int64_t ldc, int64_t m, int64_t n, const GemmF32Epilogue& epi);
void gemm_f32_pack_a_ref(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda,
                         float* dst);
void gemm_f32_pack_b_ref(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb,
                         float* dst);

// Generic scalar packers for any tile width (the ref variant and tests use them).
void gemm_f32_pack_a_generic(int mr, bool trans, int64_t mc, int64_t kc, const float* a,
                             int64_t lda, float* dst);
void gemm_f32_pack_b_generic(int nr, bool trans, int64_t kc, int64_t nc, const float* b,
                             int64_t ldb, float* dst);

}  // namespace lowbit

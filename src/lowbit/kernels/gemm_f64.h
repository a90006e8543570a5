// f64 GEMM kernels: the exact FP8 inference products (nn/ptq_numerics) and f64 training (the
// finite-difference tests). Every variant computes each C element exactly as gemm_ref<double>
// does (products added in increasing k, one multiply and one add each, then alpha and beta), so
// they agree bit for bit and a column split of the work cannot change a result.
#pragma once

#include <cstdint>

#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

// C(m,n) = alpha * op(A) * op(B) + beta * C with gemm_ref's conventions (kernels/ref/gemm_ref.h).
using GemmF64Fn = void (*)(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                           double alpha, const double* a, int64_t lda, const double* b,
                           int64_t ldb, double beta, double* c, int64_t ldc);
struct GemmF64Kernel {
  const char* name;
  Isa isa;
  GemmF64Fn fn;
};

// Best first: avx2 (4x8 register tile over a packed B panel, VMULPD + VADDPD), gemm_f64_ref.
const KernelFamily<GemmF64Kernel>& gemm_f64_kernels();

// This thread's scratch of at least n doubles (grow-only), allocated by baseline code for the
// AVX2 variant's packed B panel: a std::vector in an ISA file would instantiate its members there.
double* gemm_f64_scratch(int64_t n);

void gemm_f64_ref(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                  const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                  double* c, int64_t ldc);
void gemm_f64_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                   const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                   double* c, int64_t ldc);

}  // namespace lowbit

// The f64 GEMM family: its `_ref` is the specification itself.
#include "lowbit/kernels/gemm_f64.h"

#include <vector>

#include "lowbit/kernels/ref/gemm_ref.h"

namespace lowbit {

void gemm_f64_ref(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                  const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                  double* c, int64_t ldc) {
  gemm_ref<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

double* gemm_f64_scratch(int64_t n) {
  thread_local std::vector<double> buf;
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

const KernelFamily<GemmF64Kernel>& gemm_f64_kernels() {
  static const KernelFamily<GemmF64Kernel> f(
      "gemm_f64", {{"gemm_f64_avx2", Isa::avx2, gemm_f64_avx2},
                   {"gemm_f64_ref", Isa::scalar, gemm_f64_ref}});
  return f;
}

}  // namespace lowbit

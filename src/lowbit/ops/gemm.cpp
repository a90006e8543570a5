// GEMM op layer: shape checks and dispatch. The f32 path is the registry's choice.
#include "lowbit/ops/gemm.h"

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/gemm_ref.h"

namespace lowbit::ops {

namespace {
// Row-parallel reference: rows of C are independent, so this is deterministic.
template <class T>
void gemm_ref_threaded(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                       int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  parallel_for(m, 16, [&](int64_t r0, int64_t r1) {
    const T* a_rows = ta ? a + r0 : a + r0 * lda;
    gemm_ref<T>(ta, tb, r1 - r0, n, k, alpha, a_rows, lda, b, ldb, beta, c + r0 * ldc, ldc);
  });
}

template <class T>
Tensor matmul_nt_t(const Tensor& x, const Tensor& w) {
  int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  Tensor y = Tensor::empty({m, n}, x.dtype());
  gemm(false, true, m, n, k, T(1), x.data<T>(), k, w.data<T>(), k, T(0), y.data<T>(), n);
  return y;
}

template <class T>
Tensor matmul_nn_t(const Tensor& dy, const Tensor& w) {
  int64_t m = dy.dim(0), n = dy.dim(1), k = w.dim(1);
  Tensor dx = Tensor::empty({m, k}, dy.dtype());
  gemm(false, false, m, k, n, T(1), dy.data<T>(), n, w.data<T>(), k, T(0), dx.data<T>(), k);
  return dx;
}

template <class T>
void matmul_tn_acc_t(const Tensor& dy, const Tensor& x, Tensor& dw) {
  int64_t m = dy.dim(0), n = dy.dim(1), k = x.dim(1);
  gemm(true, false, n, k, m, T(1), dy.data<T>(), n, x.data<T>(), k, T(1), dw.data<T>(), k);
}

void check_float_pair(const char* op, const Tensor& a, const Tensor& b) {
  LB_CHECK(a.ndim() == 2 && b.ndim() == 2, "[", op, "] expects 2-D operands, got ",
           a.shape_string(), " and ", b.shape_string());
  LB_CHECK(a.dtype() == b.dtype() && (a.dtype() == DType::f32 || a.dtype() == DType::f64), "[",
           op, "] operands must both be f32 or both f64, got ", dtype_name(a.dtype()), " and ",
           dtype_name(b.dtype()));
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  gemm_ref_threaded<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  gemm_ref_threaded<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

Tensor matmul_nt(const Tensor& x, const Tensor& w) {
  check_float_pair("matmul_nt", x, w);
  LB_CHECK(x.dim(1) == w.dim(1), "[matmul_nt] x is ", x.shape_string(), ", w is ",
           w.shape_string(), ": inner dimensions differ");
  return x.dtype() == DType::f32 ? matmul_nt_t<float>(x, w) : matmul_nt_t<double>(x, w);
}

Tensor matmul_nn(const Tensor& dy, const Tensor& w) {
  check_float_pair("matmul_nn", dy, w);
  LB_CHECK(dy.dim(1) == w.dim(0), "[matmul_nn] dy is ", dy.shape_string(), ", w is ",
           w.shape_string(), ": inner dimensions differ");
  return dy.dtype() == DType::f32 ? matmul_nn_t<float>(dy, w) : matmul_nn_t<double>(dy, w);
}

void matmul_tn_acc(const Tensor& dy, const Tensor& x, Tensor& dw) {
  check_float_pair("matmul_tn_acc", dy, x);
  LB_CHECK(dy.dim(0) == x.dim(0) && dw.ndim() == 2 && dw.dim(0) == dy.dim(1) &&
               dw.dim(1) == x.dim(1) && dw.dtype() == x.dtype(),
           "[matmul_tn_acc] dy ", dy.shape_string(), ", x ", x.shape_string(), ", dw ",
           dw.shape_string(), ": expected dy (M, N), x (M, K), dw (N, K)");
  if (x.dtype() == DType::f32) matmul_tn_acc_t<float>(dy, x, dw);
  else matmul_tn_acc_t<double>(dy, x, dw);
}

}  // namespace lowbit::ops

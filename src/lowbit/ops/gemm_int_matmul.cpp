// The three training products (Y = X·Wᵀ, dX = dY·W, dW += dYᵀ·X) on QTensors: transposes are
// absorbed into packing, scales become the epilogue's row and column scales.
#include <string>

#include "lowbit/ops/gemm_int.h"

namespace lowbit::ops {

namespace {

// q as a GEMM operand; op(X) = X, or its transpose with trans.
IntMatrix operand_of(const char* op, const char* what, const QTensor& q, bool trans) {
  qformat_check(op, q.format);
  LB_CHECK(q.format.encoding == Encoding::intn, "[", op, "] ", what, " is ", qformat_name(q.format),
           ": integer GEMM takes intn codes");
  LB_CHECK(q.shape.size() == 2, "[", op, "] ", what, " has shape ", shape_str(q.shape),
           ", expected 2-D");
  IntMatrix x;
  x.bits = q.format.bits;
  x.trans = trans;
  x.data = q.codes.raw();
  switch (q.format.storage) {
    case DType::i8:
      x.src = GemmIntSrc::s8;
      x.ld = q.shape[1];
      break;
    case DType::i16:
      x.src = GemmIntSrc::s16;
      x.ld = q.shape[1];
      break;
    default:
      x.src = GemmIntSrc::s4;
      x.ld = (q.shape[1] + 1) / 2 * 2;
      break;
  }
  const int64_t stored =
      x.src == GemmIntSrc::s4 ? q.shape[0] * (x.ld / 2) : q.shape[0] * q.shape[1];
  LB_CHECK(q.codes.numel() == stored && q.codes.dtype() == q.format.storage, "[", op, "] ", what,
           " codes are ", q.codes.shape_string(), " ", dtype_name(q.codes.dtype()), ", expected ",
           stored, " ", dtype_name(q.format.storage), " for shape ", shape_str(q.shape));
  return x;
}

// The scale of q along its output dimension: storage rows (along_rows) or columns. A scale
// that varies along the reduction cannot leave the sum and is refused.
void scale_of(const char* op, const char* what, const QTensor& q, bool along_rows, const float** p,
              int64_t* len) {
  const Granularity g = q.format.gran;
  const bool ok = g == Granularity::tensor || (along_rows && g == Granularity::row) ||
                  (!along_rows && g == Granularity::col);
  LB_CHECK(ok, "[", op, "] ", what, " is ", qformat_name(q.format), ": its scales vary along the ",
           "reduction dimension; quantize it per tensor or per ", along_rows ? "row" : "column");
  LB_CHECK(q.scales.dtype() == DType::f32, "[", op, "] ", what, " scales must be f32");
  *p = q.scales.data<float>();
  *len = q.scales.numel();
  const int64_t want = g == Granularity::tensor ? 1 : q.shape[along_rows ? 0 : 1];
  LB_CHECK(*len == want, "[", op, "] ", what, " has ", *len, " scales, expected ", want);
}

}  // namespace

Tensor matmul_nt_int(const QTensor& x, const QTensor& w, const Tensor& bias) {
  const char* op = "matmul_nt_int";
  IntMatrix a = operand_of(op, "x", x, false), b = operand_of(op, "w", w, true);
  LB_CHECK(x.shape[1] == w.shape[1], "[", op, "] x is ", shape_str(x.shape), ", w is ",
           shape_str(w.shape), ": expected x (M, K), w (N, K)");
  const int64_t m = x.shape[0], k = x.shape[1], n = w.shape[0];
  Tensor y = Tensor::empty({m, n});
  IntOutput out;
  out.mode = GemmIntOut::f32;
  out.c = y.data<float>();
  out.ldc = n;
  scale_of(op, "x", x, true, &out.row_scale, &out.row_scale_len);
  scale_of(op, "w", w, true, &out.col_scale, &out.col_scale_len);
  if (bias.defined()) {
    check_shape(op, "bias", bias, {n});
    check_dtype(op, "bias", bias, DType::f32);
    out.bias = bias.data<float>();
  }
  gemm_int(m, n, k, a, b, out);
  return y;
}

Tensor matmul_nn_int(const QTensor& dy, const QTensor& w) {
  const char* op = "matmul_nn_int";
  IntMatrix a = operand_of(op, "dy", dy, false), b = operand_of(op, "w", w, false);
  LB_CHECK(dy.shape[1] == w.shape[0], "[", op, "] dy is ", shape_str(dy.shape), ", w is ",
           shape_str(w.shape), ": expected dy (M, N), w (N, K)");
  const int64_t m = dy.shape[0], n = dy.shape[1], k = w.shape[1];
  Tensor dx = Tensor::empty({m, k});
  IntOutput out;
  out.mode = GemmIntOut::f32;
  out.c = dx.data<float>();
  out.ldc = k;
  scale_of(op, "dy", dy, true, &out.row_scale, &out.row_scale_len);
  scale_of(op, "w", w, false, &out.col_scale, &out.col_scale_len);
  gemm_int(m, k, n, a, b, out);
  return dx;
}

void matmul_tn_acc_int(const QTensor& dy, const QTensor& x, Tensor& dw) {
  const char* op = "matmul_tn_acc_int";
  IntMatrix a = operand_of(op, "dy", dy, true), b = operand_of(op, "x", x, false);
  LB_CHECK(dy.shape[0] == x.shape[0], "[", op, "] dy is ", shape_str(dy.shape), ", x is ",
           shape_str(x.shape), ": expected dy (M, N), x (M, K)");
  const int64_t m = dy.shape[0], n = dy.shape[1], k = x.shape[1];
  check_shape(op, "dw", dw, {n, k});
  check_dtype(op, "dw", dw, DType::f32);
  IntOutput out;
  out.mode = GemmIntOut::f32_acc;
  out.c = dw.data<float>();
  out.ldc = k;
  scale_of(op, "dy", dy, false, &out.row_scale, &out.row_scale_len);
  scale_of(op, "x", x, false, &out.col_scale, &out.col_scale_len);
  gemm_int(n, k, m, a, b, out);
}

}  // namespace lowbit::ops

// Integer GEMM for training: int8 / int16 / packed int4 codes (or f32 quantized while packing),
// exact integer sums, and a fused f32 epilogue (row and column scales, bias, accumulate).
// The three training products have QTensor-level helpers; the raw entry point is gemm_int.
#pragma once

#include <cstdint>

#include "lowbit/core/qtensor.h"
#include "lowbit/core/tensor.h"
#include "lowbit/kernels/gemm_int.h"

namespace lowbit::ops {

// One operand, row-major. op(X) is X itself or, with trans, its transpose (as in gemm_ref.h:
// op(A) is (m, k), op(B) is (k, n)). Codes must lie in [-2^(bits-1), 2^(bits-1) - 1]: the
// exactness plan is derived from `bits`, not from the data.
struct IntMatrix {
  GemmIntSrc src = GemmIntSrc::s8;  // s8 (bits <= 8), s16 (<= 16), s4 (bits <= 4), f32
  const void* data = nullptr;
  int64_t ld = 0;  // elements between rows (s4: nibbles, even; QTensor rows are padded)
  bool trans = false;
  int bits = 8;        // 2..16
  float scale = 0.0f;  // f32 only: code = clamp(rne(x / scale), +-(2^(bits-1) - 1)), NaN -> 0
};

// Where the result goes: raw int32 / int64 sums, or f32 = acc * row_scale[i] * col_scale[j]
// (+ bias[j]), stored or added (+=) into c. row_scale has 1 or m entries (null: 1.0), col_scale
// 1 or n, bias n (null: none). c is (m, n) with leading dimension ldc.
struct IntOutput {
  GemmIntOut mode = GemmIntOut::f32;
  void* c = nullptr;
  int64_t ldc = 0;
  const float* row_scale = nullptr;
  int64_t row_scale_len = 1;
  const float* col_scale = nullptr;
  int64_t col_scale_len = 1;
  const float* bias = nullptr;
};

// How a product of these widths is computed exactly (see docs/DESIGN.md, integer GEMM):
// sums over chunks of at most kblock steps fit int32; several chunks (or a byte split of A for
// 16 x 16-bit codes) are combined in int64, in a fixed order.
struct IntGemmPlan {
  const KernelFamily<GemmIntKernel>* family;
  int64_t max_exact_k;  // largest K whose every sum fits int32 with these widths
  int64_t kblock;       // chunk length (k itself when no chunking is needed)
  int64_t nkblocks;
  bool split_a;  // A split into its high and low bytes (16-bit codes)
  bool wide() const { return nkblocks > 1 || split_a; }
};
IntGemmPlan gemm_int_plan(int64_t k, int bits_a, int bits_b);
// floor((2^31 - 1) / (2^(bits_a-1) * 2^(bits_b-1))): 1 for 16 x 16 bits, 511 for 12 x 12,
// 8191 for 10 x 10, 131071 for 8 x 8, 33554431 for 4 x 4.
int64_t gemm_int_max_exact_k(int bits_a, int bits_b);

// The variant gemm_int runs: the family's first usable entry (CPU and LOWBIT_MAX_ISA cap) whose
// requirements B meets (see GemmIntKernel::b_symmetric; B is scanned for -128 when needed).
const GemmIntKernel& gemm_int_kernel_for(const IntGemmPlan& plan, const IntMatrix& b, int64_t k,
                                         int64_t n);
// Tests: run `kern` whenever the plan's family lists it (nullptr: back to the registry's choice).
// A forced variant whose requirements B does not meet is an error, not a fallback.
void gemm_int_kernel_override(const GemmIntKernel* kern);

// C(m, n) from op(A) (m, k) and op(B) (k, n). Threads split output tiles only: every thread
// count gives the same bits. Raw int32 output is refused where the plan needs int64.
void gemm_int(int64_t m, int64_t n, int64_t k, const IntMatrix& a, const IntMatrix& b,
              const IntOutput& out);

// The training products on quantized tensors (2-D, integer codes). A scale may be per tensor,
// or per row / column along an output dimension; scales along the reduction are refused.
// Y = X·Wᵀ: x (M, K), w (N, K) -> f32 (M, N); bias (N) optional.
Tensor matmul_nt_int(const QTensor& x, const QTensor& w, const Tensor& bias = Tensor());
// dX = dY·W: dy (M, N), w (N, K) -> f32 (M, K).
Tensor matmul_nn_int(const QTensor& dy, const QTensor& w);
// dW += dYᵀ·X: dy (M, N), x (M, K), dw f32 (N, K) accumulated in place.
void matmul_tn_acc_int(const QTensor& dy, const QTensor& x, Tensor& dw);

}  // namespace lowbit::ops

// LSQ fake quantizer (Esser et al. 2020, "Learned Step Size Quantization"; SEEDS 5): values are
// rounded to a uniform grid whose step s is a learnable parameter trained with the task loss.
//
//   v = x / s,  code = clip(round(v), -Q_N, Q_P),  q = code * s           (round: nearest even)
//   (a code of 0 gives q = +0, never -0, so the integer codes reproduce q bit for bit)
//   signed b bits:   Q_N = 2^(b-1), Q_P = 2^(b-1) - 1;  unsigned: Q_N = 0, Q_P = 2^b - 1
//   dL/dx = dL/dq                    if -Q_N < v < Q_P, else 0            (straight-through)
//   dL/ds = g * sum_i dL/dq_i * t_i, t_i = round(v_i) - v_i inside the range, -Q_N if
//           v_i <= -Q_N, Q_P if v_i >= Q_P;  g = 1 / sqrt(numel * Q_P)    (gradient scale)
// Element arithmetic (v, round, t, code * s) is in x's dtype; the sum is in double, element by
// element in index order (so it is bit-reproducible and independent of the thread count), and
// ds += T(g * sum).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit {

struct LsqCodes {
  Tensor codes;  // x's shape; i8 when signed, u8 when unsigned (b <= 8 bits either way)
  float step;    // q = float(code) * step reproduces an f32 forward bit for bit
};

class LsqQuantizer {
 public:
  // bits 2..8; param_name is the step's Param name ("encoder.0.ffn.fc1.weight_step"). The step
  // is a Param of shape (1) in dtype, not decayed, starting at 0 = "initialise from data".
  LsqQuantizer(std::string param_name, int bits, bool is_signed, DType dtype = DType::f32);

  // x (any shape, f32 or f64 = the step's dtype) -> q, same shape and dtype. When the step is 0
  // it is first set from x: s = 2 * mean|x| / sqrt(Q_P) (the LSQ paper's rule), so a loaded
  // checkpoint (s > 0) is never re-initialised; an all-zero x leaves s at 0 and gives q = 0.
  // Keeps a reference to x (not a copy): t_i of the step gradient needs x itself, and the codes
  // and the in-range mask are functions of (x, s), recomputed exactly in backward. x must not be
  // modified before backward (as for every layer input, see gemm_numerics.cpp).
  Tensor forward(const Tensor& x);
  // dq (x's shape) -> dx; adds the step gradient to step().grad.
  Tensor backward(const Tensor& dq);
  // q of the last forward again (bit-identical to what forward returned), from the saved x.
  Tensor saved_fake_quantized() const;
  // Drops the reference to x.
  void release() { x_ = Tensor(); }

  // The integer codes of an f32 x under the current (f32) step, and the step: what export
  // writes. float(code) * step equals forward(x) bit for bit.
  LsqCodes codes(const Tensor& x) const;

  nn::Param& step() { return step_; }
  const nn::Param& step() const { return step_; }
  double step_value() const;
  // Converts the step (value and gradient) to dtype: the owner's parameter dtype.
  void set_dtype(DType dtype);
  int bits() const { return bits_; }
  bool is_signed() const { return signed_; }
  int64_t q_n() const { return qn_; }
  int64_t q_p() const { return qp_; }

 private:
  void check_step(const char* when) const;

  int bits_;
  bool signed_;
  int64_t qn_, qp_;
  nn::Param step_;
  Tensor x_;  // the last forward's input (shared storage, not a copy)
};

// The LSQ paper's initial step for x under Q_P: 2 * mean|x| / sqrt(Q_P), mean in double.
double lsq_initial_step(const Tensor& x, int64_t q_p);

}  // namespace lowbit

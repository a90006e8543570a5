// FP8 training numerics (numerics.mode = fp8): E4M3 weights and activations in forward, E5M2
// output gradients in backward, per-tensor scales (delayed or current), f32 master weights.
//
// Per product (Transformer Engine's recipe): q(t) = fp8(t * scale_t) (RNE, saturating), value
// dq(t) = value(q) / scale_t with scale_t = max_fmt / amax_t. Delayed scaling takes amax_t as the
// max of the last `history` recorded amaxes of that tensor (recorded after each training forward
// or backward); current scaling takes this call's amax. Products run on the decoded operands in the
// registered f32 GEMM (f32 accumulation, as FP8 hardware does), so the result equals the f32
// product of the dequantized operands:
//   Y  = dq_e4m3(X) · dq_e4m3(W)ᵀ,  dX = dq_e5m2(dY) · dq_e4m3(W),  dW += dq_e5m2(dY)ᵀ · dq_e4m3(X)
// The saved activation for backward is X's E4M3 codes (1 byte an element).
#pragma once

#include <memory>
#include <string>

#include "lowbit/nn/gemm_numerics.h"

namespace lowbit::nn {

enum class Fp8Scaling { delayed, current };

struct Fp8TrainingOptions {
  Fp8Scaling scaling = Fp8Scaling::delayed;
  int amax_history = 16;
};

std::unique_ptr<GemmNumerics> make_fp8_numerics(const Fp8TrainingOptions& options);

}  // namespace lowbit::nn

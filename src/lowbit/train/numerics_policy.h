// The recipe's numerics section -> the per-layer GemmNumerics policy that make_model installs,
// so training, evaluation and bench-step all compute with the same numbers.
#pragma once

#include <string>

#include "lowbit/nn/module.h"

namespace lowbit {

class Recipe;

// numerics.mode selects the scheme; the other numerics.* keys are its settings.
nn::NumericsPolicy make_numerics_policy(const Recipe& recipe);

// What self-attention's products see under the recipe: numerics.mode = int quantizes their
// forward operands (Q, K, V and each probability block) to numerics.act_bits-bit dynamic fixed
// point (a power-of-two scale from the operand's amax, nearest even), so the f32 GEMM of the
// operands multiplies the codes exactly and sums them exactly while (2^(b-1))^2 * K < 2^24
// (8 bits: K <= 1024; the products' K is the head size or the sequence length); wider codes
// round in the f32 sums. The other modes leave the operands in f32.
nn::AttentionPolicy make_attention_policy(const Recipe& recipe);
// What the layer norms and the embedding compute on: under numerics.mode = int, dynamic
// fixed-point codes at the int bits (numerics.int_layer_norm, numerics.int_embedding; the
// embedding only with dense tables); otherwise, or switched off, floating point (nullopt).
nn::IntLayerPolicy make_int_layer_policy(const Recipe& recipe);
// x <- clamp(rne(x / s), +-(2^(bits-1) - 1)) * s with s = 2^ceil(log2(amax / (2^(bits-1) - 1))).
void dfp_fake_quantize(float* x, int64_t n, int bits);

// The run report's numerics block: `module.set_numerics(policy)` again through a recording
// wrapper (fresh numerics objects, nothing pending), one "  <layer>: <describe()>" line per
// layer with matrix products (under numerics.mode = int also per layer norm and embedding,
// integer or why not), then what stays in floating point under numerics.mode.
std::string numerics_report(const Recipe& recipe, nn::Module& model);

}  // namespace lowbit

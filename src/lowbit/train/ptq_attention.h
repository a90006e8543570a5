// The attention products under post-training quantization: Q and K (for S = Q·Kᵀ) and P and V
// (for P·V) are quantized like a linear layer's input, with calibrated per-tensor scales for Q,
// K, V and the fixed clip 1 for the probabilities P. The scales are powers of two, so a decoded
// operand value(code)·s is exact in f32 and the f32 GEMM multiplies the codes exactly (sums in
// f32, as FP8 tensor cores accumulate).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lowbit/nn/module.h"
#include "lowbit/nn/ptq_numerics.h"
#include "lowbit/quant/calibrate.h"

namespace lowbit {

// Operand names: "<attention layer>.q", ".k", ".v", ".p".
using AttentionScales = std::map<std::string, float>;

// Calibration: records |Q|, |K|, |V| of every attention layer whose "<layer>.products" is not
// matched by `exclude` (ptq.h's patterns: "products" excludes all attention products, and
// "attention" the whole attention block) into stats["<layer>.q"] ..., leaving the values
// unchanged; excluded ones are appended to *excluded as "<layer>.products".
nn::AttentionPolicy ptq_attention_recorder(std::map<std::string, ActStats>& stats,
                                           const std::string& exclude,
                                           std::vector<std::string>* excluded);
// The power-of-two scale of each recorded operand (clip by the method, rounded up to a power of
// two so nothing saturates that the clip keeps), plus "<layer>.p" for clip 1.
AttentionScales ptq_attention_scales(const std::map<std::string, ActStats>& stats, CalibMethod m,
                                     nn::PtqFormat f, double percentile);
// Quantized inference: each operand with a scale becomes value(code)·s.
nn::AttentionPolicy ptq_attention_policy(const AttentionScales& scales, nn::PtqFormat f);
// x[i] <- value(code(x[i] / s))·s in format f.
void ptq_fake_quantize(float* x, int64_t n, float s, nn::PtqFormat f);

}  // namespace lowbit

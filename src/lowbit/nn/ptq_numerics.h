// Quantized-inference numerics for post-training quantization (SEEDS method 3): the weight is
// stored as FP8 (E4M3 / E5M2) or int8 codes, the input is quantized with a calibrated scale.
//
// Conventions (docs/FORMATS.md): a scale s is the dequantization multiplier, x ~= value(code) * s.
//   fp8:  code = fp8_rne_saturating(x * (1.0f / s))   (the codec kernels' multiply-by-scale form)
//   int8: code = clamp(rne(x / s), -127, 127)           (intn_quant / gemm_int's f32 packing)
// Products (exact, see ptq_numerics.cpp): y[i][j] = round_f32(S_ij * s_x * s_w[j]), S_ij the exact
// sum over k of value(xcode[i][k]) * value(wcode[j][k]).
#pragma once

#include <memory>
#include <string>

#include "lowbit/core/tensor.h"
#include "lowbit/nn/gemm_numerics.h"

namespace lowbit::nn {

enum class PtqFormat { e4m3, e5m2, int8 };
const char* ptq_format_name(PtqFormat f);
// "e4m3" | "e5m2" | "int8"; an error names the allowed values.
PtqFormat ptq_format_parse(const std::string& s);
// Largest code magnitude: 448, 57344, 127.
float ptq_format_max(PtqFormat f);
// The storage dtype of weight codes: f8_e4m3, f8_e5m2, i8.
DType ptq_format_dtype(PtqFormat f);

// One quantized layer: weight codes (N, K) and scales (1) or (N), the input scale.
struct PtqLayer {
  PtqFormat format = PtqFormat::e4m3;
  Tensor w_codes;   // (N, K) in ptq_format_dtype(format)
  Tensor w_scales;  // f32 (1) per tensor or (N) per output channel
  float x_scale = 1.0f;
};

// Scale that maps clip to the format's max (clip <= 0 or non-finite: 1, so codes stay finite).
float ptq_scale_for_clip(float clip, PtqFormat f);
// w (N, K) f32 -> codes and scales (per output channel or per tensor, from the weight's amax).
PtqLayer ptq_quantize_weight(const Tensor& w, PtqFormat f, bool per_channel, float x_scale);
// Element-wise codes of x (numel n) with scale s, and their values (value(code) * s).
void ptq_encode(const float* x, int64_t n, float s, PtqFormat f, void* codes);
float ptq_code_value(const void* codes, int64_t i, PtqFormat f);  // unscaled value
// Dequantized weight (N, K) f32: value(code) * scale, the f32 weight the layer stands for.
Tensor ptq_dequantize_weight(const PtqLayer& layer);

// Forward-only numerics computing Y from the stored codes; the w passed in is only shape-checked.
// Backward is refused (a quantized checkpoint is for inference; FP8 training is numerics.mode fp8).
std::unique_ptr<GemmNumerics> make_ptq_numerics(std::shared_ptr<const PtqLayer> layer,
                                                std::string name);

}  // namespace lowbit::nn

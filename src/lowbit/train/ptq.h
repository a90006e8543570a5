// Post-training quantization of a trained model (SEEDS method 3): calibrate the inputs of every
// Linear / PatchEmbed on training batches, quantize the weights, and store or load the result as
// a quantized checkpoint that `lowbit eval` runs with the stored codes and scales.
//
// Quantized checkpoint (model.safetensors, same metadata as a training checkpoint plus
// "quantization": JSON {format, calibration, percentile, batches, per_channel, exclude, layers}):
//   "<layer>.weight"        F8_E4M3 | F8_E5M2 | I8 codes (N, K)
//   "<layer>.weight_scale"  F32 (1) per tensor or (N) per output channel: w ~= value(code) * s
//   "<layer>.input_scale"   F32 (1): the calibrated activation scale (clip / format max)
//   "<attention>.q_scale", ".k_scale", ".v_scale", ".p_scale"  F32 (1): the power-of-two scales
//                           of the attention products' operands (ptq_attention.h)
// Every other parameter (excluded layers, embeddings, norms, biases) stays F32 under its name.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/models/classifier.h"
#include "lowbit/nn/ptq_numerics.h"
#include "lowbit/quant/calibrate.h"
#include "lowbit/train/ptq_attention.h"

namespace lowbit {

class Recipe;
class TaskData;

struct PtqOptions {
  nn::PtqFormat format = nn::PtqFormat::e4m3;
  CalibMethod method = CalibMethod::max;
  double percentile = 99.99;
  int64_t batches = 16;
  bool per_channel = false;
  std::string exclude;  // comma-separated: a substring of the layer name, or a glob with * ?
};

using PtqLayers = std::map<std::string, std::shared_ptr<const nn::PtqLayer>>;

struct PtqResult {
  PtqLayers layers;
  std::map<std::string, float> input_amax, input_clip;  // per quantized layer
  std::vector<std::string> excluded;                    // layers left in fp32
  AttentionScales attention;                            // "<attention>.q" ... -> scale
  int64_t calibration_examples = 0;
};

// What a quantized checkpoint holds besides plain weights.
struct PtqLoaded {
  PtqLayers layers;
  AttentionScales attention;
  nn::PtqFormat format = nn::PtqFormat::e4m3;
};

// True when the layer name matches one of the comma-separated patterns.
bool ptq_excluded(const std::string& layer, const std::string& patterns);

// Runs `batches` training batches (evenly spaced examples, no dropout) through the FP32 model,
// recording each non-excluded layer's input (and each attention layer's Q, K, V), then
// quantizes: per-layer input scale from the chosen clip, weight codes from the weight, attention
// operand scales. Installs the quantized numerics and attention policies into the model.
PtqResult ptq_calibrate(models::Classifier& model, const TaskData& data, int64_t batch_size,
                        const PtqOptions& options);

// Quantized layers by name, everything else fp32.
nn::NumericsPolicy ptq_policy(const PtqLayers& layers);

// Writes dir/model.safetensors; `metadata` is the source checkpoint's (recipe, step, ...).
void ptq_save(const std::string& dir, const std::vector<nn::Param*>& params,
              const PtqResult& result, const PtqOptions& options,
              std::map<std::string, std::string> metadata);
bool ptq_is_quantized_checkpoint(const std::string& dir);
// Reads a quantized checkpoint: unquantized params are copied, quantized weights are decoded into
// their params (value(code) * scale), and the layers and attention scales come back.
PtqLoaded ptq_load(const std::string& dir, const std::vector<nn::Param*>& params);
// Installs what ptq_load read: ptq_policy and the attention operand policy.
void ptq_install(models::Classifier& model, const PtqLoaded& q);

}  // namespace lowbit

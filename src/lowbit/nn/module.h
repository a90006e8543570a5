// The layer contract. Each layer writes its backward by hand next to its forward:
// forward(...) saves what backward needs; backward(dy) accumulates (+=) into every
// Param::grad and returns dx. Parameters are f32 in training, f64 in gradient tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/core/tensor.h"

namespace lowbit::nn {

struct Param {
  std::string name;   // dotted path, e.g. "encoder.0.attn.q.weight"
  Tensor value;
  Tensor grad;        // same shape and dtype as value; zeroed by Module::zero_grad
  bool decay = true;  // weight decay applies (false for biases, norms, embeddings' norms)
  // Keep 32-bit optimizer state whatever optim.state says (the stable embedding's tables).
  bool state32 = false;
  // Multiplies the optimizer's learning rate for this parameter: an LSQ step size of ~3e-3
  // would move by about lr per Adam update (Adam normalises the gradient's scale away).
  double lr_scale = 1.0;
};

// Per-call state shared by every layer of one forward pass.
struct ForwardContext {
  bool training = false;
  uint64_t step = 0;  // keys dropout masks: (seed, layer stream, step, element) -> bit
};

// How a layer computes its matrix products (gemm_numerics.h), chosen per layer by a policy
// from the layer's name ("encoder.0.ffn.fc1") and kind.
class GemmNumerics;
enum class LayerKind { linear, patch_embed, layer_norm, embedding };
using NumericsPolicy =
    std::function<std::unique_ptr<GemmNumerics>(const std::string& layer, LayerKind kind)>;

// What self-attention's two batched products (S = Q·Kᵀ, context = P·V) see: each operand goes
// through an element-wise in-place transform first, e.g. fake quantization to FP8 or int8 for
// PTQ (a product of two FP8 or two int8 values is exact in f32, so the f32 GEMM on the decoded
// values is the low-bit product). An empty member leaves that operand as it is. f32 only; the
// transforms run concurrently on disjoint ranges, so they must be pure element-wise maps.
struct AttentionOperands {
  std::function<void(float* data, int64_t n)> q, k, v, p;
};
using AttentionPolicy = std::function<AttentionOperands(const std::string& attention_layer)>;

// Integer fine-tuning (numerics.mode = int, nn/int_numerics.h): bits include the sign, 2..16.
struct IntNumericsConfig {
  int weight_bits = 8;
  int act_bits = 8;
  int grad_bits = 8;
  uint64_t seed = 0;  // train.seed: keys stochastic rounding with (layer, step, operand)
};
// Which layer norms (kind layer_norm) and embeddings (kind embedding) compute on dynamic
// fixed-point codes, with which bits; nullopt keeps the layer in floating point.
using IntLayerPolicy =
    std::function<std::optional<IntNumericsConfig>(const std::string& layer, LayerKind kind)>;

class Module {
 public:
  virtual ~Module() = default;
  // Appends this module's parameters, then its children's, in a fixed order.
  virtual void collect_params(std::vector<Param*>& out) = 0;
  std::vector<Param*> params() {
    std::vector<Param*> out;
    collect_params(out);
    return out;
  }
  // Hands the numerics policy to every layer with matrix products (Linear, PatchEmbed, ...);
  // composite modules forward it to their children.
  virtual void set_numerics(const NumericsPolicy& policy) {}
  // Hands the attention-operand policy to every SelfAttention, like set_numerics.
  virtual void set_attention_policy(const AttentionPolicy& policy) {}
  // Hands the integer policy to every LayerNorm and Embedding, like set_numerics.
  virtual void set_int_layer_policy(const IntLayerPolicy& policy) {}
  void zero_grad() {
    for (Param* p : params()) p->grad.zero_();
  }
};

// Creates a parameter with a zeroed gradient of the same shape and dtype.
inline Param make_param(std::string name, const Shape& shape, DType dtype, bool decay) {
  return Param{std::move(name), Tensor::zeros(shape, dtype), Tensor::zeros(shape, dtype), decay};
}

}  // namespace lowbit::nn

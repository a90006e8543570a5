// What the trainer needs from a model: logits from a batch, and the backward from dlogits.
// BERT reads token ids; ViT reads images. Both own their parameters as nn::Modules.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit::models {

struct ModelInput {
  Tensor ids, segments;  // (B, T) i32 (text models)
  Tensor mask;           // (B, T) u8, 1 = real token
  Tensor images;         // (B, C, H, W) f32 (image models)
  int64_t batch() const { return ids.defined() ? ids.dim(0) : images.dim(0); }
};

class Classifier : public nn::Module {
 public:
  virtual Tensor forward(const ModelInput& in, const nn::ForwardContext& ctx) = 0;  // (B, K)
  virtual void backward(const Tensor& dlogits) = 0;
  virtual int64_t num_classes() const = 0;
  virtual std::string describe() const = 0;  // one line: kind and sizes
  // For layer-by-layer distillation (train/distill): after a forward, the hidden states at
  // each level, (B*T, C) each: level 0 is the blocks' input (the embedding output), level l
  // block l's output.
  virtual std::vector<Tensor> hidden_levels() const;
  // Backward from gradients at those levels (an undefined entry counts as zero) instead of
  // from the logits: the blocks and the embedding get gradients, the head does not.
  virtual void backward_levels(const std::vector<Tensor>& dlevels);
};

// backward_levels for a stack of blocks over an embedding: from the highest level with a
// gradient down through each block (`block_backward(l, dy)` is block l's backward), adding each
// level's own gradient on the way; returns the gradient at level 0.
Tensor backward_through_levels(const std::vector<Tensor>& dlevels,
                               const std::function<Tensor(size_t, const Tensor&)>& block_backward);

}  // namespace lowbit::models

// What the trainer needs from a model: logits from a batch, and the backward from dlogits.
// BERT reads token ids; ViT reads images. Both own their parameters as nn::Modules.
#pragma once

#include <memory>
#include <string>

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
};

}  // namespace lowbit::models

// ViT patch embedding: a stride-p, p x p convolution computed as an unfold (im2col) of
// non-overlapping patches followed by one GEMM with bias (an nn::Linear).
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/linear.h"

namespace lowbit::nn {

class PatchEmbed : public Module {
 public:
  // Parameters "<name>.weight" (hidden, channels*patch*patch), decayed, N(0, 0.02), laid out as
  // torch's Conv2d weight (hidden, channels, patch, patch) flattened; "<name>.bias" (hidden) = 0.
  PatchEmbed(std::string name, int64_t channels, int64_t image_size, int64_t patch, int64_t hidden,
             Rng& rng, DType dtype);
  // images (B, channels, image_size, image_size) -> (B*P, hidden); row b*P + py*(S/p) + px is
  // the patch at (py, px). Keeps the unfolded patches for backward.
  Tensor forward(const Tensor& images, const ForwardContext& ctx = {});
  // dpatch (B*P, hidden): accumulates the weight and bias gradients (no image gradient).
  void backward(const Tensor& dpatch);
  void set_numerics(const NumericsPolicy& policy) override {
    proj_.set_numerics(policy, LayerKind::patch_embed);
  }
  void collect_params(std::vector<Param*>& out) override;

  const int64_t num_patches;  // P = (image_size / patch)^2

 private:
  std::string name_;
  int64_t channels_, image_size_, patch_;
  Linear proj_;
  Tensor cols_;  // (B*P, channels*patch*patch) the last forward's unfolded patches
};

}  // namespace lowbit::nn

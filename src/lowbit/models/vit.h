// ViT classifier: patch embedding + [CLS] token + learned positions -> pre-LN blocks -> LN
// -> [CLS] -> linear head.
#pragma once

#include <memory>
#include <vector>

#include "lowbit/models/classifier.h"
#include "lowbit/models/transformer_block.h"
#include "lowbit/nn/patch_embed.h"

namespace lowbit::models {

struct VitConfig {
  int64_t layers = 4, hidden = 64, heads = 4, ffn = 128;
  int64_t image_size = 28, patch = 7, channels = 1, classes = 10;
  double dropout = 0.1, attn_dropout = 0.0, ln_eps = 1e-6;
};

class VitClassifier : public Classifier {
 public:
  VitClassifier(const VitConfig& cfg, uint64_t seed, DType dtype = DType::f32,
                const nn::ProjectionFactory& projections = nn::dense_projections());
  Tensor forward(const ModelInput& in, const nn::ForwardContext& ctx) override;
  void backward(const Tensor& dlogits) override;
  void collect_params(std::vector<nn::Param*>& out) override;
  void set_numerics(const nn::NumericsPolicy& policy) override;
  void set_attention_policy(const nn::AttentionPolicy& policy) override {
    for (auto& b : blocks_) b->set_attention_policy(policy);
  }
  void set_int_layer_policy(const nn::IntLayerPolicy& policy) override {
    for (auto& b : blocks_) b->set_int_layer_policy(policy);
    final_ln_.set_int_layer_policy(policy);
  }
  int64_t num_classes() const override { return cfg_.classes; }
  std::string describe() const override;
  std::vector<Tensor> hidden_levels() const override { return levels_; }
  void backward_levels(const std::vector<Tensor>& dlevels) override;

 private:
  void embed_backward(const Tensor& dh);  // dh (B*(P+1), C) at the blocks' input

  VitConfig cfg_;
  Rng rng_;
  nn::PatchEmbed patch_;
  nn::Param cls_, pos_;  // (1, C), (P+1, C)
  nn::Dropout embed_drop_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  nn::LayerNorm final_ln_;
  nn::Linear head_;
  int64_t batch_ = 0, seq_ = 0;
  std::vector<Tensor> levels_;  // blocks' input, then each block's output
};

}  // namespace lowbit::models

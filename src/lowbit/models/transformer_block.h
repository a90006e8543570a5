// One transformer encoder block: self-attention and a GELU feed-forward, each wrapped in a
// residual. Post-LN (BERT: LN after the residual add) or pre-LN (ViT: LN before each branch).
#pragma once

#include <memory>
#include <string>

#include "lowbit/nn/attention.h"
#include "lowbit/nn/dropout.h"
#include "lowbit/nn/gelu.h"
#include "lowbit/nn/layer_norm.h"
#include "lowbit/nn/linear.h"
#include "lowbit/nn/residual.h"

namespace lowbit::models {

struct BlockConfig {
  int64_t hidden = 128, heads = 4, ffn = 512;
  double dropout = 0.1, attn_dropout = 0.1, ln_eps = 1e-12;
  bool pre_norm = false;  // false: BERT post-LN; true: ViT pre-LN
  bool causal = false;
};

class TransformerBlock : public nn::Module {
 public:
  // The four attention projections and the two FFN layers come from `projections` (dense or
  // tensor-train per layer name).
  TransformerBlock(const std::string& name, const BlockConfig& cfg, Rng& rng, DType dtype,
                   const nn::ProjectionFactory& projections = nn::dense_projections());
  // x (B*T, C), mask (B, T) u8 or undefined -> (B*T, C)
  Tensor forward(const Tensor& x, int64_t batch, int64_t seq, const Tensor& mask,
                 const nn::ForwardContext& ctx);
  Tensor backward(const Tensor& dy);
  void collect_params(std::vector<nn::Param*>& out) override;
  void set_numerics(const nn::NumericsPolicy& policy) override;
  void set_attention_policy(const nn::AttentionPolicy& policy) override {
    attn_.set_attention_policy(policy);
  }
  void set_int_layer_policy(const nn::IntLayerPolicy& policy) override {
    ln1_.set_int_layer_policy(policy);
    ln2_.set_int_layer_policy(policy);
  }

 private:
  Tensor feed_forward(const Tensor& x, const nn::ForwardContext& ctx);
  Tensor feed_forward_backward(const Tensor& dy);

  BlockConfig cfg_;
  nn::SelfAttention attn_;
  nn::LayerNorm ln1_, ln2_;
  std::unique_ptr<nn::Projection> fc1_, fc2_;
  nn::Gelu gelu_;
  nn::Dropout attn_out_drop_, ffn_out_drop_;
};

}  // namespace lowbit::models

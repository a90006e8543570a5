// BERT-style encoder classifier: embeddings -> LN -> post-LN blocks -> [CLS] -> tanh pooler
// -> classifier. Parameter names follow the layout of Hugging Face BertForSequenceClassification
// closely enough that importing is a rename table.
#pragma once

#include <memory>
#include <vector>

#include "lowbit/models/classifier.h"
#include "lowbit/models/transformer_block.h"
#include "lowbit/nn/embedding.h"

namespace lowbit::models {

struct BertConfig {
  int64_t layers = 2, hidden = 128, heads = 4, ffn = 512;
  int64_t vocab = 30522, max_positions = 64, type_vocab = 2, classes = 2;
  double dropout = 0.1, attn_dropout = 0.1, ln_eps = 1e-12;
  nn::EmbeddingOptions embedding;  // stable embedding, tensor-train word table
};

// What Hugging Face's BertModel returns: last_hidden_state and pooler_output.
struct BertEncoding {
  Tensor hidden;  // (B*T, C) last layer's hidden states
  Tensor pooled;  // (B, C) tanh(pooler([CLS] row))
};

class BertClassifier : public Classifier {
 public:
  BertClassifier(const BertConfig& cfg, uint64_t seed, DType dtype = DType::f32,
                 const nn::ProjectionFactory& projections = nn::dense_projections());
  // The encoder and pooler without the head; forward() is head(dropout(encode().pooled)).
  BertEncoding encode(const ModelInput& in, const nn::ForwardContext& ctx);
  Tensor forward(const ModelInput& in, const nn::ForwardContext& ctx) override;
  void backward(const Tensor& dlogits) override;
  void collect_params(std::vector<nn::Param*>& out) override;
  void set_numerics(const nn::NumericsPolicy& policy) override;
  void set_attention_policy(const nn::AttentionPolicy& policy) override {
    for (auto& b : blocks_) b->set_attention_policy(policy);
  }
  void set_int_layer_policy(const nn::IntLayerPolicy& policy) override;
  int64_t num_classes() const override { return cfg_.classes; }
  std::string describe() const override;
  std::vector<Tensor> hidden_levels() const override { return levels_; }
  void backward_levels(const std::vector<Tensor>& dlevels) override;
  const BertConfig& config() const { return cfg_; }

 private:
  BertConfig cfg_;
  Rng rng_;
  nn::Embedding embed_;
  nn::LayerNorm embed_ln_;
  nn::Dropout embed_drop_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  nn::Linear pooler_;
  nn::Dropout pooled_drop_;
  nn::Linear head_;
  // saved for backward
  int64_t batch_ = 0, seq_ = 0;
  Tensor pooled_;                // tanh output (B, C)
  std::vector<Tensor> levels_;   // blocks' input, then each block's output
};

}  // namespace lowbit::models

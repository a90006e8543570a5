// BERT-style classifier: forward is the list of layer calls, backward is the reverse.
#include "lowbit/models/bert.h"

#include "lowbit/models/pooling.h"

namespace lowbit::models {

namespace {
BlockConfig block_config(const BertConfig& c) {
  BlockConfig b;
  b.hidden = c.hidden;
  b.heads = c.heads;
  b.ffn = c.ffn;
  b.dropout = c.dropout;
  b.attn_dropout = c.attn_dropout;
  b.ln_eps = c.ln_eps;
  b.pre_norm = false;
  return b;
}
}  // namespace

BertClassifier::BertClassifier(const BertConfig& cfg, uint64_t seed, DType dtype,
                               const nn::ProjectionFactory& projections)
    : cfg_(cfg),
      rng_(seed),
      embed_("embeddings", cfg.vocab, cfg.max_positions, cfg.type_vocab, cfg.hidden, rng_, dtype,
             cfg.embedding),
      embed_ln_("embeddings.ln", cfg.hidden, cfg.ln_eps, dtype),
      embed_drop_(cfg.dropout, rng_.child(100)),
      pooler_("pooler", cfg.hidden, cfg.hidden, true, rng_, dtype),
      pooled_drop_(cfg.dropout, rng_.child(101)),
      head_("classifier", cfg.hidden, cfg.classes, true, rng_, dtype) {
  LB_CHECK(cfg.hidden % cfg.heads == 0, "[bert] model.hidden ", cfg.hidden,
           " is not divisible by model.heads ", cfg.heads);
  for (int64_t i = 0; i < cfg.layers; ++i) {
    Rng layer_rng = rng_.child(1000 + static_cast<uint64_t>(i));
    blocks_.push_back(std::make_unique<TransformerBlock>("encoder." + std::to_string(i),
                                                         block_config(cfg), layer_rng, dtype,
                                                         projections));
  }
}

void BertClassifier::collect_params(std::vector<nn::Param*>& out) {
  embed_.collect_params(out);
  embed_ln_.collect_params(out);
  for (auto& b : blocks_) b->collect_params(out);
  pooler_.collect_params(out);
  head_.collect_params(out);
}

void BertClassifier::set_numerics(const nn::NumericsPolicy& policy) {
  for (auto& b : blocks_) b->set_numerics(policy);
  pooler_.set_numerics(policy);
  head_.set_numerics(policy);
}

void BertClassifier::set_int_layer_policy(const nn::IntLayerPolicy& policy) {
  embed_.set_int_layer_policy(policy);
  embed_ln_.set_int_layer_policy(policy);
  for (auto& b : blocks_) b->set_int_layer_policy(policy);
}

std::string BertClassifier::describe() const {
  return cat("bert: layers ", cfg_.layers, ", hidden ", cfg_.hidden, ", heads ", cfg_.heads,
             ", ffn ", cfg_.ffn, ", vocab ", cfg_.vocab, ", max positions ", cfg_.max_positions,
             ", classes ", cfg_.classes);
}

BertEncoding BertClassifier::encode(const ModelInput& in, const nn::ForwardContext& ctx) {
  LB_CHECK(in.ids.defined(), "[bert] the batch has no token ids (is data.task an image task?)");
  batch_ = in.ids.dim(0);
  seq_ = in.ids.dim(1);
  Tensor h =
      embed_drop_.forward(embed_ln_.forward(embed_.forward(in.ids, in.segments, ctx), ctx), ctx);
  levels_.assign(1, h);
  for (auto& b : blocks_) {
    h = b->forward(h, batch_, seq_, in.mask, ctx);
    levels_.push_back(h);
  }
  pooled_ = tanh_forward(pooler_.forward(first_token_rows(h, batch_, seq_), ctx));
  return BertEncoding{h, pooled_};
}

Tensor BertClassifier::forward(const ModelInput& in, const nn::ForwardContext& ctx) {
  return head_.forward(pooled_drop_.forward(encode(in, ctx).pooled, ctx), ctx);
}

void BertClassifier::backward(const Tensor& dlogits) {
  Tensor dpooled = pooled_drop_.backward(head_.backward(dlogits));
  Tensor dh = first_token_rows_backward(pooler_.backward(tanh_backward(dpooled, pooled_)), batch_, seq_);
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) dh = (*it)->backward(dh);
  embed_.backward(embed_ln_.backward(embed_drop_.backward(dh)));
}

void BertClassifier::backward_levels(const std::vector<Tensor>& dlevels) {
  LB_CHECK(dlevels.size() == blocks_.size() + 1, "[bert] backward_levels: ", dlevels.size(),
           " gradients for ", blocks_.size() + 1, " levels");
  Tensor dh = backward_through_levels(
      dlevels, [&](size_t l, const Tensor& dy) { return blocks_[l]->backward(dy); });
  embed_.backward(embed_ln_.backward(embed_drop_.backward(dh)));
}

}  // namespace lowbit::models

// ViT forward as a list of layer calls; backward in reverse, including the [CLS] token and
// position-embedding gradients (summed over the batch).
#include "lowbit/models/vit.h"

#include "lowbit/models/pooling.h"

namespace lowbit::models {

namespace {
BlockConfig block_config(const VitConfig& c) {
  BlockConfig b;
  b.hidden = c.hidden;
  b.heads = c.heads;
  b.ffn = c.ffn;
  b.dropout = c.dropout;
  b.attn_dropout = c.attn_dropout;
  b.ln_eps = c.ln_eps;
  b.pre_norm = true;
  return b;
}

// tokens (B*P, C) -> (B*(P+1), C): [CLS] then the patches, plus positions.
template <class T>
void assemble(const Tensor& patches, const nn::Param& cls, const nn::Param& pos, int64_t batch,
              int64_t seq, Tensor& out) {
  int64_t c = patches.dim(1);
  const T* pp = patches.data<T>();
  const T* pc = cls.value.data<T>();
  const T* ppos = pos.value.data<T>();
  T* po = out.data<T>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < seq; ++t) {
      const T* src = t == 0 ? pc : pp + (b * (seq - 1) + t - 1) * c;
      T* dst = po + (b * seq + t) * c;
      for (int64_t j = 0; j < c; ++j) dst[j] = src[j] + ppos[t * c + j];
    }
  }
}

template <class T>
Tensor disassemble(const Tensor& d, nn::Param& cls, nn::Param& pos, int64_t batch, int64_t seq) {
  int64_t c = d.dim(1);
  Tensor dpatch = Tensor::empty({batch * (seq - 1), c}, d.dtype());
  const T* pd = d.data<T>();
  T* dc = cls.grad.data<T>();
  T* dpos = pos.grad.data<T>();
  T* out = dpatch.data<T>();
  // Batch order is fixed, so the sums are deterministic.
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < seq; ++t) {
      const T* src = pd + (b * seq + t) * c;
      for (int64_t j = 0; j < c; ++j) dpos[t * c + j] += src[j];
      T* dst = t == 0 ? dc : out + (b * (seq - 1) + t - 1) * c;
      for (int64_t j = 0; j < c; ++j) dst[j] = t == 0 ? dst[j] + src[j] : src[j];
    }
  }
  return dpatch;
}
}  // namespace

VitClassifier::VitClassifier(const VitConfig& cfg, uint64_t seed, DType dtype,
                             const nn::ProjectionFactory& projections)
    : cfg_(cfg),
      rng_(seed),
      patch_("patch_embed", cfg.channels, cfg.image_size, cfg.patch, cfg.hidden, rng_, dtype),
      embed_drop_(cfg.dropout, rng_.child(100)),
      final_ln_("final_ln", cfg.hidden, cfg.ln_eps, dtype),
      head_("classifier", cfg.hidden, cfg.classes, true, rng_, dtype) {
  LB_CHECK(cfg.image_size % cfg.patch == 0, "[vit] model.image_size ", cfg.image_size,
           " is not divisible by model.patch ", cfg.patch);
  LB_CHECK(cfg.hidden % cfg.heads == 0, "[vit] model.hidden ", cfg.hidden,
           " is not divisible by model.heads ", cfg.heads);
  int64_t seq = patch_.num_patches + 1;
  cls_ = nn::make_param("cls_token", {1, cfg.hidden}, dtype, false);
  pos_ = nn::make_param("position_embedding", {seq, cfg.hidden}, dtype, false);
  Rng init = rng_.child(200);
  init.fill_normal(cls_.value, 0, 0.02);
  init.fill_normal(pos_.value, 0, 0.02);
  for (int64_t i = 0; i < cfg.layers; ++i) {
    Rng layer_rng = rng_.child(1000 + static_cast<uint64_t>(i));
    blocks_.push_back(std::make_unique<TransformerBlock>("encoder." + std::to_string(i),
                                                         block_config(cfg), layer_rng, dtype,
                                                         projections));
  }
}

void VitClassifier::collect_params(std::vector<nn::Param*>& out) {
  patch_.collect_params(out);
  out.push_back(&cls_);
  out.push_back(&pos_);
  for (auto& b : blocks_) b->collect_params(out);
  final_ln_.collect_params(out);
  head_.collect_params(out);
}

void VitClassifier::set_numerics(const nn::NumericsPolicy& policy) {
  patch_.set_numerics(policy);
  for (auto& b : blocks_) b->set_numerics(policy);
  head_.set_numerics(policy);
}

std::string VitClassifier::describe() const {
  return cat("vit: layers ", cfg_.layers, ", hidden ", cfg_.hidden, ", heads ", cfg_.heads,
             ", ffn ", cfg_.ffn, ", image ", cfg_.image_size, "x", cfg_.image_size, "x",
             cfg_.channels, ", patch ", cfg_.patch, ", classes ", cfg_.classes);
}

Tensor VitClassifier::forward(const ModelInput& in, const nn::ForwardContext& ctx) {
  LB_CHECK(in.images.defined(), "[vit] the batch has no images (is data.task a text task?)");
  batch_ = in.images.dim(0);
  seq_ = patch_.num_patches + 1;
  Tensor patches = patch_.forward(in.images, ctx);
  Tensor h = Tensor::empty({batch_ * seq_, cfg_.hidden}, patches.dtype());
  if (h.dtype() == DType::f32) assemble<float>(patches, cls_, pos_, batch_, seq_, h);
  else assemble<double>(patches, cls_, pos_, batch_, seq_, h);
  h = embed_drop_.forward(h, ctx);
  Tensor no_mask;
  levels_.assign(1, h);
  for (auto& b : blocks_) {
    h = b->forward(h, batch_, seq_, no_mask, ctx);
    levels_.push_back(h);
  }
  return head_.forward(first_token_rows(final_ln_.forward(h, ctx), batch_, seq_), ctx);
}

void VitClassifier::backward(const Tensor& dlogits) {
  Tensor dh = final_ln_.backward(first_token_rows_backward(head_.backward(dlogits), batch_, seq_));
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) dh = (*it)->backward(dh);
  embed_backward(dh);
}

void VitClassifier::backward_levels(const std::vector<Tensor>& dlevels) {
  LB_CHECK(dlevels.size() == blocks_.size() + 1, "[vit] backward_levels: ", dlevels.size(),
           " gradients for ", blocks_.size() + 1, " levels");
  embed_backward(backward_through_levels(
      dlevels, [&](size_t l, const Tensor& dy) { return blocks_[l]->backward(dy); }));
}

void VitClassifier::embed_backward(const Tensor& dh_in) {
  Tensor dh = embed_drop_.backward(dh_in);
  Tensor dpatch = dh.dtype() == DType::f32 ? disassemble<float>(dh, cls_, pos_, batch_, seq_)
                                           : disassemble<double>(dh, cls_, pos_, batch_, seq_);
  patch_.backward(dpatch);
}

}  // namespace lowbit::models

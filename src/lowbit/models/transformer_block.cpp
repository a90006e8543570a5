// Transformer block forward and its hand-written backward (the reverse of forward).
#include "lowbit/models/transformer_block.h"

namespace lowbit::models {

TransformerBlock::TransformerBlock(const std::string& name, const BlockConfig& cfg, Rng& rng,
                                   DType dtype, const nn::ProjectionFactory& projections)
    : cfg_(cfg),
      attn_(name + ".attention", cfg.hidden, cfg.heads, cfg.causal, cfg.attn_dropout, rng, dtype,
            projections),
      ln1_(name + ".ln1", cfg.hidden, cfg.ln_eps, dtype),
      ln2_(name + ".ln2", cfg.hidden, cfg.ln_eps, dtype),
      fc1_(projections(name + ".ffn.fc1", cfg.hidden, cfg.ffn, true, rng, dtype)),
      fc2_(projections(name + ".ffn.fc2", cfg.ffn, cfg.hidden, true, rng, dtype)),
      attn_out_drop_(cfg.dropout, rng.child(1)),
      ffn_out_drop_(cfg.dropout, rng.child(2)) {}

void TransformerBlock::collect_params(std::vector<nn::Param*>& out) {
  attn_.collect_params(out);
  ln1_.collect_params(out);
  fc1_->collect_params(out);
  fc2_->collect_params(out);
  ln2_.collect_params(out);
}

void TransformerBlock::set_numerics(const nn::NumericsPolicy& policy) {
  attn_.set_numerics(policy);
  fc1_->set_numerics(policy);
  fc2_->set_numerics(policy);
}

Tensor TransformerBlock::feed_forward(const Tensor& x, const nn::ForwardContext& ctx) {
  return ffn_out_drop_.forward(fc2_->forward(gelu_.forward(fc1_->forward(x, ctx)), ctx), ctx);
}

Tensor TransformerBlock::feed_forward_backward(const Tensor& dy) {
  return fc1_->backward(gelu_.backward(fc2_->backward(ffn_out_drop_.backward(dy))));
}

Tensor TransformerBlock::forward(const Tensor& x, int64_t batch, int64_t seq, const Tensor& mask,
                                 const nn::ForwardContext& ctx) {
  if (cfg_.pre_norm) {
    Tensor h =
        attn_out_drop_.forward(attn_.forward(ln1_.forward(x, ctx), batch, seq, mask, ctx), ctx);
    nn::add_inplace(h, x);
    Tensor y = feed_forward(ln2_.forward(h, ctx), ctx);
    nn::add_inplace(y, h);
    return y;
  }
  Tensor a = attn_out_drop_.forward(attn_.forward(x, batch, seq, mask, ctx), ctx);
  nn::add_inplace(a, x);
  Tensor h = ln1_.forward(a, ctx);
  Tensor f = feed_forward(h, ctx);
  nn::add_inplace(f, h);
  return ln2_.forward(f, ctx);
}

Tensor TransformerBlock::backward(const Tensor& dy) {
  if (cfg_.pre_norm) {
    // y = h + FFN(LN2(h)); h = x + Attn(LN1(x))
    Tensor dh = ln2_.backward(feed_forward_backward(dy));
    nn::add_inplace(dh, dy);
    Tensor dx = ln1_.backward(attn_.backward(attn_out_drop_.backward(dh)));
    nn::add_inplace(dx, dh);
    return dx;
  }
  // y = LN2(h + FFN(h)); h = LN1(x + Attn(x))
  Tensor df = ln2_.backward(dy);
  Tensor dh = feed_forward_backward(df);
  nn::add_inplace(dh, df);
  Tensor da = ln1_.backward(dh);
  Tensor dx = attn_.backward(attn_out_drop_.backward(da));
  nn::add_inplace(dx, da);
  return dx;
}

}  // namespace lowbit::models

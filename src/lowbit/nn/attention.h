// Multi-head self-attention (BERT/ViT/GPT layout) with its hand-written backward: four
// projections (dense or tensor-train) around per-(batch, head) GEMMs on strided views of Q, K, V, so no head is copied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include "lowbit/nn/linear.h"
#include "lowbit/nn/module.h"
#include "lowbit/nn/projection.h"

namespace lowbit::nn {

// Per head (d = C / H): P = softmax(Q·Kᵀ / sqrt(d) over the allowed keys), ctx = P·V, heads
// concatenated, then the output projection. A key is allowed when its mask entry is 1 and, if
// causal, it is not after the query. A query with no allowed key (an all-padding sequence, or
// left padding under causal) gets all-zero probabilities: its ctx row is 0 and its output is
// the output bias; its gradients are 0.
class SelfAttention : public Module {
 public:
  // Projections "<name>.query", "<name>.key", "<name>.value", "<name>.output", all (C, C)
  // with bias, built by `projections` (dense Linear by default). Attention-probability dropout (attn_dropout in [0, 1)) draws its masks from a
  // stream of rng named after the layer, keyed by ForwardContext::step.
  SelfAttention(std::string name, int64_t hidden, int64_t heads, bool causal, double attn_dropout,
                Rng& rng, DType dtype, const ProjectionFactory& projections = dense_projections());

  // x (B*T, C), mask (B, T) u8 with 1 = real token, or undefined (all real) -> (B*T, C).
  // Keeps Q, K, V, P and the dropout mask for backward.
  Tensor forward(const Tensor& x, int64_t batch, int64_t seq, const Tensor& mask,
                 const ForwardContext& ctx);
  // dy (B*T, C) -> dx (B*T, C); accumulates into all eight parameters' grads and releases
  // what forward kept.
  Tensor backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;
  void set_numerics(const NumericsPolicy& policy) override;
  void set_attention_policy(const AttentionPolicy& policy) override { operands_ = policy(name_); }

  int64_t hidden() const { return hidden_; }
  int64_t heads() const { return heads_; }
  bool causal() const { return causal_; }
  double attn_dropout() const { return attn_dropout_; }

  std::unique_ptr<Projection> query, key, value, output;

 private:
  template <class T>
  Tensor forward_t(const Tensor& x, const Tensor& mask, const ForwardContext& ctx);
  template <class T>
  Tensor backward_t(const Tensor& dy);

  std::string name_;
  DType dtype_;
  int64_t hidden_, heads_;
  bool causal_;
  double attn_dropout_;
  Rng dropout_rng_;
  AttentionOperands operands_;  // transforms of Q, K, V, P before the products (none by default)

  // Saved by forward for backward.
  int64_t batch_ = 0, seq_ = 0;
  std::vector<int64_t> key_end_;  // (B): one past the last real key of each sequence
  Tensor q_, k_, v_;              // (B*T, C) projections; head h is columns [h*d, (h+1)*d)
  Tensor probs_;                  // (B, H, T, T) softmax output before dropout
  Tensor drop_mask_;              // (B, H, T, T) u8 keep-mask; undefined when no dropout ran
};

}  // namespace lowbit::nn

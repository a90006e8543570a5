// Token + position + token-type embeddings (BERT's input layer): a row gather forward and a
// deterministic scatter-add backward that touches only the table rows the batch uses.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lowbit/nn/layer_norm.h"
#include "lowbit/nn/module.h"
#include "lowbit/nn/tt_embedding.h"

namespace lowbit::nn {

struct EmbeddingOptions {
  // The stable embedding of Dettmers et al. (8-bit optimizers): the word table Xavier-uniform
  // initialised, a layer norm "<name>.word_ln" on the word rows before the position and type
  // rows are added, and 32-bit optimizer state for the word table and that norm.
  bool stable = false;
  // The word table as a tensor-train matrix (nn/tt_embedding.h, parameters "<name>.word.core*")
  // with this max rank and number of cores; 0 = a dense table.
  int64_t tt_rank = 0;
  int tt_cores = 3;
  // LSQ QAT of the tensor-train table's cores (TtEmbedding): signed bits, 0 = off.
  int tt_qat_bits = 0;
  double tt_qat_step_lr_scale = 0.01;
};

class Embedding : public Module {
 public:
  // Parameters "<name>.word" (vocab, C), "<name>.position" (max_positions, C) and
  // "<name>.token_type" (type_vocab, C), none decayed, each N(0, 0.02) from
  // rng.child(<hash of the parameter name>).
  Embedding(std::string name, int64_t vocab, int64_t max_positions, int64_t type_vocab,
            int64_t hidden, Rng& rng, DType dtype, const EmbeddingOptions& options = {});
  // ids (B, T) i32, segments (B, T) i32 or undefined (all 0) -> (B*T, C) with row b*T + t =
  // word[ids[b,t]] + position[t] + token_type[segments[b,t]]. Keeps copies of ids and segments.
  // ctx.step keys the integer backward's stochastic rounding.
  Tensor forward(const Tensor& ids, const Tensor& segments, const ForwardContext& ctx = {});
  // dy (B*T, C): accumulates into the three tables' gradients, each row in token order.
  void backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;
  // policy(name, LayerKind::embedding) switches the integer embedding on or off (dense f32
  // tables only: a stable or tensor-train table throws); the stable word norm gets its own.
  //
  // Integer embedding: each table is mapped to dynamic fixed point (weight bits, nearest, so
  // evaluation sees the training codes); a row is the sum of its three codes aligned to the
  // finest of the three power-of-two scales, in int64 (exact), times that scale (one rounding to
  // f32). Backward maps dy to dynamic fixed point (grad bits, stochastic, stream operand 2),
  // scatter-adds its codes into int64 rows in token order and adds them times dy's scale.
  void set_int_layer_policy(const IntLayerPolicy& policy) override;
  bool is_integer() const { return int_.has_value(); }
  static std::string describe_int(const IntNumericsConfig& cfg);  // for the run report

  int64_t hidden() const { return hidden_; }
  int64_t vocab() const { return vocab_; }
  const std::string& name() const { return name_; }

  Param word, position, token_type;  // word: undefined tensors with a tensor-train table

 private:
  std::string name_;
  Tensor ids_, segments_;  // (B, T) i32 from the last forward; segments_ all 0 when not given
  int64_t vocab_, hidden_;
  DType dtype_;
  std::unique_ptr<LayerNorm> word_ln_;      // stable embedding only
  std::unique_ptr<TtEmbedding> word_tt_;  // tensor-train word table only
  std::optional<IntNumericsConfig> int_;  // integer embedding
  uint64_t step_ = 0;                     // ctx.step of the last forward

  Tensor forward_int(int64_t b, int64_t t);
  void backward_int(const Tensor& dy);
};

}  // namespace lowbit::nn

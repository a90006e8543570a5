// Token + position + token-type embeddings (BERT's input layer): a row gather forward and a
// deterministic scatter-add backward that touches only the table rows the batch uses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowbit/nn/layer_norm.h"
#include "lowbit/nn/module.h"

namespace lowbit::nn {

struct EmbeddingOptions {
  // The stable embedding of Dettmers et al. (8-bit optimizers): the word table Xavier-uniform
  // initialised, a layer norm "<name>.word_ln" on the word rows before the position and type
  // rows are added, and 32-bit optimizer state for the word table and that norm.
  bool stable = false;
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
  Tensor forward(const Tensor& ids, const Tensor& segments);
  // dy (B*T, C): accumulates into the three tables' gradients, each row in token order.
  void backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;

  int64_t hidden() const { return word.value.dim(1); }
  const std::string& name() const { return name_; }

  Param word, position, token_type;

 private:
  std::string name_;
  Tensor ids_, segments_;  // (B, T) i32 from the last forward; segments_ all 0 when not given
  std::unique_ptr<LayerNorm> word_ln_;  // stable embedding only
};

}  // namespace lowbit::nn

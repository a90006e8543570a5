// Tensor-train linear layer Y = X·Wᵀ + b with W (out × in) held as TT cores (tt_matrix.h):
// the forward and backward contract the input with the cores one at a time and never form W.
#pragma once

#include <string>
#include <vector>

#include <functional>
#include <memory>

#include "lowbit/nn/linear.h"
#include "lowbit/quant/lsq.h"
#include "lowbit/nn/projection.h"
#include "lowbit/nn/tt_core_qat.h"
#include "lowbit/nn/tt_matrix.h"

namespace lowbit::nn {

// LSQ quantization-aware training of a tensor-train layer (numerics.mode = qat): every core is
// fake-quantized with its own learned step "<name>.core{k}_step" (signed weight_bits) and the
// input with "<name>.act_step" (signed act_bits); 0 bits = off.
struct TtQat {
  int weight_bits = 0, act_bits = 0;
  double step_lr_scale = 0.01;  // the steps' Param::lr_scale (qat_numerics.h)
};

class TtLinear : public Projection {
 public:
  // Parameters "<name>.core0".."<name>.core{d-1}" (shape (r_k, o_k, i_k, r_{k+1}), decayed) and
  // "<name>.bias" (out, not decayed, zero). Each core is N(0, σ²) from rng.child(<hash of the
  // core's name>) with σ = (0.02 / √(r_1···r_{d-1}))^(1/d): an entry of W sums r_1···r_{d-1}
  // products of d independent core entries, so its variance is r_1···r_{d-1}·σ^(2d) = 0.02²,
  // the std of BERT's dense init.
  TtLinear(std::string name, int64_t in_features, int64_t out_features, bool bias,
           const TtShape& shape, Rng& rng, DType dtype, const TtQat& qat = {});
  // x (M, in) -> (M, out); keeps each contraction step's input for backward.
  Tensor forward(const Tensor& x, const ForwardContext& ctx = {}) override;
  // dy (M, out) -> dx (M, in); accumulates into every core's grad and the bias grad.
  Tensor backward(const Tensor& dy) override;
  void collect_params(std::vector<Param*>& out) override;

  int64_t in_features() const override { return layout_.in(); }
  int64_t out_features() const override { return layout_.out(); }
  const std::string& name() const override { return name_; }
  const TtLayout& layout() const { return layout_; }
  // Dense W (out, in) from the cores: for tests and reports, never the training path.
  Tensor materialize() const;

  std::vector<Param> cores;
  Param bias;  // undefined tensors when the layer has no bias

 private:
  std::vector<const Tensor*> core_values() const;
  std::string name_;
  TtLayout layout_;
  bool has_bias_;
  TtSaved saved_;
  TtCoreQuantizers core_q_;              // QAT of the cores (off when not QAT)
  std::unique_ptr<LsqQuantizer> act_q_;  // QAT: the input's (null when off)
};

// A TtLinear initialised by TT-SVD of a dense weight (out, in) (and its bias, or undefined):
// the best layout.ranks-truncation the sequential SVDs give. Cores take the weight's dtype.
TtLinear tt_linear_from_dense(const std::string& name, const Tensor& weight, const Tensor& bias,
                              const TtShape& shape);
TtLinear tt_linear_from_dense(const std::string& name, const Linear& dense, const TtShape& shape);

// Which projections of a model become tensor trains, and how.
struct TtOptions {
  std::vector<std::string> match;  // a layer whose name contains any of these is TT, e.g. "ffn"
  int d = 3;                       // modes per side, from tt_factorize
  int64_t max_rank = 16;
  // LSQ fake quantization of a TT layer's cores and input, by layer name; null: none.
  std::function<TtQat(const std::string& name)> qat;
};

// TtLinear for matching layer names (modes from tt_factorize, ranks capped at max_rank), a dense
// Linear otherwise.
ProjectionFactory tt_projections(TtOptions options);

}  // namespace lowbit::nn

// Tensor-train embedding table (vocab × C) (Yang et al. 2023): the table is a TT matrix whose
// row modes v_k multiply to ≥ vocab (rows past vocab are padding, never looked up) and whose
// column modes c_k multiply to C. A look-up contracts the cores' slices for the id's digits.
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/module.h"
#include "lowbit/nn/tt_matrix.h"
#include "lowbit/nn/tt_core_qat.h"

namespace lowbit::nn {

class TtEmbedding : public Module {
 public:
  // Parameters "<name>.core0".."<name>.core{d-1}", shape (r_k, v_k, c_k, r_{k+1}), not decayed
  // (like the dense tables), N(0, σ²) with σ = (0.02 / √(r_1···r_{d-1}))^(1/d) from
  // rng.child(<hash of the core's name>) so that table entries have std 0.02. In the TtShape,
  // out_modes are the row (vocab) modes and in_modes the column (C) modes; empty row modes come
  // from tt_factorize_at_least(vocab, d).
  //
  // qat_bits > 0: LSQ quantization-aware training of the table (numerics.qat_embedding): every
  // core is fake-quantized with its own learned step "<name>.core{k}_step" (signed qat_bits,
  // Param::lr_scale step_lr_scale), the look-ups contract the grid values and the gradients
  // reach the cores straight through (quant/lsq.h), as TtLinear's cores (tt_linear.h).
  TtEmbedding(std::string name, int64_t vocab, int64_t hidden, const TtShape& shape, Rng& rng,
              DType dtype, int qat_bits = 0, double step_lr_scale = 0.01);
  // ids (any shape, N values) i32 -> (N, C), row n the table row ids[n]. Keeps the per-step
  // operands for backward.
  Tensor forward(const Tensor& ids);
  // dy (N, C): accumulates into every core's grad in a fixed order (thread-count independent):
  // the rows of one id summed in token order first, then contracted once per distinct id.
  void backward(const Tensor& dy);
  void collect_params(std::vector<Param*>& out) override;

  int64_t vocab() const { return vocab_; }
  int64_t hidden() const { return layout_.in(); }
  const std::string& name() const { return name_; }
  const TtLayout& layout() const { return layout_; }
  // The dense table (vocab, C), for tests and reports only.
  Tensor materialize() const;

  std::vector<Param> cores;

 private:
  std::string name_;
  int64_t vocab_;
  TtLayout layout_;
  // From the last forward: the distinct ids (ascending) and each token's index among them; then,
  // over the distinct ids, per step k: ids sorted (stably) by digit k, where each digit value's
  // group starts, and the gathered left operand (U·C_{<k}, r_k) in that order.
  std::vector<int32_t> uniq_;
  std::vector<int64_t> inverse_;
  std::vector<std::vector<int32_t>> order_;
  std::vector<std::vector<int64_t>> group_start_;
  std::vector<Tensor> left_;
  int64_t n_ = -1;
  TtCoreQuantizers core_q_;  // QAT of the cores (off when qat_bits is 0)
};

// A TtEmbedding initialised by TT-SVD of a dense table (vocab, C) padded with zero rows (no QAT).
TtEmbedding tt_embedding_from_dense(const std::string& name, const Tensor& table,
                                    const TtShape& shape);

}  // namespace lowbit::nn

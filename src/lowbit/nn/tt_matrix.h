// Tensor-train (TT) matrices (Oseledets 2011; Yang et al. 2023): W (out × in) stored as d small
// cores, with the contractions that apply W and its transpose without ever forming W.
//
// Layout. out = o_1···o_d and in = i_1···i_d (mode 1 most significant in the row-major flattening:
// row a = ((a_1·o_2 + a_2)·o_3 + ...), likewise column b). Core k (k = 1..d, stored 0-based) is a
// contiguous row-major tensor of shape (r_{k-1}, o_k, i_k, r_k) with r_0 = r_d = 1, so element
// G_k[s, a, b, t] is at ((s·o_k + a)·i_k + b)·r_k + t, and
//   W[(a_1..a_d), (b_1..b_d)] = G_1[0, a_1, b_1, :] · G_2[:, a_2, b_2, :] ··· G_d[:, a_d, b_d, 0].
// Viewed as a matrix, core k is (r_{k-1}·o_k) × (i_k·r_k): the operand of one GEMM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lowbit/core/tensor.h"

namespace lowbit::nn {

// What a user asks for: modes, and either all d+1 ranks or a single cap. Empty modes are
// filled by tt_factorize (in modes ascending, out modes descending: see tt_forward's cost).
struct TtShape {
  std::vector<int64_t> in_modes, out_modes;
  std::vector<int64_t> ranks;  // d+1 values with ranks[0] = ranks[d] = 1, or empty
  int64_t max_rank = 0;        // used when ranks is empty
  int d = 3;                   // used when the modes are empty
};

// Resolved and validated: every field set.
struct TtLayout {
  std::vector<int64_t> in_modes, out_modes, ranks;
  int d() const { return static_cast<int>(in_modes.size()); }
  int64_t in() const;
  int64_t out() const;
  Shape core_shape(int k) const {  // k 0-based
    return {ranks[k], out_modes[k], in_modes[k], ranks[k + 1]};
  }
  int64_t numel() const;  // Σ_k r_{k-1}·o_k·i_k·r_k
  std::string str() const;  // "in (3, 5, 2), out (4, 3, 7), ranks (1, 3, 4, 1)"
};

// n as d integers ≥ 2 whose product is exactly n, as equal as possible (least squared spread of
// their logs), ascending. Throws naming n and d when n has fewer than d prime factors, unless
// allow_ones, which pads with 1s.
std::vector<int64_t> tt_factorize(int64_t n, int d, bool allow_ones = false);
// d integers whose product is at least n (for padded vocabularies), ascending, product minimal
// among near-equal choices.
std::vector<int64_t> tt_factorize_at_least(int64_t n, int d);

// The default ranks: r_k = min(max_rank, r_{k-1}·o_k·i_k, ∏_{j>k} o_j·i_j), the largest ranks a
// sequence of truncated SVDs (tt_svd) can produce; higher ranks would only add redundancy.
std::vector<int64_t> tt_default_ranks(const std::vector<int64_t>& out_modes,
                                      const std::vector<int64_t>& in_modes, int64_t max_rank);

// Validates shape against a matrix (out × in); errors start with "[<who>] " and show the shapes.
// pad_out: the out modes may multiply to more than out (an embedding's padded vocabulary).
TtLayout tt_layout(const TtShape& shape, int64_t in, int64_t out, const std::string& who,
                   bool pad_out = false);

// Dense W (out_modes product × in_modes product), for tests and TT-SVD checks only.
Tensor tt_materialize(const TtLayout& layout, const std::vector<const Tensor*>& cores);

// What tt_forward keeps for tt_backward: the input of each contraction step.
struct TtSaved {
  std::vector<Tensor> z;  // z[k] for core k (0-based); z[d-1] is x itself
  int64_t rows = -1;
};

// Y (M, out) = X (M, in)·Wᵀ, core d first down to core 1, one GEMM and one transpose per core.
// FLOPs: Σ_k 2·M·(i_1···i_k)·(o_k···o_d)·r_{k-1}·r_k (vs 2·M·in·out dense).
Tensor tt_forward(const TtLayout& layout, const std::vector<const Tensor*>& cores,
                  const Tensor& x, TtSaved* saved);
// dy (M, out) -> dx (M, in); dcores[k] += dL/dG_k. Twice the forward's FLOPs.
Tensor tt_backward(const TtLayout& layout, const std::vector<const Tensor*>& cores,
                   const TtSaved& saved, const Tensor& dy, const std::vector<Tensor*>& dcores);

// TT-SVD of a dense W (out × in), f64 or f32 (computed in f64; cores returned in W's dtype)
// with layout's modes; the cores have layout.ranks when those are ≤ tt_default_ranks(…, ∞),
// else an error. discarded_sq (optional) gets Σ of the squared singular values dropped at
// each step: ‖W - W_tt‖²_F ≤ Σ_k discarded_sq[k] (Oseledets 2011, Thm 2.2).
std::vector<Tensor> tt_svd(const Tensor& w, const TtLayout& layout,
                           std::vector<double>* discarded_sq = nullptr);

// Out-of-place 2-D transpose: src (rows, cols) row-major -> dst (cols, rows). Parallel
// over row blocks; a pure copy, so thread-count independent.
template <class T>
void transpose_2d(const T* src, int64_t rows, int64_t cols, T* dst);

}  // namespace lowbit::nn

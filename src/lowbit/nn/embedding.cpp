// Embedding gather and scatter-add. The backward splits the work by column ranges of C, and each
// range walks the tokens in order, so every gradient element sums in one fixed order.
#include "lowbit/nn/embedding.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kRowsPerChunk = 64;  // forward: output rows per parallel chunk
constexpr int64_t kColsPerChunk = 32;  // backward: columns per parallel chunk (128 B of f32)


Param table(const std::string& name, int64_t rows, int64_t c, Rng& rng, DType dtype) {
  Param p = make_param(name, {rows, c}, dtype, false);
  Rng init = rng.child(name_hash(p.name));
  init.fill_normal(p.value, 0.0, 0.02);
  return p;
}

// First value outside [0, limit), as its flat index, or -1.
int64_t first_out_of_range(const Tensor& t, int64_t limit) {
  const int32_t* p = t.data<int32_t>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (p[i] < 0 || p[i] >= limit) return i;
  return -1;
}

// out[r] = word[ids[r]] + pos[r % T] + type[seg[r]]; with word == nullptr, out[r] already holds
// the word row (a transformed one) and gets the other two added.
template <class T>
void gather(const int32_t* ids, const int32_t* seg, int64_t b, int64_t t, int64_t c, const T* word,
            const T* pos, const T* type, T* out) {
  parallel_for(b * t, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict p = pos + (r % t) * c;
      const T* __restrict s = type + seg[r] * c;
      T* __restrict o = out + r * c;
      if (word) {
        const T* __restrict w = word + ids[r] * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) o[j] = w[j] + p[j] + s[j];
      } else {
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) o[j] += p[j] + s[j];
      }
    }
  });
}

// rows[r] = word[ids[r]].
template <class T>
void gather_word(const int32_t* ids, int64_t n, int64_t c, const T* word, T* rows) {
  parallel_for(n, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::copy(word + ids[r] * c, word + (ids[r] + 1) * c, rows + r * c);
  });
}

// For r = 0, 1, ..., B*T - 1 in that order: word.grad[ids[r]] += dy[r], position.grad[r % T]
// += dy[r], token_type.grad[seg[r]] += dy[r]. One pass reads each dy slice once for all three.
// With word == nullptr the word table is skipped (its rows' gradient goes elsewhere), and with
// position == type == nullptr only the word table is updated, from dword = dy.
template <class T>
void scatter_all(const Tensor& ids, const Tensor& seg, const Tensor& dy, Param* word,
                 Param* position, Param* type) {
  const int64_t rows = ids.numel(), t = ids.dim(1), c = dy.dim(1);
  const int32_t* pi = ids.data<int32_t>();
  const int32_t* ps = seg.data<int32_t>();
  const T* d = dy.data<T>();
  T* gw = word ? word->grad.data<T>() : nullptr;
  T* gp = position ? position->grad.data<T>() : nullptr;
  T* gt = type ? type->grad.data<T>() : nullptr;
  parallel_for(c, kColsPerChunk, [&](int64_t j0, int64_t j1) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* __restrict src = d + r * c;
      if (gw) {
        T* __restrict w = gw + pi[r] * c;
#pragma omp simd
        for (int64_t j = j0; j < j1; ++j) w[j] += src[j];
      }
      if (!gp) continue;
      T* __restrict p = gp + (r % t) * c;
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) p[j] += src[j];
      T* __restrict s = gt + ps[r] * c;
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) s[j] += src[j];
    }
  });
}

}  // namespace

Embedding::Embedding(std::string name, int64_t vocab, int64_t max_positions, int64_t type_vocab,
                     int64_t hidden, Rng& rng, DType dtype, const EmbeddingOptions& options)
    : name_(std::move(name)), vocab_(vocab), hidden_(hidden), dtype_(dtype) {
  LB_CHECK(vocab > 0 && max_positions > 0 && type_vocab > 0 && hidden > 0, "[embedding ", name_,
           "] vocab ", vocab, ", max_positions ", max_positions, ", type_vocab ", type_vocab,
           " and hidden ", hidden, " must all be positive");
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[embedding ", name_, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  LB_CHECK(!(options.stable && options.tt_rank > 0), "[embedding ", name_,
           "] model.stable_embedding and model.tt_embedding cannot be combined (the stable "
           "embedding's Xavier init is for a dense table)");
  if (options.tt_rank > 0) {
    TtShape shape;
    shape.max_rank = options.tt_rank;
    shape.d = options.tt_cores;
    word_tt_ = std::make_unique<TtEmbedding>(name_ + ".word", vocab, hidden, shape, rng, dtype);
  } else {
    word = table(name_ + ".word", vocab, hidden, rng, dtype);
  }
  position = table(name_ + ".position", max_positions, hidden, rng, dtype);
  token_type = table(name_ + ".token_type", type_vocab, hidden, rng, dtype);
  if (options.stable) {
    // Xavier uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (torch's xavier_uniform_).
    const double a = std::sqrt(6.0 / static_cast<double>(vocab + hidden));
    Rng init = rng.child(name_hash(word.name + ".xavier"));
    init.fill_uniform(word.value, -a, a);
    word_ln_ = std::make_unique<LayerNorm>(name_ + ".word_ln", hidden, 1e-5, dtype);
    word.state32 = true;
    word_ln_->gamma.state32 = word_ln_->beta.state32 = true;
  }
}

void Embedding::collect_params(std::vector<Param*>& out) {
  if (word_tt_) word_tt_->collect_params(out);
  else out.push_back(&word);
  if (word_ln_) word_ln_->collect_params(out);
  out.push_back(&position);
  out.push_back(&token_type);
}

Tensor Embedding::forward(const Tensor& ids, const Tensor& segments) {
  LB_CHECK(ids.defined() && ids.ndim() == 2, "[embedding ", name_, "] ids is ",
           ids.defined() ? ids.shape_string() : std::string("undefined"), ", expected (B, T)");
  check_dtype("embedding", "ids", ids, DType::i32);
  const int64_t b = ids.dim(0), t = ids.dim(1), c = hidden();
  const int64_t vocab = vocab_, max_pos = position.value.dim(0);
  const int64_t types = token_type.value.dim(0);
  LB_CHECK(t <= max_pos, "[embedding ", name_, "] sequence length ", t,
           " exceeds the position table's ", max_pos,
           " rows (model.max_positions); shorten data.max_length or raise model.max_positions");
  if (int64_t i = first_out_of_range(ids, vocab); i >= 0)
    LB_FAIL("[embedding ", name_, "] token id ", ids.data<int32_t>()[i], " at (", i / t, ", ",
            i % t, ") is out of range for the word table of ", vocab,
            " rows (model.vocab); does the tokenizer match the model?");
  if (segments.defined()) {
    LB_CHECK(segments.shape() == ids.shape(), "[embedding ", name_, "] segments is ",
             segments.shape_string(), ", expected ", ids.shape_string(), " (the shape of ids)");
    check_dtype("embedding", "segments", segments, DType::i32);
    if (int64_t i = first_out_of_range(segments, types); i >= 0)
      LB_FAIL("[embedding ", name_, "] segment ", segments.data<int32_t>()[i], " at (", i / t, ", ",
              i % t, ") is out of range for the token-type table of ", types,
              " rows (model.type_vocab)");
    segments_ = segments.clone();
  } else {
    segments_ = Tensor::zeros(ids.shape(), DType::i32);
  }
  ids_ = ids.clone();
  const int32_t* pi = ids_.data<int32_t>();
  const int32_t* ps = segments_.data<int32_t>();
  Tensor out;
  const bool fused = !word_ln_ && !word_tt_;
  if (fused) {
    out = Tensor::empty({b * t, c}, dtype_);
  } else {  // the word rows (normalized for the stable embedding), then position and type added
    Tensor rows;
    if (word_tt_) {
      rows = word_tt_->forward(ids_);
    } else {
      rows = Tensor::empty({b * t, c}, dtype_);
      if (rows.dtype() == DType::f32)
        gather_word(pi, b * t, c, word.value.data<float>(), rows.data<float>());
      else
        gather_word(pi, b * t, c, word.value.data<double>(), rows.data<double>());
    }
    out = word_ln_ ? word_ln_->forward(rows) : rows;
  }
  if (out.dtype() == DType::f32)
    gather(pi, ps, b, t, c, fused ? word.value.data<float>() : nullptr,
           position.value.data<float>(), token_type.value.data<float>(), out.data<float>());
  else
    gather(pi, ps, b, t, c, fused ? word.value.data<double>() : nullptr,
           position.value.data<double>(), token_type.value.data<double>(), out.data<double>());
  return out;
}

void Embedding::backward(const Tensor& dy) {
  LB_CHECK(ids_.defined(), "[embedding ", name_, "] backward called before forward");
  LB_CHECK(dy.ndim() == 2 && dy.dim(0) == ids_.numel() && dy.dim(1) == hidden(), "[embedding ",
           name_, "] dy is ", dy.shape_string(), ", expected (", ids_.numel(), ", ", hidden(), ")");
  LB_CHECK(dy.dtype() == dtype_, "[embedding ", name_, "] dy is ", dtype_name(dy.dtype()),
           ", expected ", dtype_name(dtype_));
  // The word rows' gradient goes straight into a dense table, else through the norm and/or the
  // tensor train.
  Param* direct = word_ln_ || word_tt_ ? nullptr : &word;
  if (dy.dtype() == DType::f32)
    scatter_all<float>(ids_, segments_, dy, direct, &position, &token_type);
  else
    scatter_all<double>(ids_, segments_, dy, direct, &position, &token_type);
  if (direct) return;
  Tensor dword = word_ln_ ? word_ln_->backward(dy) : dy;
  if (word_tt_) {
    word_tt_->backward(dword);
    return;
  }
  if (dy.dtype() == DType::f32)
    scatter_all<float>(ids_, segments_, dword, &word, nullptr, nullptr);
  else
    scatter_all<double>(ids_, segments_, dword, &word, nullptr, nullptr);
}

}  // namespace lowbit::nn

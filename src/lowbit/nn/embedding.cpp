// Embedding gather and scatter-add. The backward splits the work by column ranges of C, and each
// range walks the tokens in order, so every gradient element sums in one fixed order.
#include "lowbit/nn/embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/int_numerics.h"
#include "lowbit/quant/uniform.h"

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

// fn(out row, word row, position row, type row) for every token r = b*T + t, in parallel over
// fixed chunks. The word row is word[ids[r]], word[r] when ids is nullptr (rows already
// gathered), and nullptr when word is (out then already holds it).
template <class T, class O, class Fn>
void for_each_token(const int32_t* ids, const int32_t* seg, int64_t b, int64_t t, int64_t c,
                    const T* word, const T* pos, const T* type, O* out, Fn&& fn) {
  parallel_for(b * t, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      fn(out + r * c, word ? word + (ids ? ids[r] : r) * c : nullptr, pos + (r % t) * c,
         type + seg[r] * c);
  });
}

// out[r] = word[ids[r]] + pos[r % T] + type[seg[r]]; with word == nullptr, out[r] already holds
// the word row (a transformed one) and gets the other two added.
template <class T>
void gather(const int32_t* ids, const int32_t* seg, int64_t b, int64_t t, int64_t c, const T* word,
            const T* pos, const T* type, T* out) {
  for_each_token(ids, seg, b, t, c, word, pos, type, out,
                 [c](T* __restrict o, const T* w, const T* __restrict p, const T* __restrict s) {
                   if (w) {
#pragma omp simd
                     for (int64_t j = 0; j < c; ++j) o[j] = w[j] + p[j] + s[j];
                   } else {
#pragma omp simd
                     for (int64_t j = 0; j < c; ++j) o[j] += p[j] + s[j];
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

// For r = 0, 1, ..., rows - 1 in that order: gw[wrow[r]] += src[r], gp[r % T] += src[r],
// gt[seg[r]] += src[r] (rows of C). One pass reads each src row once for all three. With
// gw == nullptr the word table is skipped (its rows' gradient goes elsewhere), and with
// gp == gt == nullptr only the word table is updated.
template <class S, class A>
void scatter_rows(const int32_t* wrow, const int32_t* seg, int64_t rows, int64_t t, int64_t c,
                  const S* src, A* gw, A* gp, A* gt) {
  parallel_for(c, kColsPerChunk, [&](int64_t j0, int64_t j1) {
    for (int64_t r = 0; r < rows; ++r) {
      const S* __restrict d = src + r * c;
      if (gw) {
        A* __restrict w = gw + wrow[r] * c;
#pragma omp simd
        for (int64_t j = j0; j < j1; ++j) w[j] += d[j];
      }
      if (!gp) continue;
      A* __restrict p = gp + (r % t) * c;
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) p[j] += d[j];
      A* __restrict s = gt + seg[r] * c;
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) s[j] += d[j];
    }
  });
}

template <class T>
void scatter_all(const Tensor& ids, const Tensor& seg, const Tensor& dy, Param* word,
                 Param* position, Param* type) {
  auto grad = [](Param* p) { return p ? p->grad.data<T>() : nullptr; };
  scatter_rows(ids.data<int32_t>(), seg.data<int32_t>(), ids.numel(), ids.dim(1), dy.dim(1),
               dy.data<T>(), grad(word), grad(position), grad(type));
}

// grad[dest[u]] += float(acc[u]) * s for rows u < n of C (dest == nullptr: row u itself).
void add_scaled_rows(const std::vector<int64_t>& acc, const int32_t* dest, int64_t n, int64_t c,
                     float s, Param& p) {
  float* g = p.grad.data<float>();
  parallel_for(n, kRowsPerChunk, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      float* __restrict gr = g + (dest ? dest[u] : u) * c;
      const int64_t* __restrict ar = acc.data() + u * c;
      for (int64_t j = 0; j < c; ++j) gr[j] += static_cast<float>(ar[j]) * s;
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
    word_tt_ = std::make_unique<TtEmbedding>(name_ + ".word", vocab, hidden, shape, rng, dtype,
                                             options.tt_qat_bits, options.tt_qat_step_lr_scale);
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

void Embedding::set_int_layer_policy(const IntLayerPolicy& policy) {
  if (word_ln_) word_ln_->set_int_layer_policy(policy);
  std::optional<IntNumericsConfig> cfg = policy(name_, LayerKind::embedding);
  if (cfg) {
    LB_CHECK(!word_ln_ && !word_tt_, "[embedding ", name_,
             "] the integer embedding covers dense tables only, not a ",
             word_tt_ ? "tensor-train" : "stable", " word table");
    LB_CHECK(dtype_ == DType::f32, "[embedding ", name_, "] tables are ", dtype_name(dtype_),
             "; the integer embedding trains in f32");
    int_numerics_check(name_, *cfg);
  }
  int_ = cfg;
}

std::string Embedding::describe_int(const IntNumericsConfig& cfg) {
  return cat("int embedding (dfp, pow2 tensor scale): tables int", cfg.weight_bits,
             " rne, a row's three codes summed aligned in int64; dy int", cfg.grad_bits,
             " sr, its codes scatter-added in int64 in token order");
}

Tensor Embedding::forward(const Tensor& ids, const Tensor& segments, const ForwardContext& ctx) {
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
  step_ = ctx.step;
  if (int_) return forward_int(b, t);
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
    out = word_ln_ ? word_ln_->forward(rows, ctx) : rows;
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
  if (int_) {
    backward_int(dy);
    return;
  }
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

Tensor Embedding::forward_int(int64_t b, int64_t t) {
  const int64_t c = hidden();
  const int bits = int_->weight_bits;
  const QFormat f = IntGemmNumerics::format(bits, false);
  const Param* tables[3] = {&word, &position, &token_type};
  // The word table's codes of the rows in use only (q[0] row r is token r's), with the scale of
  // the whole table: nearest rounding is element-wise, so they are the table's codes.
  Tensor rows = Tensor::empty({b * t, c});
  gather_word(ids_.data<int32_t>(), b * t, c, word.value.data<float>(), rows.data<float>());
  QTensor q[3] = {quantize_with_amax(rows, f, quantize_amax(word.value, f)),
                  quantize(position.value, f), quantize(token_type.value, f)};
  int emin = std::numeric_limits<int>::max();  // the finest non-zero scale is 2^emin
  for (const QTensor& qi : q)
    if (tensor_scale(qi) > 0) emin = std::min(emin, std::ilogb(tensor_scale(qi)));
  int shift[3];  // code << shift[i] is table i's value in units of 2^emin
  for (int i = 0; i < 3; ++i) {
    shift[i] = tensor_scale(q[i]) > 0 ? std::ilogb(tensor_scale(q[i])) - emin : 0;
    LB_CHECK(shift[i] <= 60 - bits, "[embedding ", name_, "] ", tables[i]->name, "'s scale is 2^",
             shift[i],
             " times the finest table's: too far apart for an exact int64 sum (a table almost all "
             "zero?)");
  }
  const float s = emin == std::numeric_limits<int>::max() ? 0.0f : std::ldexp(1.0f, emin);
  Tensor out = Tensor::empty({b * t, c});
  // The sum of three codes below 2^(bits-1) shifted by at most kmax is below 2^(bits + kmax + 1):
  // int32 (which converts to f32 in vector registers) where that fits, else int64; both exact.
  const int kmax = std::max({shift[0], shift[1], shift[2]});
  with_codes(q[0], [&](const auto* w) {
    using Q = std::remove_cv_t<std::remove_pointer_t<decltype(w)>>;  // one width for all three
    auto sum_rows = [&](auto zero) {
      using A = decltype(zero);
      for_each_token(
          nullptr, segments_.data<int32_t>(), b, t, c, w, q[1].codes.data<Q>(),
          q[2].codes.data<Q>(), out.data<float>(),
          [&](float* __restrict o, const Q* wr, const Q* __restrict pr, const Q* __restrict sr) {
#pragma omp simd
            for (int64_t j = 0; j < c; ++j)
              o[j] = static_cast<float>((A(wr[j]) << shift[0]) + (A(pr[j]) << shift[1]) +
                                        (A(sr[j]) << shift[2])) *
                     s;
          });
    };
    if (bits + kmax + 1 <= 31)
      sum_rows(int32_t{0});
    else
      sum_rows(int64_t{0});
  });
  return out;
}

void Embedding::backward_int(const Tensor& dy) {
  const int64_t n = ids_.numel(), t = ids_.dim(1), c = hidden();
  const QTensor dq = quantize(dy, IntGemmNumerics::format(int_->grad_bits, true), int_->seed,
                              IntGemmNumerics::stream(name_, step_, 2));
  // Word rows in order of first use: token r adds into accumulator row slot[r], which belongs to
  // table row used[slot[r]], so the accumulator holds the rows in use only.
  const int32_t* ids = ids_.data<int32_t>();
  std::vector<int32_t> slot_of(static_cast<size_t>(vocab_), -1), slot(static_cast<size_t>(n));
  std::vector<int32_t> used;
  for (int64_t r = 0; r < n; ++r) {
    int32_t& k = slot_of[ids[r]];
    if (k < 0) {
      k = static_cast<int32_t>(used.size());
      used.push_back(ids[r]);
    }
    slot[r] = k;
  }
  const int64_t u = static_cast<int64_t>(used.size()), types = token_type.value.dim(0);
  std::vector<int64_t> aw(static_cast<size_t>(u * c), 0), ap(static_cast<size_t>(t * c), 0);
  std::vector<int64_t> at(static_cast<size_t>(types * c), 0);
  with_codes(dq, [&](const auto* e) {
    scatter_rows(slot.data(), segments_.data<int32_t>(), n, t, c, e, aw.data(), ap.data(),
                 at.data());
  });
  add_scaled_rows(aw, used.data(), u, c, tensor_scale(dq), word);
  add_scaled_rows(ap, nullptr, t, c, tensor_scale(dq), position);
  add_scaled_rows(at, nullptr, types, c, tensor_scale(dq), token_type);
}

}  // namespace lowbit::nn

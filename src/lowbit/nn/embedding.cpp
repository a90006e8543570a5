// Embedding gather and scatter-add. The backward splits the work by column ranges of C, and each
// range walks the tokens in order, so every gradient element sums in one fixed order.
#include "lowbit/nn/embedding.h"

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

template <class T>
void gather(const int32_t* ids, const int32_t* seg, int64_t b, int64_t t, int64_t c, const T* word,
            const T* pos, const T* type, T* out) {
  parallel_for(b * t, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict w = word + ids[r] * c;
      const T* __restrict p = pos + (r % t) * c;
      const T* __restrict s = type + seg[r] * c;
      T* __restrict o = out + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) o[j] = w[j] + p[j] + s[j];
    }
  });
}

// For r = 0, 1, ..., B*T - 1 in that order: word.grad[ids[r]] += dy[r], position.grad[r % T]
// += dy[r], token_type.grad[seg[r]] += dy[r]. One pass reads each dy slice once for all three.
template <class T>
void scatter_all(const Tensor& ids, const Tensor& seg, const Tensor& dy, Param& word,
                 Param& position, Param& type) {
  const int64_t rows = ids.numel(), t = ids.dim(1), c = dy.dim(1);
  const int32_t* pi = ids.data<int32_t>();
  const int32_t* ps = seg.data<int32_t>();
  const T* d = dy.data<T>();
  T* gw = word.grad.data<T>();
  T* gp = position.grad.data<T>();
  T* gt = type.grad.data<T>();
  parallel_for(c, kColsPerChunk, [&](int64_t j0, int64_t j1) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* __restrict src = d + r * c;
      T* __restrict w = gw + pi[r] * c;
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) w[j] += src[j];
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
                     int64_t hidden, Rng& rng, DType dtype)
    : name_(std::move(name)) {
  LB_CHECK(vocab > 0 && max_positions > 0 && type_vocab > 0 && hidden > 0, "[embedding ", name_,
           "] vocab ", vocab, ", max_positions ", max_positions, ", type_vocab ", type_vocab,
           " and hidden ", hidden, " must all be positive");
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[embedding ", name_, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  word = table(name_ + ".word", vocab, hidden, rng, dtype);
  position = table(name_ + ".position", max_positions, hidden, rng, dtype);
  token_type = table(name_ + ".token_type", type_vocab, hidden, rng, dtype);
}

void Embedding::collect_params(std::vector<Param*>& out) {
  out.push_back(&word);
  out.push_back(&position);
  out.push_back(&token_type);
}

Tensor Embedding::forward(const Tensor& ids, const Tensor& segments) {
  LB_CHECK(ids.defined() && ids.ndim() == 2, "[embedding ", name_, "] ids is ",
           ids.defined() ? ids.shape_string() : std::string("undefined"), ", expected (B, T)");
  check_dtype("embedding", "ids", ids, DType::i32);
  const int64_t b = ids.dim(0), t = ids.dim(1), c = hidden();
  const int64_t vocab = word.value.dim(0), max_pos = position.value.dim(0);
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
  Tensor out = Tensor::empty({b * t, c}, word.value.dtype());
  const int32_t* pi = ids_.data<int32_t>();
  const int32_t* ps = segments_.data<int32_t>();
  if (out.dtype() == DType::f32)
    gather(pi, ps, b, t, c, word.value.data<float>(), position.value.data<float>(),
           token_type.value.data<float>(), out.data<float>());
  else
    gather(pi, ps, b, t, c, word.value.data<double>(), position.value.data<double>(),
           token_type.value.data<double>(), out.data<double>());
  return out;
}

void Embedding::backward(const Tensor& dy) {
  LB_CHECK(ids_.defined(), "[embedding ", name_, "] backward called before forward");
  LB_CHECK(dy.ndim() == 2 && dy.dim(0) == ids_.numel() && dy.dim(1) == hidden(), "[embedding ",
           name_, "] dy is ", dy.shape_string(), ", expected (", ids_.numel(), ", ", hidden(), ")");
  LB_CHECK(dy.dtype() == word.value.dtype(), "[embedding ", name_, "] dy is ",
           dtype_name(dy.dtype()), ", expected ", dtype_name(word.value.dtype()));
  if (dy.dtype() == DType::f32)
    scatter_all<float>(ids_, segments_, dy, word, position, token_type);
  else
    scatter_all<double>(ids_, segments_, dy, word, position, token_type);
}

}  // namespace lowbit::nn

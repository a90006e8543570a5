// TT embedding look-ups batched into GEMMs: at step k the ids are grouped by their k-th digit,
// and each group's stacked partial rows (count·C_{<k}, r_k) multiply that digit's core slice
// (r_k, c_k·r_{k+1}) in one ops::gemm. The full table is never formed.
#include "lowbit/nn/tt_embedding.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "lowbit/core/parallel.h"
#include "lowbit/ops/gemm.h"

namespace lowbit::nn {

namespace {

// dst row p = src row from[p], rows of `len` values.
template <class T>
void gather_rows(const T* src, const std::vector<int64_t>& from, int64_t len, T* dst) {
  parallel_for(static_cast<int64_t>(from.size()), 256, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) std::copy(src + from[p] * len, src + (from[p] + 1) * len, dst + p * len);
  });
}

// dst row to[p] += src row p, p ascending: a fixed order whatever the thread count.
template <class T>
void sum_rows_by_id(const T* src, const std::vector<int64_t>& to, int64_t len, T* dst) {
  for (size_t p = 0; p < to.size(); ++p) {
    const T* s = src + static_cast<int64_t>(p) * len;
    T* d = dst + to[p] * len;
    for (int64_t j = 0; j < len; ++j) d[j] += s[j];
  }
}

}  // namespace

TtEmbedding::TtEmbedding(std::string name, int64_t vocab, int64_t hidden, const TtShape& shape,
                         Rng& rng, DType dtype, int qat_bits, double step_lr_scale)
    : name_(std::move(name)), vocab_(vocab) {
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[tt_embedding ", name_, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  layout_ = tt_layout(shape, hidden, vocab, "tt_embedding " + name_, true);
  double rank_product = 1;
  for (int k = 1; k < layout_.d(); ++k) rank_product *= static_cast<double>(layout_.ranks[k]);
  const double sigma = std::pow(0.02 / std::sqrt(rank_product), 1.0 / layout_.d());
  for (int k = 0; k < layout_.d(); ++k) {
    cores.push_back(make_param(cat(name_, ".core", k), layout_.core_shape(k), dtype, false));
    Rng init = rng.child(name_hash(cores.back().name));
    init.fill_normal(cores.back().value, 0.0, sigma);
  }
  if (qat_bits > 0) core_q_ = TtCoreQuantizers(name_, layout_.d(), qat_bits, step_lr_scale, dtype);
}

void TtEmbedding::collect_params(std::vector<Param*>& out) {
  for (Param& c : cores) out.push_back(&c);
  core_q_.collect_params(out);
}

Tensor TtEmbedding::materialize() const {
  std::vector<const Tensor*> v;
  for (const Param& c : cores) v.push_back(&c.value);
  return tt_materialize(layout_, v).rows(0, vocab_).clone();
}

namespace {

template <class T>
Tensor lookup(const TtLayout& l, const std::vector<const Tensor*>& cores, const int32_t* ids, int64_t n,
              std::vector<std::vector<int32_t>>& order, std::vector<std::vector<int64_t>>& start,
              std::vector<Tensor>& left, DType dtype) {
  const int d = l.d();
  order.assign(d, {});
  start.assign(d, {});
  left.assign(d, Tensor());
  std::vector<int64_t> pos(static_cast<size_t>(n));  // id index -> position in current order
  Tensor cur;
  int64_t c_left = 1;  // C_{<k}
  for (int k = 0; k < d; ++k) {
    const int64_t v = l.out_modes[k], c = l.in_modes[k], r0 = l.ranks[k], r1 = l.ranks[k + 1];
    int64_t radix = 1;
    for (int j = k + 1; j < d; ++j) radix *= l.out_modes[j];
    // Stable counting sort of the ids by digit k.
    std::vector<int64_t>& st = start[k];
    st.assign(static_cast<size_t>(v + 1), 0);
    for (int64_t i = 0; i < n; ++i) ++st[ids[i] / radix % v + 1];
    for (int64_t a = 0; a < v; ++a) st[a + 1] += st[a];
    std::vector<int64_t> fill(st.begin(), st.end() - 1);
    order[k].assign(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) order[k][fill[ids[i] / radix % v]++] = static_cast<int32_t>(i);
    const int64_t len = c_left * r0;  // one id's partial row block (C_{<k}, r_k)
    Tensor g = Tensor::empty({n * c_left, r0}, dtype);
    if (k == 0) {
      g.fill_(1.0);
    } else {
      std::vector<int64_t> from(static_cast<size_t>(n));
      for (int64_t p = 0; p < n; ++p) from[p] = pos[order[k][p]];
      gather_rows(cur.data<T>(), from, len, g.data<T>());
    }
    for (int64_t p = 0; p < n; ++p) pos[order[k][p]] = p;
    const int64_t nc = c * r1, ld = v * nc;
    Tensor next = Tensor::empty({n * c_left * c, r1}, dtype);
    const T* gk = cores[k]->data<T>();
    for (int64_t a = 0; a < v; ++a) {
      const int64_t g0 = st[a], cnt = st[a + 1] - g0;
      if (cnt == 0) continue;
      ops::gemm(false, false, cnt * c_left, nc, r0, T(1), g.data<T>() + g0 * len, r0, gk + a * nc,
                ld, T(0), next.data<T>() + g0 * c_left * nc, nc);
    }
    left[k] = g;
    cur = next;
    c_left *= c;
  }
  // Rows are in the last step's order: put them back in id order.
  Tensor y = Tensor::empty({n, c_left}, dtype);
  std::vector<int64_t> from(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) from[i] = pos[i];
  gather_rows(cur.data<T>(), from, c_left, y.data<T>());
  return y;
}

template <class T>
void lookup_backward(const TtLayout& l, const std::vector<const Tensor*>& cores,
                     const std::vector<Tensor*>& grads, const Tensor& dy,
                     const std::vector<std::vector<int32_t>>& order,
                     const std::vector<std::vector<int64_t>>& start,
                     const std::vector<Tensor>& left) {
  const int d = l.d();
  const int64_t n = dy.dim(0);
  int64_t c_left = l.in();  // C_{<k+1} at the top of each step
  // q: gradient of the step's output, (N·C_{≤k}, r_{k+1}) in order[k].
  Tensor q = Tensor::empty({dy.numel()}, dy.dtype());
  {
    std::vector<int64_t> from(order[d - 1].begin(), order[d - 1].end());
    gather_rows(dy.data<T>(), from, c_left, q.data<T>());
  }
  for (int k = d - 1; k >= 0; --k) {
    const int64_t v = l.out_modes[k], c = l.in_modes[k], r0 = l.ranks[k], r1 = l.ranks[k + 1];
    c_left /= c;  // now C_{<k}
    const int64_t nc = c * r1, ld = v * nc, len = c_left * r0;
    const T* gk = cores[k]->data<T>();
    T* dgk = grads[k]->data<T>();
    const T* lk = left[k].data<T>();
    Tensor dl = k > 0 ? Tensor::empty({n * len}, dy.dtype()) : Tensor();
    for (int64_t a = 0; a < v; ++a) {
      const int64_t g0 = start[k][a], cnt = start[k][a + 1] - g0;
      if (cnt == 0) continue;
      const T* qa = q.data<T>() + g0 * c_left * nc;
      ops::gemm(true, false, r0, nc, cnt * c_left, T(1), lk + g0 * len, r0, qa, nc, T(1),
                dgk + a * nc, ld);
      if (k > 0)
        ops::gemm(false, true, cnt * c_left, r0, nc, T(1), qa, nc, gk + a * nc, ld, T(0),
                  dl.data<T>() + g0 * len, r0);
    }
    if (k > 0) {
      // dl is in order[k]; the previous step's output is in order[k-1].
      std::vector<int64_t> pos_k(static_cast<size_t>(n)), from(static_cast<size_t>(n));
      for (int64_t p = 0; p < n; ++p) pos_k[order[k][p]] = p;
      for (int64_t p = 0; p < n; ++p) from[p] = pos_k[order[k - 1][p]];
      q = Tensor::empty({n * len}, dy.dtype());
      gather_rows(dl.data<T>(), from, len, q.data<T>());
    }
  }
}

}  // namespace

Tensor TtEmbedding::forward(const Tensor& ids) {
  LB_CHECK(ids.defined(), "[tt_embedding ", name_, "] ids is undefined");
  check_dtype("tt_embedding", "ids", ids, DType::i32);
  const int32_t* p = ids.data<int32_t>();
  for (int64_t i = 0; i < ids.numel(); ++i)
    LB_CHECK(p[i] >= 0 && p[i] < vocab_, "[tt_embedding ", name_, "] token id ", p[i],
             " at index ", i, " is out of range for a table of ", vocab_,
             " rows; does the tokenizer match the model?");
  const DType dt = cores[0].value.dtype();
  n_ = ids.numel();
  // The contractions run once per distinct id (a batch of glosses repeats most of its tokens);
  // each row's arithmetic does not depend on the others in its GEMM, so the rows are the same.
  uniq_.assign(p, p + n_);
  std::sort(uniq_.begin(), uniq_.end());
  uniq_.erase(std::unique(uniq_.begin(), uniq_.end()), uniq_.end());
  inverse_.resize(static_cast<size_t>(n_));
  for (int64_t i = 0; i < n_; ++i)
    inverse_[i] = std::lower_bound(uniq_.begin(), uniq_.end(), p[i]) - uniq_.begin();
  const int64_t nu = static_cast<int64_t>(uniq_.size());
  const std::vector<const Tensor*> g = core_q_.forward(cores);
  const Tensor rows =
      dt == DType::f32 ? lookup<float>(layout_, g, uniq_.data(), nu, order_, group_start_, left_, dt)
                       : lookup<double>(layout_, g, uniq_.data(), nu, order_, group_start_, left_, dt);
  Tensor y = Tensor::empty({n_, hidden()}, dt);
  if (dt == DType::f32) gather_rows(rows.data<float>(), inverse_, hidden(), y.data<float>());
  else gather_rows(rows.data<double>(), inverse_, hidden(), y.data<double>());
  return y;
}

void TtEmbedding::backward(const Tensor& dy) {
  LB_CHECK(n_ >= 0, "[tt_embedding ", name_, "] backward called before forward");
  LB_CHECK(dy.ndim() == 2 && dy.dim(0) == n_ && dy.dim(1) == hidden(), "[tt_embedding ", name_,
           "] dy is ", dy.shape_string(), ", expected (", n_, ", ", hidden(), ")");
  const DType dt = cores[0].value.dtype();
  LB_CHECK(dy.dtype() == dt, "[tt_embedding ", name_, "] dy is ", dtype_name(dy.dtype()),
           ", expected ", dtype_name(dt));
  if (n_ == 0) return;
  const std::vector<const Tensor*> g = core_q_.saved_operands(cores);
  const std::vector<Tensor*> grads = core_q_.gradient_targets(cores);
  // Each distinct id's row gradient: its tokens' rows summed in token order.
  Tensor dyu = Tensor::zeros({static_cast<int64_t>(uniq_.size()), hidden()}, dt);
  if (dt == DType::f32) sum_rows_by_id(dy.data<float>(), inverse_, hidden(), dyu.data<float>());
  else sum_rows_by_id(dy.data<double>(), inverse_, hidden(), dyu.data<double>());
  if (dt == DType::f32) lookup_backward<float>(layout_, g, grads, dyu, order_, group_start_, left_);
  else lookup_backward<double>(layout_, g, grads, dyu, order_, group_start_, left_);
  core_q_.finish_backward(cores);
}

TtEmbedding tt_embedding_from_dense(const std::string& name, const Tensor& table,
                                    const TtShape& shape) {
  LB_CHECK(table.ndim() == 2 && (table.dtype() == DType::f32 || table.dtype() == DType::f64),
           "[tt_embedding ", name, "] dense table is ", table.shape_string(), " ",
           dtype_name(table.dtype()), ", expected (vocab, C) f32 or f64");
  const int64_t vocab = table.dim(0), c = table.dim(1);
  Rng unused(0);
  TtEmbedding emb(name, vocab, c, shape, unused, table.dtype());
  const TtLayout& l = emb.layout();
  Tensor padded = Tensor::zeros({l.out(), c}, table.dtype());
  padded.rows(0, vocab).copy_from(table);
  std::vector<Tensor> cs = tt_svd(padded, l);
  for (size_t k = 0; k < cs.size(); ++k) emb.cores[k].value.copy_from(cs[k]);
  return emb;
}

}  // namespace lowbit::nn

// Self-attention forward and backward. Heads are strided column blocks of the (B*T, C)
// projections: each (batch, head) pair runs its own single-threaded GEMMs with lda = C.
#include "lowbit/nn/attention.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <type_traits>
#include <limits>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/dropout.h"
#include "lowbit/nn/residual.h"
#include "lowbit/ops/gemm.h"

namespace lowbit::nn {

namespace {

// A chunk of (batch, head) pairs should carry at least this many multiply-adds, so tiny layers
// (tests, toy models) run in one chunk instead of paying a fork per call; at real sizes one
// pair already exceeds it (T=128, d=32: 2^20) and the grain is 1.
constexpr int64_t kMinMacsPerChunk = int64_t(1) << 16;


// Grow-only per-thread buffers: one (T, T) block per slot, reused across (batch, head) pairs
// instead of allocating inside the parallel loop.
template <class T>
T* thread_scratch(int slot, int64_t n) {
  thread_local std::vector<T> bufs[2];
  std::vector<T>& b = bufs[slot];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

// exp(x) for x <= 0: Cephes' expf (range reduction to |r| <= ln2/2, degree-6 polynomial, within
// 1.4 ulp) written without branches so the compiler vectorizes it at baseline x86-64, where glibc's
// expf is a scalar call and made the softmax as slow as the attention GEMMs. 2^n comes from the
// bits of the rounded sum (no float-to-int conversion to overflow). x < -87, -inf included (the
// excluded keys), gives exactly +0: the true value is below 1.2e-38 and vanishes against a row
// sum of at least 1. NaN stays NaN.
inline float exp_nonpositive(float x) {
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: t - kRound is x·log2(e) rounded
  const float t = x * 1.44269504088896341f + kRound;
  const float n = t - kRound;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  const float y = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                     4.1665795894e-2f) *
                        r +
                    1.6666665459e-1f) *
                       r +
                   5.0000001201e-1f) *
                      (r * r) +
                  r + 1.0f;
  const uint32_t pow2 = (std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(kRound) + 127u) << 23;
  const uint32_t keep = 0u - static_cast<uint32_t>(!(x < -87.0f));
  return std::bit_cast<float>(std::bit_cast<uint32_t>(y * std::bit_cast<float>(pow2)) & keep);
}
// f64 runs the gradient tests, where exactness matters more than speed.
inline double exp_nonpositive(double x) {
  return std::exp(x);
}

// The row loops run in blocks of kLanes independent partial results combined in a fixed order,
// with __restrict pointers: GCC's -O2 cost model vectorizes that (no alias checks, no tail
// versioning) without -ffast-math, and the bits do not depend on the thread count.
constexpr int64_t kLanes = 8;

template <class T>
T lanes_max(const T (&part)[kLanes]) {
  T m = part[0];
  for (int64_t l = 1; l < kLanes; ++l) m = m < part[l] ? part[l] : m;
  return m;
}

template <class T>
T lanes_sum(const T (&part)[kLanes]) {
  T s = part[0];
  for (int64_t l = 1; l < kLanes; ++l) s += part[l];
  return s;
}

// Softmax of row[0, limit) in place after adding key_bias (0 or -inf per key); row[limit, t)
// becomes 0, and so does the whole row when it has no allowed key. Excluded keys come out
// exactly 0, as a -1e30 additive bias gives after exp, so this matches the reference.
template <class T>
void masked_softmax_row(T* __restrict row, const T* __restrict key_bias, int64_t limit, int64_t t,
                        bool any_allowed) {
  if (!any_allowed) limit = 0;
  const int64_t full = limit - limit % kLanes;
  T part[kLanes];
  std::fill(part, part + kLanes, -std::numeric_limits<T>::infinity());
  for (int64_t j = 0; j < full; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) {
      const T v = row[j + l] + key_bias[j + l];
      row[j + l] = v;
      part[l] = part[l] < v ? v : part[l];
    }
  for (int64_t j = full; j < limit; ++j) {
    row[j] += key_bias[j];
    part[0] = part[0] < row[j] ? row[j] : part[0];
  }
  const T mx = lanes_max(part);

  std::fill(part, part + kLanes, T(0));
  for (int64_t j = 0; j < full; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) {
      const T e = exp_nonpositive(row[j + l] - mx);
      row[j + l] = e;
      part[l] += e;
    }
  for (int64_t j = full; j < limit; ++j) {
    row[j] = exp_nonpositive(row[j] - mx);
    part[0] += row[j];
  }
  const T inv = T(1) / lanes_sum(part);

  for (int64_t j = 0; j < full; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) row[j + l] *= inv;
  for (int64_t j = full; j < limit; ++j) row[j] *= inv;
  std::fill(row + limit, row + t, T(0));
}

// Softmax backward for one row, in place on dp: dS = P ⊙ (dP - Σ dP ⊙ P).
template <class T>
void softmax_backward_row(const T* __restrict p, T* __restrict dp, int64_t t) {
  const int64_t full = t - t % kLanes;
  T part[kLanes] = {};
  for (int64_t j = 0; j < full; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) part[l] += dp[j + l] * p[j + l];
  for (int64_t j = full; j < t; ++j) part[0] += dp[j] * p[j];
  const T dot = lanes_sum(part);
  for (int64_t j = 0; j < full; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) dp[j + l] = p[j + l] * (dp[j + l] - dot);
  for (int64_t j = full; j < t; ++j) dp[j] = p[j] * (dp[j] - dot);
}

// Dropout on probabilities: out = p ⊙ keep / (1 - rate), with scale = 1 / (1 - rate).
template <class T>
void keep_scaled(const T* __restrict p, const uint8_t* __restrict keep, int64_t n, T scale,
                 T* __restrict out) {
  const int64_t full = n - n % kLanes;
  for (int64_t i = 0; i < full; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l)
      out[i + l] = p[i + l] * (static_cast<T>(keep[i + l]) * scale);
  for (int64_t i = full; i < n; ++i) out[i] = p[i] * (static_cast<T>(keep[i]) * scale);
}

// The same in place (dP from the gradient of the dropped-out probabilities).
template <class T>
void keep_scaled_inplace(T* __restrict x, const uint8_t* __restrict keep, int64_t n, T scale) {
  const int64_t full = n - n % kLanes;
  for (int64_t i = 0; i < full; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) x[i + l] *= static_cast<T>(keep[i + l]) * scale;
  for (int64_t i = full; i < n; ++i) x[i] *= static_cast<T>(keep[i]) * scale;
}

// Validates the configuration before the projections are built, so a bad one fails here with
// the layer's name rather than inside Linear.
int64_t checked_hidden(const std::string& name, int64_t hidden, int64_t heads, double attn_dropout,
                       DType dtype) {
  LB_CHECK(heads > 0 && hidden > 0 && hidden % heads == 0, "[attention] ", name, ": hidden ",
           hidden, " is not divisible into ", heads, " heads");
  LB_CHECK(attn_dropout >= 0 && attn_dropout < 1, "[attention] ", name, ": attn_dropout ",
           attn_dropout, " is outside [0, 1)");
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[attention] ", name,
           ": parameters must be f32 or f64, got ", dtype_name(dtype));
  return hidden;
}

// Pairs per parallel chunk; chunks only group independent pairs, so the bits do not depend on it.
int64_t pair_grain(int64_t seq, int64_t head_dim) {
  return std::max<int64_t>(1, kMinMacsPerChunk / std::max<int64_t>(1, 2 * seq * seq * head_dim));
}

}  // namespace

SelfAttention::SelfAttention(std::string name, int64_t hidden, int64_t heads, bool causal,
                             double attn_dropout, Rng& rng, DType dtype,
                             const ProjectionFactory& projections)
    : query(projections(name + ".query", checked_hidden(name, hidden, heads, attn_dropout, dtype),
                        hidden, true, rng, dtype)),
      key(projections(name + ".key", hidden, hidden, true, rng, dtype)),
      value(projections(name + ".value", hidden, hidden, true, rng, dtype)),
      output(projections(name + ".output", hidden, hidden, true, rng, dtype)),
      name_(std::move(name)),
      dtype_(dtype),
      hidden_(hidden),
      heads_(heads),
      causal_(causal),
      attn_dropout_(attn_dropout),
      dropout_rng_(rng.child(name_hash(name_ + ".probs_dropout"))) {}

void SelfAttention::set_numerics(const NumericsPolicy& policy) {
  query->set_numerics(policy);
  key->set_numerics(policy);
  value->set_numerics(policy);
  output->set_numerics(policy);
}

void SelfAttention::collect_params(std::vector<Param*>& out) {
  query->collect_params(out);
  key->collect_params(out);
  value->collect_params(out);
  output->collect_params(out);
}

Tensor SelfAttention::forward(const Tensor& x, int64_t batch, int64_t seq, const Tensor& mask,
                              const ForwardContext& ctx) {
  const DType dt = dtype_;
  LB_CHECK(batch > 0 && seq > 0, "[attention] ", name_, ": batch ", batch, " and seq ", seq,
           " must be positive");
  LB_CHECK(x.ndim() == 2 && x.dim(0) == batch * seq && x.dim(1) == hidden_, "[attention] ", name_,
           ": x is ", x.shape_string(), ", expected (B*T, C) = ", shape_str({batch * seq, hidden_}),
           " for B=", batch, " T=", seq);
  LB_CHECK(x.dtype() == dt, "[attention] ", name_, ": x is ", dtype_name(x.dtype()),
           ", parameters are ", dtype_name(dt));
  if (mask.defined()) {
    check_shape("attention", "mask", mask, {batch, seq});
    check_dtype("attention", "mask", mask, DType::u8);
  }
  batch_ = batch;
  seq_ = seq;
  return dt == DType::f32 ? forward_t<float>(x, mask, ctx) : forward_t<double>(x, mask, ctx);
}

template <class T>
Tensor SelfAttention::forward_t(const Tensor& x, const Tensor& mask, const ForwardContext& ctx) {
  const int64_t B = batch_, L = seq_, C = hidden_, H = heads_, d = C / H;
  // Padded keys become an additive -inf, so the softmax rows need no per-element branch. Keys
  // from key_end_[b] on are all padding: the GEMMs stop there (their probabilities would be 0).
  // Query i of sequence b has an allowed key iff key_first[b] < (causal ? i + 1 : T).
  std::vector<T> key_bias(static_cast<size_t>(B * L), T(0));
  std::vector<int64_t> key_first(static_cast<size_t>(B), 0);
  key_end_.assign(static_cast<size_t>(B), L);
  if (mask.defined()) {
    const uint8_t* km = mask.data<uint8_t>();
    for (int64_t b = 0; b < B; ++b) {
      key_first[b] = L;
      key_end_[b] = 0;
      for (int64_t j = 0; j < L; ++j) {
        if (!km[b * L + j]) {
          key_bias[b * L + j] = -std::numeric_limits<T>::infinity();
          continue;
        }
        key_first[b] = std::min(key_first[b], j);
        key_end_[b] = j + 1;
      }
    }
  }

  q_ = query->forward(x, ctx);
  k_ = key->forward(x, ctx);
  v_ = value->forward(x, ctx);
  if constexpr (std::is_same_v<T, float>) {
    if (operands_.q) operands_.q(q_.data<float>(), q_.numel());
    if (operands_.k) operands_.k(k_.data<float>(), k_.numel());
    if (operands_.v) operands_.v(v_.data<float>(), v_.numel());
  }
  probs_ = Tensor::empty({B, H, L, L}, dtype_of<T>());
  drop_mask_ = Tensor();
  if (ctx.training && attn_dropout_ > 0) {
    drop_mask_ = Tensor::empty({B, H, L, L}, DType::u8);
    dropout_mask(dropout_rng_, ctx.step, drop_mask_.numel(), attn_dropout_,
                 drop_mask_.data<uint8_t>());
  }
  Tensor context = Tensor::empty({B * L, C}, dtype_of<T>());

  const T* q = q_.data<T>();
  const T* k = k_.data<T>();
  const T* v = v_.data<T>();
  T* probs = probs_.data<T>();
  T* cx = context.data<T>();
  const uint8_t* keep = drop_mask_.defined() ? drop_mask_.data<uint8_t>() : nullptr;
  const T score_scale = T(1) / std::sqrt(static_cast<T>(d));
  const T keep_scale = static_cast<T>(1.0 / (1.0 - attn_dropout_));
  const bool causal = causal_;

  parallel_for(B * H, pair_grain(L, d), [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / H, h = bh % H, nk = key_end_[b];
      const int64_t off = b * L * C + h * d;  // row 0 of head h of sequence b
      T* p = probs + bh * L * L;
      // S = Q·Kᵀ / sqrt(d) for keys [0, nk); softmax_row zeroes the rest of each row.
      ops::gemm(false, true, L, nk, d, score_scale, q + off, C, k + off, C, T(0), p, L);
      for (int64_t i = 0; i < L; ++i) {
        const int64_t limit = std::min(causal ? i + 1 : L, nk);
        masked_softmax_row(p + i * L, key_bias.data() + b * L, limit, L, key_first[b] < limit);
      }
      if constexpr (std::is_same_v<T, float>) {
        if (operands_.p) operands_.p(p, L * L);
      }
      const T* pv = p;
      if (keep) {
        T* pd = thread_scratch<T>(0, L * L);
        for (int64_t i = 0; i < L; ++i)
          keep_scaled(p + i * L, keep + bh * L * L + i * L, nk, keep_scale, pd + i * L);
        pv = pd;
      }
      // ctx = P·V (k = nk: a sequence of padding only gets a zero context)
      ops::gemm(false, false, L, d, nk, T(1), pv, L, v + off, C, T(0), cx + off, C);
    }
  });
  return output->forward(context, ctx);
}

Tensor SelfAttention::backward(const Tensor& dy) {
  LB_CHECK(probs_.defined(), "[attention] ", name_,
           ": backward without a forward (or a second backward for one forward)");
  check_shape("attention", "dy", dy, {batch_ * seq_, hidden_});
  check_dtype("attention", "dy", dy, probs_.dtype());
  Tensor dx = probs_.dtype() == DType::f32 ? backward_t<float>(dy) : backward_t<double>(dy);
  q_ = k_ = v_ = probs_ = drop_mask_ = Tensor();
  return dx;
}

template <class T>
Tensor SelfAttention::backward_t(const Tensor& dy) {
  const int64_t B = batch_, L = seq_, C = hidden_, H = heads_, d = C / H;
  Tensor dcontext = output->backward(dy);
  Tensor dq = Tensor::empty({B * L, C}, dtype_of<T>());
  Tensor dk = Tensor::empty({B * L, C}, dtype_of<T>());
  Tensor dv = Tensor::empty({B * L, C}, dtype_of<T>());

  const T* q = q_.data<T>();
  const T* k = k_.data<T>();
  const T* v = v_.data<T>();
  const T* probs = probs_.data<T>();
  const T* dcx = dcontext.data<T>();
  T* dqp = dq.data<T>();
  T* dkp = dk.data<T>();
  T* dvp = dv.data<T>();
  const uint8_t* keep = drop_mask_.defined() ? drop_mask_.data<uint8_t>() : nullptr;
  const T score_scale = T(1) / std::sqrt(static_cast<T>(d));
  const T keep_scale = static_cast<T>(1.0 / (1.0 - attn_dropout_));

  parallel_for(B * H, pair_grain(L, d), [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / H, h = bh % H, nk = key_end_[b];
      const int64_t off = b * L * C + h * d;
      const T* p = probs + bh * L * L;
      const uint8_t* kp = keep ? keep + bh * L * L : nullptr;
      const T* pv = p;
      if (kp) {
        T* pd = thread_scratch<T>(0, L * L);
        for (int64_t i = 0; i < L; ++i)
          keep_scaled(p + i * L, kp + i * L, nk, keep_scale, pd + i * L);
        pv = pd;
      }
      // Only columns [0, nk) of P and dP are used; keys past nk get zero dK and dV.
      // dV = P_droppedᵀ · dCtx
      ops::gemm(true, false, nk, d, L, T(1), pv, L, dcx + off, C, T(0), dvp + off, C);
      // dP = (dCtx · Vᵀ) ⊙ keep / (1 - rate)
      T* dp = thread_scratch<T>(1, L * L);
      ops::gemm(false, true, L, nk, d, T(1), dcx + off, C, v + off, C, T(0), dp, L);
      for (int64_t i = 0; i < L; ++i) {
        if (kp) keep_scaled_inplace(dp + i * L, kp + i * L, nk, keep_scale);
        // dS = P ⊙ (dP - rowsum(dP ⊙ P)); excluded keys have P = 0, so their dS is exactly 0.
        softmax_backward_row(p + i * L, dp + i * L, nk);
      }
      // dQ = dS · K / sqrt(d), dK = dSᵀ · Q / sqrt(d): the 1/sqrt(d) rides in alpha.
      ops::gemm(false, false, L, d, nk, score_scale, dp, L, k + off, C, T(0), dqp + off, C);
      ops::gemm(true, false, nk, d, L, score_scale, dp, L, q + off, C, T(0), dkp + off, C);
      for (int64_t j = nk; j < L; ++j) {
        std::fill(dkp + off + j * C, dkp + off + j * C + d, T(0));
        std::fill(dvp + off + j * C, dvp + off + j * C + d, T(0));
      }
    }
  });

  Tensor dx = query->backward(dq);
  add_inplace(dx, key->backward(dk));
  add_inplace(dx, value->backward(dv));
  return dx;
}

}  // namespace lowbit::nn

// LayerNorm rows in parallel over fixed chunks. Row sums use a fixed set of lanes (so they
// vectorize without reassociation flags); dgamma/dbeta sum per chunk, then in chunk order.
#include "lowbit/nn/layer_norm.h"

#include <cmath>
#include <optional>
#include <utility>

#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kRowsPerChunk = 32;
constexpr int kLanes = 16;

// sum_{j<n} term(j) over kLanes interleaved partial sums combined pairwise: a fixed order that
// the compiler can keep in vector registers.
template <class T, class Term>
inline T lane_sum(int64_t n, Term&& term) {
  T acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += term(j + l);
  for (int l = 0; j < n; ++j, ++l) acc[l] += term(j);
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

template <class T>
void forward_t(const T* x, const T* gamma, const T* beta, int64_t m, int64_t c, T eps, T* y,
               T* mean, T* rstd) {
  parallel_for(m, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict xr = x + r * c;
      T* __restrict yr = y + r * c;
      const T mu = lane_sum<T>(c, [&](int64_t j) { return xr[j]; }) / static_cast<T>(c);
      const T var = lane_sum<T>(c, [&](int64_t j) { return (xr[j] - mu) * (xr[j] - mu); }) /
                    static_cast<T>(c);
      const T rs = T(1) / std::sqrt(var + eps);
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) yr[j] = (xr[j] - mu) * rs * gamma[j] + beta[j];
      mean[r] = mu;
      rstd[r] = rs;
    }
  });
}

// With xhat = (x - mean) * rstd and g = dy * gamma:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dgamma += sum_rows dy * xhat,
//   dbeta += sum_rows dy.
template <class T>
void backward_t(const T* x, const T* dy, const T* gamma, const T* mean, const T* rstd, int64_t m,
                int64_t c, T* dx, T* dgamma, T* dbeta) {
  auto rows = [&](int64_t r0, int64_t r1, T* part) {  // part: the chunk's dgamma, dbeta
    T* __restrict pg = part;
    T* __restrict pb = part + c;
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict xr = x + r * c;
      const T* __restrict dr = dy + r * c;
      T* __restrict out = dx + r * c;
      const T mu = mean[r], rs = rstd[r];
      const T mg = lane_sum<T>(c, [&](int64_t j) { return dr[j] * gamma[j]; }) / static_cast<T>(c);
      const T mgx =
          lane_sum<T>(c, [&](int64_t j) { return dr[j] * gamma[j] * ((xr[j] - mu) * rs); }) /
          static_cast<T>(c);
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) {
        const T xh = (xr[j] - mu) * rs;
        out[j] = rs * (dr[j] * gamma[j] - mg - xh * mgx);
        pg[j] += dr[j] * xh;
        pb[j] += dr[j];
      }
    }
  };
  parallel_reduce_chunks<T>(m, kRowsPerChunk, 2 * c, rows, [&](const T* part) {
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) {
      dgamma[j] += part[j];
      dbeta[j] += part[c + j];
    }
  });
}

}  // namespace

LayerNorm::LayerNorm(std::string name, int64_t hidden, double eps, DType dtype)
    : name_(std::move(name)), eps_(eps) {
  LB_CHECK(hidden > 0, "[layer_norm ", name_, "] hidden ", hidden, " must be positive");
  LB_CHECK(eps >= 0.0, "[layer_norm ", name_, "] eps ", eps, " must be >= 0");
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[layer_norm ", name_, "] dtype is ",
           dtype_name(dtype), ", expected f32 or f64");
  gamma = make_param(name_ + ".gamma", {hidden}, dtype, false);
  gamma.value.fill_(1.0);
  beta = make_param(name_ + ".beta", {hidden}, dtype, false);
}

void LayerNorm::collect_params(std::vector<Param*>& out) {
  out.push_back(&gamma);
  out.push_back(&beta);
}

void LayerNorm::set_int_layer_policy(const IntLayerPolicy& policy) {
  std::optional<IntNumericsConfig> cfg = policy(name_, LayerKind::layer_norm);
  LB_CHECK(!cfg || gamma.value.dtype() == DType::f32, "[layer_norm ", name_, "] parameters are ",
           dtype_name(gamma.value.dtype()), "; the integer layer norm trains in f32");
  int_ = cfg ? std::make_unique<IntLayerNorm>(name_, *cfg) : nullptr;
}

Tensor LayerNorm::forward(const Tensor& x, const ForwardContext& ctx) {
  LB_CHECK(x.ndim() == 2 && x.dim(1) == hidden(), "[layer_norm ", name_, "] x is ",
           x.shape_string(), ", expected (*, ", hidden(), ")");
  LB_CHECK(x.dtype() == gamma.value.dtype(), "[layer_norm ", name_, "] x is ",
           dtype_name(x.dtype()), " but gamma is ", dtype_name(gamma.value.dtype()));
  const int64_t m = x.dim(0), c = hidden();
  rows_ = m;
  if (int_) {
    x_ = mean_ = rstd_ = Tensor();
    return int_->forward(x, gamma.value, beta.value, eps_, ctx);
  }
  x_ = x;
  mean_ = Tensor::empty({m}, x.dtype());
  rstd_ = Tensor::empty({m}, x.dtype());
  Tensor y = Tensor::empty({m, c}, x.dtype());
  if (x.dtype() == DType::f32)
    forward_t(x.data<float>(), gamma.value.data<float>(), beta.value.data<float>(), m, c,
              static_cast<float>(eps_), y.data<float>(), mean_.data<float>(), rstd_.data<float>());
  else
    forward_t(x.data<double>(), gamma.value.data<double>(), beta.value.data<double>(), m, c, eps_,
              y.data<double>(), mean_.data<double>(), rstd_.data<double>());
  return y;
}

Tensor LayerNorm::backward(const Tensor& dy) {
  LB_CHECK(rows_ >= 0, "[layer_norm ", name_, "] backward called before forward");
  const int64_t m = rows_, c = hidden();
  LB_CHECK(dy.shape() == Shape({m, c}), "[layer_norm ", name_, "] dy is ", dy.shape_string(),
           ", expected ", shape_str({m, c}));
  LB_CHECK(dy.dtype() == gamma.value.dtype(), "[layer_norm ", name_, "] dy is ",
           dtype_name(dy.dtype()), ", expected ", dtype_name(gamma.value.dtype()));
  if (int_) return int_->backward(dy, gamma.grad, beta.grad);
  Tensor dx = Tensor::empty({m, c}, dy.dtype());
  if (dy.dtype() == DType::f32)
    backward_t(x_.data<float>(), dy.data<float>(), gamma.value.data<float>(), mean_.data<float>(),
               rstd_.data<float>(), m, c, dx.data<float>(), gamma.grad.data<float>(),
               beta.grad.data<float>());
  else
    backward_t(x_.data<double>(), dy.data<double>(), gamma.value.data<double>(),
               mean_.data<double>(), rstd_.data<double>(), m, c, dx.data<double>(),
               gamma.grad.data<double>(), beta.grad.data<double>());
  return dx;
}

}  // namespace lowbit::nn

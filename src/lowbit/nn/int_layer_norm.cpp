// Integer layer norm: rows in parallel over fixed chunks, each through the int_layer_norm kernel
// family (8-bit codes) or the same loops built here (wider codes; kernels/ref/int_ln_math.h); the
// column sums of the backward (dgamma, dbeta) are int64 per chunk, so their total does not
// depend on the order anyway.
#include "lowbit/nn/int_layer_norm.h"

#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/int_ln_kernels.h"
#include "lowbit/kernels/ref/int_ln_math.h"
#include "lowbit/nn/int_numerics.h"
#include "lowbit/quant/uniform.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kRowsPerChunk = 32;
// Up to this width, with 16-bit codes, C q - S1 and e g fit in int32 and C S2 and sum(e g h)
// in int64, so the loops below widen only where they must (and vectorize).
constexpr int64_t kMaxHidden = int64_t(1) << 15;

// Row statistics from the x codes, then x̂ (M, C) in f32 and rstd (M).
template <class Q>
void normalize_rows(const Q* q, float s, int64_t m, int64_t c, double eps, float* xhat,
                    float* rstd) {
  const IntLnKernel& k = int_ln_kernels().chosen();
  parallel_for(m, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    if constexpr (std::is_same_v<Q, int8_t>)
      k.normalize(q, s, r0, r1, c, eps, xhat, rstd);
    else
      int_ln_normalize_rows(q, s, r0, r1, c, eps, xhat, rstd);
  });
}

// y = (h g) s_h s_g + beta.
template <class H, class G>
void affine_rows(const H* h, const G* g, float k, const float* beta, int64_t m, int64_t c,
                 float* y) {
  const IntLnKernel& kern = int_ln_kernels().chosen();
  parallel_for(m, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    if constexpr (std::is_same_v<H, int8_t> && std::is_same_v<G, int8_t>)
      kern.affine(h, g, k, beta, r0, r1, c, y);
    else
      int_ln_affine_rows(h, g, k, beta, r0, r1, c, y);
  });
}

struct Scales {
  float d, h, g;  // dy, x̂, gamma
};

// dx rows, and the column sums of e h and e (M, C codes) into seh, se (C) int64.
template <class E, class H, class G>
void backward_rows(const E* e, const H* h, const G* g, const float* rstd, Scales s, int64_t m,
                   int64_t c, float* dx, int64_t* seh, int64_t* se) {
  const IntLnKernel& kern = int_ln_kernels().chosen();
  auto rows = [&](int64_t r0, int64_t r1, int64_t* part) {  // part: the chunk's seh, se
    if constexpr (std::is_same_v<E, int8_t> && std::is_same_v<H, int8_t> &&
                  std::is_same_v<G, int8_t>)
      kern.backward(e, h, g, rstd, s.d, s.h, s.g, r0, r1, c, dx, part);
    else
      int_ln_backward_rows(e, h, g, rstd, s.d, s.h, s.g, r0, r1, c, dx, part);
  };
  parallel_reduce_chunks<int64_t>(m, kRowsPerChunk, 2 * c, rows, [&](const int64_t* part) {
    for (int64_t j = 0; j < c; ++j) {
      seh[j] += part[j];
      se[j] += part[c + j];
    }
  });
}

}  // namespace

IntLayerNorm::IntLayerNorm(std::string layer, IntNumericsConfig cfg)
    : layer_(std::move(layer)), cfg_(cfg) {
  int_numerics_check(layer_, cfg_);
}

Tensor IntLayerNorm::forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps,
                             const ForwardContext& ctx) {
  LB_CHECK(x.dtype() == DType::f32, "[int layer_norm ", layer_, "] x is ", dtype_name(x.dtype()),
           ", expected f32 (integer numerics train in f32)");
  const int64_t m = x.dim(0), c = x.dim(1);
  LB_CHECK(c <= kMaxHidden, "[int layer_norm ", layer_, "] width ", c, " exceeds ", kMaxHidden,
           ", beyond which the int64 sums of 16-bit codes could overflow");
  step_ = ctx.step;
  auto stream = [&](int operand) { return IntGemmNumerics::stream(layer_, step_, operand); };
  const QTensor xq =
      quantize(x, IntGemmNumerics::format(cfg_.act_bits, ctx.training), cfg_.seed, stream(0));
  Tensor xhat = Tensor::empty({m, c});
  rstd_ = Tensor::empty({m});
  with_codes(xq, [&](const auto* q) {
    normalize_rows(q, tensor_scale(xq), m, c, eps, xhat.data<float>(), rstd_.data<float>());
  });
  hq_ = quantize(xhat, IntGemmNumerics::format(cfg_.act_bits, ctx.training), cfg_.seed, stream(3));
  gq_ = quantize(gamma, IntGemmNumerics::format(cfg_.weight_bits, false));
  dyq_ = QTensor();
  Tensor y = Tensor::empty({m, c});
  with_codes(hq_, [&](const auto* h) {
    with_codes(gq_, [&](const auto* g) {
      affine_rows(h, g, tensor_scale(hq_) * tensor_scale(gq_), beta.data<float>(), m, c, y.data<float>());
    });
  });
  return y;
}

Tensor IntLayerNorm::backward(const Tensor& dy, Tensor& dgamma, Tensor& dbeta) {
  LB_CHECK(hq_.codes.defined(), "[int layer_norm ", layer_, "] backward before forward");
  LB_CHECK(dy.dtype() == DType::f32, "[int layer_norm ", layer_, "] dy is ", dtype_name(dy.dtype()),
           ", expected f32");
  const int64_t m = rows(), c = hq_.shape[1];
  LB_CHECK(dy.shape() == hq_.shape, "[int layer_norm ", layer_, "] dy is ", dy.shape_string(),
           ", expected ", shape_str(hq_.shape));
  dyq_ = quantize(dy, IntGemmNumerics::format(cfg_.grad_bits, true), cfg_.seed,
                  IntGemmNumerics::stream(layer_, step_, 2));
  Tensor dx = Tensor::empty({m, c});
  std::vector<int64_t> seh(static_cast<size_t>(c), 0), se(static_cast<size_t>(c), 0);
  const Scales s{tensor_scale(dyq_), tensor_scale(hq_), tensor_scale(gq_)};
  with_codes(dyq_, [&](const auto* e) {
    with_codes(hq_, [&](const auto* h) {
      with_codes(gq_, [&](const auto* g) {
        backward_rows(e, h, g, rstd_.data<float>(), s, m, c, dx.data<float>(), seh.data(),
                      se.data());
      });
    });
  });
  float* dg = dgamma.data<float>();
  float* db = dbeta.data<float>();
  for (int64_t j = 0; j < c; ++j) {
    dg[j] += static_cast<float>(double(seh[j]) * s.d * s.h);
    db[j] += static_cast<float>(double(se[j]) * s.d);
  }
  return dx;
}

std::string IntLayerNorm::describe(const IntNumericsConfig& cfg) {
  auto w = [](int b) { return "int" + std::to_string(b); };
  return cat("int layer norm (dfp, pow2 tensor scale): x ", w(cfg.act_bits), " sr/rne-eval, x̂ ",
             w(cfg.act_bits), " sr/rne-eval, gamma ", w(cfg.weight_bits), " rne, dy ",
             w(cfg.grad_bits),
             " sr; mean, variance, x̂ gamma and the backward sums in int64; "
             "rstd and the beta add in f32");
}

}  // namespace lowbit::nn

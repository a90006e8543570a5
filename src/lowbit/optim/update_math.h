// The per-block update arithmetic of Adam(W), SGD with momentum and Lion, shared by every state
// codec: plain state runs it in place, encoded state on decoded f32 scratch.
// Operation order follows PyTorch's single-tensor CPU path (torch.optim.AdamW / Adam / SGD), so
// f32 results agree with PyTorch to rounding; plain loops that g++ vectorises at baseline
// (omp simd lifts -O2's "very cheap" cost model; no FMA at baseline, so the vector and scalar
// iterations give the same bits).
#pragma once

#include <cmath>
#include <cstdint>

namespace lowbit::optim {

// Scalars of one Adam(W) step for one parameter, computed in double and rounded to T like
// PyTorch's Python-float arguments.
template <class T>
struct AdamCoeffs {
  T one_minus_beta1;  // lerp weight: m += (1 - beta1) * (g - m)
  T beta2;
  T one_minus_beta2;
  T bias2_sqrt;  // sqrt(1 - beta2^t)
  T eps;
  T neg_step_size;  // -lr / (1 - beta1^t)
  T decay_factor;   // AdamW: 1 - lr * wd; else 1
  T l2;             // Adam (L2 style): wd, added to the gradient as wd * p; else 0
};

// p, g, m, v: (n). torch order: p *= decay_factor; g += l2 * p (Adam) ; m.lerp_(g, 1 - beta1);
// v = v * beta2 + (1 - beta2) * g * g; denom = sqrt(v) / bias2_sqrt + eps;
// p += neg_step_size * m / denom.
template <class T>
inline void adam_update_block(const AdamCoeffs<T>& k, int64_t n, T* __restrict p,
                              const T* __restrict g, T* __restrict m, T* __restrict v) {
  const T w1 = k.one_minus_beta1, b2 = k.beta2, w2 = k.one_minus_beta2, bc = k.bias2_sqrt;
  const T eps = k.eps, ss = k.neg_step_size, df = k.decay_factor, l2 = k.l2;
  if (l2 != T(0)) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      T pi = p[i];
      T gi = g[i] + l2 * pi;
      T mi = m[i] + w1 * (gi - m[i]);
      T vi = v[i] * b2 + w2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      T denom = std::sqrt(vi) / bc + eps;
      p[i] = pi + ss * mi / denom;
    }
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      T pi = p[i] * df;
      T gi = g[i];
      T mi = m[i] + w1 * (gi - m[i]);
      T vi = v[i] * b2 + w2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      T denom = std::sqrt(vi) / bc + eps;
      p[i] = pi + ss * mi / denom;
    }
  }
}

template <class T>
struct SgdCoeffs {
  T momentum;  // 0 on the first step: the buffer starts as the gradient (torch clones it)
  T l2;        // weight decay added to the gradient as wd * p; 0 for decay == false
  T neg_lr;
};

// p, g, buf: (n). torch order: g' = g + l2 * p; buf = buf * momentum + g'; p += -lr * buf.
template <class T>
inline void sgd_update_block(const SgdCoeffs<T>& k, int64_t n, T* __restrict p,
                             const T* __restrict g, T* __restrict buf) {
  const T mom = k.momentum, l2 = k.l2, nlr = k.neg_lr;
  if (l2 != T(0)) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      T pi = p[i];
      T b = buf[i] * mom + (g[i] + l2 * pi);
      buf[i] = b;
      p[i] = pi + nlr * b;
    }
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      T b = buf[i] * mom + g[i];
      buf[i] = b;
      p[i] = p[i] + nlr * b;
    }
  }
}

template <class T>
struct LionCoeffs {
  T beta1;  // interpolation for the update direction
  T one_minus_beta1;
  T beta2;  // the momentum's own decay
  T one_minus_beta2;
  T decay_factor;  // 1 - lr * wd (decoupled, as in the paper); 1 for decay == false
  T neg_lr;
};

// p, g, m: (n). lion-pytorch's order: p *= decay_factor; c = m * beta1 + (1 - beta1) * g;
// p += -lr * sign(c) (sign(0) = 0, NaN gives 0); m = m * beta2 + (1 - beta2) * g.
template <class T>
inline void lion_update_block(const LionCoeffs<T>& k, int64_t n, T* __restrict p,
                              const T* __restrict g, T* __restrict m) {
  const T b1 = k.beta1, w1 = k.one_minus_beta1, b2 = k.beta2, w2 = k.one_minus_beta2;
  const T df = k.decay_factor, nlr = k.neg_lr;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i], mi = m[i];
    T c = mi * b1 + w1 * gi;
    T s = static_cast<T>(static_cast<int>(T(0) < c) - static_cast<int>(c < T(0)));
    p[i] = p[i] * df + nlr * s;
    m[i] = mi * b2 + w2 * gi;
  }
}

}  // namespace lowbit::optim

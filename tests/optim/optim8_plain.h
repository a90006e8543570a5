// A plain, independent implementation of the 8-bit optimizer step of Dettmers et al. (2021) for
// the tests: dequantize each state (map[code] * absmax of its block), the f32 update, then
// requantize block by block (absmax = max |x|, code = nearest map entry to x / absmax by brute
// force over all 256 entries, ties to the lower code). It uses only the map values.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/core/tensor.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/optim/optimizer.h"

namespace lowbit::testing {

struct Plain8 {
  DynamicMap map;
  int64_t block;
  std::vector<uint8_t> codes;
  std::vector<float> absmax;
  float value(size_t i) const { return dynamic_map(map)[codes[i]] * absmax[i / block]; }
};

inline uint8_t plain_nearest(float v, const float* map) {
  int best = 0;
  for (int k = 1; k < 256; ++k)
    if (std::fabs(double(v) - map[k]) < std::fabs(double(v) - map[best])) best = k;
  return static_cast<uint8_t>(best);
}

inline void plain_requantize(const std::vector<float>& x, Plain8& s) {
  const float* map = dynamic_map(s.map);
  const size_t n = x.size(), b = static_cast<size_t>(s.block);
  s.codes.assign(n, 0);
  s.absmax.assign((n + b - 1) / b, 0.0f);
  for (size_t lo = 0; lo < n; lo += b) {
    size_t hi = std::min(n, lo + b);
    float a = 0.0f;
    for (size_t i = lo; i < hi; ++i) a = std::max(a, std::fabs(x[i]));
    s.absmax[lo / b] = a;
    for (size_t i = lo; i < hi; ++i) s.codes[i] = plain_nearest(a > 0.0f ? x[i] / a : 0.0f, map);
  }
}

// A state of n elements: either every code at random with random absmaxes, or normal values
// whose scale changes by decades from block to block, quantized. Block 1 is all zero (absmax 0).
inline Plain8 plain_random_state(int64_t n, int64_t block, DynamicMap map, uint64_t seed,
                                 bool random_codes) {
  Rng rng(seed);
  Plain8 s{map, block, {}, {}};
  if (random_codes) {
    for (int64_t i = 0; i < n; ++i) s.codes.push_back(static_cast<uint8_t>(rng.next_u32() & 0xFF));
    for (int64_t b = 0; b < (n + block - 1) / block; ++b)
      s.absmax.push_back(b == 1 ? 0.0f : std::pow(10.0f, -1.0f - 5.0f * rng.uniform()));
    return s;
  }
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t b = i / block;
    float scale = b == 1 ? 0.0f : std::pow(10.0f, -static_cast<float>(b % 6) - 1.0f);
    float z = rng.normal() * scale;
    x[i] = map == DynamicMap::signed_map ? z : z * z;
  }
  plain_requantize(x, s);
  return s;
}

// "<base>.codes" u8 (n), "<base>.absmax" f32, "<base>.qblock" i64 (1): the checkpoint form.
inline void plain_append(std::vector<std::pair<std::string, Tensor>>& out, const std::string& base,
                         const Plain8& s) {
  Tensor codes = Tensor::empty({static_cast<int64_t>(s.codes.size())}, DType::u8);
  std::copy(s.codes.begin(), s.codes.end(), codes.data<uint8_t>());
  out.emplace_back(base + ".codes", codes);
  out.emplace_back(base + ".absmax",
                   Tensor::from_vector<float>({static_cast<int64_t>(s.absmax.size())}, s.absmax));
  out.emplace_back(base + ".qblock", Tensor::from_vector<int64_t>({1}, {s.block}));
}

// One Adam (decoupled = false) or AdamW step at step number t, in f32 with PyTorch's operation
// order; scalars computed in double as PyTorch's Python floats are, then used as f32.
inline void plain_adam8_step(const optim::OptimizerConfig& c, bool decoupled, bool decay, double lr,
                             int64_t t, std::vector<float>& p, const std::vector<float>& grad,
                             Plain8& m8, Plain8& v8) {
  const double wd = decay ? c.weight_decay : 0.0;
  const float w1 = static_cast<float>(1 - c.beta1), b2 = static_cast<float>(c.beta2);
  const float w2 = static_cast<float>(1 - c.beta2), eps = static_cast<float>(c.eps);
  const float bc2 = static_cast<float>(std::sqrt(1 - std::pow(c.beta2, double(t))));
  const float step = static_cast<float>(-(lr / (1 - std::pow(c.beta1, double(t)))));
  const float shrink = static_cast<float>(1 - lr * wd), l2 = static_cast<float>(wd);
  std::vector<float> m(p.size()), v(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    float g = grad[i];
    if (decoupled) p[i] = p[i] * shrink;           // param.mul_(1 - lr * wd)
    if (!decoupled && wd != 0) g = g + l2 * p[i];  // grad.add(param, alpha=wd)
    float mi = m8.value(i), vi = v8.value(i);      // dequantize
    m[i] = mi + w1 * (g - mi);                     // exp_avg.lerp_(grad, 1 - beta1)
    v[i] = vi * b2 + w2 * g * g;                   // exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2)
    float denom = std::sqrt(v[i]) / bc2 + eps;     // (sqrt(v) / sqrt(bc2)).add_(eps)
    p[i] = p[i] + step * m[i] / denom;             // param.addcdiv_(m, denom, -step_size)
  }
  plain_requantize(m, m8);
  plain_requantize(v, v8);
}

// One SGD-momentum step (torch.optim.SGD, dampening 0): buf = buf * momentum + (g + wd * p),
// the first step's buffer being the gradient itself; p += -lr * buf.
inline void plain_sgd8_step(const optim::OptimizerConfig& c, bool decay, double lr, bool first,
                            std::vector<float>& p, const std::vector<float>& grad, Plain8& b8) {
  const float mom = static_cast<float>(first ? 0.0 : c.momentum), nlr = static_cast<float>(-lr);
  const float wd = static_cast<float>(decay ? c.weight_decay : 0.0);
  std::vector<float> b(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    float g = wd != 0 ? grad[i] + wd * p[i] : grad[i];
    b[i] = b8.value(i) * mom + g;
    p[i] = p[i] + nlr * b[i];
  }
  plain_requantize(b, b8);
}

}  // namespace lowbit::testing

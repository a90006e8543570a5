// Global gradient norm over fixed chunks combined in a fixed order, norm clipping, and the
// NaN/Inf finder. Chunking depends only on the parameter sizes, never on the thread count.
#include "lowbit/optim/grad_utils.h"

#include <algorithm>
#include <cmath>

#include "lowbit/core/parallel.h"

namespace lowbit::optim {

namespace {

struct Chunk {
  nn::Param* param;
  int64_t begin, end;
};

std::vector<Chunk> grad_chunks(const std::vector<nn::Param*>& params) {
  std::vector<Chunk> chunks;
  for (nn::Param* p : params) {
    LB_CHECK(p->grad.dtype() == DType::f32 || p->grad.dtype() == DType::f64, "[grad] gradient of ",
             p->name, " is ", dtype_name(p->grad.dtype()), "; expected f32 or f64");
    int64_t n = p->grad.numel();
    for (int64_t b = 0; b < n; b += kNormChunk)
      chunks.push_back({p, b, std::min(n, b + kNormChunk)});
  }
  return chunks;
}

// Four interleaved accumulators (element i goes to i % 4), added in a fixed order: a fixed
// summation tree, shorter dependency chains than one running sum.
template <class T>
double sum_squares(const T* g, int64_t n) {
  double s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; ++j)
      s[j] += static_cast<double>(g[i + j]) * static_cast<double>(g[i + j]);
  for (; i < n; ++i) s[i % 4] += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace

double grad_global_norm(const std::vector<nn::Param*>& params) {
  std::vector<Chunk> chunks = grad_chunks(params);
  std::vector<double> partial(chunks.size());
  parallel_for(static_cast<int64_t>(chunks.size()), 4, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const Chunk& k = chunks[c];
      int64_t n = k.end - k.begin;
      partial[c] = k.param->grad.dtype() == DType::f32
                       ? sum_squares(k.param->grad.data<float>() + k.begin, n)
                       : sum_squares(k.param->grad.data<double>() + k.begin, n);
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  return std::sqrt(total);
}

double clip_coefficient(double max_norm, double norm) {
  LB_CHECK(max_norm > 0 && std::isfinite(max_norm), "[clip_grad_norm] max_norm = ", max_norm,
           ", expected a finite value > 0");
  if (!std::isfinite(norm)) return 1.0;
  return std::min(1.0, max_norm / (norm + 1e-6));
}

double clip_grad_norm(const std::vector<nn::Param*>& params, double max_norm) {
  const double norm = grad_global_norm(params);
  const double coef = clip_coefficient(max_norm, norm);
  if (coef == 1.0) return norm;
  std::vector<Chunk> chunks = grad_chunks(params);
  parallel_for(static_cast<int64_t>(chunks.size()), 4, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const Chunk& k = chunks[c];
      Tensor& g = k.param->grad;
      if (g.dtype() == DType::f32)
        scale_in_place(g.data<float>() + k.begin, k.end - k.begin, static_cast<float>(coef));
      else
        scale_in_place(g.data<double>() + k.begin, k.end - k.begin, coef);
    }
  });
  return norm;
}

NonFinite find_nonfinite(const std::vector<nn::Param*>& params) {
  for (const nn::Param* p : params) {
    int64_t n = p->grad.numel();
    auto scan = [&](const auto* g) -> NonFinite {
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(g[i])) return {p->name, i, static_cast<double>(g[i])};
      return {};
    };
    NonFinite r;
    if (p->grad.dtype() == DType::f32)
      r = scan(p->grad.data<float>());
    else if (p->grad.dtype() == DType::f64)
      r = scan(p->grad.data<double>());
    else
      LB_FAIL("[grad] gradient of ", p->name, " is ", dtype_name(p->grad.dtype()),
              "; expected f32 or f64");
    if (r.found()) return r;
  }
  return {};
}

std::string nonfinite_message(int64_t step, const NonFinite& bad) {
  if (!bad.found()) return cat("step ", step, ": all gradients are finite");
  const char* what = std::isnan(bad.value) ? "NaN" : (bad.value > 0 ? "+Inf" : "-Inf");
  return cat("step ", step, ": gradient of ", bad.param, " has ", what, " at element ", bad.index);
}

}  // namespace lowbit::optim

// The row loops of the integer layer norm (nn/int_layer_norm.cpp; the math is in docs/DESIGN.md),
// shared by the baseline build and the ISA files of the int_layer_norm family: integer sums are
// exact and the few float steps are the same IEEE operations in the same order at any width
// (ISA files use -ffp-contract=off), so every build gives the same bits. Internal linkage only
// (an unnamed namespace; no std:: inline functions), so no ISA copy reaches baseline callers.
#pragma once

#include <cmath>
#include <cstdint>

namespace lowbit {
namespace {

// Rows [r0, r1): S1 = sum q, S2 = sum q^2 (int64), rstd = 1 / sqrt(var + eps) with
// var = s^2 (C S2 - S1^2) / C^2, and x̂ = (C q - S1) s rstd / C in f32.
template <class Q>
void int_ln_normalize_rows(const Q* q, float s, int64_t r0, int64_t r1, int64_t c, double eps,
                           float* xhat, float* rstd) {
  for (int64_t r = r0; r < r1; ++r) {
    const Q* __restrict qr = q + r * c;
    int64_t s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)  // exact integer sums: any order gives the same
    for (int64_t j = 0; j < c; ++j) {
      s1 += qr[j];
      s2 += int32_t(qr[j]) * qr[j];
    }
    const double var = double(s) * s * double(c * s2 - s1 * s1) / (double(c) * c);
    const float rs = static_cast<float>(1 / __builtin_sqrt(var + eps));
    const double a = double(s) * rs / c;
    const auto c32 = static_cast<int32_t>(c), s1_32 = static_cast<int32_t>(s1);
    float* __restrict xr = xhat + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) xr[j] = static_cast<float>(double(c32 * qr[j] - s1_32) * a);
    rstd[r] = rs;
  }
}

// y = (h g) k + beta on rows [r0, r1), k = s_h s_g.
template <class H, class G>
void int_ln_affine_rows(const H* h, const G* g, float k, const float* beta, int64_t r0,
                        int64_t r1, int64_t c, float* y) {
  for (int64_t r = r0; r < r1; ++r) {
    const H* __restrict hr = h + r * c;
    float* __restrict yr = y + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j)
      yr[j] = static_cast<float>(int32_t(hr[j]) * int32_t(g[j])) * k + beta[j];
  }
}

// dx rows [r0, r1) = rstd s_d s_g (e g - sum(e g)/C - s_h^2 h sum(e g h)/C), and the rows'
// column sums of e h and e added into part[0, c) and part[c, 2c) (int64).
template <class E, class H, class G>
void int_ln_backward_rows(const E* e, const H* h, const G* g, const float* rstd, float sd,
                          float sh, float sg, int64_t r0, int64_t r1, int64_t c, float* dx,
                          int64_t* part) {
  int64_t* __restrict pg = part;
  int64_t* __restrict pb = part + c;
  for (int64_t r = r0; r < r1; ++r) {
    const E* __restrict er = e + r * c;
    const H* __restrict hr = h + r * c;
    int64_t t0 = 0, t2 = 0;
#pragma omp simd reduction(+ : t0, t2)  // exact integer sums: any order gives the same
    for (int64_t j = 0; j < c; ++j) {
      const int32_t eg = int32_t(er[j]) * g[j];
      t0 += eg;
      t2 += int64_t(eg) * hr[j];
    }
    const double k = double(rstd[r]) * sd * sg;
    const double c0 = double(t0) / c, c2 = double(sh) * sh * double(t2) / c;
    float* __restrict out = dx + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j)
      out[j] = static_cast<float>(k * (double(int32_t(er[j]) * g[j]) - c0 - c2 * hr[j]));
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) {
      pg[j] += int32_t(er[j]) * hr[j];
      pb[j] += er[j];
    }
  }
}

}  // namespace
}  // namespace lowbit

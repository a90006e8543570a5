// Central finite differences in double: the oracle for every backward pass.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "lowbit/core/tensor.h"

namespace lowbit::testing {

// Checks analytic (same shape as x, f64) against (loss(x+h) - loss(x-h)) / 2h for up to
// max_checks elements spread over x. loss() must read x's current values.
// Tolerance: |a - n| <= atol + rtol * max(|a|, |n|); with h = 1e-6 in double the truncation
// error is O(h^2 * f''') ~ 1e-12 and round-off O(eps * |loss| / h) ~ 1e-10, so 1e-6 is safe.
inline void expect_grad_close(const std::string& what, Tensor& x, const Tensor& analytic,
                              const std::function<double()>& loss, int max_checks = 64,
                              double h = 1e-6, double atol = 1e-7, double rtol = 1e-5) {
  ASSERT_EQ(x.dtype(), DType::f64) << what;
  ASSERT_EQ(analytic.dtype(), DType::f64) << what;
  ASSERT_EQ(x.shape(), analytic.shape()) << what;
  double* p = x.data<double>();
  const double* g = analytic.data<double>();
  int64_t n = x.numel();
  int64_t stride = std::max<int64_t>(1, n / max_checks);
  for (int64_t i = 0; i < n; i += stride) {
    double saved = p[i];
    p[i] = saved + h;
    double up = loss();
    p[i] = saved - h;
    double down = loss();
    p[i] = saved;
    double numeric = (up - down) / (2 * h);
    double tol = atol + rtol * std::max(std::fabs(numeric), std::fabs(g[i]));
    EXPECT_NEAR(g[i], numeric, tol) << what << " element " << i << " of " << x.shape_string();
  }
}

// Sum of x * w for a fixed random w: a loss whose gradient w.r.t. x is w, used to feed a
// random upstream gradient into a layer under test.
inline double dot(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector(), vb = b.to_vector();
  double s = 0;
  for (size_t i = 0; i < va.size(); ++i) s += va[i] * vb[i];
  return s;
}

}  // namespace lowbit::testing

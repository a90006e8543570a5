// Small dense linear algebra in double for initialisation (TT-SVD), not for hot paths: a
// one-sided Jacobi SVD, chosen because it is short, accurate and needs no LAPACK.
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit {

// A = U·diag(s)·Vᵀ for A (m, n) row-major, p = min(m, n). u is (m, p) and v is (n, p), both
// row-major with orthonormal columns (completed to an orthonormal set where s has zeros); s is
// sorted non-increasing. m or n may be 0 (then p = 0 and everything is empty).
struct Svd {
  int64_t m = 0, n = 0, p = 0;
  std::vector<double> u, s, v;
};

// One-sided (Hestenes) Jacobi: rotates column pairs of A until all are orthogonal to within
// ~eps relative to their norms; accurate to a few ulps relative to max s. Cost per sweep
// ~3·m·p² flops with p = min(m, n); a handful of sweeps converge.
Svd svd_jacobi(const std::vector<double>& a, int64_t m, int64_t n);

}  // namespace lowbit

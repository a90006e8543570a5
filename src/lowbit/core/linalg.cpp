// One-sided Jacobi SVD. Works on the columns of the taller orientation (so p = min(m, n)
// columns of length max(m, n)), stored contiguously per column for cache-friendly rotations.
#include "lowbit/core/linalg.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

// Columns of a (rows × cols, cols ≤ rows) as cols contiguous vectors; returns the singular
// values (unsorted) and leaves u_j = a_j / s_j in cols_a, V in cols_v (cols vectors of cols).
void jacobi_columns(std::vector<double>& ca, std::vector<double>& cv, int64_t rows,
                    int64_t cols) {
  const double eps = 1e-15;
  for (int sweep = 0; sweep < 80; ++sweep) {
    bool rotated = false;
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = i + 1; j < cols; ++j) {
        double* ai = ca.data() + i * rows;
        double* aj = ca.data() + j * rows;
        double alpha = 0, beta = 0, gamma = 0;
        for (int64_t r = 0; r < rows; ++r) {
          alpha += ai[r] * ai[r];
          beta += aj[r] * aj[r];
          gamma += ai[r] * aj[r];
        }
        // Skip pairs already orthogonal to working precision (or where one is zero).
        if (gamma == 0.0 || std::fabs(gamma) <= eps * std::sqrt(alpha * beta)) continue;
        rotated = true;
        double zeta = (beta - alpha) / (2 * gamma);
        double t = std::copysign(1.0, zeta) / (std::fabs(zeta) + std::sqrt(1 + zeta * zeta));
        double c = 1 / std::sqrt(1 + t * t), s = c * t;
        for (int64_t r = 0; r < rows; ++r) {
          double x = ai[r], y = aj[r];
          ai[r] = c * x - s * y;
          aj[r] = s * x + c * y;
        }
        double* vi = cv.data() + i * cols;
        double* vj = cv.data() + j * cols;
        for (int64_t r = 0; r < cols; ++r) {
          double x = vi[r], y = vj[r];
          vi[r] = c * x - s * y;
          vj[r] = s * x + c * y;
        }
      }
    if (!rotated) return;
  }
}

// Makes column j of c (vectors of length len, count cols) orthonormal to the earlier ones by
// Gram-Schmidt from unit vectors e_0, e_1, ...: for columns whose singular value is zero.
void complete_column(std::vector<double>& c, int64_t len, int64_t j) {
  double* x = c.data() + j * len;
  for (int64_t e = 0; e < len; ++e) {
    std::fill(x, x + len, 0.0);
    x[e] = 1.0;
    for (int pass = 0; pass < 2; ++pass)  // twice is enough (Kahan)
      for (int64_t q = 0; q < j; ++q) {
        const double* y = c.data() + q * len;
        double d = 0;
        for (int64_t r = 0; r < len; ++r) d += x[r] * y[r];
        for (int64_t r = 0; r < len; ++r) x[r] -= d * y[r];
      }
    double nrm = 0;
    for (int64_t r = 0; r < len; ++r) nrm += x[r] * x[r];
    nrm = std::sqrt(nrm);
    if (nrm > 0.5) {  // e is far enough from the span so far
      for (int64_t r = 0; r < len; ++r) x[r] /= nrm;
      return;
    }
  }
  LB_FAIL("[svd] cannot complete an orthonormal basis (", j, " of length ", len, ")");
}

}  // namespace

Svd svd_jacobi(const std::vector<double>& a, int64_t m, int64_t n) {
  LB_CHECK(m >= 0 && n >= 0 && static_cast<int64_t>(a.size()) == m * n, "[svd] ", a.size(),
           " values for a (", m, ", ", n, ") matrix");
  Svd out;
  out.m = m, out.n = n, out.p = std::min(m, n);
  const int64_t p = out.p;
  if (p == 0) return out;
  // Tall orientation: rows = max(m, n); the columns rotated are those of A (m ≥ n) or Aᵀ.
  const bool tall = m >= n;
  const int64_t rows = tall ? m : n;
  std::vector<double> ca(static_cast<size_t>(rows * p)), cv(static_cast<size_t>(p * p), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (tall) ca[j * rows + i] = a[i * n + j];
      else ca[i * rows + j] = a[i * n + j];
    }
  for (int64_t j = 0; j < p; ++j) cv[j * p + j] = 1.0;
  jacobi_columns(ca, cv, rows, p);

  std::vector<double> sv(static_cast<size_t>(p));
  for (int64_t j = 0; j < p; ++j) {
    double s2 = 0;
    for (int64_t r = 0; r < rows; ++r) s2 += ca[j * rows + r] * ca[j * rows + r];
    sv[j] = std::sqrt(s2);
  }
  std::vector<int64_t> order(static_cast<size_t>(p));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return sv[x] > sv[y]; });
  // Left vectors of the tall orientation, sorted; columns below a relative floor are treated as
  // zero and replaced by a completion of the basis.
  const double tiny = sv[order[0]] * 1e-14;
  std::vector<double> lu(static_cast<size_t>(rows * p)), rv(static_cast<size_t>(p * p));
  out.s.resize(static_cast<size_t>(p));
  int64_t nonzero = 0;
  for (int64_t q = 0; q < p; ++q) {
    int64_t j = order[q];
    std::copy(cv.begin() + j * p, cv.begin() + (j + 1) * p, rv.begin() + q * p);
    if (sv[j] > tiny && sv[j] > 0) {
      out.s[q] = sv[j];
      for (int64_t r = 0; r < rows; ++r) lu[q * rows + r] = ca[j * rows + r] / sv[j];
      ++nonzero;
    } else {
      out.s[q] = 0.0;
    }
  }
  for (int64_t q = nonzero; q < p; ++q) complete_column(lu, rows, q);
  // lu holds U (tall) or V (wide) as column vectors; rv holds the other side's p vectors.
  out.u.assign(static_cast<size_t>(m * p), 0.0);
  out.v.assign(static_cast<size_t>(n * p), 0.0);
  for (int64_t q = 0; q < p; ++q) {
    if (tall) {
      for (int64_t i = 0; i < m; ++i) out.u[i * p + q] = lu[q * rows + i];
      for (int64_t i = 0; i < n; ++i) out.v[i * p + q] = rv[q * p + i];
    } else {
      for (int64_t i = 0; i < n; ++i) out.v[i * p + q] = lu[q * rows + i];
      for (int64_t i = 0; i < m; ++i) out.u[i * p + q] = rv[q * p + i];
    }
  }
  return out;
}

}  // namespace lowbit

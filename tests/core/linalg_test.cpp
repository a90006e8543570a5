// One-sided Jacobi SVD: reconstruction, orthonormal factors, sorted singular values, rank
// deficiency (basis completion) and the empty and one-row/one-column edges.
#include "lowbit/core/linalg.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

std::vector<double> random_matrix(int64_t m, int64_t n, uint64_t seed) {
  Tensor t = Tensor::empty({m, n}, DType::f64);
  Rng(seed).fill_normal(t, 0, 1);
  return t.to_vector();
}

// Entries of A - U·diag(s)·Vᵀ and of UᵀU - I, VᵀV - I are O(eps·‖A‖·p) for a backward-stable
// SVD; 1e-12 (relative to max s, ~1..10 here) leaves two orders of margin.
void check_svd(const std::vector<double>& a, int64_t m, int64_t n) {
  SCOPED_TRACE(::testing::Message() << "A is " << m << " x " << n);
  Svd s = svd_jacobi(a, m, n);
  const int64_t p = std::min(m, n);
  ASSERT_EQ(s.p, p);
  ASSERT_EQ(static_cast<int64_t>(s.u.size()), m * p);
  ASSERT_EQ(static_cast<int64_t>(s.v.size()), n * p);
  const double tol = 1e-12 * std::max(1.0, p ? s.s[0] : 1.0);
  for (int64_t q = 0; q + 1 < p; ++q) EXPECT_GE(s.s[q], s.s[q + 1]) << "index " << q;
  for (int64_t q = 0; q < p; ++q) EXPECT_GE(s.s[q], 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double r = 0;
      for (int64_t q = 0; q < p; ++q) r += s.u[i * p + q] * s.s[q] * s.v[j * p + q];
      EXPECT_NEAR(r, a[i * n + j], tol) << "A[" << i << ", " << j << "]";
    }
  for (int side = 0; side < 2; ++side) {
    const std::vector<double>& f = side == 0 ? s.u : s.v;
    const int64_t len = side == 0 ? m : n;
    for (int64_t x = 0; x < p; ++x)
      for (int64_t y = 0; y < p; ++y) {
        double dot = 0;
        for (int64_t r = 0; r < len; ++r) dot += f[r * p + x] * f[r * p + y];
        EXPECT_NEAR(dot, x == y ? 1.0 : 0.0, 1e-12) << (side ? "V" : "U") << " columns " << x << ", " << y;
      }
  }
}

TEST(Linalg, SvdReconstructsTallAndWide) {
  check_svd(random_matrix(7, 5, 1), 7, 5);
  check_svd(random_matrix(5, 7, 2), 5, 7);
  check_svd(random_matrix(12, 12, 3), 12, 12);
  check_svd(random_matrix(40, 9, 4), 40, 9);
}

TEST(Linalg, SvdOneRowOneColumn) {
  check_svd(random_matrix(1, 6, 5), 1, 6);
  check_svd(random_matrix(6, 1, 6), 6, 1);
  check_svd({-3.0}, 1, 1);
  Svd s = svd_jacobi({-3.0}, 1, 1);
  EXPECT_DOUBLE_EQ(s.s[0], 3.0);
}

TEST(Linalg, SvdRankDeficientCompletesTheBasis) {
  // A = x yᵀ + z wᵀ (rank 2) in 6 x 4, and the zero matrix.
  auto x = random_matrix(6, 1, 7), y = random_matrix(4, 1, 8);
  auto z = random_matrix(6, 1, 9), w = random_matrix(4, 1, 10);
  std::vector<double> a(24);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 4; ++j) a[i * 4 + j] = x[i] * y[j] + z[i] * w[j];
  check_svd(a, 6, 4);
  Svd s = svd_jacobi(a, 6, 4);
  EXPECT_LT(s.s[2], 1e-12 * s.s[0]);
  check_svd(std::vector<double>(12, 0.0), 3, 4);
}

TEST(Linalg, SvdKnownValues) {
  // diag(1, 3, 2) padded: singular values 3, 2, 1.
  std::vector<double> a = {1, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0};
  Svd s = svd_jacobi(a, 4, 3);
  EXPECT_NEAR(s.s[0], 3, 1e-15);
  EXPECT_NEAR(s.s[1], 2, 1e-15);
  EXPECT_NEAR(s.s[2], 1, 1e-15);
}

TEST(Linalg, SvdEmpty) {
  Svd a = svd_jacobi({}, 0, 3);
  EXPECT_EQ(a.p, 0);
  EXPECT_TRUE(a.u.empty() && a.s.empty() && a.v.empty());
  Svd b = svd_jacobi({}, 3, 0);
  EXPECT_EQ(b.p, 0);
  EXPECT_THROW(svd_jacobi({1.0, 2.0}, 3, 1), Error);
}

}  // namespace
}  // namespace lowbit

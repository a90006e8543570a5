// Every runnable gemm_f64 variant, and ops::gemm(double) at 1 and 2 threads, against
// gemm_ref<double> bit for bit: the same products added in the same order.
#include "lowbit/kernels/gemm_f64.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "lowbit/kernels/ref/gemm_ref.h"
#include "lowbit/ops/gemm.h"
#include "support/shapes.h"

namespace lowbit {
namespace {

// rows x cols with ld = cols + pad, random in [-1/3, 1/3) with full 53-bit significands (so a
// product is inexact and a fused multiply-add would show); padding holds a sentinel.
std::vector<double> operand(Rng& rng, int64_t rows, int64_t cols, int64_t pad, bool nan = false) {
  std::vector<double> v(static_cast<size_t>(rows * (cols + pad) + 1), -777.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      v[i * (cols + pad) + j] = nan ? NAN : (2.0 * rng.uniform() - 1.0) / 3.0;
  return v;
}

bool same_bits(const std::vector<double>& x, const std::vector<double>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
}

// C from fn vs C from gemm_ref on the same random strided operands.
template <class Fn>
void check(Fn fn, const char* what, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double beta,
           uint64_t seed) {
  Rng rng(seed);
  const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
  std::vector<double> a = ta ? operand(rng, k, m, 3) : operand(rng, m, k, 3);
  std::vector<double> b = tb ? operand(rng, n, k, 5) : operand(rng, k, n, 5);
  std::vector<double> want = operand(rng, m, n, 2, beta == 0.0), got = want;
  gemm_ref<double>(ta, tb, m, n, k, 0.75, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
  fn(ta, tb, m, n, k, 0.75, a.data(), lda, b.data(), ldb, beta, got.data(), ldc);
  EXPECT_TRUE(same_bits(want, got)) << what << " ta=" << ta << " tb=" << tb << " m=" << m
                                    << " n=" << n << " k=" << k << " beta=" << beta;
}

TEST(GemmF64, EveryVariantMatchesRefBitForBit) {
  uint64_t seed = 1;
  for (const GemmF64Kernel* kern : gemm_f64_kernels().runnable())
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (int64_t m : testing::edge_sizes(4))
          for (int64_t n : testing::edge_sizes(8))
            for (int64_t k : {0, 1, 5, 33})
              for (double beta : {0.0, -1.5}) check(kern->fn, kern->name, ta, tb, m, n, k, beta, ++seed);
}

TEST(GemmF64, OpIsThreadCountIndependentAndExact) {
  const int threads = num_threads();
  uint64_t seed = 100;
  for (int t : {1, 2}) {
    set_num_threads(t);
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        check([](auto... args) { ops::gemm(args...); }, "ops::gemm", ta, tb, 131, 37, 70, 0.5,
              ++seed);
  }
  set_num_threads(threads);
}

TEST(GemmF64, OpRejectsBadLeadingDimensions) {
  std::vector<double> a(64), b(64), c(64);
  EXPECT_THROW(ops::gemm(false, false, 4, 4, 4, 1.0, a.data(), 3, b.data(), 4, 0.0, c.data(), 4),
               Error);
}

}  // namespace
}  // namespace lowbit

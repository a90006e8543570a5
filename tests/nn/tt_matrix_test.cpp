// TT-matrix helpers: factorization of sizes, layout validation messages, and TT-SVD (exact at
// full rank, truncation error within the discarded singular values).
#include "lowbit/nn/tt_matrix.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <utility>

#include "lowbit/core/rng.h"

namespace lowbit::nn {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TtMatrix, FactorizeIsBalancedAndExact) {
  EXPECT_EQ(tt_factorize(768, 3), (std::vector<int64_t>{8, 8, 12}));
  EXPECT_EQ(tt_factorize(3072, 3), (std::vector<int64_t>{12, 16, 16}));
  EXPECT_EQ(tt_factorize(384, 2), (std::vector<int64_t>{16, 24}));
  EXPECT_EQ(tt_factorize(1536, 3), (std::vector<int64_t>{8, 12, 16}));
  EXPECT_EQ(tt_factorize(30, 3), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(tt_factorize(5, 1), (std::vector<int64_t>{5}));
  EXPECT_EQ(tt_factorize(7, 2, true), (std::vector<int64_t>{1, 7}));
  EXPECT_EQ(message_of([] { tt_factorize(7, 2); }),
            "[tt_factorize] 7 cannot be written as a product of 2 factors ≥ 2 (it has fewer than 2 "
            "prime factors); use fewer modes, pass the modes explicitly, or allow factors of 1");
  EXPECT_THROW(tt_factorize(13, 2), Error);
}

TEST(TtMatrix, FactorizeAtLeast) {
  auto f = tt_factorize_at_least(30522, 3);
  int64_t p = f[0] * f[1] * f[2];
  EXPECT_GE(p, 30522);
  EXPECT_LE(p, 30522 * 1.1);
  EXPECT_EQ(tt_factorize_at_least(50, 3), (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(tt_factorize_at_least(64, 3), (std::vector<int64_t>{4, 4, 4}));
}

TEST(TtMatrix, DefaultRanksAndParameterCount) {
  TtShape s{{3, 5, 2}, {4, 3, 7}, {}, 100};
  TtLayout l = tt_layout(s, 30, 84, "t");
  // r_1 = min(100, 12, 15·14 = 210) = 12, r_2 = min(100, 12·15, 14) = 14.
  EXPECT_EQ(l.ranks, (std::vector<int64_t>{1, 12, 14, 1}));
  EXPECT_EQ(l.numel(), 1 * 4 * 3 * 12 + 12 * 3 * 5 * 14 + 14 * 7 * 2 * 1);
  TtLayout auto_modes = tt_layout(TtShape{{}, {}, {}, 8, 3}, 768, 3072, "t");
  EXPECT_EQ(auto_modes.in_modes, (std::vector<int64_t>{8, 8, 12}));
  EXPECT_EQ(auto_modes.out_modes, (std::vector<int64_t>{16, 16, 12}));
  EXPECT_EQ(auto_modes.ranks, (std::vector<int64_t>{1, 8, 8, 1}));
}

TEST(TtMatrix, LayoutErrorsNameTheShapes) {
  EXPECT_EQ(message_of([] { tt_layout(TtShape{{3, 5, 2}, {4, 3, 7}, {}, 2}, 31, 84, "tt_linear fc"); }),
            "[tt_linear fc] in modes (3, 5, 2) multiply to 30, expected in = 31");
  EXPECT_EQ(message_of([] { tt_layout(TtShape{{3, 5, 2}, {4, 3, 7}, {}, 2}, 30, 80, "tt_linear fc"); }),
            "[tt_linear fc] out modes (4, 3, 7) multiply to 84, expected out = 80");
  EXPECT_EQ(message_of([] { tt_layout(TtShape{{3, 5, 2}, {4, 21}, {}, 2}, 30, 84, "x"); }),
            "[x] in modes (3, 5, 2) and out modes (4, 21) must have the same count");
  EXPECT_EQ(message_of([] { tt_layout(TtShape{{3, 5, 2}, {4, 3, 7}, {1, 2, 1}, 0}, 30, 84, "x"); }),
            "[x] ranks (1, 2, 1) must be 4 values starting and ending with 1");
  EXPECT_EQ(message_of([] { tt_layout(TtShape{{3, 5, 2}, {4, 3, 7}, {}, 0}, 30, 84, "x"); }),
            "[x] give the ranks or a max_rank ≥ 1 (got 0)");
}

Tensor random_w(int64_t out, int64_t in, uint64_t seed) {
  Tensor w = Tensor::empty({out, in}, DType::f64);
  Rng(seed).fill_normal(w, 0, 1);
  return w;
}

std::vector<const Tensor*> ptrs(const std::vector<Tensor>& v) {
  std::vector<const Tensor*> p;
  for (const Tensor& t : v) p.push_back(&t);
  return p;
}

double frob_sq_diff(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector(), vb = b.to_vector();
  double s = 0;
  for (size_t i = 0; i < va.size(); ++i) s += (va[i] - vb[i]) * (va[i] - vb[i]);
  return s;
}

TEST(TtMatrix, SvdFullRankReconstructs) {
  for (auto [in_modes, out_modes] :
       {std::pair<std::vector<int64_t>, std::vector<int64_t>>{{3, 5, 2}, {4, 3, 7}},
        {{5, 4}, {3, 6}},
        {{2, 3, 2, 2}, {3, 1, 2, 2}}}) {
    TtShape s{in_modes, out_modes, {}, 1 << 20};
    int64_t in = 1, out = 1;
    for (auto v : in_modes) in *= v;
    for (auto v : out_modes) out *= v;
    TtLayout l = tt_layout(s, in, out, "t");
    Tensor w = random_w(out, in, 3);
    std::vector<double> disc;
    auto cores = tt_svd(w, l, &disc);
    Tensor back = tt_materialize(l, ptrs(cores));
    auto vw = w.to_vector(), vb = back.to_vector();
    for (size_t i = 0; i < vw.size(); ++i) ASSERT_NEAR(vb[i], vw[i], 1e-10) << l.str() << " entry " << i;
    for (double x : disc) EXPECT_LT(x, 1e-20);
  }
}

TEST(TtMatrix, SvdTruncationWithinDiscardedBound) {
  // ‖W - W_tt‖²_F ≤ Σ_k (discarded σ² at step k) (Oseledets 2011, Thm 2.2); 1e-9 relative
  // slack covers the f64 rounding of the SVDs.
  for (int64_t rank : {1, 2, 3, 5}) {
    TtLayout l = tt_layout(TtShape{{3, 5, 2}, {4, 3, 7}, {}, rank}, 30, 84, "t");
    Tensor w = random_w(84, 30, 4);
    std::vector<double> disc;
    auto cores = tt_svd(w, l, &disc);
    double bound = 0;
    for (double x : disc) bound += x;
    double err = frob_sq_diff(w, tt_materialize(l, ptrs(cores)));
    EXPECT_LE(err, bound * (1 + 1e-9) + 1e-12) << "rank " << rank;
    EXPECT_GT(err, 0.0);
  }
  // A matrix that is exactly TT-rank 2 is recovered at rank 2.
  TtLayout l2 = tt_layout(TtShape{{3, 5, 2}, {4, 3, 7}, {1, 2, 2, 1}, 0}, 30, 84, "t");
  std::vector<Tensor> g;
  for (int k = 0; k < 3; ++k) {
    g.push_back(Tensor::empty(l2.core_shape(k), DType::f64));
    Rng(10 + k).fill_normal(g.back(), 0, 1);
  }
  Tensor w2 = tt_materialize(l2, ptrs(g));
  auto rec = tt_svd(w2, l2);
  EXPECT_LT(frob_sq_diff(w2, tt_materialize(l2, ptrs(rec))), 1e-18 * 84 * 30);
}

TEST(TtMatrix, SvdPadsRanksBeyondTheMatrixRank) {
  // The first unfolding is 2 x 4 (p = 2) but rank 5 is asked for: ranks above p are zero
  // padding and the reconstruction is unchanged.
  TtLayout l = tt_layout(TtShape{{2, 2}, {1, 2}, {1, 5, 1}, 0}, 4, 2, "t");
  Tensor w = random_w(2, 4, 5);
  auto cores = tt_svd(w, l);
  EXPECT_EQ(cores[0].shape(), (Shape{1, 1, 2, 5}));
  EXPECT_LT(frob_sq_diff(w, tt_materialize(l, ptrs(cores))), 1e-24);
}

}  // namespace
}  // namespace lowbit::nn

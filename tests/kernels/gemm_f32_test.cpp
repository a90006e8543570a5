// Parity of every runnable gemm_f32 variant (packers, micro-kernel, and the whole op with the
// variant forced by the ISA cap) against gemm_ref in double, plus thread-count determinism.
#include "lowbit/kernels/gemm_f32.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cfloat>
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

using testing::edge_sizes;

// Sizes in k: around the 8-wide pack steps; 401 spans two k-blocks (at most 384 each) with a
// ragged tail.
const std::vector<int64_t> kKs = {0, 1, 7, 9, 31, 401};

struct Operand {
  std::vector<float> storage;
  float* data;  // offset by 3 floats from the allocation: unaligned on purpose
  int64_t ld;
};

// rows x cols row-major with ld = cols + pad; padding holds a sentinel that must survive.
Operand make_operand(Rng& rng, int64_t rows, int64_t cols, int64_t pad, bool fill_nan = false) {
  Operand op;
  op.ld = cols + pad;
  op.storage.assign(static_cast<size_t>(rows * op.ld + 8), -777.0f);
  op.data = op.storage.data() + 3;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      op.data[i * op.ld + j] = fill_nan ? NAN : 2.0f * rng.uniform() - 1.0f;
  return op;
}

// Error bound for one C element. The f32 sum of k products (FMA or not, any blocking into
// k-blocks) has error <= (k + 2*blocks) * u * sum|a||b| with u = eps/2; the epilogue adds three
// roundings. Blocks <= k, so (2k + 4) * eps * (|alpha| sum|a||b| + |beta c0|) covers it.
double tolerance(int64_t k, double abs_sum) { return (2.0 * k + 4) * FLT_EPSILON * abs_sum + FLT_MIN; }

// Runs ops::gemm on random strided operands and checks every element against gemm_ref<double>.
void check_gemm(const char* kernel, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                float beta, uint64_t seed) {
  Rng rng(seed);
  Operand a = ta ? make_operand(rng, k, m, 3) : make_operand(rng, m, k, 3);
  Operand b = tb ? make_operand(rng, n, k, 5) : make_operand(rng, k, n, 5);
  Operand c = make_operand(rng, m, n, 2, beta == 0.0f);
  std::vector<double> ad(a.storage.begin() + 3, a.storage.end()),
      bd(b.storage.begin() + 3, b.storage.end()), cd(c.storage.begin() + 3, c.storage.end()),
      abs_a(ad.size()), abs_b(bd.size()), bound(cd.size(), 0.0);
  for (size_t i = 0; i < ad.size(); ++i) abs_a[i] = std::fabs(ad[i]);
  for (size_t i = 0; i < bd.size(); ++i) abs_b[i] = std::fabs(bd[i]);
  gemm_ref<double>(ta, tb, m, n, k, alpha, ad.data(), a.ld, bd.data(), b.ld, beta, cd.data(), c.ld);
  gemm_ref<double>(ta, tb, m, n, k, std::fabs(alpha), abs_a.data(), a.ld, abs_b.data(), b.ld, 0.0,
                   bound.data(), c.ld);
  std::vector<float> c0(c.storage);
  ops::gemm(ta, tb, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < c.ld; ++j) {
      float got = c.data[i * c.ld + j];
      if (j >= n) {  // padding untouched
        ASSERT_EQ(got, -777.0f) << kernel << " wrote padding at (" << i << ", " << j << ")";
        continue;
      }
      double old = beta == 0.0f ? 0.0 : std::fabs(beta * c0[3 + i * c.ld + j]);
      double want = cd[i * c.ld + j];
      double tol = tolerance(k, bound[i * c.ld + j] + old);
      ASSERT_LE(std::fabs(got - want), tol)
          << kernel << " trans_a=" << ta << " trans_b=" << tb << " m=" << m << " n=" << n
          << " k=" << k << " alpha=" << alpha << " beta=" << beta << " at (" << i << ", " << j
          << "): got " << got << ", want " << want;
    }
  }
}

// Forces each runnable variant through the ISA cap and runs the op on edge shapes.
TEST(GemmF32, EveryVariantMatchesReference) {
  Isa saved = isa_cap();
  const float betas[] = {0.0f, 1.0f, -0.75f};
  for (const GemmF32Kernel* kern : gemm_f32_kernels().runnable()) {
    isa_cap_set(kern->isa);
    ASSERT_STREQ(gemm_f32_kernels().chosen().name, kern->name);
    uint64_t seed = 1;
    int64_t shape_index = 0;
    for (int64_t m : edge_sizes(kern->mr))
      for (int64_t n : edge_sizes(kern->nr))
        for (int64_t k : kKs) {
          // The biggest combinations add little; keep the suite fast.
          if (m * n * k > 257 * 257 * 31 && !(m == 257 && n == 257)) continue;
          float beta = betas[shape_index++ % 3];
          for (int t = 0; t < 4; ++t)
            check_gemm(kern->name, t & 1, t & 2, m, n, k, t == 3 ? 1.5f : 1.0f, beta, seed++);
          if (HasFatalFailure()) return isa_cap_set(saved);
        }
    // Wider than one n-block (1536 columns) and several m-blocks.
    check_gemm(kern->name, false, true, 7, 1600, 5, 1.0f, 0.0f, seed++);
    check_gemm(kern->name, true, false, 300, 40, 600, 1.0f, 1.0f, seed++);
  }
  isa_cap_set(saved);
}

// Packers write exactly the layout of gemm_f32.h (the generic packers define it).
TEST(GemmF32, PackersMatchLayout) {
  Rng rng(7);
  for (const GemmF32Kernel* kern : gemm_f32_kernels().runnable()) {
    for (int64_t rows : edge_sizes(kern->mr))
      for (int64_t kc : {1, 8, 9, 23})
        for (bool trans : {false, true}) {
          Operand a = trans ? make_operand(rng, kc, rows, 1) : make_operand(rng, rows, kc, 1);
          size_t len = static_cast<size_t>((rows + kern->mr) * kc + gemm_f32_pack_slack);
          std::vector<float> got(len, 1.0f), want(len, 1.0f);
          kern->pack_a(trans, rows, kc, a.data, a.ld, got.data());
          gemm_f32_pack_a_generic(kern->mr, trans, rows, kc, a.data, a.ld, want.data());
          int64_t used = (rows + kern->mr - 1) / kern->mr * kern->mr * kc;
          ASSERT_EQ(0, std::memcmp(got.data(), want.data(), used * sizeof(float)))
              << kern->name << " pack_a rows=" << rows << " kc=" << kc << " trans=" << trans;
        }
    for (int64_t cols : edge_sizes(kern->nr))
      for (int64_t kc : {1, 8, 9, 23})
        for (bool trans : {false, true}) {
          Operand b = trans ? make_operand(rng, cols, kc, 1) : make_operand(rng, kc, cols, 1);
          size_t used = static_cast<size_t>((cols + kern->nr - 1) / kern->nr * kern->nr * kc);
          std::vector<float> got(used + 4, 1.0f), want(used + 4, 1.0f);
          kern->pack_b(trans, kc, cols, b.data, b.ld, got.data());
          gemm_f32_pack_b_generic(kern->nr, trans, kc, cols, b.data, b.ld, want.data());
          ASSERT_EQ(got, want) << kern->name << " pack_b cols=" << cols << " kc=" << kc
                               << " trans=" << trans << " (must not write past its panels)";
        }
  }
}

// The split over threads never changes a bit: compare 1 and 2 threads on shapes that take the
// split-M path, the split-N path and multiple k-blocks.
TEST(GemmF32, ThreadCountDoesNotChangeBits) {
  int saved = num_threads();
  struct Shape { int64_t m, n, k; };
  for (Shape s : {Shape{300, 100, 800}, Shape{5, 300, 600}, Shape{257, 257, 257}}) {
    for (int t = 0; t < 4; ++t) {
      bool ta = t & 1, tb = t & 2;
      Rng rng(static_cast<uint64_t>(s.m * 7 + t));
      Operand a = ta ? make_operand(rng, s.k, s.m, 0) : make_operand(rng, s.m, s.k, 0);
      Operand b = tb ? make_operand(rng, s.n, s.k, 0) : make_operand(rng, s.k, s.n, 0);
      Operand c1 = make_operand(rng, s.m, s.n, 0);
      Operand c2 = c1;
      c2.data = c2.storage.data() + 3;
      set_num_threads(1);
      ops::gemm(ta, tb, s.m, s.n, s.k, 0.5f, a.data, a.ld, b.data, b.ld, 1.0f, c1.data, c1.ld);
      set_num_threads(2);
      ops::gemm(ta, tb, s.m, s.n, s.k, 0.5f, a.data, a.ld, b.data, b.ld, 1.0f, c2.data, c2.ld);
      ASSERT_EQ(0, std::memcmp(c1.storage.data(), c2.storage.data(), c1.storage.size() * 4))
          << "m=" << s.m << " n=" << s.n << " k=" << s.k << " trans_a=" << ta << " trans_b=" << tb;
    }
  }
  set_num_threads(saved);
}

// A variant's in-place-rows micro-kernel gives the packed micro-kernel's bits, and so does the
// whole op whichever way A is stored (row-major A reads rows in place, transposed A packs).
TEST(GemmF32, InPlaceRowsMatchPackedBitForBit) {
  for (const GemmF32Kernel* kern : gemm_f32_kernels().runnable()) {
    if (!kern->micro_rows) continue;
    const int64_t mr = kern->mr, nr = kern->nr;
    for (int64_t kc : {0, 1, 9, 384})
      for (int64_t n : {int64_t{1}, nr - 1, nr})
        for (float beta : {0.0f, 0.5f}) {
          Rng rng(static_cast<uint64_t>(kc * 100 + n));
          Operand a = make_operand(rng, mr, kc, 3), b = make_operand(rng, kc, nr, 0);
          Operand c1 = make_operand(rng, mr, nr, 1), c2 = c1;
          c2.data = c2.storage.data() + 3;
          std::vector<float> ap(static_cast<size_t>(mr * kc + gemm_f32_pack_slack + 8)),
              bp(static_cast<size_t>(kc * nr + 8));
          kern->pack_a(false, mr, kc, a.data, a.ld, ap.data());
          kern->pack_b(false, kc, nr, b.data, b.ld, bp.data());
          const GemmF32Epilogue epi{1.25f, beta};
          kern->micro(kc, ap.data(), bp.data(), c1.data, c1.ld, mr, n, epi);
          kern->micro_rows(kc, a.data, a.ld, bp.data(), c2.data, c2.ld, n, epi);
          ASSERT_EQ(0, std::memcmp(c1.storage.data(), c2.storage.data(), c1.storage.size() * 4))
              << kern->name << " kc " << kc << " n " << n << " beta " << beta;
        }
  }
  const Isa saved = isa_cap();
  for (const GemmF32Kernel* kern : gemm_f32_kernels().runnable()) {
    if (!kern->micro_rows) continue;
    isa_cap_set(kern->isa);  // the op then runs this kernel (row-major A in place, transposed packs)
    for (int64_t m : {1, 7, 100}) {
      Rng rng(static_cast<uint64_t>(m));
      const int64_t k = 401, n = 37;
      Operand a = make_operand(rng, m, k, 0), b = make_operand(rng, n, k, 0);
      std::vector<float> at(static_cast<size_t>(k * m));
      for (int64_t i = 0; i < m; ++i)
        for (int64_t p = 0; p < k; ++p) at[p * m + i] = a.data[i * k + p];
      std::vector<float> y1(static_cast<size_t>(m * n)), y2(y1.size());
      ops::gemm(false, true, m, n, k, 1.0f, a.data, k, b.data, k, 0.0f, y1.data(), n);
      ops::gemm(true, true, m, n, k, 1.0f, at.data(), m, b.data, k, 0.0f, y2.data(), n);
      EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * 4)) << kern->name << " m " << m;
    }
  }
  isa_cap_set(saved);
}

// Called from inside an outer parallel region (e.g. per attention head) it runs single-threaded
// in each caller and gives the same bits as a top-level call.
TEST(GemmF32, InsideParallelRegion) {
  const int64_t m = 128, n = 128, k = 32, heads = 4;
  Rng rng(11);
  Operand a = make_operand(rng, heads * m, k, 0), b = make_operand(rng, heads * n, k, 0);
  std::vector<float> nested(heads * m * n), flat(heads * m * n);
#pragma omp parallel for num_threads(2)
  for (int64_t h = 0; h < heads; ++h)
    ops::gemm(false, true, m, n, k, 1.0f, a.data + h * m * k, k, b.data + h * n * k, k, 0.0f,
              nested.data() + h * m * n, n);
  for (int64_t h = 0; h < heads; ++h)
    ops::gemm(false, true, m, n, k, 1.0f, a.data + h * m * k, k, b.data + h * n * k, k, 0.0f,
              flat.data() + h * m * n, n);
  EXPECT_EQ(nested, flat);
}

TEST(GemmF32, BadLeadingDimensionIsAnError) {
  std::vector<float> a(64), b(64), c(64);
  EXPECT_THROW(ops::gemm(false, false, 4, 4, 4, 1.0f, a.data(), 3, b.data(), 4, 0.0f, c.data(), 4),
               Error);
  EXPECT_THROW(ops::gemm(false, true, 4, 4, 4, 1.0f, a.data(), 4, b.data(), 4, 0.0f, c.data(), 2),
               Error);
}

TEST(GemmF32, FamilyIsListed) {
  const auto& all = gemm_f32_kernels().all();
  ASSERT_GE(all.size(), 3u);
  EXPECT_STREQ(all.back().name, "gemm_f32_ref");
  bool listed = false;
  for (const auto& row : kernel_choices()) listed |= row.family == "gemm_f32";
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace lowbit

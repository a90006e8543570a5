// 4-bit numerics: the Hadamard-quantizer forward bit for bit against a reference (pad, rotate,
// quantize(), int64 code sums, the f32 rescale); the bit-split product against its two int4
// products; HQ beats plain int4 on outlier activations;
// backward close to fp32 in every switch combination; thread-count independence.
#include "lowbit/nn/int4_numerics.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/formats/intn.h"
#include "lowbit/ops/gemm_int.h"
#include "lowbit/quant/bit_split.h"
#include "lowbit/quant/hadamard.h"
#include "lowbit/quant/uniform.h"

namespace lowbit::nn {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, double sd = 1.0) {
  Tensor t = Tensor::empty(shape);
  Rng(seed).fill_normal(t, 0, sd);
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Relative Frobenius error of a against b (both f32, same shape).
double rel_err(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector(), vb = b.to_vector();
  double num = 0, den = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    num += (va[i] - vb[i]) * (va[i] - vb[i]);
    den += vb[i] * vb[i];
  }
  return std::sqrt(num / den);
}

Tensor matmul_ref(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  const int64_t m = trans_a ? a.dim(1) : a.dim(0), k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t n = trans_b ? b.dim(0) : b.dim(1);
  Tensor c = Tensor::zeros({m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += double(trans_a ? a.data<float>()[p * m + i] : a.data<float>()[i * k + p]) *
             (trans_b ? b.data<float>()[j * k + p] : b.data<float>()[p * n + j]);
      c.data<float>()[i * n + j] = static_cast<float>(s);
    }
  return c;
}

Tensor pad_rotate(const Tensor& x, int64_t kp, int64_t block) {
  Tensor p = Tensor::zeros({x.dim(0), kp});
  for (int64_t i = 0; i < x.dim(0); ++i)
    for (int64_t j = 0; j < x.dim(1); ++j) p.data<float>()[i * kp + j] = x.data<float>()[i * x.dim(1) + j];
  hadamard_rows_(p, block);
  return p;
}

TEST(Int4Numerics, HadamardQuantizerForwardBitExact) {
  const int64_t m = 21, k = 49, n = 13, block = 16;  // K = 49 is padded to 64
  Tensor x = randn({m, k}, 1), w = randn({n, k}, 2, 0.1);
  Int4NumericsConfig cfg;
  cfg.hadamard_block = block;
  Int4GemmNumerics g("patch", cfg);
  Tensor y = g.forward(x, w, ForwardContext{true, 3});
  ASSERT_EQ(g.padded_k(), 64);
  QFormat f;
  f.storage = DType::u8;
  f.bits = 4;
  f.scale_kind = ScaleKind::amax;
  QTensor xq = quantize(pad_rotate(x, 64, block), f), wq = quantize(pad_rotate(w, 64, block), f);
  EXPECT_TRUE(same_bits(g.saved_x().codes, xq.codes) && same_bits(g.saved_w().codes, wq.codes));
  Tensor xc = qtensor_int_codes(xq), wc = qtensor_int_codes(wq);
  Tensor y_ref = Tensor::empty({m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < 64; ++p)
        s += int64_t(xc.data<int32_t>()[i * 64 + p]) * wc.data<int32_t>()[j * 64 + p];
      float t = static_cast<float>(s);
      t *= xq.scales.data<float>()[0];
      t *= wq.scales.data<float>()[0];
      y_ref.data<float>()[i * n + j] = t;
    }
  EXPECT_TRUE(same_bits(y, y_ref));
}

// Outliers (a few channels 30x larger, as in transformer activations): the rotation spreads
// them, so HQ's int4 product is much closer to X·Wᵀ than plain per-tensor int4.
// int4_split_product equals the method's form bit for bit: bit_split's hi and lo parts, one int4
// product each (int64 sums written out here), 16·hi·B + lo·B + 8·colsum(B), times s_c·s_b in
// f32; both orientations of C, odd sizes, B with -8.
TEST(Int4Numerics, SplitProductEqualsItsTwoInt4Products) {
  for (bool trans : {false, true})
    for (auto [m, r, n] : {std::array<int64_t, 3>{37, 50, 29}, std::array<int64_t, 3>{64, 129, 33}}) {
      const Tensor dy = trans ? randn({r, m}, 3) : randn({m, r}, 3);
      QFormat f4;
      f4.storage = DType::u8;
      f4.bits = 4;
      f4.scale_kind = ScaleKind::amax;
      const QTensor b = quantize(randn({r, n}, 4), f4);
      const BitSplit s = bit_split(dy, 9, 2);
      const QTensor c = quantize(dy, bit_split_format(), 9, 2);
      const Tensor got = int4_split_product(c, trans, b);
      const uint8_t* hp = s.hi.codes.data<uint8_t>();
      const uint8_t* lp = s.lo.codes.data<uint8_t>();
      const uint8_t* bp = b.codes.data<uint8_t>();
      const int64_t cols = trans ? m : r, row_bytes = (cols + 1) / 2, b_bytes = (n + 1) / 2;
      const float scale = s.scale * b.scales.data<float>()[0];
      ASSERT_EQ(s.scale, c.scales.data<float>()[0]);
      Tensor want = Tensor::empty({m, n});
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          int64_t hi = 0, lo = 0, cs = 0;
          for (int64_t p = 0; p < r; ++p) {
            const int64_t at = trans ? p * row_bytes : i * row_bytes;
            const int64_t col = trans ? i : p;
            const int32_t bv = int4_at(bp + p * b_bytes, j);
            hi += int4_at(hp + at, col) * bv;
            lo += int4_at(lp + at, col) * bv;
            cs += bv;
          }
          want.data<float>()[i * n + j] = static_cast<float>(16 * hi + lo + 8 * cs) * scale;
        }
      ASSERT_TRUE(same_bits(got, want)) << "trans " << trans << " m " << m;
    }
}

TEST(Int4Numerics, HadamardHelpsWithOutliers) {
  Tensor x = randn({64, 128}, 5), w = randn({32, 128}, 6, 0.1);
  for (int64_t i = 0; i < 64; ++i) x.data<float>()[i * 128 + 7] *= 30;
  Tensor y = matmul_ref(x, w, false, true);
  Int4NumericsConfig on, off;
  off.hadamard = false;
  Int4GemmNumerics a("l", on), b("l", off);
  const double e_on = rel_err(a.forward(x, w, {}), y), e_off = rel_err(b.forward(x, w, {}), y);
  EXPECT_LT(e_on, 0.7 * e_off) << "HQ " << e_on << " vs plain " << e_off;  // seen: 0.21 vs 0.39
  EXPECT_LT(e_on, 0.35);
}

// Backward against the f32 products. int4 weights/activations: relative error of a random
// Gaussian product ~ (s/sqrt(12)) / rms ~ 0.15 per operand; the bounds leave 2x room. dY has the
// structure LSS relies on (one token row in 8 carries almost all of the gradient); on rows of
// equal weight LSS at half the rows has relative error ~1 by construction (each term doubled
// or dropped), which is why the method samples by leverage.
TEST(Int4Numerics, BackwardCloseToFp32InEverySwitchCombination) {
  const int64_t m = 96, k = 128, n = 64;
  Tensor x = randn({m, k}, 1), w = randn({n, k}, 2, 0.1), dy = randn({m, n}, 3, 0.01);
  for (int64_t i = 0; i < m; ++i)
    if (i % 8 != 0)
      for (int64_t j = 0; j < n; ++j) dy.data<float>()[i * n + j] *= 0.02f;
  Tensor dx_ref = matmul_ref(dy, w, false, false), dw_ref = matmul_ref(dy, x, true, false);
  for (int mask = 0; mask < 8; ++mask) {
    Int4NumericsConfig cfg;
    cfg.hadamard = mask & 1;
    cfg.bit_split = mask & 2;
    cfg.leverage_sampling = mask & 4;
    cfg.seed = 7;
    Int4GemmNumerics g("fc", cfg);
    g.forward(x, w, ForwardContext{true, 2});
    Tensor dx = g.backward_input(dy);
    Tensor dw = Tensor::zeros({n, k});
    g.backward_weight(dy, dw);
    SCOPED_TRACE(g.describe());
    EXPECT_LT(rel_err(dx, dx_ref), 0.4);
    EXPECT_LT(rel_err(dw, dw_ref), 0.4);
    if (cfg.leverage_sampling) {
      EXPECT_GT(g.last_sampled_rows(), m / 4);
      EXPECT_LT(g.last_sampled_rows(), 3 * m / 4);
    }
  }
}

TEST(Int4Numerics, ThreadCountDoesNotChangeBits) {
  const int saved = num_threads();
  // The second shape is large enough that every element loop of the backward splits into
  // several chunks, with Hadamard off so rows hold an odd number of nibbles.
  struct Shape {
    int64_t m, k, n;
    bool hadamard;
  };
  for (const Shape sh : {Shape{130, 64, 48, true}, Shape{1031, 257, 129, false}}) {
    Tensor x = randn({sh.m, sh.k}, 1), w = randn({sh.n, sh.k}, 2, 0.1);
    Tensor dy = randn({sh.m, sh.n}, 3, 0.01);
    Tensor out[2][3];
    for (int t = 1; t <= 2; ++t) {
      set_num_threads(t);
      Int4NumericsConfig cfg;
      cfg.hadamard = sh.hadamard;
      Int4GemmNumerics g("l", cfg);
      out[t - 1][0] = g.forward(x, w, ForwardContext{true, 4});
      out[t - 1][1] = g.backward_input(dy);
      out[t - 1][2] = Tensor::zeros({sh.n, sh.k});
      g.backward_weight(dy, out[t - 1][2]);
    }
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(same_bits(out[0][i], out[1][i])) << "product " << i << " m " << sh.m;
  }
  set_num_threads(saved);
}

}  // namespace
}  // namespace lowbit::nn

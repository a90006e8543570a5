// Integer layer norm: forward and backward against a plain double reference on the same codes
// (bit for bit where the computation is integer), 16 bits within a derived bound of the f64
// layer norm (the straight-through surrogate, checked by central differences), seeded rounding,
// thread-count independence, edge sizes and the LayerNorm hook.
#include "lowbit/nn/int_layer_norm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/int_numerics.h"
#include "lowbit/nn/layer_norm.h"
#include "lowbit/quant/uniform.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, double mean = 0.0, double sd = 1.0,
             DType dtype = DType::f32) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng(seed).fill_normal(t, mean, sd);
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}
bool same_q(const QTensor& a, const QTensor& b) {
  return same_bits(a.codes, b.codes) && same_bits(a.scales, b.scales) && a.shape == b.shape;
}

std::vector<double> codes_of(const QTensor& q) {
  return qtensor_int_codes(q).to_vector();
}

IntLayerPolicy int_policy(IntNumericsConfig cfg) {
  return [cfg](const std::string&, LayerKind) { return std::optional<IntNumericsConfig>(cfg); };
}

constexpr double kEps = 1e-5;

// The run: gamma, beta, x, dy, and the gradients' starting values (backward accumulates).
struct Case {
  int64_t m, c;
  Tensor x, gamma, beta, dy, dgamma0, dbeta0;
};

Case make_case(int64_t m, int64_t c, uint64_t seed) {
  return Case{m,
              c,
              randn({m, c}, seed, 0.3, 2.0),
              randn({c}, seed + 1, 1.0, 0.3),
              randn({c}, seed + 2, 0.0, 0.3),
              randn({m, c}, seed + 3, 0.0, 1e-2),
              randn({c}, seed + 4),
              randn({c}, seed + 5)};
}

struct Out {
  Tensor y, dx, dgamma, dbeta;
};

Out run(IntLayerNorm& ln, const Case& k, const ForwardContext& ctx) {
  Out o{ln.forward(k.x, k.gamma, k.beta, kEps, ctx), Tensor(), k.dgamma0.clone(), k.dbeta0.clone()};
  o.dx = ln.backward(k.dy, o.dgamma, o.dbeta);
  return o;
}

// The reference: the class comment's formulas in double on the codes, with a two-pass mean and
// variance (not the layer's C S2 - S1^2), so the statistics are checked by another route.
void check_against_reference(IntNumericsConfig cfg, int64_t m, int64_t c, bool training) {
  SCOPED_TRACE(::testing::Message()
               << "w" << cfg.weight_bits << " x" << cfg.act_bits << " dy" << cfg.grad_bits
               << " M=" << m << " C=" << c << (training ? " train" : " eval"));
  const std::string name = "encoder.1.ln2";
  const ForwardContext ctx{training, 29};
  const Case k = make_case(m, c, 7);
  IntLayerNorm ln(name, cfg);
  const Out o = run(ln, k, ctx);
  auto stream = [&](int operand) { return IntGemmNumerics::stream(name, 29, operand); };
  const QTensor xq =
      quantize(k.x, IntGemmNumerics::format(cfg.act_bits, training), cfg.seed, stream(0));
  const QTensor gq = quantize(k.gamma, IntGemmNumerics::format(cfg.weight_bits, false));
  const QTensor dq =
      quantize(k.dy, IntGemmNumerics::format(cfg.grad_bits, true), cfg.seed, stream(2));
  EXPECT_TRUE(same_q(ln.saved_gamma(), gq)) << "gamma codes";
  EXPECT_TRUE(same_q(ln.saved_dy(), dq)) << "dy codes";
  const std::vector<double> q = codes_of(xq), e = codes_of(dq), g = codes_of(gq);
  const double sx = tensor_scale(xq), sd = tensor_scale(dq), sg = tensor_scale(gq);

  // Statistics: rstd within one f32 rounding (and double noise) of the two-pass value; x̂ from
  // the layer's rstd, rounded to f32 and quantized with stream 3, gives the layer's codes.
  const std::vector<double> rstd = ln.saved_rstd().to_vector();
  Tensor xhat = Tensor::empty({m, c});
  for (int64_t r = 0; r < m; ++r) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < c; ++j) mean += q[r * c + j];
    mean /= c;
    for (int64_t j = 0; j < c; ++j) var += (q[r * c + j] - mean) * (q[r * c + j] - mean);
    var = var / c * sx * sx;
    const double ref = 1 / std::sqrt(var + kEps);
    EXPECT_NEAR(rstd[r], ref, 0x1p-23 * ref) << "rstd row " << r;
    for (int64_t j = 0; j < c; ++j)
      xhat.data<float>()[r * c + j] = static_cast<float>((q[r * c + j] - mean) * sx * rstd[r]);
  }
  const QTensor hq =
      quantize(xhat, IntGemmNumerics::format(cfg.act_bits, training), cfg.seed, stream(3));
  ASSERT_TRUE(same_q(ln.saved_xhat(), hq)) << "x̂ codes";
  const std::vector<double> h = codes_of(hq);
  const double sh = tensor_scale(hq);

  // y = (h sh)(g sg) + beta: the product is exact in double, so f32(product) + beta is the
  // layer's result bit for bit.
  const std::vector<double> y = o.y.to_vector(), beta = k.beta.to_vector();
  std::vector<double> dx_ref(static_cast<size_t>(m * c)), dg(c, 0.0), db(c, 0.0);
  for (int64_t r = 0; r < m; ++r) {
    double mg = 0, mgx = 0;
    for (int64_t j = 0; j < c; ++j) {
      const size_t i = r * c + j;
      const float ref = static_cast<float>(h[i] * sh * (g[j] * sg)) + static_cast<float>(beta[j]);
      EXPECT_EQ(y[i], ref) << "y " << r << "," << j;
      mg += e[i] * sd * g[j] * sg / c;
      mgx += e[i] * sd * g[j] * sg * h[i] * sh / c;
      dg[j] += e[i] * sd * h[i] * sh;  // exact in double: integer products times powers of two
      db[j] += e[i] * sd;
    }
    // dx in f32 after double arithmetic: one f32 rounding of a sum of three terms, bounded by
    // 2^-24 times their magnitudes (x4 headroom).
    for (int64_t j = 0; j < c; ++j) {
      const size_t i = r * c + j;
      const double gi = e[i] * sd * g[j] * sg, xi = h[i] * sh;
      dx_ref[i] = rstd[r] * (gi - mg - xi * mgx);
      const double tol = 0x1p-22 * rstd[r] * (std::fabs(gi) + std::fabs(mg) + std::fabs(xi * mgx));
      EXPECT_NEAR(o.dx.data<float>()[i], dx_ref[i], tol) << "dx " << r << "," << j;
    }
  }
  // dgamma, dbeta: integer column sums scaled once, then added to the starting values.
  for (int64_t j = 0; j < c; ++j) {
    EXPECT_EQ(o.dgamma.data<float>()[j], k.dgamma0.data<float>()[j] + static_cast<float>(dg[j]))
        << "dgamma " << j;
    EXPECT_EQ(o.dbeta.data<float>()[j], k.dbeta0.data<float>()[j] + static_cast<float>(db[j]))
        << "dbeta " << j;
  }
}

TEST(IntLayerNorm, MatchesDoubleReferenceOnTheCodes) {
  for (int b : {8, 10, 16}) {
    check_against_reference({b, b, b, 42}, 37, 70, true);
    check_against_reference({b, b, b, 42}, 37, 70, false);
  }
  check_against_reference({8, 12, 16, 3}, 33, 17, true);  // mixed widths: i8, i16 codes mixed
  check_against_reference({4, 4, 4, 3}, 5, 9, true);
  check_against_reference({8, 8, 8, 3}, 1, 1, true);     // C = 1: x̂ = 0, y = beta
  check_against_reference({8, 8, 8, 3}, 70, 128, true);  // three row chunks
}

// At 16 bits (x and x̂ rounded to nearest: an evaluation forward; dy stochastic) the integer
// layer norm is the f64 layer norm within the quantization bound, the f64 layer norm being the
// straight-through surrogate, itself checked by central differences. A 16-bit code errs by at
// most ex = s_x / 2 (x), eh = s_h / 2 (x̂), eg = s_g / 2 (gamma) and ed = s_d (dy, stochastic).
// To first order, ex moves x - mean by 2 ex and the row's RMS deviation by at most 2 ex, so x̂_j
// by X_j = 2 ex rstd (1 + |x̂_j|) + eh and rstd by 2 ex rstd^2; dy gamma moves by
// G_j = ed |gamma_j| + |dy_j| eg + ed eg. Then y errs by |gamma| X + |x̂| eg, dx by
// rstd (G + mean G + X |mean(g x̂)| + |x̂| mean(G |x̂| + |g| X)) + |dx| 2 ex rstd, dgamma by
// sum (ed |x̂| + |dy| X + ed X) and dbeta by M ed; each bound x2 for second-order terms, plus
// 2^-20 of the magnitudes for f32 rounding.
TEST(IntLayerNorm, Int16MatchesTheF64LayerNormWithinTheQuantizationBound) {
  const int64_t m = 19, c = 24;
  const Case k = make_case(m, c, 11);
  LayerNorm ref("ln", c, kEps, DType::f64);
  ref.gamma.value.copy_from(k.gamma.to(DType::f64));
  ref.beta.value.copy_from(k.beta.to(DType::f64));
  Tensor x64 = k.x.to(DType::f64), dy64 = k.dy.to(DType::f64);
  auto loss = [&] { return testing::dot(ref.forward(x64), dy64); };
  ref.zero_grad();
  const std::vector<double> y64 = ref.forward(x64).to_vector();
  Tensor dx64 = ref.backward(dy64);
  testing::expect_grad_close("surrogate dx", x64, dx64, loss);
  testing::expect_grad_close("surrogate dgamma", ref.gamma.value, ref.gamma.grad.clone(), loss);
  testing::expect_grad_close("surrogate dbeta", ref.beta.value, ref.beta.grad.clone(), loss);

  IntLayerNorm ln("ln", {16, 16, 16, 5});
  Case z = k;
  z.dgamma0 = Tensor::zeros({c});
  z.dbeta0 = Tensor::zeros({c});
  const Out o = run(ln, z, ForwardContext{false, 3});
  const double ex = tensor_scale(quantize(k.x, IntGemmNumerics::format(16, false))) / 2;
  const double eh = tensor_scale(ln.saved_xhat()) / 2, eg = tensor_scale(ln.saved_gamma()) / 2;
  const double ed = tensor_scale(ln.saved_dy());
  const std::vector<double> xv = x64.to_vector(), dyv = dy64.to_vector(),
                            gv = k.gamma.to(DType::f64).to_vector();
  const std::vector<double> dxv = dx64.to_vector();
  std::vector<double> tg(c, 0.0), sum_g(c, 0.0), sum_b(c, 0.0);
  for (int64_t r = 0; r < m; ++r) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < c; ++j) mean += xv[r * c + j] / c;
    for (int64_t j = 0; j < c; ++j) var += (xv[r * c + j] - mean) * (xv[r * c + j] - mean) / c;
    const double rs = 1 / std::sqrt(var + kEps);
    std::vector<double> xh(c), bx(c), bg(c);
    double mg_abs = 0, g_abs = 0, mgx = 0, mgx_err = 0, mgx_abs = 0;
    for (int64_t j = 0; j < c; ++j) {
      const size_t i = r * c + j;
      xh[j] = (xv[i] - mean) * rs;
      bx[j] = 2 * ex * rs * (1 + std::fabs(xh[j])) + eh;
      bg[j] = ed * std::fabs(gv[j]) + std::fabs(dyv[i]) * eg + ed * eg;
      const double gj = dyv[i] * gv[j];
      mg_abs += bg[j] / c;
      g_abs += std::fabs(gj) / c;
      mgx += gj * xh[j] / c;
      mgx_abs += std::fabs(gj * xh[j]) / c;
      mgx_err += (bg[j] * std::fabs(xh[j]) + std::fabs(gj) * bx[j]) / c;
    }
    for (int64_t j = 0; j < c; ++j) {
      const size_t i = r * c + j;
      const double tol_y = 2 * (std::fabs(gv[j]) * bx[j] + std::fabs(xh[j]) * eg) +
                           0x1p-20 * (std::fabs(y64[i]) + std::fabs(gv[j] * xh[j]));
      EXPECT_NEAR(o.y.data<float>()[i], y64[i], tol_y) << "y " << r << "," << j;
      const double tol_dx =
          2 * (rs * (bg[j] + mg_abs + bx[j] * std::fabs(mgx) + std::fabs(xh[j]) * mgx_err) +
               std::fabs(dxv[i]) * 2 * ex * rs) +
          0x1p-20 * rs * (std::fabs(dyv[i] * gv[j]) + g_abs + std::fabs(xh[j]) * mgx_abs);
      EXPECT_NEAR(o.dx.data<float>()[i], dxv[i], tol_dx) << "dx " << r << "," << j;
      sum_g[j] += ed * std::fabs(xh[j]) + std::fabs(dyv[i]) * bx[j] + ed * bx[j];
      tg[j] += std::fabs(dyv[i] * xh[j]) + std::fabs(dyv[i]);
    }
  }
  const std::vector<double> dg64 = ref.gamma.grad.to_vector(), db64 = ref.beta.grad.to_vector();
  for (int64_t j = 0; j < c; ++j) {
    EXPECT_NEAR(o.dgamma.data<float>()[j], dg64[j], 2 * sum_g[j] + 0x1p-20 * tg[j]) << j;
    EXPECT_NEAR(o.dbeta.data<float>()[j], db64[j], 2 * m * ed + 0x1p-20 * tg[j]) << j;
  }
}

// Stochastic rounding is a function of (seed, layer, step, operand): the same inputs give the
// same bits, another step other x̂ and dy codes; evaluation rounds to nearest whatever the step.
TEST(IntLayerNorm, SeededRoundingAndEvalDeterminism) {
  const Case k = make_case(20, 33, 3);
  auto once = [&](const std::string& layer, uint64_t seed, ForwardContext ctx) {
    IntLayerNorm ln(layer, {8, 8, 8, seed});
    Out o = run(ln, k, ctx);
    return std::vector<Tensor>{o.y, o.dx, o.dgamma, o.dbeta};
  };
  auto same = [](const std::vector<Tensor>& a, const std::vector<Tensor>& b, size_t i) {
    return same_bits(a[i], b[i]);
  };
  const auto base = once("ln", 1, {true, 5});
  const auto again = once("ln", 1, {true, 5});
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(same(base, again, i)) << "result " << i;
  for (const auto& other :
       {once("ln", 1, {true, 6}), once("ln", 2, {true, 5}), once("ln.other", 1, {true, 5})}) {
    EXPECT_FALSE(same(base, other, 0)) << "y";
    EXPECT_FALSE(same(base, other, 1)) << "dx";
  }
  const auto eval0 = once("ln", 1, {false, 0}), eval1 = once("ln", 2, {false, 77});
  EXPECT_TRUE(same(eval0, eval1, 0)) << "an evaluation forward is deterministic";
}

TEST(IntLayerNorm, BitsDoNotDependOnThreadCount) {
  const Case k = make_case(257, 96, 9);  // 9 row chunks, the last one row
  const int saved = num_threads();
  std::vector<Out> outs;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    IntLayerNorm ln("ln", {8, 8, 8, 4});
    outs.push_back(run(ln, k, {true, 1}));
  }
  set_num_threads(saved);
  EXPECT_TRUE(same_bits(outs[0].y, outs[1].y));
  EXPECT_TRUE(same_bits(outs[0].dx, outs[1].dx));
  EXPECT_TRUE(same_bits(outs[0].dgamma, outs[1].dgamma));
  EXPECT_TRUE(same_bits(outs[0].dbeta, outs[1].dbeta));
}

TEST(IntLayerNorm, ZeroRowsAndAllZeroInput) {
  IntLayerNorm ln("ln", {8, 8, 8, 1});
  Tensor gamma = Tensor::full({5}, 1.0), beta = randn({5}, 1);
  Tensor dg = Tensor::zeros({5}), db = Tensor::zeros({5});
  EXPECT_EQ(ln.forward(Tensor::zeros({0, 5}), gamma, beta, kEps, {true, 0}).shape(), (Shape{0, 5}));
  EXPECT_EQ(ln.backward(Tensor::zeros({0, 5}), dg, db).shape(), (Shape{0, 5}));
  EXPECT_EQ(dg.to_vector(), std::vector<double>(5, 0.0));
  // An all-zero input has scale 0 and x̂ = 0, so y = beta exactly; a zero dy adds nothing.
  EXPECT_EQ(ln.forward(Tensor::zeros({3, 5}), gamma, beta, kEps, {true, 0}).to_vector(), [&] {
    std::vector<double> v;
    for (int r = 0; r < 3; ++r)
      for (double b : beta.to_vector()) v.push_back(b);
    return v;
  }());
  EXPECT_EQ(ln.backward(Tensor::zeros({3, 5}), dg, db).to_vector(), std::vector<double>(15, 0.0));
  EXPECT_EQ(db.to_vector(), std::vector<double>(5, 0.0));
  EXPECT_THROW(ln.backward(Tensor::zeros({2, 5}), dg, db), Error);
  EXPECT_THROW(IntLayerNorm("ln", {8, 17, 8, 0}), Error);
  EXPECT_THROW(IntLayerNorm("ln", {8, 8, 8, 0}).backward(Tensor::zeros({1, 5}), dg, db), Error);
}

// LayerNorm with the integer policy computes what IntLayerNorm computes; without it, what the
// f32 layer norm computes; an f64 layer norm refuses the integer policy.
TEST(IntLayerNorm, LayerNormHook) {
  const Case k = make_case(9, 12, 21);
  const IntNumericsConfig cfg{8, 8, 8, 6};
  LayerNorm ln("enc.0.ln1", 12, kEps, DType::f32);
  ln.gamma.value.copy_from(k.gamma);
  ln.beta.value.copy_from(k.beta);
  ln.set_int_layer_policy(int_policy(cfg));
  ASSERT_NE(ln.int_numerics(), nullptr);
  IntLayerNorm direct("enc.0.ln1", cfg);
  Case z = k;
  z.dgamma0 = Tensor::zeros({12});
  z.dbeta0 = Tensor::zeros({12});
  const Out want = run(direct, z, {true, 4});
  EXPECT_TRUE(same_bits(ln.forward(k.x, {true, 4}), want.y));
  EXPECT_TRUE(same_bits(ln.backward(k.dy), want.dx));
  EXPECT_TRUE(same_bits(ln.gamma.grad, want.dgamma));
  EXPECT_TRUE(same_bits(ln.beta.grad, want.dbeta));

  LayerNorm plain("enc.0.ln1", 12, kEps, DType::f32);
  plain.gamma.value.copy_from(k.gamma);
  plain.beta.value.copy_from(k.beta);
  ln.set_int_layer_policy(
      [](const std::string&, LayerKind) { return std::optional<IntNumericsConfig>(); });
  EXPECT_EQ(ln.int_numerics(), nullptr);
  EXPECT_TRUE(same_bits(ln.forward(k.x, {true, 4}), plain.forward(k.x)));
  EXPECT_TRUE(same_bits(ln.backward(k.dy), plain.backward(k.dy)));

  LayerNorm f64("ln", 12, kEps, DType::f64);
  EXPECT_THROW(f64.set_int_layer_policy(int_policy(cfg)), Error);
}

}  // namespace
}  // namespace lowbit::nn

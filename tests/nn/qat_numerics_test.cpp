// QAT numerics (numerics.mode = qat): a QAT Linear against central finite differences of the
// straight-through surrogate in double, its products and step gradients bit for bit against
// standalone LSQ quantizers, the backward_weight-only path (PatchEmbed), and the step parameters.
#include "lowbit/nn/qat_numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lowbit/nn/linear.h"
#include "lowbit/ops/gemm.h"
#include "lowbit/optim/optimizer.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, double sd, DType dtype = DType::f32) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng(seed).fill_normal(t, 0, sd);
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

NumericsPolicy qat_policy(int wbits, int abits) {
  return [=](const std::string& layer, LayerKind) {
    return make_qat_numerics(layer, QatNumericsConfig{wbits, abits});
  };
}

// Values on the step's grid strictly inside the clip range (integer k in (-Q_N, Q_P)), and about
// one in six outside it (|v| = bound + 2.5): at such a point the rounding is the identity and h
// is far from every kink, so the layer's gradients are exactly those of the surrogate below.
Tensor grid_values(const Shape& shape, uint64_t seed, double s, int64_t qn, int64_t qp) {
  Tensor t = Tensor::empty(shape, DType::f64);
  Rng r(seed);
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const uint32_t u = r.next_u32();
    if (u % 6 == 0)
      p[i] = (u & 64) ? (qp + 2.5) * s : -(qn + 2.5) * s;
    else
      p[i] = static_cast<double>(-qn + 1 + static_cast<int64_t>((u >> 8) % (qn + qp - 1))) * s;
  }
  return t;
}

double clip(double v, double s, int64_t qn, int64_t qp) {
  return std::min(std::max(v, -static_cast<double>(qn) * s), static_cast<double>(qp) * s);
}

// How the surrogate is tested: the LSQ forward with round() taken as the identity is
// clip_s(v) = min(max(v, -Q_N s), Q_P s), so the surrogate layer is
//   L(X, W) = sum r ⊙ (clip_a(X) · clip_w(W)ᵀ + b),
// evaluated here directly in double. Its derivative is the straight-through estimator: the
// upstream gradient inside the range, 0 outside. The QAT layer's analytic dX and dW at a grid
// point (where x̂ = clip_a(X) and ŵ = clip_w(W) exactly) must match central differences of L.
TEST(QatNumerics, LinearMatchesFiniteDifferencesOfTheStraightThroughSurrogate) {
  for (int bits : {3, 4, 8}) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    const int64_t qn = int64_t{1} << (bits - 1), qp = qn - 1;
    const double sw = 1.0 / 64, sa = 0.125;
    const int64_t m = 9, in = 13, out = 7;
    Rng rng(3);
    Linear lin("enc.0.fc1", in, out, true, rng, DType::f64);
    lin.set_numerics(qat_policy(bits, bits));
    std::vector<Param*> ps = lin.params();
    ASSERT_EQ(ps.size(), 4u);
    ASSERT_EQ(ps[2]->value.dtype(), DType::f64) << "steps follow the layer's dtype";
    ps[2]->value.data<double>()[0] = sw;
    ps[3]->value.data<double>()[0] = sa;
    lin.weight.value.copy_from(grid_values({out, in}, 4, sw, qn, qp));
    Rng(5).fill_normal(lin.bias.value, 0, 1);
    Tensor x = grid_values({m, in}, 6, sa, qn, qp);
    Tensor r = randn({m, out}, 7, 1.0, DType::f64);

    auto surrogate = [&] {
      const double* px = x.data<double>();
      const double* pw = lin.weight.value.data<double>();
      const double* pb = lin.bias.value.data<double>();
      const double* pr = r.data<double>();
      double sum = 0;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < out; ++j) {
          double y = pb[j];
          for (int64_t k = 0; k < in; ++k)
            y += clip(px[i * in + k], sa, qn, qp) * clip(pw[j * in + k], sw, qn, qp);
          sum += pr[i * out + j] * y;
        }
      return sum;
    };
    lin.zero_grad();
    Tensor y = lin.forward(x);
    EXPECT_NEAR(testing::dot(y, r), surrogate(), 1e-10) << "the grid point is a fixed point";
    Tensor dx = lin.backward(r);
    Tensor dw = lin.weight.grad.clone();
    int64_t zeros = 0;
    for (double v : dx.to_vector()) zeros += v == 0;
    EXPECT_GT(zeros, 0) << "some inputs are outside the range";
    testing::expect_grad_close("dx", x, dx, surrogate, 200);
    testing::expect_grad_close("dweight", lin.weight.value, dw, surrogate, 200);
    testing::expect_grad_close("dbias", lin.bias.value, lin.bias.grad.clone(), surrogate);
  }
}

// The layer's products are those of two standalone quantizers around the f32 GEMMs, bit for bit.
TEST(QatNumerics, ProductsAndStepGradientsAreTheQuantizersBitForBit) {
  const int64_t m = 33, in = 40, out = 24;
  Rng rng(11);
  Linear lin("enc.1.attn.query", in, out, true, rng, DType::f32);
  lin.set_numerics(qat_policy(4, 6));
  Tensor x = randn({m, in}, 12, 1.5), dy = randn({m, out}, 13, 0.1);
  lin.zero_grad();
  Tensor y = lin.forward(x);
  Tensor dx = lin.backward(dy);
  std::vector<Param*> ps = lin.params();

  LsqQuantizer wq("w", 4, true), aq("a", 6, true);
  Tensor w_hat = wq.forward(lin.weight.value);  // initialised from the same data
  Tensor x_hat = aq.forward(x);
  EXPECT_EQ(ps[2]->value.data<float>()[0], wq.step().value.data<float>()[0]);
  EXPECT_EQ(ps[3]->value.data<float>()[0], aq.step().value.data<float>()[0]);
  EXPECT_EQ(ps[2]->value.data<float>()[0],
            static_cast<float>(lsq_initial_step(lin.weight.value, 7)));
  Tensor y_ref = ops::matmul_nt(x_hat, w_hat);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < out; ++j)
      y_ref.data<float>()[i * out + j] += lin.bias.value.data<float>()[j];
  EXPECT_TRUE(same_bits(y, y_ref)) << "Y = x̂ ŵᵀ + b";
  Tensor dx_ref = aq.backward(ops::matmul_nn(dy, w_hat));
  EXPECT_TRUE(same_bits(dx, dx_ref)) << "dX = STE_a(dY ŵ)";
  Tensor dw_hat = Tensor::zeros({out, in});
  ops::matmul_tn_acc(dy, x_hat, dw_hat);
  Tensor dw_ref = wq.backward(dw_hat);
  EXPECT_TRUE(same_bits(lin.weight.grad, dw_ref)) << "dW = STE_w(dYᵀ x̂)";
  EXPECT_TRUE(same_bits(ps[2]->grad, wq.step().grad)) << "weight step gradient";
  EXPECT_TRUE(same_bits(ps[3]->grad, aq.step().grad)) << "activation step gradient";
  EXPECT_NE(ps[2]->grad.data<float>()[0], 0.0f);
  EXPECT_NE(ps[3]->grad.data<float>()[0], 0.0f);
  EXPECT_EQ(lin.numerics().describe(), "qat lsq w4 a6");
}

// PatchEmbed asks for backward_weight only; the activation step must learn all the same.
TEST(QatNumerics, WeightOnlyBackwardStillTrainsTheActivationStep) {
  Tensor x = randn({20, 12}, 21, 1.0), w = randn({6, 12}, 22, 0.1), dy = randn({20, 6}, 23, 1.0);
  QatGemmNumerics full("patch_embed.proj", {8, 8}), weight_only("patch_embed.proj", {8, 8});
  ForwardContext ctx{true, 0};
  Tensor dw_full = Tensor::zeros({6, 12}), dw_only = Tensor::zeros({6, 12});
  full.forward(x, w, ctx);
  full.backward_input(dy);
  full.backward_weight(dy, dw_full);
  weight_only.forward(x, w, ctx);
  weight_only.backward_weight(dy, dw_only);
  EXPECT_TRUE(same_bits(dw_full, dw_only));
  EXPECT_TRUE(same_bits(full.act_quantizer().step().grad, weight_only.act_quantizer().step().grad));
  EXPECT_NE(weight_only.act_quantizer().step().grad.data<float>()[0], 0.0f);
  EXPECT_TRUE(
      same_bits(full.weight_quantizer().step().grad, weight_only.weight_quantizer().step().grad));
}

TEST(QatNumerics, StepsAreUndecayedParametersWithThirtyTwoBitOptimizerState) {
  Rng rng(1);
  Linear lin("pooler.dense", 8, 8, true, rng, DType::f32);
  EXPECT_EQ(lin.params().size(), 2u);
  lin.set_numerics(qat_policy(8, 8));
  std::vector<Param*> ps = lin.params();
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps[0]->name, "pooler.dense.weight");
  EXPECT_EQ(ps[1]->name, "pooler.dense.bias");
  EXPECT_EQ(ps[2]->name, "pooler.dense.weight_step");
  EXPECT_EQ(ps[3]->name, "pooler.dense.act_step");
  optim::OptimizerConfig c;
  c.state_codec = "8bit";  // the recipe's optim.state = 8bit with its default state_min_numel
  for (Param* p : {ps[2], ps[3]}) {
    EXPECT_FALSE(p->decay) << p->name;
    EXPECT_EQ(p->value.shape(), Shape{1});
    EXPECT_EQ(optim::state_codec_for(c, p->value.numel()), "f32") << p->name;
  }
  // AdamW with decay: an untouched (zero-gradient) step keeps its value exactly.
  ps[2]->value.fill_(0.01);
  c.state_codec = "f32";
  c.weight_decay = 0.5;
  auto opt = optim::make_optimizer("adamw", ps, c);
  lin.zero_grad();
  opt->step(0.1);
  EXPECT_EQ(ps[2]->value.data<float>()[0], 0.01f) << "no weight decay on the step";
}

TEST(QatNumerics, BitsOutOfRangeNameTheKey) {
  try {
    QatGemmNumerics g("enc.0.fc2", {9, 8});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("numerics.qat_weight_bits"), std::string::npos)
        << e.what();
  }
  try {
    QatGemmNumerics g("enc.0.fc2", {8, 1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("numerics.qat_act_bits"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lowbit::nn

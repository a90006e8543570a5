// Integer numerics (numerics.mode = int): the three products bit for bit against a reference
// (quantize(), int64 sums of the codes, the same f32 rescale), the straight-through surrogate at
// 16 bits, thread-count independence, seeded rounding, and eval codes == training codes for W.
#include "lowbit/nn/int_numerics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/linear.h"
#include "lowbit/quant/uniform.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, double sd = 1.0, DType dtype = DType::f32) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng(seed).fill_normal(t, 0, sd);
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  return std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}
bool same_q(const QTensor& a, const QTensor& b) {
  return same_bits(a.codes, b.codes) && same_bits(a.scales, b.scales) && a.shape == b.shape;
}

// C (m, n) = init + float(sum_k A[i,k] B[k,j]) * sa * sb, the sum in int64 over i32 codes;
// A indexed a[i*sai + k*sak], B b[k*sbk + j*sbj]. Same operation order as the GEMM epilogue.
Tensor ref_product(const Tensor& a, int64_t sai, int64_t sak, float sa, const Tensor& b,
                   int64_t sbk, int64_t sbj, float sb, int64_t m, int64_t n, int64_t k,
                   const Tensor* init) {
  Tensor c = init ? init->clone() : Tensor::zeros({m, n});
  const int32_t* pa = a.data<int32_t>();
  const int32_t* pb = b.data<int32_t>();
  float* pc = c.data<float>();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<int64_t>(pa[i * sai + p * sak]) * pb[p * sbk + j * sbj];
      float t = static_cast<float>(s);
      t *= sa;
      t *= sb;
      pc[i * n + j] = init ? pc[i * n + j] + t : t;
    }
  return c;
}

float scale0(const QTensor& q) { return q.scales.data<float>()[0]; }

struct Bits {
  int w, x, dy;
};

void check_bit_exact(Bits bits, int64_t m, int64_t k, int64_t n) {
  SCOPED_TRACE(::testing::Message() << "w" << bits.w << " x" << bits.x << " dy" << bits.dy
                                    << " M=" << m << " K=" << k << " N=" << n);
  IntNumericsConfig cfg{bits.w, bits.x, bits.dy, 42};
  IntGemmNumerics g("enc.0.fc1", cfg);
  Tensor x = randn({m, k}, 1, 3.0), w = randn({n, k}, 2, 0.05), dy = randn({m, n}, 3, 1e-3);
  Tensor dw0 = randn({n, k}, 4, 1e-2);
  ForwardContext ctx{true, 17};
  Tensor y = g.forward(x, w, ctx);
  Tensor dx = g.backward_input(dy);
  Tensor dw = dw0.clone();
  g.backward_weight(dy, dw);

  QTensor xq = quantize(x, IntGemmNumerics::format(bits.x, true), 42,
                        IntGemmNumerics::stream("enc.0.fc1", 17, 0));
  QTensor wq = quantize(w, IntGemmNumerics::format(bits.w, false), 42,
                        IntGemmNumerics::stream("enc.0.fc1", 17, 1));
  QTensor dyq = quantize(dy, IntGemmNumerics::format(bits.dy, true), 42,
                         IntGemmNumerics::stream("enc.0.fc1", 17, 2));
  EXPECT_TRUE(same_q(g.saved_x(), xq)) << "saved x codes";
  EXPECT_TRUE(same_q(g.saved_w(), wq)) << "saved w codes";
  EXPECT_TRUE(same_q(g.saved_dy(), dyq)) << "dy codes";
  EXPECT_EQ(g.saved_x().codes.dtype(), bits.x <= 8 ? DType::i8 : DType::i16);
  Tensor xc = qtensor_int_codes(xq), wc = qtensor_int_codes(wq), dyc = qtensor_int_codes(dyq);
  // Y = X Wᵀ, dX = dY W, dW += dYᵀ X.
  Tensor y_ref = ref_product(xc, k, 1, scale0(xq), wc, 1, k, scale0(wq), m, n, k, nullptr);
  Tensor dx_ref = ref_product(dyc, n, 1, scale0(dyq), wc, k, 1, scale0(wq), m, k, n, nullptr);
  Tensor dw_ref = ref_product(dyc, 1, n, scale0(dyq), xc, k, 1, scale0(xq), n, k, m, &dw0);
  EXPECT_TRUE(same_bits(y, y_ref)) << "Y";
  EXPECT_TRUE(same_bits(dx, dx_ref)) << "dX";
  EXPECT_TRUE(same_bits(dw, dw_ref)) << "dW";
}

TEST(IntNumerics, ProductsBitExactAgainstInt64Reference) {
  for (int b : {8, 10, 12, 16}) check_bit_exact({b, b, b}, 37, 70, 23);
  check_bit_exact({4, 4, 4}, 5, 16, 3);
  check_bit_exact({8, 12, 16}, 19, 257, 9);  // mixed widths: s8 x s16 plans
  check_bit_exact({16, 16, 16}, 6, 513, 5);   // byte split + int64 chunks
  check_bit_exact({12, 12, 12}, 4, 600, 7);   // int64 chunks (12 x 12: K > 511)
}

// At 16 bits the gradients are those of the f32 layer (the straight-through surrogate, checked
// against central differences in double) within the quantization bound: with SR on dY
// (|e| < s_dy) and RNE on W (|e| <= s_w / 2), |dx_ik - ref| <= sum_j (s_dy |W_jk| +
// |dY_ij| s_w / 2 + s_dy s_w / 2) + f32 rounding N * 2^-23 * max|dY| max|W| (and likewise dW).
TEST(IntNumerics, Int16MatchesStraightThroughSurrogate) {
  const int64_t m = 9, k = 24, n = 11;
  Rng rng(3);
  Linear ref("fc", k, n, true, rng, DType::f64);
  Rng(8).fill_normal(ref.weight.value, 0, 0.5);
  Tensor x64 = randn({m, k}, 10, 1.0, DType::f64), g64 = randn({m, n}, 11, 1.0, DType::f64);
  auto loss = [&] { return testing::dot(ref.forward(x64), g64); };
  ref.zero_grad();
  ref.forward(x64);
  Tensor dx64 = ref.backward(g64);
  testing::expect_grad_close("surrogate dx", x64, dx64, loss);
  testing::expect_grad_close("surrogate dweight", ref.weight.value, ref.weight.grad.clone(), loss);

  Rng rng2(3);
  Linear lin("fc", k, n, true, rng2, DType::f32);
  lin.weight.value = ref.weight.value.to(DType::f32);
  lin.set_numerics([](const std::string& l, LayerKind) {
    return make_int_numerics(l, IntNumericsConfig{16, 16, 16, 5});
  });
  Tensor x = x64.to(DType::f32), g = g64.to(DType::f32);
  lin.zero_grad();
  lin.forward(x, ForwardContext{true, 1});
  Tensor dx = lin.backward(g).to(DType::f64), dw = lin.weight.grad.to(DType::f64);
  auto amax = [](const Tensor& t) {
    double a = 0;
    for (double v : t.to_vector()) a = std::max(a, std::fabs(v));
    return a;
  };
  // pow2 scale at 16 bits: 2^(E - 15) with amax < 2^E, so s <= 2 * amax * 2^-15.
  auto s16 = [](double a) { return 2 * a * std::ldexp(1.0, -15); };
  const double aw = amax(ref.weight.value), ax = amax(x64), ag = amax(g64);
  const double tol_dx = n * (s16(ag) * aw + ag * s16(aw) / 2 + s16(ag) * s16(aw) / 2) +
                        n * std::ldexp(1.0, -23) * ag * aw * 2;
  const double tol_dw = m * (s16(ag) * ax + ag * s16(ax) + s16(ag) * s16(ax)) +
                        m * std::ldexp(1.0, -23) * ag * ax * 2;
  auto vdx = dx.to_vector(), rdx = dx64.to_vector();
  for (size_t i = 0; i < vdx.size(); ++i) EXPECT_NEAR(vdx[i], rdx[i], tol_dx) << "dx " << i;
  auto vdw = dw.to_vector(), rdw = ref.weight.grad.to_vector();
  for (size_t i = 0; i < vdw.size(); ++i) EXPECT_NEAR(vdw[i], rdw[i], tol_dw) << "dw " << i;
  EXPECT_LT(tol_dx, 1e-2 * ag * aw * n);  // the bound is meaningful: far below the values
}

TEST(IntNumerics, ThreadCountDoesNotChangeBits) {
  const int saved = num_threads();
  Tensor x = randn({130, 96}, 1), w = randn({64, 96}, 2, 0.1), dy = randn({130, 64}, 3, 0.01);
  for (int b : {8, 12, 16}) {
    Tensor out[2][3];
    for (int t = 1; t <= 2; ++t) {
      set_num_threads(t);
      IntGemmNumerics g("l", IntNumericsConfig{b, b, b, 9});
      out[t - 1][0] = g.forward(x, w, ForwardContext{true, 4});
      out[t - 1][1] = g.backward_input(dy);
      out[t - 1][2] = Tensor::zeros({64, 96});
      g.backward_weight(dy, out[t - 1][2]);
    }
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(same_bits(out[0][i], out[1][i])) << b << " bits, product " << i;
  }
  set_num_threads(saved);
}

TEST(IntNumerics, StochasticRoundingIsSeeded) {
  Tensor x = randn({20, 32}, 1), w = randn({8, 32}, 2), dy = randn({20, 8}, 3);
  auto run = [&](uint64_t seed, uint64_t step, const std::string& layer) {
    IntGemmNumerics g(layer, IntNumericsConfig{8, 8, 8, seed});
    g.forward(x, w, ForwardContext{true, step});
    g.backward_input(dy);
    return std::pair<QTensor, QTensor>(g.saved_x(), g.saved_dy());
  };
  auto a = run(1, 5, "l"), b = run(1, 5, "l");
  EXPECT_TRUE(same_q(a.first, b.first) && same_q(a.second, b.second)) << "same seed, same bits";
  EXPECT_FALSE(same_bits(a.first.codes, run(2, 5, "l").first.codes)) << "seed";
  EXPECT_FALSE(same_bits(a.first.codes, run(1, 6, "l").first.codes)) << "step";
  EXPECT_FALSE(same_bits(a.first.codes, run(1, 5, "m").first.codes)) << "layer";
  EXPECT_FALSE(same_bits(a.first.codes, a.second.codes)) << "operands use different streams";
}

// What trains is what deploys: the weight codes and scale of an eval forward are those the
// training forward used for the same weights (W is rounded to nearest in both); an eval
// forward rounds X to nearest, so it is deterministic whatever the step.
TEST(IntNumerics, EvalUsesTheTrainingWeightCodes) {
  Rng rng(1);
  Linear lin("enc.1.attn.q", 48, 16, true, rng, DType::f32);
  lin.set_numerics([](const std::string& l, LayerKind) {
    return make_int_numerics(l, IntNumericsConfig{8, 8, 8, 3});
  });
  Tensor x = randn({10, 48}, 2);
  auto& g = dynamic_cast<const IntGemmNumerics&>(lin.numerics());
  lin.forward(x, ForwardContext{true, 123});
  QTensor w_train = g.saved_w();
  Tensor y0 = lin.forward(x, ForwardContext{false, 0});
  EXPECT_TRUE(same_q(g.saved_w(), w_train)) << "eval weight codes/scale differ from training";
  QTensor x_eval = g.saved_x();
  EXPECT_EQ(x_eval.format.rounding, Rounding::nearest_even);
  Tensor y1 = lin.forward(x, ForwardContext{false, 999});
  EXPECT_TRUE(same_bits(y0, y1)) << "eval is deterministic";
  EXPECT_TRUE(same_q(quantize(lin.weight.value, IntGemmNumerics::format(8, false)), w_train));
}

TEST(IntNumerics, RejectsBadBitsAndF64) {
  EXPECT_THROW(IntGemmNumerics("l", IntNumericsConfig{1, 8, 8, 0}), Error);
  EXPECT_THROW(IntGemmNumerics("l", IntNumericsConfig{8, 17, 8, 0}), Error);
  IntGemmNumerics g("l", IntNumericsConfig{});
  EXPECT_THROW(g.forward(Tensor::zeros({2, 4}, DType::f64), Tensor::zeros({3, 4}, DType::f64), {}),
               Error);
}

}  // namespace
}  // namespace lowbit::nn

// FP8 training numerics: the three products equal the f32 GEMM of operands dequantized by an
// independent scalar reference (E4M3 x / w, E5M2 dy), bit for bit, for current and delayed
// scaling (the delayed scale is max_fmt / max of the recorded amaxes); runs repeat bit for bit.
#include "lowbit/nn/fp8_numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lowbit/core/rng.h"
#include "lowbit/formats/fp8.h"
#include "lowbit/ops/gemm.h"

namespace lowbit::nn {
namespace {

Tensor randn(int64_t r, int64_t c, uint64_t seed, double sd) {
  Tensor t = Tensor::empty({r, c});
  Rng(seed, 0).fill_normal(t, 0.0, sd);
  return t;
}

float amax(const Tensor& t) {
  float a = 0;
  for (int64_t i = 0; i < t.numel(); ++i) a = std::fmax(a, std::fabs(t.data<float>()[i]));
  return a;
}

// value(fp8(t * scale)) * (1 / scale), scale = max_fmt / amax_used.
Tensor dequant_ref(const Tensor& t, Fp8Kind kind, float amax_used) {
  const float scale = fp8_spec(kind).max / amax_used;
  Tensor out = Tensor::empty(t.shape());
  for (int64_t i = 0; i < t.numel(); ++i)
    out.data<float>()[i] =
        fp8_decode(fp8_encode(t.data<float>()[i] * scale, kind, true), kind) * (1.0f / scale);
  return out;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(Fp8Numerics, CurrentScalingMatchesReferenceFormula) {
  const int64_t m = 37, k = 65, n = 19;
  Tensor x = randn(m, k, 1, 1.0), w = randn(n, k, 2, 0.05), dy = randn(m, n, 3, 1e-3);
  auto num = make_fp8_numerics({Fp8Scaling::current, 16});
  ForwardContext ctx;
  ctx.training = true;
  Tensor y = num->forward(x, w, ctx);
  Tensor dx = num->backward_input(dy);
  Tensor dw = Tensor::zeros({n, k});
  num->backward_weight(dy, dw);
  Tensor xq = dequant_ref(x, Fp8Kind::e4m3, amax(x)), wq = dequant_ref(w, Fp8Kind::e4m3, amax(w));
  Tensor dyq = dequant_ref(dy, Fp8Kind::e5m2, amax(dy));
  EXPECT_TRUE(same_bits(y, ops::matmul_nt(xq, wq)));
  EXPECT_TRUE(same_bits(dx, ops::matmul_nn(dyq, wq)));
  Tensor dw_ref = Tensor::zeros({n, k});
  ops::matmul_tn_acc(dyq, xq, dw_ref);
  EXPECT_TRUE(same_bits(dw, dw_ref));
  // And the dequantized operands are within the formats' half-ulp of the originals.
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_NEAR(xq.data<float>()[i], x.data<float>()[i],
                std::fabs(x.data<float>()[i]) / 16 + amax(x) / 448 * std::ldexp(1.0f, -10));
}

TEST(Fp8Numerics, DelayedScalingUsesTheAmaxHistory) {
  const int64_t m = 8, k = 16, n = 4;
  auto num = make_fp8_numerics({Fp8Scaling::delayed, 2});
  ForwardContext ctx;
  ctx.training = true;
  Tensor w = randn(n, k, 9, 0.05);
  std::vector<float> xs_amax, ws_amax;
  for (int step = 0; step < 5; ++step) {
    Tensor x = randn(m, k, 10 + step, step == 1 ? 50.0 : 1.0);  // one step with a big amax
    Tensor y = num->forward(x, w, ctx);
    // Scale for this step: the max of the last 2 recorded amaxes (this tensor's own at step 0).
    float hx = amax(x), hw = amax(w);
    if (step > 0) {
      hx = *std::max_element(xs_amax.end() - std::min<size_t>(2, xs_amax.size()), xs_amax.end());
      hw = *std::max_element(ws_amax.end() - std::min<size_t>(2, ws_amax.size()), ws_amax.end());
    }
    Tensor ref = ops::matmul_nt(dequant_ref(x, Fp8Kind::e4m3, hx), dequant_ref(w, Fp8Kind::e4m3, hw));
    EXPECT_TRUE(same_bits(y, ref)) << "step " << step;
    xs_amax.push_back(amax(x));
    ws_amax.push_back(amax(w));
    num->release();
  }
}

TEST(Fp8Numerics, Deterministic) {
  Tensor x = randn(33, 70, 4, 1.0), w = randn(12, 70, 5, 0.05), dy = randn(33, 12, 6, 1e-2);
  Tensor out[2];
  for (auto& o : out) {
    auto num = make_fp8_numerics({Fp8Scaling::delayed, 16});
    ForwardContext ctx;
    ctx.training = true;
    for (int s = 0; s < 3; ++s) {
      num->forward(x, w, ctx);
      num->backward_input(dy);
    }
    o = Tensor::zeros({12, 70});
    num->backward_weight(dy, o);
  }
  EXPECT_TRUE(same_bits(out[0], out[1]));
}

}  // namespace
}  // namespace lowbit::nn

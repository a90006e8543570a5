// numerics.mode dispatch: the int keys reach every pass and the patch embedding, the int4
// switches reach the scheme, and bad values fail naming the key.
#include "lowbit/train/numerics_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/train/recipe.h"

namespace lowbit {
namespace {

std::string describe(const Recipe& r, nn::LayerKind kind = nn::LayerKind::linear) {
  return make_numerics_policy(r)("encoder.0.ffn.fc1", kind)->describe();
}

TEST(NumericsPolicy, IntBitsPerPassAndPatchEmbed) {
  Recipe r = Recipe::defaults();
  EXPECT_EQ(describe(r), "fp32");
  r.set("numerics.mode=int");
  r.set("numerics.bits=10");
  r.set("numerics.grad_bits=16");
  std::string d = describe(r);
  EXPECT_NE(d.find("w int10"), std::string::npos) << d;
  EXPECT_NE(d.find("x int10"), std::string::npos) << d;
  EXPECT_NE(d.find("dy int16"), std::string::npos) << d;
  r.set("numerics.patch_embed_bits=12");
  EXPECT_NE(describe(r, nn::LayerKind::patch_embed).find("w int12"), std::string::npos);
  EXPECT_NE(describe(r).find("w int10"), std::string::npos);
  r.set("numerics.weight_bits=17");
  EXPECT_THROW(describe(r), Error);
}

TEST(NumericsPolicy, LayerNormBitsReachOnlyTheLayerNorms) {
  Recipe r = Recipe::defaults();
  r.set("numerics.mode=int");
  auto policy = make_int_layer_policy(r);
  EXPECT_EQ(policy("encoder.0.ln1", nn::LayerKind::layer_norm)->act_bits, 8);
  r.set("numerics.layer_norm_bits=16");
  policy = make_int_layer_policy(r);
  const auto ln = policy("encoder.0.ln1", nn::LayerKind::layer_norm);
  EXPECT_EQ(ln->act_bits, 16);
  EXPECT_EQ(ln->weight_bits, 16);
  EXPECT_EQ(ln->grad_bits, 16);
  EXPECT_EQ(policy("embeddings", nn::LayerKind::embedding)->act_bits, 8);
  r.set("numerics.layer_norm_bits=17");
  EXPECT_THROW(make_int_layer_policy(r), Error);
}

TEST(NumericsPolicy, Int4Switches) {
  Recipe r = Recipe::defaults();
  r.set("numerics.mode=int4");
  std::string d = describe(r);
  EXPECT_NE(d.find("Hadamard quantizer (block 64)"), std::string::npos) << d;
  EXPECT_NE(d.find("bit-split"), std::string::npos) << d;
  EXPECT_NE(d.find("leverage"), std::string::npos) << d;
  r.set("numerics.hadamard=false");
  r.set("numerics.bit_split=false");
  r.set("numerics.leverage_sampling=false");
  d = describe(r);
  EXPECT_NE(d.find("no Hadamard"), std::string::npos) << d;
  EXPECT_EQ(d.find("bit-split"), std::string::npos) << d;
  EXPECT_EQ(d.find("leverage"), std::string::npos) << d;
  r.set("numerics.hadamard=true");
  r.set("numerics.hadamard_block=48");
  EXPECT_THROW(describe(r), Error);
  EXPECT_THROW(r.set("numerics.mode=int3"), Error);
}

TEST(NumericsPolicy, DynamicFixedPointOperandsAreOnAPowerOfTwoGrid) {
  std::vector<float> x = {0.3f, -1.7f, 2.5f, 0.0f, -0.001f, 1.1f};
  std::vector<float> q = x;
  dfp_fake_quantize(q.data(), static_cast<int64_t>(q.size()), 8);
  const float s = 2.5f / 127 <= 1.0f / 32 ? 1.0f / 32 : 1.0f / 16;  // 2^ceil(log2(2.5/127))
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(q[i], std::nearbyint(x[i] / s) * s) << i;
    EXPECT_LE(std::fabs(q[i] - x[i]), s / 2) << i;
  }
  std::vector<float> again = q;  // idempotent: grid values stay
  dfp_fake_quantize(again.data(), static_cast<int64_t>(again.size()), 8);
  EXPECT_EQ(again, q);
  std::vector<float> zeros(5, 0.0f);
  dfp_fake_quantize(zeros.data(), 5, 8);
  EXPECT_EQ(zeros, std::vector<float>(5, 0.0f));
  // Long inputs (several kernel chunks, a tail) at every width equal the formula bit for bit
  // (-0 included); NaN passes through and does not move the scale; denormal-only input stays.
  for (int bits : {2, 4, 8, 12, 16}) {
    Rng rng(static_cast<uint64_t>(bits));
    std::vector<float> y(2500);
    for (float& v : y) v = rng.normal() * 3.0f;
    y[7] = NAN;
    y[8] = -1e-6f;  // rounds to -0
    float amax = 0;
    for (float v : y) amax = std::isnan(v) ? amax : std::max(amax, std::fabs(v));
    const float qm = static_cast<float>((1 << (bits - 1)) - 1);
    const float sc = std::exp2(std::ceil(std::log2(amax / qm)));
    std::vector<float> got = y;
    dfp_fake_quantize(got.data(), static_cast<int64_t>(got.size()), bits);
    for (size_t i = 0; i < y.size(); ++i) {
      if (i == 7) {
        EXPECT_TRUE(std::isnan(got[i]));
        continue;
      }
      const float want = std::clamp(std::nearbyint(y[i] / sc), -qm, qm) * sc;
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want)) << bits << " " << i;
    }
  }
  std::vector<float> tiny = {1e-44f, -3e-45f, 0.0f};
  const std::vector<float> tiny0 = tiny;
  dfp_fake_quantize(tiny.data(), 3, 16);  // amax / qmax underflows: no scale, left unchanged
  EXPECT_EQ(0, std::memcmp(tiny.data(), tiny0.data(), sizeof(float) * 3));
}

TEST(NumericsPolicy, IntModeQuantizesTheAttentionOperandsOnly) {
  Recipe r = Recipe::defaults();
  EXPECT_FALSE(make_attention_policy(r)("encoder.0.attention").q);
  r.set("numerics.mode=int");
  r.set("numerics.bits=8");
  nn::AttentionOperands ops = make_attention_policy(r)("encoder.0.attention");
  ASSERT_TRUE(ops.q && ops.k && ops.v && ops.p);
  std::vector<float> x = {0.1f, 0.2f, 0.3f};
  ops.p(x.data(), 3);
  EXPECT_EQ(x[2], 0.3f / 0.3f * std::nearbyint(0.3f / (1.0f / 256)) * (1.0f / 256));
  r.set("numerics.mode=int4");
  EXPECT_FALSE(make_attention_policy(r)("encoder.0.attention").p);
}

}  // namespace
}  // namespace lowbit

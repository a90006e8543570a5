// numerics.mode dispatch: the int keys reach every pass and the patch embedding, the int4
// switches reach the scheme, and bad values fail naming the key.
#include "lowbit/train/numerics_policy.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace lowbit

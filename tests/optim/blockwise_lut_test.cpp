// Every runnable blockwise8_lut encoder against the threshold search of blockwise_encode_ref,
// code for code: each threshold, its float neighbours and the map entries (both signs), values
// from 1e-9 to 4, specials, seven absmaxes (one pushing values past +-1, one zero, the reciprocal
// quotient's ends and two past them), odd lengths and a misaligned input. Every float, for twelve
// absmaxes: tools/blockwise_lut_exhaustive.cpp.
#include "lowbit/kernels/ref/blockwise_lut.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {
namespace {

const char* map_name(DynamicMap w) {
  return w == DynamicMap::signed_map ? "signed" : "unsigned";
}

// Values whose codes are hardest: each threshold, its two float neighbours, both signs, the map
// entries themselves, and magnitudes from 1e-9 to 4 plus specials.
std::vector<float> encode_probe(DynamicMap w, uint64_t seed) {
  const float* t = dynamic_thresholds(w);
  const float* m = dynamic_map(w);
  std::vector<float> v;
  for (int i = 0; i < 255; ++i)
    for (float x : {t[i], std::nextafter(t[i], -4.0f), std::nextafter(t[i], 4.0f), m[i]}) {
      v.push_back(x);
      v.push_back(-x);
    }
  Rng rng(seed);
  for (int i = 0; i < 4000; ++i) {
    float mag = std::pow(10.0f, 0.6f - 9.6f * rng.uniform());
    v.push_back(rng.uniform() < 0.5f ? -mag : mag);
  }
  for (float x : {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 1e30f, -1e30f, 1e-45f, -1e-45f, INFINITY,
                  -INFINITY, NAN, -NAN, 1.1920929e-7f, 2.0000002f})
    v.push_back(x);
  return v;
}

TEST(BlockwiseLut, EncodeMatchesReferenceExactly) {
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map}) {
    const DynamicTables& t = dynamic_tables(w);
    std::vector<float> x = encode_probe(w, 5);
    x.insert(x.begin(), 0.5f);  // misaligns the data pointer (x.data() + 1)
    const int64_t n = static_cast<int64_t>(x.size()) - 1;
    // absmax 1 tests the values as given; 0.37 pushes some beyond +-1; 0 gives all-zero codes;
    // 2^-125 and 2^125 are the reciprocal quotient's ends, 1e-40 and 2^126 divide.
    for (float absmax : {1.0f, 0.37f, 0.0f, 0x1p-125f, 0x1p125f, 1e-40f, 0x1p126f}) {
      std::vector<uint8_t> want(n), got(n);
      blockwise_encode_ref(x.data() + 1, n, absmax, t.thresholds, want.data());
      for (const BlockwiseLutKernel* k : blockwise_lut_kernels().runnable()) {
        for (int64_t len : {n, int64_t{0}, int64_t{1}, int64_t{7}, int64_t{9}, int64_t{257}}) {
          std::fill(got.begin(), got.end(), 0xAB);
          k->encode(x.data() + 1, len, absmax, t, got.data());
          for (int64_t i = 0; i < len; ++i)
            ASSERT_EQ(got[i], want[i]) << k->name << " " << map_name(w) << " len " << len << " i "
                                       << i << " x " << x[i + 1] << " absmax " << absmax;
        }
      }
    }
  }
}

// The lookup kinds the encoders dispatch on (with_lut_kind): the signed map at 6 mantissa bits
// per bucket with a negative row, the unsigned one at 7 without (its negatives are all code 0);
// both take the reciprocal quotient.
TEST(BlockwiseLut, EachMapHasItsLookupKind) {
  const DynamicTables& s = dynamic_tables(DynamicMap::signed_map);
  const DynamicTables& u = dynamic_tables(DynamicMap::unsigned_map);
  EXPECT_EQ(s.lut_shift, 17);
  EXPECT_FALSE(s.negatives_as_zero);
  EXPECT_EQ(u.lut_shift, 16);
  EXPECT_TRUE(u.negatives_as_zero);
  EXPECT_TRUE(s.reciprocal_safe);
  EXPECT_TRUE(u.reciprocal_safe);
}

TEST(BlockwiseLut, FamilyHasAvx2AndRefLast) {
  EXPECT_EQ(blockwise_lut_kernels().all().back().isa, Isa::scalar);
  if (cpu_supports(Isa::avx2)) {
    EXPECT_EQ(blockwise_lut_kernels().runnable().size(), cpu_supports(Isa::avx512) ? 4u : 2u);
  }
}

}  // namespace
}  // namespace lowbit

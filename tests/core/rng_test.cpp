// Counter-based RNG: known-answer vector, thread independence, distribution sanity.
#include "lowbit/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/core/parallel.h"

namespace lowbit {

TEST(Philox, KnownAnswer) {
  // Random123 known-answer test for philox4x32-10: counter all ones, key all ones.
  auto w = philox4x32(0xffffffffffffffffULL, 0xffffffffffffffffULL, 0xffffffffffffffffULL);
  EXPECT_EQ(w[0], 0x408f276du);
  EXPECT_EQ(w[1], 0x41c83b0eu);
  EXPECT_EQ(w[2], 0xa20bc7c6u);
  EXPECT_EQ(w[3], 0x6d5451fdu);
  auto z = philox4x32(0, 0, 0);
  EXPECT_EQ(z[0], 0x6627e8d5u);
  EXPECT_EQ(z[1], 0xe169c58du);
  EXPECT_EQ(z[2], 0xbc57ac4cu);
  EXPECT_EQ(z[3], 0x9b00dbd8u);
}

TEST(Rng, FillIsThreadCountIndependent) {
  int saved = num_threads();
  Tensor a = Tensor::empty({10007}), b = Tensor::empty({10007});
  set_num_threads(1);
  Rng r1(42);
  r1.fill_normal(a, 0, 1);
  set_num_threads(2);
  Rng r2(42);
  r2.fill_normal(b, 0, 1);
  set_num_threads(saved);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  EXPECT_EQ(r1.offset(), r2.offset());
}

TEST(Rng, MomentsAreSane) {
  Tensor t = Tensor::empty({200000});
  Rng r(7);
  r.fill_normal(t, 0, 1);
  double s = 0, s2 = 0;
  for (double v : t.to_vector()) s += v, s2 += v * v;
  double mean = s / t.numel(), var = s2 / t.numel() - mean * mean;
  // Standard error of the mean is 1/sqrt(2e5) ~ 0.0022; 5 sigma bounds.
  EXPECT_NEAR(mean, 0.0, 0.012);
  EXPECT_NEAR(var, 1.0, 0.02);
  Rng u(8);
  double us = 0;
  for (int i = 0; i < 100000; ++i) us += u.uniform();
  EXPECT_NEAR(us / 100000, 0.5, 0.005);
}

TEST(Rng, ChildStreamsDiffer) {
  Rng r(1);
  EXPECT_NE(r.child(0).u32_at(0), r.child(1).u32_at(0));
  EXPECT_EQ(r.child(3).u32_at(5), Rng(1).child(3).u32_at(5));
}

}  // namespace lowbit

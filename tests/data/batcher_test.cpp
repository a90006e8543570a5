// epoch_order: a permutation, a pure function of (n, seed, epoch), different across epochs/seeds.
#include "lowbit/data/batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "lowbit/core/error.h"

namespace lowbit {
namespace {

TEST(Batcher, IsAPermutation) {
  for (int64_t n : {0, 1, 2, 3, 17, 1000, 65537}) {
    std::vector<int64_t> p = epoch_order(n, 42, 3);
    ASSERT_EQ(static_cast<int64_t>(p.size()), n);
    std::sort(p.begin(), p.end());
    std::vector<int64_t> iota(n);
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(p, iota) << "n=" << n;
  }
}

TEST(Batcher, DeterministicAndEpochDependent) {
  EXPECT_EQ(epoch_order(5000, 7, 0), epoch_order(5000, 7, 0));
  EXPECT_EQ(epoch_order(5000, 7, 11), epoch_order(5000, 7, 11));
  EXPECT_NE(epoch_order(5000, 7, 0), epoch_order(5000, 7, 1));
  EXPECT_NE(epoch_order(5000, 7, 0), epoch_order(5000, 8, 0));
  // Epoch k's order does not depend on having computed epochs before it (resume).
  std::vector<int64_t> later = epoch_order(300, 1, 5);
  for (uint64_t e = 0; e < 5; ++e) epoch_order(300, 1, e);
  EXPECT_EQ(epoch_order(300, 1, 5), later);
}

TEST(Batcher, ShufflesWell) {
  // Position of element 0 over many epochs is spread out; few fixed points per epoch.
  const int64_t n = 100;
  int fixed = 0, zero_in_first_half = 0;
  for (uint64_t e = 0; e < 400; ++e) {
    std::vector<int64_t> p = epoch_order(n, 3, e);
    for (int64_t i = 0; i < n; ++i) fixed += p[i] == i;
    zero_in_first_half += std::find(p.begin(), p.end(), 0) - p.begin() < n / 2;
  }
  EXPECT_LT(fixed, 400 * 3);           // expected 1 per epoch
  EXPECT_GT(zero_in_first_half, 140);  // expected 200 of 400
  EXPECT_LT(zero_in_first_half, 260);
}

TEST(Batcher, RejectsNegativeSize) {
  EXPECT_THROW(epoch_order(-1, 0, 0), Error);
}

}  // namespace
}  // namespace lowbit

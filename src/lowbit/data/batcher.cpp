// Epoch shuffling with the counter-based Rng: no hidden state carried between epochs, so any
// epoch's order can be recomputed on its own (resume, evaluation of data order in tests).
#include "lowbit/data/batcher.h"

#include <utility>

#include "lowbit/core/error.h"
#include "lowbit/core/rng.h"

namespace lowbit {

namespace {
// Data order has a stream family of its own so it never shares numbers with weight init or
// dropout under the same seed; each epoch is a child stream of it.
constexpr uint64_t kEpochOrderStream = 0xDA7A0DE5ULL;
}  // namespace

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, uint64_t epoch) {
  LB_CHECK(n >= 0, "[batcher] epoch_order of ", n, " examples");
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  Rng rng = Rng(seed, kEpochOrderStream).child(epoch);
  // Rng::below reduces 64 random bits modulo i+1: the bias is below 2^-32 for any n < 2^32.
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
  return order;
}

}  // namespace lowbit

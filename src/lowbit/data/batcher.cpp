// Epoch shuffling with the counter-based Rng: no hidden state carried between epochs, so any
// epoch's order can be recomputed on its own (resume, evaluation of data order in tests).
#include "lowbit/data/batcher.h"

#include <algorithm>
#include <utility>

#include "lowbit/core/error.h"
#include "lowbit/core/rng.h"

namespace lowbit {

namespace {
// Data order has a stream family of its own so it never shares numbers with weight init or
// dropout under the same seed; each epoch is a child stream of it.
constexpr uint64_t kEpochOrderStream = 0xDA7A0DE5ULL;
constexpr uint64_t kBucketStream = 0xB0C4E7ULL;
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

std::vector<int64_t> bucket_by_length(const std::vector<int64_t>& order,
                                      const std::vector<int32_t>& lengths, int64_t batch_size,
                                      uint64_t seed, uint64_t epoch) {
  LB_CHECK(batch_size > 0, "[batcher] batch size ", batch_size);
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t window = kBucketWindow * batch_size;
  std::vector<int64_t> out;
  out.reserve(order.size());
  Rng rng = Rng(seed, kBucketStream).child(epoch);
  for (int64_t w0 = 0; w0 < n; w0 += window) {
    int64_t w1 = std::min(n, w0 + window);
    std::vector<int64_t> win(order.begin() + w0, order.begin() + w1);
    std::stable_sort(win.begin(), win.end(),
                     [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });
    int64_t batches = (w1 - w0 + batch_size - 1) / batch_size;
    std::vector<int64_t> perm(static_cast<size_t>(batches));
    for (int64_t i = 0; i < batches; ++i) perm[i] = i;
    // The window's short last batch stays last, so every other batch is full.
    int64_t full = (w1 - w0) / batch_size;
    for (int64_t i = full - 1; i > 0; --i)
      std::swap(perm[i], perm[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
    for (int64_t b : perm)
      for (int64_t i = b * batch_size; i < std::min(w1 - w0, (b + 1) * batch_size); ++i)
        out.push_back(win[i]);
  }
  return out;
}

}  // namespace lowbit

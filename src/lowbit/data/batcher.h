// The order in which an epoch visits the training examples: a pure function of (n, seed, epoch),
// so a run resumed from a checkpoint at (epoch, batch) replays the same batches.
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit {

// A permutation of 0..n-1: Fisher-Yates driven by lowbit::Rng(seed, stream for `epoch`).
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, uint64_t epoch);

// Batches of similar length, so text batches (trimmed to their longest example) carry little
// padding: the shuffled order is cut into windows of kBucketWindow batches, each window is
// sorted by length (stable) and cut into batches, and the batches of a window are shuffled.
// lengths[i] is example i's token count. Still a pure function of (order, lengths, seed, epoch).
inline constexpr int64_t kBucketWindow = 64;
std::vector<int64_t> bucket_by_length(const std::vector<int64_t>& order,
                                      const std::vector<int32_t>& lengths, int64_t batch_size,
                                      uint64_t seed, uint64_t epoch);

}  // namespace lowbit

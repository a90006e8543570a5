// The order in which an epoch visits the training examples: a pure function of (n, seed, epoch),
// so a run resumed from a checkpoint at (epoch, batch) replays the same batches.
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit {

// A permutation of 0..n-1: Fisher-Yates driven by lowbit::Rng(seed, stream for `epoch`).
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, uint64_t epoch);

}  // namespace lowbit

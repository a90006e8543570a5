// Shapes that catch kernel edge cases: empty, one, tile-1/tile/tile+1, primes.
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit::testing {

// Sizes around a tile width: 0, 1, tile-1, tile, tile+1, 2*tile+3, and primes 17, 257.
inline std::vector<int64_t> edge_sizes(int64_t tile) {
  std::vector<int64_t> s = {0, 1, tile - 1, tile, tile + 1, 2 * tile + 3, 17, 257};
  std::vector<int64_t> out;
  for (int64_t v : s)
    if (v >= 0) out.push_back(v);
  return out;
}

}  // namespace lowbit::testing

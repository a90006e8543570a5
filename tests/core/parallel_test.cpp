// parallel_for: chunking fixed by n and grain, and errors thrown by a worker surface as
// ordinary exceptions (the lowest chunk's) instead of terminating the program.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/core/parallel.h"

namespace lowbit {

TEST(ParallelFor, CoversEveryIndexOnce) {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::vector<int> hits(1001, 0);
    parallel_for(1001, 64, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[i]++;
    });
    for (int h : hits) EXPECT_EQ(h, 1);
  }
  set_num_threads(0);
}

TEST(ParallelFor, WorkerErrorIsRethrownFromLowestChunk) {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    try {
      parallel_for(100, 10, [&](int64_t b, int64_t) {
        if (b >= 30) LB_FAIL("chunk at ", b);
      });
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "chunk at 30");
    }
  }
  set_num_threads(0);
}

}  // namespace lowbit

// Threading: OpenMP underneath, exposed as parallel_for over fixed-size chunks.
// Determinism rule: chunk boundaries depend on n and grain only, never on the thread count,
// and no reduction is split across threads unless its partial sums are combined in a fixed order.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <vector>

namespace lowbit {

int num_threads();
void set_num_threads(int n);

// Element loops over rows of `cols` values run in chunks of about this many elements: enough
// work per chunk to pay for the fork, and rows_per_chunk(cols) rows each (at least one).
inline constexpr int64_t kChunkElems = int64_t(1) << 14;
inline int64_t rows_per_chunk(int64_t cols) {
  return std::max<int64_t>(1, kChunkElems / std::max<int64_t>(cols, 1));
}

// Calls fn(begin, end) for chunks [k*grain, min(n, (k+1)*grain)).
template <class Fn>
void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks == 1 || num_threads() == 1 || omp_in_parallel()) {
    for (int64_t c = 0; c < chunks; ++c) fn(c * grain, std::min(n, (c + 1) * grain));
    return;
  }
  // An exception may not leave an OpenMP region (the program would terminate): keep the one of
  // the lowest chunk, so the error reported does not depend on scheduling, and rethrow it here.
  std::exception_ptr error;
  int64_t error_chunk = chunks;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    try {
      fn(c * grain, std::min(n, (c + 1) * grain));
    } catch (...) {
#pragma omp critical(lowbit_parallel_for_error)
      if (c < error_chunk) {
        error_chunk = c;
        error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

// A reduction under the rule above: fn(begin, end, partial) adds the share of the chunk
// [begin, end) of parallel_for(n, grain, ...) into that chunk's own `width` zeroed values, then
// combine(partial) is called for each chunk in chunk order.
template <class A, class Fn, class Combine>
void parallel_reduce_chunks(int64_t n, int64_t grain, int64_t width, Fn&& fn, Combine&& combine) {
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = n > 0 ? (n + grain - 1) / grain : 0;
  std::vector<A> part(static_cast<size_t>(chunks * width), A(0));
  parallel_for(n, grain, [&](int64_t b, int64_t e) { fn(b, e, part.data() + b / grain * width); });
  for (int64_t k = 0; k < chunks; ++k) combine(static_cast<const A*>(part.data() + k * width));
}

}  // namespace lowbit

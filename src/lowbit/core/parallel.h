// Threading: OpenMP underneath, exposed as parallel_for over fixed-size chunks.
// Determinism rule: chunk boundaries depend on n and grain only, never on the thread count,
// and no reduction is split across threads unless its partial sums are combined in a fixed order.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <type_traits>
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

// A kernel's threaded body without a team start when it runs on one thread: body(team) with
// team = std::true_type inside `omp parallel num_threads(nt)` when nt > 1, std::false_type on
// the calling thread otherwise. An `omp parallel if (false)` still starts a team per call, and
// the per-head attention products make thousands of such calls per training step.
template <class Body>
void run_team(int nt, Body&& body) {
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    body(std::true_type{});
  } else {
    body(std::false_type{});
  }
}

// Inside run_team's body: this thread's index in the team (0 on the calling thread). Per-thread
// scratch is best carved out of one block the caller allocates before run_team: an allocation
// failure inside the team could neither throw (that terminates the program) nor leave the other
// threads waiting at a barrier.
template <bool kTeam>
int team_thread() {
  if constexpr (kTeam) return omp_get_thread_num();
  return 0;
}

// Inside run_team's body: fn(i) for i in [0, n), split as `omp for schedule(static)` over the
// team (with its closing barrier), or in order on the one thread.
template <bool kTeam, class Fn>
void team_for(int64_t n, Fn&& fn) {
  if constexpr (kTeam) {
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) fn(i);
  } else {
    for (int64_t i = 0; i < n; ++i) fn(i);
  }
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

// Thread-count control (LOWBIT_NUM_THREADS or OMP_NUM_THREADS at start; set_num_threads later).
#include "lowbit/core/parallel.h"

#include <cstdlib>

namespace lowbit {

namespace {
int initial_threads() {
  if (const char* s = std::getenv("LOWBIT_NUM_THREADS")) {
    int n = std::atoi(s);
    if (n > 0) {
      omp_set_num_threads(n);
      return n;
    }
  }
  return omp_get_max_threads();
}
int g_threads = initial_threads();
}  // namespace

int num_threads() { return g_threads; }

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  g_threads = n;
  omp_set_num_threads(n);
}

}  // namespace lowbit

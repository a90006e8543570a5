// The cost of starting a 2-thread OpenMP region after a short serial gap, under the wait policy
// of the environment (OMP_WAIT_POLICY=passive sleeps between regions, libgomp's default spins a
// while first): microseconds per region plus its small loop.
//   g++ -O2 -fopenmp tools/omp_region_cost.cpp -o /tmp/omp_region_cost
//   /tmp/omp_region_cost; OMP_WAIT_POLICY=passive /tmp/omp_region_cost
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  std::vector<float> a(1 << 16, 1.0f);
  for (int round = 0; round < 3; ++round) {
    const int regions = 2000;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < regions; ++i) {
#pragma omp parallel for num_threads(2) schedule(static)
      for (int j = 0; j < (1 << 16); ++j) a[j] *= 1.0001f;
      for (int j = 0; j < 20000; ++j) a[j & 1023] += 1e-9f;  // the serial gap
    }
    const auto t1 = std::chrono::steady_clock::now();
    std::printf("%.1f us per region\n",
                std::chrono::duration<double, std::micro>(t1 - t0).count() / regions);
  }
}

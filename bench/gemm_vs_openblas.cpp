// Driver for bench/gemm_vs_openblas.sh: times one library (lowbit or openblas) on the
// transformer shapes and prints "M K N product GFLOP/s" lines (best of the repetitions).
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lowbit/ops/gemm.h"

namespace {

void run(bool lowbit, int product, int64_t m, int64_t k, int64_t n, std::vector<float>& x,
         std::vector<float>& w, std::vector<float>& dy, std::vector<float>& out) {
  if (lowbit) {
    if (product == 0)
      lowbit::ops::gemm(false, true, m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f, out.data(), n);
    else if (product == 1)
      lowbit::ops::gemm(false, false, m, k, n, 1.0f, dy.data(), n, w.data(), k, 0.0f, out.data(), k);
    else
      lowbit::ops::gemm(true, false, n, k, m, 1.0f, dy.data(), n, x.data(), k, 1.0f, out.data(), k);
    return;
  }
  if (product == 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x.data(), k, w.data(), k,
                0.0f, out.data(), n);
  else if (product == 1)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0f, dy.data(), n, w.data(),
                k, 0.0f, out.data(), k);
  else
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, 1.0f, dy.data(), n, x.data(), k,
                1.0f, out.data(), k);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (std::strcmp(argv[1], "lowbit") && std::strcmp(argv[1], "openblas"))) {
    std::fprintf(stderr, "usage: %s lowbit|openblas [reps] [min_seconds]\n", argv[0]);
    return 2;
  }
  const bool lowbit = std::strcmp(argv[1], "lowbit") == 0;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const double min_seconds = argc > 3 ? std::atof(argv[3]) : 0.05;
  const int64_t kn[][2] = {{384, 384}, {384, 1536}, {1536, 384},
                           {768, 768}, {768, 3072}, {3072, 768}};
  const char* only_m = std::getenv("GEMM_M");  // e.g. GEMM_M=512: rerun the small-M rows only
  for (int64_t m : {512, 4096})
    for (const auto& s : kn)
      if (!only_m || std::atoll(only_m) == m)
      for (int product = 0; product < 3; ++product) {
        const int64_t k = s[0], n = s[1];
        std::vector<float> x(m * k, 0.5f), w(n * k, 0.25f), dy(m * n, 0.125f),
            out(std::max(m * n, std::max(m * k, n * k)), 0.0f);
        run(lowbit, product, m, k, n, x, w, dy, out);  // warm-up: page faults, packing scratch
        double best = 1e30;
        for (int r = 0; r < reps; ++r) {
          int calls = 0;
          auto t0 = std::chrono::steady_clock::now();
          double elapsed = 0;
          do {
            run(lowbit, product, m, k, n, x, w, dy, out);
            ++calls;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          } while (elapsed < min_seconds);
          best = std::min(best, elapsed / calls);
        }
        std::printf("%lld %lld %lld %d %.2f\n", static_cast<long long>(m), static_cast<long long>(k),
                    static_cast<long long>(n), product, 2.0 * m * n * k / best * 1e-9);
        std::fflush(stdout);
      }
  return 0;
}

// Google Benchmark of ops::gemm f32 on transformer shapes: the three training products
// (Y = X·Wᵀ, dX = dY·W, dW += dYᵀ·X) for M tokens in {512, 4096}; reports GFLOP/s.
#include <benchmark/benchmark.h>

#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/ops/gemm.h"

namespace {

// Product codes: 0 = Y = X·Wᵀ (NT), 1 = dX = dY·W (NN), 2 = dW += dYᵀ·X (TN, beta 1).
const char* const kProductNames[] = {"Y=XWt", "dX=dYW", "dW+=dYtX"};

void bm_gemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const int product = static_cast<int>(state.range(3));
  std::vector<float> x(m * k, 0.5f), w(n * k, 0.25f), dy(m * n, 0.125f), y(m * n), dx(m * k),
      dw(n * k, 0.0f);
  for (auto _ : state) {
    if (product == 0)
      lowbit::ops::gemm(false, true, m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f, y.data(), n);
    else if (product == 1)
      lowbit::ops::gemm(false, false, m, k, n, 1.0f, dy.data(), n, w.data(), k, 0.0f, dx.data(), k);
    else
      lowbit::ops::gemm(true, false, n, k, m, 1.0f, dy.data(), n, x.data(), k, 1.0f, dw.data(), k);
    benchmark::ClobberMemory();
  }
  state.SetLabel(kProductNames[product]);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = lowbit::num_threads();
}

void transformer_shapes(benchmark::internal::Benchmark* b) {
  const int64_t kn[][2] = {{384, 384}, {384, 1536}, {1536, 384},
                           {768, 768}, {768, 3072}, {3072, 768}};
  for (int64_t m : {512, 4096})
    for (const auto& s : kn)
      for (int64_t product = 0; product < 3; ++product) b->Args({m, s[0], s[1], product});
}

BENCHMARK(bm_gemm)->ArgNames({"M", "K", "N", "product"})->Apply(transformer_shapes)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

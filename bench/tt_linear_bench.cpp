// Google Benchmark: one forward + backward of TtLinear (d = 3 modes from tt_factorize, ranks
// capped at R) against the dense Linear at the shipped projection shapes, M = 4096 tokens.
// rank 0 = dense. Run single-threaded: OMP_NUM_THREADS=1 (the benchmark also sets it).
#include <benchmark/benchmark.h>

#include <memory>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/linear.h"
#include "lowbit/nn/tt_linear.h"

namespace {

using namespace lowbit;

void bm_projection(benchmark::State& state) {
  const int64_t m = state.range(0), in = state.range(1), out = state.range(2);
  const int64_t rank = state.range(3);
  set_num_threads(1);
  Rng rng(1);
  std::unique_ptr<nn::Projection> p;
  if (rank == 0)
    p = std::make_unique<nn::Linear>("fc", in, out, true, rng, DType::f32);
  else
    p = std::make_unique<nn::TtLinear>("fc", in, out, true, nn::TtShape{{}, {}, {}, rank, 3}, rng,
                                       DType::f32);
  Tensor x = Tensor::empty({m, in});
  Tensor dy = Tensor::empty({m, out});
  Rng(2).fill_normal(x, 0, 1);
  Rng(3).fill_normal(dy, 0, 1);
  int64_t params = 0;
  for (nn::Param* q : p->params()) params += q->value.numel();
  for (auto _ : state) {
    Tensor y = p->forward(x);
    Tensor dx = p->backward(dy);
    benchmark::DoNotOptimize(dx.raw());
  }
  state.counters["params"] = static_cast<double>(params);
  state.counters["compression"] = static_cast<double>(in * out + out) / params;
  if (auto* t = dynamic_cast<nn::TtLinear*>(p.get())) state.SetLabel(t->layout().str());
  else state.SetLabel("dense");
}

void shapes(benchmark::internal::Benchmark* b) {
  const int64_t io[][2] = {{384, 1536}, {1536, 384}, {768, 3072}, {3072, 768}};
  for (const auto& s : io)
    for (int64_t rank : {0, 8, 16, 32, 64}) b->Args({4096, s[0], s[1], rank});
}

BENCHMARK(bm_projection)->ArgNames({"M", "in", "out", "rank"})->Apply(shapes)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

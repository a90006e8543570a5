// Optimizer step time on a MiniLM-sized parameter set (all-MiniLM-L6: 22.7M parameters,
// BERT layout with H=384, 6 layers, FFN 1536, vocab 30522), for AdamW, SGD and the grad norm.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "lowbit/optim/grad_utils.h"
#include "lowbit/optim/optimizer.h"

namespace {

using lowbit::DType;
using lowbit::nn::Param;

std::vector<Param> minilm_params() {
  std::vector<Param> ps;
  auto add = [&](std::string name, lowbit::Shape shape, bool decay) {
    ps.push_back(lowbit::nn::make_param(std::move(name), shape, DType::f32, decay));
  };
  const int64_t h = 384, ffn = 1536;
  add("emb.word", {30522, h}, true);
  add("emb.pos", {512, h}, true);
  add("emb.type", {2, h}, true);
  add("emb.norm.weight", {h}, false);
  add("emb.norm.bias", {h}, false);
  for (int l = 0; l < 6; ++l) {
    std::string p = "encoder." + std::to_string(l) + ".";
    for (const char* m : {"attn.query", "attn.key", "attn.value", "attn.out"}) {
      add(p + m + ".weight", {h, h}, true);
      add(p + m + ".bias", {h}, false);
    }
    add(p + "attn_norm.weight", {h}, false);
    add(p + "attn_norm.bias", {h}, false);
    add(p + "ffn.up.weight", {ffn, h}, true);
    add(p + "ffn.up.bias", {ffn}, false);
    add(p + "ffn.down.weight", {h, ffn}, true);
    add(p + "ffn.down.bias", {h}, false);
    add(p + "ffn_norm.weight", {h}, false);
    add(p + "ffn_norm.bias", {h}, false);
  }
  add("pooler.weight", {h, h}, true);
  add("pooler.bias", {h}, false);
  lowbit::Rng rng(1);
  for (Param& p : ps) {
    rng.fill_normal(p.value, 0.0, 0.02);
    rng.fill_normal(p.grad, 0.0, 1e-3);
  }
  return ps;
}

std::vector<Param>& params() {
  static std::vector<Param> ps = minilm_params();
  return ps;
}

std::vector<Param*> ptrs() {
  std::vector<Param*> out;
  for (Param& p : params()) out.push_back(&p);
  return out;
}

int64_t total_numel() {
  int64_t n = 0;
  for (const Param& p : params()) n += p.value.numel();
  return n;
}

// Bytes touched per parameter element: adam reads p, g, m, v and writes p, m, v (28 B);
// sgd reads p, g, buf and writes p, buf (20 B).
void bm_step(benchmark::State& state, const char* kind, int64_t bytes_per_elem) {
  lowbit::set_num_threads(static_cast<int>(state.range(0)));
  lowbit::optim::OptimizerConfig c;
  c.weight_decay = 0.01;
  auto opt = lowbit::optim::make_optimizer(kind, ptrs(), c);
  for (auto _ : state) opt->step(1e-6);  // tiny lr keeps the parameters where they were
  int64_t n = total_numel();
  state.counters["params"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * bytes_per_elem);
}

void BM_AdamWStep(benchmark::State& state) {
  bm_step(state, "adamw", 28);
}
void BM_SgdStep(benchmark::State& state) {
  bm_step(state, "sgd", 20);
}

void BM_GradNorm(benchmark::State& state) {
  lowbit::set_num_threads(static_cast<int>(state.range(0)));
  auto ps = ptrs();
  for (auto _ : state) benchmark::DoNotOptimize(lowbit::optim::grad_global_norm(ps));
  state.SetItemsProcessed(state.iterations() * total_numel());
  state.SetBytesProcessed(state.iterations() * total_numel() * 4);
}

BENCHMARK(BM_AdamWStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SgdStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GradNorm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

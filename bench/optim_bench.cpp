// Optimizer step time on the all-MiniLM-L6-v2 parameter set, 32-bit vs 8-bit state, plus one
// 8-bit update block in L1 (lookup-table vs threshold-search encode, AVX2 vs `_ref`) and the
// grad norm.
//
// Shapes (22.7M parameters, 101 tensors, BERT layout): word embedding (30522, 384), positions
// (512, 384), token types (2, 384), embedding LayerNorm (384) x2; per layer (6): query, key,
// value, attention output (384, 384) + bias (384) each, attention LayerNorm (384) x2, FFN up
// (1536, 384) + bias (1536), FFN down (384, 1536) + bias (384), output LayerNorm (384) x2;
// pooler (384, 384) + bias (384). Tensors under 4096 elements keep f32 state in 8-bit mode.
//
// BM_*Step/<threads>/<mode>: mode 0 = f32 state, 1 = 8bit block 256, 2 = 8bit block 2048,
// 3 = 8bit block 256 with the ISA capped to scalar (`_ref` kernels), 4 = 8bit block 256 through
// the unfused path (decode_block -> update -> encode_block, as before the fused kernel).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/ref/adam8.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/optim/grad_utils.h"
#include "lowbit/optim/optimizer.h"
#include "lowbit/optim/update_math.h"

namespace {

using lowbit::DType;
using lowbit::nn::Param;
namespace optim = lowbit::optim;

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

// An 8-bit store that hides its type, so the optimizer takes the unfused per-store path.
class Unfused final : public optim::StateStore {
 public:
  explicit Unfused(std::unique_ptr<optim::StateStore> s) : s_(std::move(s)) {}
  int64_t numel() const override { return s_->numel(); }
  void* direct() override { return s_->direct(); }
  void decode_block(int64_t b, float* out) const override { s_->decode_block(b, out); }
  void encode_block(int64_t b, const float* in) override { s_->encode_block(b, in); }
  size_t bytes() const override { return s_->bytes(); }
  std::string codec() const override { return s_->codec(); }
  std::vector<std::pair<std::string, lowbit::Tensor>> tensors() const override {
    return s_->tensors();
  }

 private:
  std::unique_ptr<optim::StateStore> s_;
};

void bm_step(benchmark::State& state, const char* kind) {
  const int mode = static_cast<int>(state.range(1));
  lowbit::set_num_threads(static_cast<int>(state.range(0)));
  optim::OptimizerConfig c;
  c.weight_decay = 0.01;
  c.state_codec = mode == 0 ? "f32" : "8bit";
  c.state_block = mode == 2 ? 2048 : 256;
  const lowbit::Isa cap = lowbit::isa_cap();
  if (mode == 3) lowbit::isa_cap_set(lowbit::Isa::scalar);
  optim::StateStoreFactory unfused;
  if (mode == 4)
    unfused = [c](const Param& p, optim::StateSign sign) -> std::unique_ptr<optim::StateStore> {
      int64_t n = p.value.numel();
      return std::make_unique<Unfused>(optim::make_state_store(
          optim::state_codec_for(c, n), n, p.value.dtype(), sign, c.state_block));
    };
  auto opt = optim::make_optimizer(kind, ptrs(), c, unfused);
  for (auto _ : state) opt->step(1e-6);  // tiny lr keeps the parameters where they were
  lowbit::isa_cap_set(cap);
  int64_t n = total_numel();
  state.counters["params"] = static_cast<double>(n);
  state.counters["state_MB"] = static_cast<double>(opt->state_bytes()) / 1e6;
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_AdamWStep(benchmark::State& state) {
  bm_step(state, "adamw");
}
void BM_SgdStep(benchmark::State& state) {
  bm_step(state, "sgd");
}

void BM_GradNorm(benchmark::State& state) {
  lowbit::set_num_threads(static_cast<int>(state.range(0)));
  auto ps = ptrs();
  for (auto _ : state) benchmark::DoNotOptimize(lowbit::optim::grad_global_norm(ps));
  state.SetItemsProcessed(state.iterations() * total_numel());
  state.SetBytesProcessed(state.iterations() * total_numel() * 4);
}

// One L1-resident update block of 2048 elements, block 256, single thread: the 8-bit AdamW
// update without memory traffic. Variant 0 = the store's path (decode_block -> adam_update_block
// -> encode_block, chosen kernels), 1 = the same with the threshold-search encode (blockwise8
// family) instead of the lookup table, 2 = variant 0 with the ISA capped to scalar (`_ref`),
// 3 = the fused adam8_block kernel the step uses (chosen variant).
void BM_Adam8Block(benchmark::State& state) {
  using namespace lowbit;
  const int variant = static_cast<int>(state.range(0));
  const int64_t n = optim::kStateBlock, qb = 256;
  std::vector<float> p(n), g(n), fm(n), fv(n);
  Rng rng(2);
  for (int64_t i = 0; i < n; ++i) {
    p[i] = rng.normal();
    g[i] = 1e-3f * rng.normal();
    fm[i] = 1e-4f * rng.normal();
    fv[i] = fm[i] * fm[i] + 1e-12f;
  }
  optim::Blockwise8StateStore m(n, optim::StateSign::any, qb),
      v(n, optim::StateSign::nonnegative, qb);
  m.encode_block(0, fm.data());
  v.encode_block(0, fv.data());
  optim::AdamCoeffs<float> k{0.1f, 0.999f, 0.001f, 0.3f, 1e-8f, -1e-9f, 1.0f, 0.0f};
  const Isa cap = isa_cap();
  if (variant == 2) isa_cap_set(Isa::scalar);
  const BlockwiseKernel& bw = blockwise_kernels().chosen();
  auto search_encode = [&](const float* x, optim::Blockwise8StateStore& s, DynamicMap w) {
    auto t = s.tensors();
    uint8_t* codes = t[0].second.data<uint8_t>();
    float* absmax = t[1].second.data<float>();
    for (int64_t o = 0; o < n; o += qb) {
      absmax[o / qb] = bw.absmax(x + o, qb);
      bw.encode(x + o, qb, absmax[o / qb], dynamic_thresholds(w), codes + o);
    }
  };
  const Adam8Kernel& k8 = adam8_kernels().chosen();
  for (auto _ : state) {
    if (variant == 3) {
      k8.block(k, n, qb, p.data(), g.data(), m.span(0), v.span(0));
      benchmark::ClobberMemory();
      continue;
    }
    m.decode_block(0, fm.data());
    v.decode_block(0, fv.data());
    optim::adam_update_block(k, n, p.data(), g.data(), fm.data(), fv.data());
    if (variant == 1) {
      search_encode(fm.data(), m, DynamicMap::signed_map);
      search_encode(fv.data(), v, DynamicMap::unsigned_map);
    } else {
      m.encode_block(0, fm.data());
      v.encode_block(0, fv.data());
    }
    benchmark::ClobberMemory();
  }
  isa_cap_set(cap);
  state.SetItemsProcessed(state.iterations() * n);
}

void step_args(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2})
    for (int mode : {0, 1, 2, 3, 4}) b->Args({threads, mode});
}

// Process CPU time (all threads) next to wall time: on a shared machine the wall time of a step
// includes waiting for a core, the CPU time does not.
BENCHMARK(BM_AdamWStep)
    ->Apply(step_args)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_SgdStep)
    ->Apply(step_args)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_GradNorm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Adam8Block)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

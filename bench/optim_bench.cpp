// Optimizer step time on the all-MiniLM-L6-v2 parameter set, 32-bit vs 8-bit state, plus the
// per-block 8-bit kernels (fused vs decode/encode split, AVX2 vs `_ref`) and the grad norm.
//
// Shapes (22.7M parameters, 101 tensors, BERT layout): word embedding (30522, 384), positions
// (512, 384), token types (2, 384), embedding LayerNorm (384) x2; per layer (6): query, key,
// value, attention output (384, 384) + bias (384) each, attention LayerNorm (384) x2, FFN up
// (1536, 384) + bias (1536), FFN down (384, 1536) + bias (384), output LayerNorm (384) x2;
// pooler (384, 384) + bias (384). Tensors under 4096 elements keep f32 state in 8-bit mode.
//
// BM_Step/<threads>/<mode>: mode 0 = f32 state, 1 = 8bit block 256 (fused kernel), 2 = 8bit
// block 2048 (fused), 3 = 8bit block 256 through decode_block / encode_block (the split path),
// 4 = 8bit block 256 with the ISA capped to scalar (`_ref` kernels).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/ref/optim8_kernels.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/optim/grad_utils.h"
#include "lowbit/optim/optimizer.h"

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

// The 8-bit store with its fused-kernel view hidden: the update then decodes each block into
// scratch, runs the shared arithmetic and encodes back (the split path).
class SplitStore final : public optim::StateStore {
 public:
  SplitStore(int64_t numel, optim::StateSign sign, int64_t block) : inner_(numel, sign, block) {}
  int64_t numel() const override { return inner_.numel(); }
  void* direct() override { return nullptr; }
  void decode_block(int64_t b, float* out) const override { inner_.decode_block(b, out); }
  void encode_block(int64_t b, const float* in) override { inner_.encode_block(b, in); }
  size_t bytes() const override { return inner_.bytes(); }
  std::string codec() const override { return inner_.codec(); }
  std::vector<std::pair<std::string, lowbit::Tensor>> tensors() const override {
    return inner_.tensors();
  }

 private:
  optim::Blockwise8StateStore inner_;
};

void bm_step(benchmark::State& state, const char* kind) {
  const int mode = static_cast<int>(state.range(1));
  lowbit::set_num_threads(static_cast<int>(state.range(0)));
  optim::OptimizerConfig c;
  c.weight_decay = 0.01;
  c.state_codec = mode == 0 ? "f32" : "8bit";
  c.state_block = mode == 2 ? 2048 : 256;
  optim::StateStoreFactory factory;
  if (mode == 3)
    factory = [c](const Param& p, optim::StateSign sign) -> std::unique_ptr<optim::StateStore> {
      int64_t n = p.value.numel();
      if (optim::state_codec_for(c, n) == "f32")
        return std::make_unique<optim::PlainStateStore>(n, DType::f32);
      return std::make_unique<SplitStore>(n, sign, c.state_block);
    };
  const lowbit::Isa cap = lowbit::isa_cap();
  if (mode == 4) lowbit::isa_cap_set(lowbit::Isa::scalar);
  auto opt = optim::make_optimizer(kind, ptrs(), c, factory);
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

// One L1-resident update block of 2048 elements, block 256, single thread: the kernel cost
// without memory traffic. Variant: 0 = chosen fused kernel, 1 = fused `_ref`, 2 = split
// (blockwise8 decode -> adam_update_block -> absmax + lookup-table encode), 3 = split with the
// threshold-search encode (blockwise_encode of the blockwise8 family).
void BM_Adam8Block(benchmark::State& state) {
  using namespace lowbit;
  const int variant = static_cast<int>(state.range(0));
  const int64_t n = optim::kStateBlock, qb = 256;
  std::vector<float> p(n), g(n), fm(n), fv(n), scratch(2 * n), am(n / qb), av(n / qb);
  std::vector<uint8_t> cm(n), cv(n);
  Rng rng(2);
  for (int64_t i = 0; i < n; ++i) {
    p[i] = rng.normal();
    g[i] = 1e-3f * rng.normal();
    fm[i] = 1e-4f * rng.normal();
    fv[i] = fm[i] * fm[i] + 1e-12f;
  }
  blockwise_quantize(fm.data(), n, qb, DynamicMap::signed_map, cm.data(), am.data());
  blockwise_quantize(fv.data(), n, qb, DynamicMap::unsigned_map, cv.data(), av.data());
  optim::AdamCoeffs<float> k{0.1f, 0.999f, 0.001f, 0.3f, 1e-8f, -1e-9f, 1.0f, 0.0f};
  const Q8Tables& ts = q8_tables(DynamicMap::signed_map);
  const Q8Tables& tu = q8_tables(DynamicMap::unsigned_map);
  const Optim8Kernel& fused = variant == 1 ? optim8_kernels().all().back() : optim8_kernels().chosen();
  const BlockwiseKernel& bw = blockwise_kernels().chosen();
  for (auto _ : state) {
    if (variant <= 1) {
      fused.adam(k, n, qb, p.data(), g.data(), {cm.data(), am.data(), &ts},
                 {cv.data(), av.data(), &tu}, scratch.data());
    } else {
      for (int64_t o = 0; o < n; o += qb) {
        bw.decode(cm.data() + o, qb, am[o / qb], ts.map, fm.data() + o);
        bw.decode(cv.data() + o, qb, av[o / qb], tu.map, fv.data() + o);
      }
      optim::adam_update_block(k, n, p.data(), g.data(), fm.data(), fv.data());
      for (int64_t o = 0; o < n; o += qb) {
        am[o / qb] = bw.absmax(fm.data() + o, qb);
        av[o / qb] = bw.absmax(fv.data() + o, qb);
        if (variant == 2) {
          optim8_kernels().chosen().encode(fm.data() + o, qb, am[o / qb], ts, cm.data() + o);
          optim8_kernels().chosen().encode(fv.data() + o, qb, av[o / qb], tu, cv.data() + o);
        } else {
          bw.encode(fm.data() + o, qb, am[o / qb], ts.thresholds, cm.data() + o);
          bw.encode(fv.data() + o, qb, av[o / qb], tu.thresholds, cv.data() + o);
        }
      }
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void step_args(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2})
    for (int mode : {0, 1, 2, 3, 4}) b->Args({threads, mode});
}

BENCHMARK(BM_AdamWStep)->Apply(step_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SgdStep)->Apply(step_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GradNorm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Adam8Block)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

// Google Benchmark of the integer GEMM (int8, int16, packed int4) against the f32 GEMM on the
// transformer shapes: the three training products for M tokens in {512, 4096}, 1 and 2 threads.
// GOP/s counts 2 operations per multiply-add, the same for every type. BM_Micro*: each runnable
// micro-kernel alone on one L1-resident A and B panel (K = 768), the ceiling of the GEMM above.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/gemm_f32.h"
#include "lowbit/kernels/gemm_int.h"
#include "lowbit/ops/gemm.h"
#include "lowbit/ops/gemm_int.h"

namespace {

using lowbit::GemmIntOut;
using lowbit::GemmIntSrc;

// Types: int8 codes; int16 codes of 10 bits (one int32 pass, the widest without chunks at
// K <= 4096) and of 16 bits (byte split of A + int64 chunks); packed int4; f32 (ops::gemm).
enum Type { s8 = 0, s16b10 = 1, s16b16 = 2, s4 = 3, f32 = 4 };
const char* const kTypeNames[] = {"int8", "int16(10b)", "int16(16b)", "int4", "f32"};
const char* const kProductNames[] = {"Y=XWt", "dX=dYW", "dW+=dYtX"};

struct Operand {
  std::vector<uint8_t> bytes;
  lowbit::ops::IntMatrix mat;
};

// rows x cols row-major codes of the type, filled with a small repeating pattern.
Operand make(Type t, int64_t rows, int64_t cols, bool trans) {
  Operand o;
  const int64_t n = rows * cols;
  const int64_t bytes = t == s4 ? (n + 1) / 2 : (t == s8 ? n : 2 * n);
  o.bytes.resize(static_cast<size_t>(bytes));
  // Codes in [-7, 7] (in range for every width); int4 bytes hold two such nibbles.
  for (int64_t i = 0; i < bytes; ++i) o.bytes[i] = static_cast<uint8_t>((i * 37) & 0x77);
  if (t == s8)
    for (int64_t i = 0; i < n; ++i)
      o.bytes[i] = static_cast<uint8_t>(static_cast<int8_t>((i * 37) % 15 - 7));
  if (t == s16b10 || t == s16b16)
    for (int64_t i = 0; i < n; ++i)
      reinterpret_cast<int16_t*>(o.bytes.data())[i] = static_cast<int16_t>((i * 37) % 15 - 7);
  o.mat.src = t == s4 ? GemmIntSrc::s4 : (t == s8 ? GemmIntSrc::s8 : GemmIntSrc::s16);
  o.mat.data = o.bytes.data();
  o.mat.ld = cols;
  o.mat.trans = trans;
  o.mat.bits = t == s4 ? 4 : (t == s8 ? 8 : (t == s16b10 ? 10 : 16));
  return o;
}

void bm_gemm_int(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const int product = static_cast<int>(state.range(3));
  const Type type = static_cast<Type>(state.range(4));
  lowbit::set_num_threads(static_cast<int>(state.range(5)));
  // GEMM view of the product: C(gm, gn) = op(A)(gm, gk) op(B)(gk, gn).
  const int64_t gm = product == 2 ? n : m, gn = product == 0 ? n : k,
                gk = product == 0 ? k : (product == 1 ? n : m);
  std::vector<float> c(static_cast<size_t>(gm * gn), 0.0f), rs(static_cast<size_t>(gm), 0.5f);
  const float cs = 0.25f;
  if (type == f32) {
    std::vector<float> a(static_cast<size_t>(gm * gk), 0.5f),
        b(static_cast<size_t>(gk * gn), 0.25f);
    const bool ta = product == 2, tb = product == 0;
    for (auto _ : state) {
      lowbit::ops::gemm(ta, tb, gm, gn, gk, 1.0f, a.data(), ta ? gm : gk, b.data(), tb ? gk : gn,
                        product == 2 ? 1.0f : 0.0f, c.data(), gn);
      benchmark::ClobberMemory();
    }
  } else {
    // Stored shapes: x (m, k), w (n, k), dy (m, n).
    Operand a = product == 0 ? make(type, m, k, false)
                             : (product == 1 ? make(type, m, n, false) : make(type, m, n, true));
    Operand b = product == 0 ? make(type, n, k, true)
                             : (product == 1 ? make(type, n, k, false) : make(type, m, k, false));
    lowbit::ops::IntOutput out;
    out.mode = product == 2 ? GemmIntOut::f32_acc : GemmIntOut::f32;
    out.c = c.data();
    out.ldc = gn;
    out.row_scale = rs.data();
    out.row_scale_len = gm;
    out.col_scale = &cs;
    for (auto _ : state) {
      lowbit::ops::gemm_int(gm, gn, gk, a.mat, b.mat, out);
      benchmark::ClobberMemory();
    }
  }
  state.SetLabel(std::string(kTypeNames[type]) + " " + kProductNames[product]);
  state.counters["GOP/s"] =
      benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void transformer_shapes(benchmark::internal::Benchmark* b) {
  const int64_t kn[][2] = {{384, 384}, {384, 1536}, {1536, 384},
                           {768, 768}, {768, 3072}, {3072, 768}};
  for (int64_t threads : {1, 2})
    for (int64_t m : {512, 4096})
      for (const auto& s : kn)
        for (int64_t product = 0; product < 3; ++product)
          for (int64_t type = 0; type < 5; ++type) b->Args({m, s[0], s[1], product, type, threads});
}

BENCHMARK(bm_gemm_int)
    ->ArgNames({"M", "K", "N", "product", "type", "threads"})
    ->Apply(transformer_shapes)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

constexpr int64_t kMicroK = 768;

void micro_rate(benchmark::State& state, int64_t mr, int64_t nr) {
  state.counters["GOP/s"] = benchmark::Counter(2.0 * mr * nr * kMicroK * 1e-9,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void bm_micro_int(benchmark::State& state, const lowbit::GemmIntKernel* kern) {
  const int64_t k = kMicroK;
  std::vector<int8_t> codes(static_cast<size_t>(32 * k));
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<int8_t>((i * 37) % 15 - 7);
  std::vector<uint8_t> a(static_cast<size_t>(gemm_int_panel_bytes(kern->panel, kern->mr, k, false))),
      b(static_cast<size_t>(gemm_int_panel_bytes(kern->panel, kern->nr, k, true)));
  lowbit::GemmIntSource src{GemmIntSrc::s8, codes.data(), k};
  gemm_int_pack(kern->panel, kern->mr, false, kern->a_offset, src, 0, kern->mr, 0, k, a.data());
  gemm_int_pack(kern->panel, kern->nr, true, kern->a_offset, src, 0, kern->nr, 0, k, b.data());
  std::vector<int32_t> c(static_cast<size_t>(kern->mr * kern->nr));
  if (kern->prepare) kern->prepare();
  for (auto _ : state) {
    kern->micro(k, a.data(), b.data(), c.data(), kern->nr, kern->mr, kern->nr);
    benchmark::ClobberMemory();
  }
  micro_rate(state, kern->mr, kern->nr);
}

void bm_micro_f32(benchmark::State& state, const lowbit::GemmF32Kernel* kern) {
  const int64_t k = kMicroK;
  std::vector<float> a(static_cast<size_t>(kern->mr * k), 0.5f),
      b(static_cast<size_t>(kern->nr * k), 0.25f), c(static_cast<size_t>(kern->mr * kern->nr));
  for (auto _ : state) {
    kern->micro(k, a.data(), b.data(), c.data(), kern->nr, kern->mr, kern->nr, {});
    benchmark::ClobberMemory();
  }
  micro_rate(state, kern->mr, kern->nr);
}

void register_micro() {
  const std::pair<const char*, const lowbit::KernelFamily<lowbit::GemmIntKernel>*> families[] = {
      {"s8", &lowbit::gemm_s8_kernels()},
      {"s16", &lowbit::gemm_s16_kernels()},
      {"s4", &lowbit::gemm_s4_kernels()}};
  for (const auto& [fam, kernels] : families)
    for (const lowbit::GemmIntKernel* kern : kernels->runnable())
      benchmark::RegisterBenchmark((std::string("BM_MicroInt/") + fam + "/" + kern->name).c_str(),
                                   bm_micro_int, kern);
  for (const lowbit::GemmF32Kernel* kern : lowbit::gemm_f32_kernels().runnable())
    benchmark::RegisterBenchmark((std::string("BM_MicroF32/") + kern->name).c_str(), bm_micro_f32,
                                 kern);
}

}  // namespace

int main(int argc, char** argv) {
  register_micro();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

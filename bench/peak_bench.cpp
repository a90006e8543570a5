// The machine's ceilings for the GEMM benchmarks: peak FP32 FMA and integer dot-product
// throughput (kernels/peak.h probes) per core and on all cores, and STREAM-like memory bandwidth
// (copy, triad) on arrays far larger than the caches. Probes this CPU lacks are skipped.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <vector>

#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/peak.h"

namespace {

using lowbit::Isa;

struct Probe {
  const char* name;
  Isa isa;
  int64_t (*run)(int64_t iters, void* sink);
};

template <class T, int64_t (*Fn)(int64_t, T*)>
int64_t call(int64_t iters, void* sink) {
  return Fn(iters, static_cast<T*>(sink));
}

const Probe kProbes[] = {
    {"f32 FMA ymm", Isa::avx2, call<float, lowbit::peak_fma_f32_avx2>},
    {"s16 VPMADDWD+VPADDD ymm", Isa::avx2, call<int32_t, lowbit::peak_madd_s16_avx2>},
    {"u8s8 VPMADDUBSW+VPMADDWD+VPADDD ymm", Isa::avx2, call<int32_t, lowbit::peak_maddubs_s8_avx2>},
    {"u4s4 VPMADDUBSW+VPADDW ymm", Isa::avx2, call<int32_t, lowbit::peak_maddubs_acc16_s4_avx2>},
    {"u8s8 VPDPBUSD ymm", Isa::avx_vnni, call<int32_t, lowbit::peak_dpbusd_avxvnni>},
    {"s16 VPDPWSSD ymm", Isa::avx_vnni, call<int32_t, lowbit::peak_dpwssd_avxvnni>},
    {"f32 FMA zmm", Isa::avx512, call<float, lowbit::peak_fma_f32_avx512>},
    {"u8s8 VPDPBUSD zmm", Isa::avx512_vnni, call<int32_t, lowbit::peak_dpbusd_avx512vnni>},
    {"s16 VPDPWSSD zmm", Isa::avx512_vnni, call<int32_t, lowbit::peak_dpwssd_avx512vnni>},
    {"s8s8 AMX TDPBSSD", Isa::amx, call<int32_t, lowbit::peak_tdpbssd_amx>},
};

void bm_peak(benchmark::State& state) {
  const Probe& p = kProbes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  state.SetLabel(p.name);
  if (!lowbit::cpu_supports(p.isa)) {
    state.SkipWithError((std::string("this CPU has no ") + lowbit::isa_name(p.isa)).c_str());
    return;
  }
  const int64_t iters = 1 << 22;
  int64_t macs = 0;
  for (auto _ : state) {
    int64_t total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      alignas(64) int32_t sink[16];
      total += p.run(iters, sink);
      benchmark::DoNotOptimize(sink[0]);
    }
    macs = total;
  }
  state.counters["GMAC/s"] =
      benchmark::Counter(macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GOP/s"] =
      benchmark::Counter(2 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// STREAM kernels on 32 MiB arrays: copy c = a (8 bytes per element),
// triad a = b + s * c (12 B/elem). Bytes counted as STREAM does (no write-allocate traffic).
void bm_stream(benchmark::State& state) {
  const bool triad = state.range(0) == 1;
  const int threads = static_cast<int>(state.range(1));
  const int64_t n = int64_t(1) << 23;
  std::vector<float> a(n, 1.0f), b(n, 2.0f), c(n, 0.5f);
  float* pa = a.data();
  float* pb = b.data();
  float* pc = c.data();
  for (auto _ : state) {
    if (triad) {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t i = 0; i < n; ++i) pa[i] = pb[i] + 3.0f * pc[i];
    } else {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t i = 0; i < n; ++i) pc[i] = pa[i];
    }
    benchmark::ClobberMemory();
  }
  state.SetLabel(triad ? "triad a = b + s*c" : "copy c = a");
  state.counters["GB/s"] = benchmark::Counter((triad ? 12.0 : 8.0) * n * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void probe_args(benchmark::internal::Benchmark* b) {
  for (int64_t p = 0; p < static_cast<int64_t>(std::size(kProbes)); ++p)
    for (int64_t t : {1, 2}) b->Args({p, t});
}

// Rates from the main thread's CPU time: on a shared machine wall time counts other processes.
BENCHMARK(bm_peak)->ArgNames({"probe", "threads"})->Apply(probe_args);
BENCHMARK(bm_stream)
    ->ArgNames({"triad", "threads"})
    ->ArgsProduct({{0, 1}, {1, 2}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Codec throughput (GB/s of input + output bytes) for every runnable variant of the FP8,
// n-bit integer (nearest and stochastic rounding), block-wise dynamic 8-bit and Walsh-Hadamard
// kernels, next to a memcpy of the same bytes. QUANT_BENCH_MIB (default 4) sets the f32 input's
// size: 4 MiB sits in L3 (the kernels against the cache), 256 MiB in DRAM (against memory
// bandwidth, where a real activation tensor of a large batch lives).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/formats/intn.h"
#include "lowbit/kernels/ref/hadamard_ref.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/ref/rng_kernels.h"

namespace lowbit {
namespace {

int64_t input_elems() {
  const char* e = std::getenv("QUANT_BENCH_MIB");
  const int64_t mib = e && std::atoll(e) > 0 ? std::atoll(e) : 4;
  return mib << 18;  // f32 elements
}
const int64_t kN = input_elems();

std::vector<float> input() {
  std::vector<float> x(kN);
  Rng rng(1);
  for (auto& v : x) v = rng.normal();
  return x;
}

void set_bytes(benchmark::State& s, int64_t bytes) {
  s.SetBytesProcessed(s.iterations() * bytes);
}

void memcpy_bench(benchmark::State& s) {
  int64_t bytes = s.range(0);
  std::vector<char> a(bytes, 1), b(bytes);
  for (auto _ : s) {
    std::memcpy(b.data(), a.data(), bytes);
    benchmark::ClobberMemory();
  }
  set_bytes(s, 2 * bytes);  // read + write, like the codecs' in + out
}

void register_all() {
  static const std::vector<float> x = input();
  // memcpy of f32 in + u8 out bytes, and f32 in + i16 out.
  const std::string mib = std::to_string(kN >> 18);
  benchmark::RegisterBenchmark(("memcpy/f32+u8_of_" + mib + "MiB").c_str(), memcpy_bench)->Arg(kN * 5 / 2);
  benchmark::RegisterBenchmark(("memcpy/f32+i16_of_" + mib + "MiB").c_str(), memcpy_bench)->Arg(kN * 6 / 2);
  for (const Fp8EncodeKernel* k : fp8_encode_kernels().runnable())
    benchmark::RegisterBenchmark(k->name, [k](benchmark::State& s) {
      std::vector<uint8_t> out(kN);
      for (auto _ : s) k->fn(x.data(), kN, {Fp8Kind::e4m3, true, 2.0f}, out.data());
      set_bytes(s, kN * 5);
    });
  for (const Fp8DecodeKernel* k : fp8_decode_kernels().runnable())
    benchmark::RegisterBenchmark(k->name, [k](benchmark::State& s) {
      std::vector<uint8_t> codes(kN);
      for (int64_t i = 0; i < kN; ++i) codes[i] = static_cast<uint8_t>(i * 31);
      std::vector<float> out(kN);
      for (auto _ : s) k->fn(codes.data(), kN, {Fp8Kind::e4m3, true, 0.5f}, out.data());
      set_bytes(s, kN * 5);
    });
  for (const IntnQuantKernel* k : intn_quant_kernels().runnable()) {
    benchmark::RegisterBenchmark((std::string(k->name) + "/s8").c_str(), [k](benchmark::State& s) {
      std::vector<int8_t> out(kN);
      for (auto _ : s) k->to_s8(x.data(), kN, 0.03f, intn_qmax(8), out.data());
      set_bytes(s, kN * 5);
    });
    benchmark::RegisterBenchmark((std::string(k->name) + "/s16").c_str(), [k](benchmark::State& s) {
      std::vector<int16_t> out(kN);
      for (auto _ : s) k->to_s16(x.data(), kN, 0.001f, intn_qmax(16), out.data());
      set_bytes(s, kN * 6);
    });
  }
  for (const IntnQuantKernel* k : intn_quant_kernels().runnable()) {
    const Rng rng(3, 4);
    benchmark::RegisterBenchmark((std::string(k->name) + "/sr_s8").c_str(), [k, rng](benchmark::State& s) {
      std::vector<int8_t> out(kN);
      for (auto _ : s) k->sr_s8(x.data(), kN, 0.03f, intn_qmax(8), rng.seed(), rng.stream(), 0, out.data());
      set_bytes(s, kN * 5);
    });
    // A power-of-two scale, as the integer numerics use (dynamic fixed point).
    benchmark::RegisterBenchmark((std::string(k->name) + "/sr_s8_pow2").c_str(), [k, rng](benchmark::State& s) {
      std::vector<int8_t> out(kN);
      for (auto _ : s) k->sr_s8(x.data(), kN, 0.03125f, intn_qmax(8), rng.seed(), rng.stream(), 0, out.data());
      set_bytes(s, kN * 5);
    });
    benchmark::RegisterBenchmark((std::string(k->name) + "/sr_s16").c_str(), [k, rng](benchmark::State& s) {
      std::vector<int16_t> out(kN);
      for (auto _ : s) k->sr_s16(x.data(), kN, 0.001f, intn_qmax(16), rng.seed(), rng.stream(), 0, out.data());
      set_bytes(s, kN * 6);
    });
  }
  for (const RngWordsKernel* k : rng_words_kernels().runnable())
    benchmark::RegisterBenchmark((std::string(k->name) + "/words").c_str(), [k](benchmark::State& s) {
      std::vector<uint32_t> out(kN);
      for (auto _ : s) k->fn(3, 4, 0, kN, out.data());
      set_bytes(s, kN * 4);  // the words written
    });
  for (const FwhtKernel* k : fwht_kernels().runnable())
    benchmark::RegisterBenchmark((std::string(k->name) + "/block64").c_str(), [k](benchmark::State& s) {
      std::vector<float> y(x);
      for (auto _ : s) k->fn(y.data(), kN / 1024, 1024, 64);
      set_bytes(s, kN * 8);  // in place: f32 read + f32 written
    });
  for (const BlockwiseKernel* k : blockwise_kernels().runnable()) {
    benchmark::RegisterBenchmark((std::string(k->name) + "/encode2048").c_str(), [k](benchmark::State& s) {
      std::vector<uint8_t> out(kN);
      const float* t = dynamic_thresholds(DynamicMap::signed_map);
      for (auto _ : s)
        for (int64_t b = 0; b < kN; b += 2048) k->encode(x.data() + b, 2048, k->absmax(x.data() + b, 2048), t, out.data() + b);
      set_bytes(s, kN * 5);
    });
    benchmark::RegisterBenchmark((std::string(k->name) + "/decode2048").c_str(), [k](benchmark::State& s) {
      std::vector<uint8_t> codes(kN);
      for (int64_t i = 0; i < kN; ++i) codes[i] = static_cast<uint8_t>(i * 31);
      std::vector<float> out(kN);
      const float* map = dynamic_map(DynamicMap::signed_map);
      for (auto _ : s)
        for (int64_t b = 0; b < kN; b += 2048) k->decode(codes.data() + b, 2048, 1.5f, map, out.data() + b);
      set_bytes(s, kN * 5);
    });
  }
}

}  // namespace
}  // namespace lowbit

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  lowbit::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

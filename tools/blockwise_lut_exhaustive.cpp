// Every float through each runnable SIMD blockwise8_lut encoder against the threshold search of
// blockwise_encode_ref, both maps, for absmaxes that take the reciprocal quotient (1, 0.37, pi,
// 1e-20, 123.456, the ends 2^-125 and 2^125, and 1 -+ 1 ulp) and the division (below 2^-125,
// above 2^125, subnormal). A check too long for the unit tests (~8 minutes on 2 cores): run
// `build/blockwise_lut_exhaustive` after a change to the table or the encoders. Exit status 1 on
// any mismatch.
#include <omp.h>

#include <bit>
#include <cstdio>
#include <vector>

#include "lowbit/kernels/ref/blockwise_lut.h"
#include "lowbit/kernels/ref/quant_kernels.h"

int main() {
  using namespace lowbit;
  const float absmaxes[] = {1.0f,      0.37f,       3.1415927f,       1e-20f,  123.456f,
                            0x1p-125f, 0x1p125f,    0x1.fffffep-1f,   0x1.000002p0f,
                            0x1.fffffep-126f, 1.7e38f, 1e-40f};
  constexpr int64_t kChunk = 1 << 16;
  int64_t total = 0;
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map}) {
    const DynamicTables& t = dynamic_tables(w);
    for (float a : absmaxes) {
      const double t0 = omp_get_wtime();
      int64_t bad = 0;
#pragma omp parallel for reduction(+ : bad) schedule(dynamic, 16)
      for (int64_t chunk = 0; chunk < (int64_t{1} << 32) / kChunk; ++chunk) {
        std::vector<float> x(kChunk);
        std::vector<uint8_t> want(kChunk), got(kChunk);
        for (int64_t i = 0; i < kChunk; ++i)
          x[i] = std::bit_cast<float>(static_cast<uint32_t>(chunk * kChunk + i));
        blockwise_encode_ref(x.data(), kChunk, a, t.thresholds, want.data());
        for (const BlockwiseLutKernel* k : blockwise_lut_kernels().runnable()) {
          if (k->isa == Isa::scalar) continue;
          k->encode(x.data(), kChunk, a, t, got.data());
          for (int64_t i = 0; i < kChunk; ++i)
            if (got[i] != want[i] && bad++ < 5) {
#pragma omp critical
              std::printf("  %s: x %a (bits %08x) gives %d, the reference %d\n", k->name, x[i],
                          std::bit_cast<uint32_t>(x[i]), got[i], want[i]);
            }
        }
      }
      std::printf("%s map, absmax %a: %lld mismatches (%.0f s)\n",
                  w == DynamicMap::signed_map ? "signed" : "unsigned", a,
                  static_cast<long long>(bad), omp_get_wtime() - t0);
      std::fflush(stdout);
      total += bad;
    }
  }
  std::printf("%lld mismatches in all\n", static_cast<long long>(total));
  return total != 0;
}

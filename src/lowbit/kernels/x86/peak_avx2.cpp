// AVX2 peak probes (see kernels/peak.h): FMA on 12 independent chains (hides its 5-cycle latency
// at two per cycle); the integer multiplies as asm loops of independent products.
#include <immintrin.h>

#include "lowbit/kernels/peak.h"

namespace lowbit {

namespace {
constexpr int kFmaAcc = 12;
}  // namespace

int64_t peak_fma_f32_avx2(int64_t iters, float* sink) {
  __m256 acc[kFmaAcc];
  for (int i = 0; i < kFmaAcc; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.0001f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kFmaAcc; ++i) acc[i] = _mm256_fmadd_ps(a, acc[i], b);
  __m256 s = acc[0];
  for (int i = 1; i < kFmaAcc; ++i) s = _mm256_add_ps(s, acc[i]);
  *sink = _mm256_cvtss_f32(s);
  return iters * kFmaAcc * 8;
}

// The integer probes are written in asm: each BODY holds 4 (pairs: 2) independent products
// (temporaries ymm2-ymm5, renamed by the core) added into their own accumulators, repeated 8
// times per iteration, so neither latency nor the compiler's register allocation limits the
// rate. Operand values do not change the timing of these instructions.
#define LOWBIT_PEAK_LOOP(BODY)                                                                 \
  __asm__ volatile(                                                                            \
      "vpcmpeqw %%ymm6, %%ymm6, %%ymm6\n\t"                                                    \
      "vpsrlw $15, %%ymm6, %%ymm6\n\t" /* int16 ones */                                        \
      "vpabsb %%ymm6, %%ymm0\n\t"                                                              \
      "vpsubb %%ymm6, %%ymm0, %%ymm1\n\t"                                                      \
      "1:\n\t" BODY BODY BODY BODY BODY BODY BODY BODY                                         \
      "dec %0\n\t"                                                                             \
      "jnz 1b\n\t"                                                                             \
      : "+r"(n)                                                                                \
      :                                                                                        \
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm8", "xmm9", "xmm10", \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15")

int64_t peak_madd_s16_avx2(int64_t iters, int32_t* sink) {
  int64_t n = iters;
  if (n > 0)
    LOWBIT_PEAK_LOOP(
        "vpmaddwd %%ymm0, %%ymm1, %%ymm2\n\tvpaddd %%ymm2, %%ymm8, %%ymm8\n\t"
        "vpmaddwd %%ymm1, %%ymm0, %%ymm3\n\tvpaddd %%ymm3, %%ymm9, %%ymm9\n\t"
        "vpmaddwd %%ymm0, %%ymm0, %%ymm4\n\tvpaddd %%ymm4, %%ymm10, %%ymm10\n\t"
        "vpmaddwd %%ymm1, %%ymm1, %%ymm5\n\tvpaddd %%ymm5, %%ymm11, %%ymm11\n\t");
  *sink = 0;
  return iters * 8 * 4 * 16;
}

int64_t peak_maddubs_s8_avx2(int64_t iters, int32_t* sink) {
  int64_t n = iters;
  if (n > 0)
    LOWBIT_PEAK_LOOP(
        "vpmaddubsw %%ymm0, %%ymm1, %%ymm2\n\tvpmaddwd %%ymm6, %%ymm2, %%ymm2\n\t"
        "vpaddd %%ymm2, %%ymm8, %%ymm8\n\t"
        "vpmaddubsw %%ymm1, %%ymm0, %%ymm3\n\tvpmaddwd %%ymm6, %%ymm3, %%ymm3\n\t"
        "vpaddd %%ymm3, %%ymm9, %%ymm9\n\t");
  *sink = 0;
  return iters * 8 * 2 * 32;
}

int64_t peak_maddubs_acc16_s4_avx2(int64_t iters, int32_t* sink) {
  int64_t n = iters;
  if (n > 0)
    LOWBIT_PEAK_LOOP(
        "vpmaddubsw %%ymm0, %%ymm1, %%ymm2\n\tvpaddw %%ymm2, %%ymm8, %%ymm8\n\t"
        "vpmaddubsw %%ymm1, %%ymm0, %%ymm3\n\tvpaddw %%ymm3, %%ymm9, %%ymm9\n\t"
        "vpmaddubsw %%ymm0, %%ymm0, %%ymm4\n\tvpaddw %%ymm4, %%ymm10, %%ymm10\n\t"
        "vpmaddubsw %%ymm1, %%ymm1, %%ymm5\n\tvpaddw %%ymm5, %%ymm11, %%ymm11\n\t");
  *sink = 0;
  return iters * 8 * 4 * 32;
}

}  // namespace lowbit

// Machine peak probes for the GEMM benchmarks: tight loops of one arithmetic instruction on
// independent register accumulators, so bench/peak_bench.cpp can state what fraction of the
// core's FP32 FMA or integer dot-product throughput a GEMM reaches. One ISA per file.
#pragma once

#include <cstdint>

namespace lowbit {

// Each runs `iters` iterations and returns the multiply-adds done (for the caller's rate) after
// folding the accumulators into `sink`, so the loop cannot be optimized away.
//   fma_f32:          VFMADDPS, 8 (ymm) / 16 (zmm) MACs per instruction
//   madd_s16:         VPMADDWD + VPADDD, 16 MACs per VPMADDWD (the int8 / int16 AVX2 kernel)
//   maddubs_s8:       VPMADDUBSW + VPMADDWD(ones) + VPADDD, 32 MACs per pair (exact u8 x s8)
//   maddubs_acc16_s4: VPMADDUBSW + VPADDW, 32 MACs per VPMADDUBSW (the int4 AVX2 kernel)
//   dpbusd:           VPDPBUSD, 32 (ymm) / 64 (zmm) MACs per instruction
//   dpwssd:           VPDPWSSD, 16 (ymm) / 32 (zmm) MACs per instruction
//   tdpbssd:          AMX TDPBSSD, 16 x 16 x 64 = 16384 MACs per instruction
int64_t peak_fma_f32_avx2(int64_t iters, float* sink);
int64_t peak_madd_s16_avx2(int64_t iters, int32_t* sink);
int64_t peak_maddubs_s8_avx2(int64_t iters, int32_t* sink);
int64_t peak_maddubs_acc16_s4_avx2(int64_t iters, int32_t* sink);
int64_t peak_dpbusd_avxvnni(int64_t iters, int32_t* sink);
int64_t peak_dpwssd_avxvnni(int64_t iters, int32_t* sink);
int64_t peak_fma_f32_avx512(int64_t iters, float* sink);
int64_t peak_dpbusd_avx512vnni(int64_t iters, int32_t* sink);
int64_t peak_dpwssd_avx512vnni(int64_t iters, int32_t* sink);
int64_t peak_tdpbssd_amx(int64_t iters, int32_t* sink);

}  // namespace lowbit

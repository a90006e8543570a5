// Kernel families of the hot codecs (FP8 encode/decode, n-bit integer RNE quantize, block-wise
// dynamic 8-bit encode/decode): raw-pointer, single-threaded, a `_ref` and an AVX2 variant each.
#pragma once

#include <cstdint>

#include "lowbit/formats/fp8.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

// Encode: out[i] = fp8(x[i] * scale) (RNE, overflow per `saturate`, see fp8.h).
// Decode: out[i] = value(code[i]) * scale.
struct Fp8CodecParams {
  Fp8Kind kind = Fp8Kind::e4m3;
  bool saturate = true;
  float scale = 1.0f;
};
// What the SIMD FP8 encoders need, from the format and parameters: the rounding of fp8_encode
// done on the f32 bits (normals: add half an ulp of the target and the odd bit, shift, rebias;
// subnormals: the code left in the low bits of a + magic, magic = 2^(24 - bias - man_bits)).
struct Fp8EncodeConsts {
  int shift;           // 23 - man_bits
  int32_t round_half;  // 2^(shift - 1) - 1
  int32_t rebias;      // (127 - bias) << man_bits
  int32_t min_normal;  // f32 bits of the smallest normal of the format
  int32_t magic_bits;  // f32 bits of magic
  int32_t max_code, ovf_code, nan_code;
};
Fp8EncodeConsts fp8_encode_consts(const Fp8CodecParams& p);
using Fp8EncodeFn = void (*)(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out);
using Fp8DecodeFn = void (*)(const uint8_t* codes, int64_t n, const Fp8CodecParams& p, float* out);
struct Fp8EncodeKernel {
  const char* name;
  Isa isa;
  Fp8EncodeFn fn;
};
struct Fp8DecodeKernel {
  const char* name;
  Isa isa;
  Fp8DecodeFn fn;
};

// q[i] = clamp(round_nearest_even(x[i] / scale), -qmax, qmax); scale > 0 (x / scale is one
// correctly rounded IEEE division, so every variant agrees bit for bit). NaN input -> 0.
using IntnQuantS8Fn = void (*)(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q);
using IntnQuantS16Fn = void (*)(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q);
// Stochastic rounding: v = x[i] / scale, q[i] = clamp(floor(v) + (u_i < v - floor(v)), -qmax,
// qmax) with u_i = u32_to_unit_float(Rng(seed, stream).u32_at(pos0 + i)) (one Philox block per 4
// positions, so a tensor split into runs at any offsets draws the same words); NaN -> 0;
// scale > 0. The Rng's seed and stream come as integers: ISA files do not use Rng's inline members.
using IntnSrS8Fn = void (*)(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                            uint64_t stream, uint64_t pos0, int8_t* q);
using IntnSrS16Fn = void (*)(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                             uint64_t stream, uint64_t pos0, int16_t* q);
struct IntnQuantKernel {
  const char* name;
  Isa isa;
  IntnQuantS8Fn to_s8;
  IntnQuantS16Fn to_s16;
  IntnSrS8Fn sr_s8;
  IntnSrS16Fn sr_s16;
};

// One block: absmax = max |x|; encode codes[i] = #{t : thresholds[t] <= x[i] / absmax} (all
// codes of 0.0 when absmax == 0); decode x[i] = map[codes[i]] * absmax.
struct BlockwiseKernel {
  const char* name;
  Isa isa;
  float (*absmax)(const float* x, int64_t n);
  void (*encode)(const float* x, int64_t n, float absmax, const float* thresholds,
                 uint8_t* codes);
  void (*decode)(const uint8_t* codes, int64_t n, float absmax, const float* map, float* x);
};

void fp8_encode_ref(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out);
void fp8_decode_ref(const uint8_t* codes, int64_t n, const Fp8CodecParams& p, float* out);
void intn_quant_s8_ref(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q);
void intn_quant_s16_ref(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q);
void intn_sr_s8_ref(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                    uint64_t stream, uint64_t pos0, int8_t* q);
void intn_sr_s16_ref(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                     uint64_t stream, uint64_t pos0, int16_t* q);
float blockwise_absmax_ref(const float* x, int64_t n);
void blockwise_encode_ref(const float* x, int64_t n, float absmax, const float* thresholds,
                          uint8_t* codes);
void blockwise_decode_ref(const uint8_t* codes, int64_t n, float absmax, const float* map,
                          float* x);

void fp8_encode_avx2(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out);
void fp8_encode_avx512(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out);
void intn_quant_s8_avx512(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q);
void intn_quant_s16_avx512(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q);
void fp8_decode_avx2(const uint8_t* codes, int64_t n, const Fp8CodecParams& p, float* out);
void intn_quant_s8_avx2(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q);
void intn_quant_s16_avx2(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q);
void intn_sr_s8_avx2(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                     uint64_t stream, uint64_t pos0, int8_t* q);
void intn_sr_s16_avx2(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                      uint64_t stream, uint64_t pos0, int16_t* q);
// AVX-512 stochastic rounding (16 Philox blocks at a time); its family entry takes the AVX2 RNE.
void intn_sr_s8_avx512(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                       uint64_t stream, uint64_t pos0, int8_t* q);
void intn_sr_s16_avx512(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                        uint64_t stream, uint64_t pos0, int16_t* q);
void blockwise_encode_avx512(const float* x, int64_t n, float absmax, const float* thresholds,
                             uint8_t* codes);
void blockwise_decode_avx512(const uint8_t* codes, int64_t n, float absmax, const float* map,
                             float* x);
float blockwise_absmax_avx2(const float* x, int64_t n);
// AVX2: the encode takes the two dynamic maps through the lookup table (as AVX-512) and any other
// table through the threshold search (_search); the decode is a gather of the map.
void blockwise_encode_avx2(const float* x, int64_t n, float absmax, const float* thresholds,
                           uint8_t* codes);
void blockwise_encode_search_avx2(const float* x, int64_t n, float absmax,
                                  const float* thresholds, uint8_t* codes);
void blockwise_decode_avx2(const uint8_t* codes, int64_t n, float absmax, const float* map,
                           float* x);

const KernelFamily<Fp8EncodeKernel>& fp8_encode_kernels();
const KernelFamily<Fp8DecodeKernel>& fp8_decode_kernels();
const KernelFamily<IntnQuantKernel>& intn_quant_kernels();
const KernelFamily<BlockwiseKernel>& blockwise_kernels();

}  // namespace lowbit

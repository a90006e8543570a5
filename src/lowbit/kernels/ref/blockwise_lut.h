// Block-wise dynamic 8-bit encode through a lookup table: the same codes as the threshold search
// of blockwise_encode_ref (exact nearest map entry, ties to the lower code) with one table load
// per value instead of eight dependent compares. The 8-bit optimizer state encodes with it.
//
// Table (DynamicTables::lut, bucket shift s = DynamicTables::lut_shift, 16 or 17): one entry per
// bucket j = b >> s of a normalised value's float bits b (its sign, exponent and top 23 - s
// mantissa bits), 2^(32 - s) entries. With r = b & (2^s - 1) for a value with the sign bit clear
// and r = ~b & (2^s - 1) with it set, code(v) = ((r - lut[j]) mod 2^32) >> 24: one subtraction,
// no sign or NaN case. For a bucket whose first float has code c, the entry is X << 24 | t: with
// the sign bit clear X = -(c + 1) mod 256 and t = the first mantissa r with code c + 1, so the
// borrow of r < t takes the 1 back; with it set X = -c and t = 2^s - (the first mantissa with
// code c - 1), so the borrow of the reversed r is the step down. A bucket without a step has
// t = 2^s (sign bit clear) or 0 (set) and keeps c for every r; one that must watch its lower edge
// (below) swaps to t = 0, X = -c or t = 2^s, X = -(c + 1). The arithmetic mod 256 also makes
// inf (255) -> NaN (0) one step up. Each map takes the coarsest s whose buckets span at most one
// threshold (the signed map 17, the unsigned 16: its top decade is twice as dense); the buckets
// the 8-bit optimizer reads stay in L1.
//
// Reciprocal quotient (reciprocal_safe): for absmax in [2^-125, 2^125] the AVX-512 encoders take
// q' = RN(x * RN(1 / absmax)) for x / absmax, no division. q' is within 3.0000001 ulp of the
// exact quotient's binade from q = RN(x / absmax), so their bit patterns differ by at most 7. The
// low 24 bits of r - lut[j] are r - t; a lane with |r - t| < kLutReciprocalWindow (16) is flagged
// and its vector redone with the division. An unflagged q' has q's code: a code change inside
// its bucket sits at t; one at a bucket edge or within the window of it is watched by the
// neighbouring bucket (it has no step, and its t puts the window on that edge). Tables are built
// so (the signed and unsigned maps both are): reciprocal_safe is false when an edge would need a
// bucket that has a step, or both edges of one bucket, or a code changes below 2^-125, where the
// bound does not hold (inf -> NaN needs no watch: no rounding crosses it). Each entry is checked
// against the threshold search when built (its bucket's ends and either side of its step); every
// float for twelve absmaxes by tools/blockwise_lut_exhaustive.cpp.
#pragma once

#include <cstdint>

#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

// The bucket of 2^-24 at shift s. The unsigned map's lookup clamps the buckets below it to it
// (their entries are equal, checked when built), so its tiny values touch one cache line.
constexpr int32_t lut_first(int s) { return static_cast<int32_t>(0x33800000u >> s); }

// The flagged distance of a reciprocal quotient from a code change, in bit patterns (above).
constexpr uint32_t kLutReciprocalWindow = 16;

// Decoding without a table load (dynamic_decode_affine): the map value of code c from its
// decade's line A + B * k, evaluated as a double-float. Signed map: u = |c - 127|; unsigned:
// u = c + 1. Decade i = floor(log2 u) (signed) or floor(log2 u) - 1 (unsigned), k = u - 2^floor(log2 u);
// A = D (0.1 + 0.45 / items), B = D 0.9 / items (D = 10^(i-6), items per decade as in blockwise.h),
// each split into float hi + lo, stored in slot (bits of float(u) >> 23) & 7; the slot of u = 128
// (signed) or 256 (unsigned) holds 1.0, for the top code. The zero code (127 signed, 0 unsigned)
// is 0; negative for c < 127 (signed). With p = Bh k, pe = fma(Bh, k, -p), t = fma(Bl, k, Al),
// s = p + Ah, b = s - p, se = (p - (s - b)) + (Ah - b): value = s + ((se + pe) + t). Checked
// against the map for all 256 codes when the tables are built.
struct DynamicAffine {
  float ah[8], al[8], bh[8], bl[8];
  int32_t offset;     // u = |c - offset|: 127 signed, -1 unsigned
  int32_t zero_code;  // 127 signed, 0 unsigned
};
float dynamic_decode_affine(uint8_t code, const DynamicAffine& a);

// The tables of one dynamic map: values, thresholds (blockwise.h), the lookup table above and the
// affine decode.
struct DynamicTables {
  const float* map;
  const float* thresholds;
  const uint32_t* lut;  // 2^(32 - lut_shift) entries
  int lut_shift;        // 16 or 17
  const DynamicAffine* affine;
  // Every value with the sign bit set has entry 0 (code 0 for any r), and the values below 2^-24
  // share lut_first's entry: the unsigned map. The SIMD encoders then skip the sign and clamp
  // the bucket index below (checked when built).
  bool negatives_as_zero;
  bool reciprocal_safe;  // the reciprocal quotient above gives this table's codes
  const uint8_t* planes;  // 4 x 256, 64-byte aligned: byte k of map[c] at [256 k + c]
};
const DynamicTables& dynamic_tables(DynamicMap which);
// The dynamic map whose `field` (its values or its thresholds) is p, or null: how a block-wise
// codec handed a table by pointer (BlockwiseKernel) knows it may take this file's fast paths.
const DynamicTables* dynamic_tables_of(const float* p, const float* DynamicTables::*field);

// codes[i] = nearest code of x[i] / absmax (all the code of 0.0 when absmax is not > 0): the
// contract of blockwise_encode_ref, which the `_ref` calls.
using BlockwiseLutEncodeFn = void (*)(const float* x, int64_t n, float absmax,
                                      const DynamicTables& t, uint8_t* codes);
struct BlockwiseLutKernel {
  const char* name;
  Isa isa;
  BlockwiseLutEncodeFn encode;
};

void blockwise_encode_lut_ref(const float* x, int64_t n, float absmax, const DynamicTables& t,
                              uint8_t* codes);
void blockwise_encode_lut_avx2(const float* x, int64_t n, float absmax, const DynamicTables& t,
                               uint8_t* codes);
// The same without prefetching the values after x's: for input already in L1 (adam8_block_avx2's
// scratch).
void blockwise_encode_lut_l1_avx2(const float* x, int64_t n, float absmax,
                                  const DynamicTables& t, uint8_t* codes);
void blockwise_encode_lut_avx512(const float* x, int64_t n, float absmax, const DynamicTables& t,
                                 uint8_t* codes);
// The same with the table entries by scalar loads, not VPGATHERDD: the faster on AMD.
void blockwise_encode_lut_loads_avx512(const float* x, int64_t n, float absmax,
                                       const DynamicTables& t, uint8_t* codes);
// The faster of the two on this CPU (the loads where CpuFeatures::slow_gather).
BlockwiseLutEncodeFn blockwise_encode_lut_best_avx512();

const KernelFamily<BlockwiseLutKernel>& blockwise_lut_kernels();

// A BlockwiseKernel encode of an ISA: `lut` for the two dynamic maps' thresholds, `other` (a
// threshold search) for any other table.
using BlockwiseSearchEncodeFn = void (*)(const float* x, int64_t n, float absmax,
                                         const float* thresholds, uint8_t* codes);
void blockwise_encode_lut_or(const float* x, int64_t n, float absmax, const float* thresholds,
                             uint8_t* codes, BlockwiseLutEncodeFn lut,
                             BlockwiseSearchEncodeFn other);

}  // namespace lowbit

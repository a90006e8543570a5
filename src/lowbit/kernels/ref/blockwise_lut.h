// Block-wise dynamic 8-bit encode through a lookup table: the same codes as the threshold search
// of blockwise_encode_ref (exact nearest map entry, ties to the lower code) with one table load
// per value instead of eight dependent compares. The 8-bit optimizer state encodes with it.
//
// Table (DynamicTables::lut, bucket shift s = DynamicTables::lut_shift, 16 or 17): for a
// normalised value v with float bits b, a = b & 0x7FFFFFFF, bucket j = clamp(a >> s, first, last)
// (the exponent and the top 23 - s mantissa bits; first = lut_first(s), |v| < 2^-24, and
// last = lut_last(s), |v| >= 2), e = lut[(b >> 31) * buckets + j - first] = code << 24 | step,
// hit = (a & (2^s - 1)) >= step, code(v) = code + (v < 0 ? -hit : hit), NaN -> 0. Each map takes
// the coarsest s whose buckets span at most one threshold (the signed map 17, the unsigned 16:
// its top decade is twice as dense), so the tables the 8-bit optimizer reads stay in L1; step =
// 2^s when a bucket spans none; the clamped ranges span none (both checked when built).
#pragma once

#include <cstdint>

#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

// Bucket bounds for shift s: below 2^-24 every value has the code of 0, from 2 on the top code.
constexpr int32_t lut_first(int s) { return static_cast<int32_t>(0x33800000u >> s); }
constexpr int32_t lut_last(int s) { return static_cast<int32_t>(0x40000000u >> s); }
constexpr int32_t lut_buckets(int s) { return lut_last(s) - lut_first(s) + 1; }

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
  const uint32_t* lut;  // 2 * lut_buckets(lut_shift) entries
  int lut_shift;        // 16 or 17
  const DynamicAffine* affine;
  // Every value below +0 (-0 and NaNs with the sign bit included) has code(+0) and +0's lookup
  // entry is lut[0]: the unsigned map. The AVX-512 encode then skips the sign (checked when built).
  bool negatives_as_zero;
};
const DynamicTables& dynamic_tables(DynamicMap which);

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
void blockwise_encode_lut_avx512(const float* x, int64_t n, float absmax, const DynamicTables& t,
                                 uint8_t* codes);

const KernelFamily<BlockwiseLutKernel>& blockwise_lut_kernels();

}  // namespace lowbit

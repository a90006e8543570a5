// Block-wise dynamic 8-bit encode through a lookup table: the same codes as the threshold search
// of blockwise_encode_ref (exact nearest map entry, ties to the lower code) with one table load
// per value instead of eight dependent compares. The 8-bit optimizer state encodes with it.
//
// Table (DynamicTables::lut): for a normalised value v with float bits b, a = b & 0x7FFFFFFF,
// bucket j = clamp(a >> 16, kLutFirst, kLutLast) (the exponent and the top 7 mantissa bits),
// e = lut[(b >> 31) * kLutBuckets + j - kLutFirst] = code << 17 | step, hit = (a & 0xFFFF) >= step,
// code(v) = code + (v < 0 ? -hit : hit), NaN -> 0. A bucket spans at most one threshold (checked
// when the table is built; step = 0x10000 when it spans none); the clamped ranges span none.
#pragma once

#include <cstdint>

#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

inline constexpr int32_t kLutFirst = 103 << 7;  // |v| < 2^-23 (1.2e-7): below the first threshold
inline constexpr int32_t kLutLast = 128 << 7;   // |v| >= 2: above the last threshold
inline constexpr int32_t kLutBuckets = kLutLast - kLutFirst + 1;

// The tables of one dynamic map: values, thresholds (blockwise.h) and the lookup table above.
struct DynamicTables {
  const float* map;
  const float* thresholds;
  const uint32_t* lut;  // 2 * kLutBuckets entries
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

const KernelFamily<BlockwiseLutKernel>& blockwise_lut_kernels();

}  // namespace lowbit

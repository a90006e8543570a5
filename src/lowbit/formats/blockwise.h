// Block-wise dynamic 8-bit quantization (Dettmers et al., 8-bit optimizers): the 256-entry
// dynamic tree map, exact nearest-code encoding, and per-block absmax codecs on raw arrays.
//
// Map (sorted ascending, code = index). Signed: for i = 0..6 the 2^i values
// 10^(i-6) * (0.1 + 0.9 * (k + 0.5) / 2^i), k = 0..2^i-1, and their negatives, plus 0 and 1
// (127 + 127 + 2). Unsigned: 2^(i+1) values per decade (the sign bit is one more fraction
// bit) plus 0 and 1 (254 + 2). This is bitsandbytes' create_dynamic_map(signed, 7, 8).
// Block layout: block b covers elements [b*block, min(n, (b+1)*block)); absmax[b] is its largest
// magnitude; x ~= map[code] * absmax[b]. An all-zero block has absmax 0 and codes of 0.
#pragma once

#include <cstdint>

namespace lowbit {

enum class DynamicMap : uint8_t { signed_map = 0, unsigned_map = 1 };

// 256 values, ascending.
const float* dynamic_map(DynamicMap which);
// 256 encode thresholds: t[i] (i < 255) is the smallest float strictly nearer to map[i+1]
// than to map[i] (exact ties go to the lower code); t[255] = +inf. code(v) = #{i : t[i] <= v}.
const float* dynamic_thresholds(DynamicMap which);
// Nearest code of a value already normalised by its block's absmax (NaN -> code 0).
uint8_t dynamic_encode(float v, DynamicMap which);

// Whole arrays: absmax has ceil(n / block) entries.
void blockwise_quantize(const float* x, int64_t n, int64_t block, DynamicMap which, uint8_t* codes,
                        float* absmax);
void blockwise_dequantize(const uint8_t* codes, const float* absmax, int64_t n, int64_t block,
                          DynamicMap which, float* x);

}  // namespace lowbit

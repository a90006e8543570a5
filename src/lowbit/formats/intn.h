// Symmetric n-bit integers (n = 2..16): code range, scale rules and int4 packing.
// Packed int4 layout: element 2i in the low nibble of byte i, element 2i+1 in the high nibble,
// each nibble two's complement in [-7, 7] (-8 is never produced); an odd count leaves the last
// high nibble 0.
#pragma once

#include <cstdint>

namespace lowbit {

// Largest code magnitude: codes live in [-(2^(n-1) - 1), 2^(n-1) - 1] (symmetric: -2^(n-1) is
// never produced, so negation is exact and the grid is centred on zero).
inline int32_t intn_qmax(int bits) { return (1 << (bits - 1)) - 1; }

// Float scale: amax / qmax (amax == 0 gives scale 0: every code is 0).
float intn_scale_amax(float amax, int bits);
// Dynamic fixed point (Ghaffari et al.): with amax = m * 2^E, m in [0.5, 1), every mantissa is
// aligned to the shared exponent E and kept to `bits` bits incl. sign: scale = 2^(E - bits + 1),
// so |x| / scale < 2^(bits-1) (the one value rounding up to 2^(bits-1) saturates to qmax).
float intn_scale_pow2(float amax, int bits);

inline uint8_t int4_pack_pair(int8_t lo, int8_t hi) {
  return static_cast<uint8_t>((static_cast<uint8_t>(lo) & 0x0F) | (static_cast<uint8_t>(hi) << 4));
}
inline int8_t int4_low(uint8_t b) { return static_cast<int8_t>(static_cast<uint8_t>(b << 4)) >> 4; }
inline int8_t int4_high(uint8_t b) { return static_cast<int8_t>(b) >> 4; }
// Code idx of a packed int4 row (two a byte, low nibble first).
inline int8_t int4_at(const uint8_t* packed, int64_t idx) {
  return (idx & 1) ? int4_high(packed[idx >> 1]) : int4_low(packed[idx >> 1]);
}

// n codes (each in [-8, 7]) -> ceil(n / 2) bytes, and back.
void int4_pack(const int8_t* codes, int64_t n, uint8_t* packed);
void int4_unpack(const uint8_t* packed, int64_t n, int8_t* codes);

}  // namespace lowbit

// The AMX tile configuration of lowbit's kernels: palette 1, tiles 0-7 each 16 rows of 64 bytes
// (gemm_s8_amx: 0-3 the int32 accumulators, 4-5 A's two 16-row halves, 6-7 B's two 16-column
// halves). Include only from files built with -mamx-tile; internal linkage only, as
// philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace lowbit {
namespace {

// Loads the configuration on the calling thread (zeroing every tile).
inline void amx_load_tiles_16x64() {
  struct alignas(64) {
    uint8_t palette = 1, start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t colsb[16] = {64, 64, 64, 64, 64, 64, 64, 64};
    uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
  } cfg;
  // GCC 12's _tile_loadconfig tells the compiler it reads less than the 64 bytes, so without
  // this barrier the row and column sizes are dropped as dead stores (and tiles fault).
  __asm__ volatile("" : : "r"(&cfg) : "memory");
  _tile_loadconfig(&cfg);
}

}  // namespace
}  // namespace lowbit

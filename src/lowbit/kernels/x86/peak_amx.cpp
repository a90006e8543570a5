// AMX-INT8 peak probe (see kernels/peak.h): TDPBSSD on four independent 16 x 16 int32 tiles fed
// by two A and two B tiles loaded once, the 2 x 2 tile shape of gemm_s8_amx without its loads.
#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/peak.h"
#include "lowbit/kernels/x86/amx_tiles.h"

namespace lowbit {

int64_t peak_tdpbssd_amx(int64_t iters, int32_t* sink) {
  amx_load_tiles_16x64();
  alignas(64) int8_t src[16 * 64];
  for (int i = 0; i < 16 * 64; ++i) src[i] = static_cast<int8_t>(i % 7 - 3);
  _tile_loadd(4, src, 64);
  _tile_loadd(5, src, 64);
  _tile_loadd(6, src, 64);
  _tile_loadd(7, src, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t it = 0; it < iters; ++it) {
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  alignas(64) int32_t out[16 * 16];
  _tile_stored(0, out, 64);
  int32_t s = out[0];
  _tile_stored(3, out, 64);
  *sink = s + out[255];
  _tile_release();
  return iters * 4 * 16 * 16 * 64;
}

}  // namespace lowbit

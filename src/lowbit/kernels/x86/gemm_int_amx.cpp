// AMX-INT8 integer GEMM micro-kernel: a 32 x 32 output tile as four 16 x 16 int32 tiles, fed per
// 64-deep k-chunk by two 16-row A tiles and two 16-column B tiles of the s8_amx panels (layout in
// gemm_int.h), TDPBSSD (signed x signed: no offset, no column-sum trailer). The f32 epilogue
// runs on the stored sums with AVX-512, the same IEEE operations in the same order as
// gemm_int_epilogue_i32 (this file is built with -ffp-contract=off).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "lowbit/kernels/gemm_int.h"
#include "lowbit/kernels/x86/amx_tiles.h"
#include "lowbit/kernels/x86/gemm_int_store_avx512.h"

namespace lowbit {

// LDTILECFG (and even STTILECFG, to check) costs hundreds of cycles, as much as a 32 x 32 x 768
// tile, so it runs once per thread and GEMM (GemmIntKernel::prepare), not per tile.
void gemm_s8amx_prepare_amx() {
  amx_load_tiles_16x64();
}

void gemm_s8amx_finish_amx() {
  _tile_release();
}

namespace {
constexpr int kMr = 32, kNr = 32;

// The 32 x 32 products into the accumulator tiles (exact modulo 2^32: TDPBSSD's int32 adds wrap).
void tile_products(int64_t k, const int8_t* a, const int8_t* b) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const int64_t chunks = (k + 63) / 64;
  for (int64_t q = 0; q < chunks; ++q) {
    const int8_t* aq = a + q * kMr * 64;
    const int8_t* bq = b + q * kNr * 64;
    _tile_loadd(4, aq, 64);
    _tile_loadd(6, bq, kNr * 4);
    _tile_loadd(5, aq + 16 * 64, 64);
    _tile_loadd(7, bq + 64, kNr * 4);
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
}

// The accumulator tiles to c (row stride ldc).
void store_sums(int32_t* c, int64_t ldc) {
  const int64_t stride = ldc * 4;
  _tile_stored(0, c, stride);
  _tile_stored(1, c + 16, stride);
  _tile_stored(2, c + 16 * ldc, stride);
  _tile_stored(3, c + 16 * ldc + 16, stride);
}

void tile_sums(int64_t k, const int8_t* a, const int8_t* b, int32_t* c, int64_t ldc) {
  tile_products(k, a, b);
  store_sums(c, ldc);
}

bool streams(const GemmIntEpilogue& e, int64_t n) {
  return e.stream && e.out == GemmIntOut::f32 && n == kNr;
}

// Rows i0 .. i0 + m - 1 of the block from a 32 x 32 tile of sums.
void finish_rows(const F32TileRows& rows, const int32_t* tile, int64_t i0, int64_t m) {
  for (int64_t i = 0; i < m; ++i)
    rows.row(i0 + i, _mm512_load_si512(tile + i * kNr), _mm512_load_si512(tile + i * kNr + 16));
}
}  // namespace

void gemm_s8amx_micro_amx(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                          int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  const auto* ap = static_cast<const int8_t*>(a);
  const auto* bp = static_cast<const int8_t*>(b);
  if (m == kMr && n == kNr) return tile_sums(k, ap, bp, c, ldc);
  alignas(64) int32_t tile[kMr * kNr];
  tile_sums(k, ap, bp, tile, kNr);
  for (int64_t i = 0; i < m; ++i) std::memcpy(c + i * ldc, tile + i * kNr, n * sizeof(int32_t));
}

void gemm_s8amx_micro_f32_amx(int64_t k, const void* a, const void* b, const GemmIntEpilogue& e,
                              int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && m <= kMr && n >= 0 && n <= kNr);
  LB_ASSERT(e.out == GemmIntOut::f32 || e.out == GemmIntOut::f32_acc);
  alignas(64) int32_t tile[kMr * kNr];
  tile_sums(k, static_cast<const int8_t*>(a), static_cast<const int8_t*>(b), tile, kNr);
  finish_rows(F32TileRows(e, n, streams(e, n)), tile, 0, m);
}

// Software-pipelined over the column: tile t's products are issued before tile t - 1's epilogue,
// so the AMX unit multiplies while the vector units scale and store (the f32 stores of a K = 384
// tile take about as long as its products).
void gemm_s8amx_micro_f32_rows_amx(int64_t k, const void* a, int64_t a_stride, const void* b,
                                   const GemmIntEpilogue& e, int64_t m, int64_t n) {
  LB_ASSERT(k >= 0 && m >= 0 && n >= 0 && n <= kNr);
  LB_ASSERT(e.out == GemmIntOut::f32 || e.out == GemmIntOut::f32_acc);
  alignas(64) int32_t tile[2][kMr * kNr];
  const F32TileRows rows(e, n, streams(e, n));
  const auto* ap = static_cast<const int8_t*>(a);
  const int64_t tiles = (m + kMr - 1) / kMr;
  auto finish = [&](int64_t t) {
    finish_rows(rows, tile[t & 1], t * kMr, m - t * kMr < kMr ? m - t * kMr : kMr);
  };
  for (int64_t t = 0; t < tiles; ++t) {
    tile_products(k, ap + t * a_stride, static_cast<const int8_t*>(b));
    if (t > 0) finish(t - 1);
    store_sums(tile[t & 1], kNr);
  }
  if (tiles > 0) finish(tiles - 1);
}

}  // namespace lowbit

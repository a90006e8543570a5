// Integer GEMM micro-kernel families (int8, int16, packed int4 -> int32) and their packed panel
// formats. The op layer (ops/gemm_int.cpp) packs with gemm_int_pack, threads over output tiles,
// calls a micro-kernel per tile and finishes each tile with gemm_int_epilogue_* (scales, bias).
//
// Panel layouts (what gemm_int_pack writes and a micro-kernel reads). A panel covers R rows
// (R = mr for A, nr for B; B's "rows" are the output columns) and a k-range of length k, cut
// into G = ceil(k / kg) groups of kg consecutive k; entries past the last row or past k are 0.
//   s32_k1  (ref)          int32  panel[(g*R + r)*1 + t]
//   s16_k2  (VPMADDWD,     int16  panel[(g*R + r)*2 + t]       (t = 0, 1: a k-pair)
//            VPDPWSSD)
//   u8s8_k4 (VPDPBUSD,     A: uint8 panel[(g*R + r)*4 + t] = a + a_offset   (a k-quad;
//            VPMADDUBSW)       a_offset 0 stores the int8 code itself)
//                          B:  int8 panel[(g*R + r)*4 + t] = b, then a trailer of R int32,
//                          corr[r] = -a_offset * sum_k b[k][r], that the micro-kernel adds
//                          (it makes the unsigned A exact: sum (a+o)*b - o*sum b = sum a*b).
//   s8_amx  (AMX TDPBSSD,  k cut into C = ceil(k / 64) chunks of 64, each a tile's depth:
//            int8 x int8)  A: int8 panel[(c*R + r)*64 + u] = a[r][64c + u]  (a tile row per row)
//                          B: int8 panel[(g*R + r)*4 + t], u8s8_k4's B without a trailer, its
//                          k-quads padded to 16 per chunk (a chunk: 16 tile rows of R*4 bytes).
// Every panel's byte size is rounded up to 64 so panels start on cache lines.
//
// Exactness: every micro-kernel computes sum_k a*b modulo 2^32 (VPMADDWD, VPDPWSSD, VPDPBUSD
// and int32 adds wrap; VPMADDUBSW is used only where it provably cannot saturate), so a result
// is exact whenever the true sum fits in int32. The op layer guarantees that (see DESIGN.md).
#pragma once

#include <cstdint>

#include "lowbit/kernels/cpu_features.h"
#include "lowbit/kernels/registry.h"

namespace lowbit {

enum class GemmIntPanel : uint8_t { s32_k1 = 0, s16_k2 = 1, u8s8_k4 = 2, s8_amx = 3 };

// c[i*ldc + j] = (int32) sum_{p<k} A[i][p] * B[p][j] for i < m, j < n (m <= mr, n <= nr), from
// one A panel and one B panel of the kernel's format; nothing else in c is written.
using GemmIntMicroFn = void (*)(int64_t k, const void* a_panel, const void* b_panel, int32_t* c,
                                int64_t ldc, int64_t m, int64_t n);

struct GemmIntEpilogue;
// Optional fused form: the tile's sums finished with the f32 / f32_acc epilogue in registers,
// bit for bit what micro + gemm_int_epilogue_i32 give (epi points at the tile's first element).
using GemmIntMicroF32Fn = void (*)(int64_t k, const void* a_panel, const void* b_panel,
                                   const GemmIntEpilogue& epi, int64_t m, int64_t n);

// Optional fused form over a column of A panels: rows [0, m) of an m x n block (n <= nr) from
// ceil(m / mr) A panels a_stride bytes apart and one B panel, each mr-row tile finished as
// micro_f32 finishes it (epi points at row 0), so a kernel may overlap one tile's epilogue with
// the next tile's products.
using GemmIntMicroF32RowsFn = void (*)(int64_t k, const void* a_panels, int64_t a_stride,
                                       const void* b_panel, const GemmIntEpilogue& epi, int64_t m,
                                       int64_t n);

struct GemmIntKernel {
  const char* name;
  Isa isa;
  int mr, nr;
  GemmIntPanel panel;
  int a_offset;  // u8s8_k4 only: added to A codes when packing (128 for VPDPBUSD, 8 for int4)
  GemmIntMicroFn micro;
  // B codes must exclude -2^(bits-1) (the symmetric grid of formats/intn); the op layer checks
  // and falls back to the next variant when they do not.
  bool b_symmetric = false;
  GemmIntMicroF32Fn micro_f32 = nullptr;  // null: micro, then gemm_int_epilogue_i32
  // Run on each thread before its micro-kernel calls of one GEMM (AMX: the tile configuration,
  // which anything else on the thread may have changed since); null: nothing to do.
  void (*prepare)() = nullptr;
  GemmIntMicroF32RowsFn micro_f32_rows = nullptr;  // null: micro_f32 per tile
  // Run on each thread after its micro-kernel calls of one GEMM (AMX: tiles back to their init
  // state, so context switches and signal frames do not carry 8 KiB of tile data); may be null.
  void (*finish)() = nullptr;
};

// Operand codes for int8 (and anything of <= 8 bits): amx (32x32: four 16x16 int32 tiles),
// avx512vnni (6x32), avxvnni (6x16),
// avx2 (6x16 VPSIGNB + VPMADDUBSW, B without -128), avx2_madd (6x16 VPMADDWD on codes widened
// to int16 while packing: any codes), ref (scalar 4x8).
const KernelFamily<GemmIntKernel>& gemm_s8_kernels();
// Codes of 9..16 bits: avx512vnni (VPDPWSSD 6x32), avxvnni (VPDPWSSD 6x16), avx2 (VPMADDWD 6x16),
// ref. Operands may still be int8 (a mixed int8 x int16 product).
const KernelFamily<GemmIntKernel>& gemm_s16_kernels();
// Codes of <= 4 bits (int4 storage unpacked while packing): amx (the int8 tiles), avx512vnni, avxvnni (VPDPBUSD), avx2
// (VPMADDUBSW with int16 accumulation, exact because |codes| <= 8), ref.
const KernelFamily<GemmIntKernel>& gemm_s4_kernels();

// ---- micro-kernel variants (one ISA per file; exposed for direct parity tests) ----
void gemm_s32k1_micro_ref(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                          int64_t m, int64_t n);
void gemm_s16k2_micro_avx2(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                           int64_t m, int64_t n);
void gemm_s8s8k4_micro_avx2(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                            int64_t m, int64_t n);
void gemm_u4s4k4_micro_avx2(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                            int64_t m, int64_t n);
void gemm_s16k2_micro_f32_avx2(int64_t k, const void* a, const void* b, const GemmIntEpilogue& epi,
                               int64_t m, int64_t n);
void gemm_s8s8k4_micro_f32_avx2(int64_t k, const void* a, const void* b, const GemmIntEpilogue& epi,
                                int64_t m, int64_t n);
void gemm_u8s8k4_micro_avxvnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                               int64_t m, int64_t n);
void gemm_s16k2_micro_avxvnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                              int64_t m, int64_t n);
void gemm_u8s8k4_micro_avx512vnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                                  int64_t m, int64_t n);
void gemm_s16k2_micro_avx512vnni(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                                 int64_t m, int64_t n);
void gemm_u8s8k4_micro_f32_avx512vnni(int64_t k, const void* a, const void* b,
                                      const GemmIntEpilogue& epi, int64_t m, int64_t n);
void gemm_s16k2_micro_f32_avx512vnni(int64_t k, const void* a, const void* b,
                                     const GemmIntEpilogue& epi, int64_t m, int64_t n);
void gemm_u8s8k4_micro_f32_rows_avx512vnni(int64_t k, const void* a, int64_t a_stride,
                                           const void* b, const GemmIntEpilogue& epi, int64_t m,
                                           int64_t n);
void gemm_s16k2_micro_f32_rows_avx512vnni(int64_t k, const void* a, int64_t a_stride,
                                          const void* b, const GemmIntEpilogue& epi, int64_t m,
                                          int64_t n);
void gemm_s8amx_prepare_amx();
void gemm_s8amx_finish_amx();
void gemm_s8amx_micro_amx(int64_t k, const void* a, const void* b, int32_t* c, int64_t ldc,
                          int64_t m, int64_t n);
void gemm_s8amx_micro_f32_amx(int64_t k, const void* a, const void* b, const GemmIntEpilogue& epi,
                              int64_t m, int64_t n);
void gemm_s8amx_micro_f32_rows_amx(int64_t k, const void* a, int64_t a_stride, const void* b,
                                   const GemmIntEpilogue& epi, int64_t m, int64_t n);

// ---- packing (baseline code, shared by every variant: the panel format is the contract) ----

// Where a packer reads panel element (r, p) (r: row of the panel, p: k index) from: for A that
// is op(A)[r][p], for B op(B)[p][r] (so a plain (k, n) B is read transposed). Row-major storage
// of codes (s8, s16, s4 packed two a byte as in formats/intn.h) or f32 quantized on the fly.
enum class GemmIntSrc : uint8_t { s8 = 0, s16 = 1, s4 = 2, f32 = 3 };
struct GemmIntSource {
  GemmIntSrc src = GemmIntSrc::s8;
  const void* data = nullptr;
  int64_t ld = 0;      // elements between stored rows (s4: nibbles, even)
  bool trans = false;  // panel element (r, p) is X[p][r] instead of X[r][p]
  float scale = 0.0f;  // f32: code = clamp(rne(x / scale), -qmax, qmax), NaN -> 0
  int32_t qmax = 127;  // f32 only
  // Byte split of 16-bit codes (the op layer's 16 x 16-bit plan): 0 = the code itself,
  // 1 = its high byte (code >> 8, arithmetic), 2 = its low byte (code & 255, unsigned).
  int plane = 0;
};

// Bytes of one packed panel of `rows_tile` rows and length k (B panels include the trailer).
int64_t gemm_int_panel_bytes(GemmIntPanel panel, int rows_tile, int64_t k, bool is_b);
// Packs rows [r0, r0 + rows) x k-range [p0, p0 + k) of op(X) into ceil(rows / rows_tile)
// consecutive panels at dst (each gemm_int_panel_bytes long). is_b selects the B flavour
// (signed codes and the trailer) of u8s8_k4; a_offset applies to A.
void gemm_int_pack(GemmIntPanel panel, int rows_tile, bool is_b, int a_offset,
                   const GemmIntSource& x, int64_t r0, int64_t rows, int64_t p0, int64_t k,
                   void* dst);

// The AVX-512 part of gemm_int_pack: rows 0..R-1 (R a multiple of 16, all present) of a row-major
// int8 source with leading dimension ld, the leading whole 16-k-quad blocks of `groups` k-quads,
// into u8s8_k4 B layout (no offset); returns the k-quads done. Called only where AVX-512 is usable.
int64_t gemm_int_pack_s8_rows16_avx512(const int8_t* src, int64_t ld, int R, int64_t groups,
                                       uint8_t* out);
// The same for a 6-row A panel (all 6 rows present), a_offset added to every code.
int64_t gemm_int_pack_s8_rows6_avx512(const int8_t* src, int64_t ld, int64_t groups, int a_offset,
                                      uint8_t* out);
// A transposed int8 source (panel element (r, p) = src[p * ld + r]) into consecutive 32-row
// u8s8_k4 B panels panel_bytes apart (no offset): the leading multiple of 64 of `cols` columns,
// `groups` k-quads each (trailers not written); returns the columns done.
int64_t gemm_int_pack_s8_trans32_avx512(const int8_t* src, int64_t ld, int64_t cols,
                                        int64_t groups, int64_t panel_bytes, uint8_t* out);
// B's trailer of a u8s8_k4 panel of R columns (R a multiple of 16, at most 64): corr[r] =
// -a_offset * the sum of column r's codes over `groups` k-quads. Where AVX-512 is usable.
void gemm_int_quad_sums_avx512(const int8_t* codes, int64_t groups, int R, int32_t a_offset,
                               int32_t* corr);

// ---- epilogue (baseline code: the same IEEE operations in the same order on every path) ----

// What becomes of one output tile's exact sums.
enum class GemmIntOut : uint8_t {
  i32 = 0,      // c = acc (raw, bit-exact tests)
  i64 = 1,      // c = acc
  f32 = 2,      // c = acc * row_scale[i] * col_scale[j] (+ bias[j])
  f32_acc = 3,  // c += acc * row_scale[i] * col_scale[j] (+ bias[j])   (gradient accumulation)
};
// Tile-relative view of the output and its scales. A stride of 0 broadcasts a single scale;
// scales may be null (1.0) and bias null (none).
struct GemmIntEpilogue {
  GemmIntOut out = GemmIntOut::i32;
  void* c = nullptr;
  int64_t ldc = 0;
  const float* row_scale = nullptr;
  int64_t row_scale_stride = 0;
  const float* col_scale = nullptr;
  int64_t col_scale_stride = 0;
  const float* bias = nullptr;
  // f32 only, a hint: whole tile rows on 64-byte boundaries may go out as non-temporal stores
  // (an output larger than the last-level cache keeps gains nothing from passing through it);
  // whoever sets it issues a store fence before the output is read.
  bool stream = false;
};
// The f32 value of one element: t = float(acc); t *= rs; t *= cs; t += bias; (f32_acc: c + t).
// acc tiles are m x n with leading dimension lda; epi points at the tile's first element.
void gemm_int_epilogue_i32(const int32_t* acc, int64_t lda, int64_t m, int64_t n,
                           const GemmIntEpilogue& epi);
void gemm_int_epilogue_i64(const int64_t* acc, int64_t lda, int64_t m, int64_t n,
                           const GemmIntEpilogue& epi);

}  // namespace lowbit

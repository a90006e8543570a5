// gemm_int_epilogue_i32's f32 modes on 32-column tile rows held in zmm registers, shared by the
// AVX-512 VNNI and AMX tiles: t = float(acc); t *= row scale; t *= column scale; t += bias;
// f32_acc: c + t; masked for partial tiles, whole 64-byte aligned rows optionally streamed
// (GemmIntEpilogue::stream). Include only from files built with -mavx512f -ffp-contract=off;
// internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lowbit/kernels/gemm_int.h"

namespace lowbit {
namespace {

inline __mmask16 lanes16(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : (n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1));
}

// The column part of the epilogue (scales, bias, masks) for one tile of n <= 32 columns, loaded
// once; row(i, lo, hi) finishes row i from its 32 int32 sums.
class F32TileRows {
 public:
  F32TileRows(const GemmIntEpilogue& e, int64_t n, bool stream)
      : e_(e), accumulate_(e.out == GemmIntOut::f32_acc), stream_(stream) {
    mk_[0] = lanes16(n);
    mk_[1] = lanes16(n - 16);
    for (int h = 0; h < 2; ++h) {
      if (!e.col_scale)
        cs_[h] = _mm512_set1_ps(1.0f);
      else if (e.col_scale_stride == 0)
        cs_[h] = _mm512_set1_ps(e.col_scale[0]);
      else
        cs_[h] = _mm512_maskz_loadu_ps(mk_[h], e.col_scale + 16 * h);
      bias_[h] = e.bias ? _mm512_maskz_loadu_ps(mk_[h], e.bias + 16 * h) : _mm512_setzero_ps();
    }
  }

  void row(int64_t i, __m512i lo, __m512i hi) const {
    const __m512 r = _mm512_set1_ps(e_.row_scale ? e_.row_scale[i * e_.row_scale_stride] : 1.0f);
    float* out = static_cast<float*>(e_.c) + i * e_.ldc;
    const bool stream = stream_ && (reinterpret_cast<uintptr_t>(out) & 63) == 0;
    const __m512i acc[2] = {lo, hi};
    for (int h = 0; h < 2; ++h) {
      __m512 t = _mm512_cvtepi32_ps(acc[h]);
      t = _mm512_mul_ps(t, r);
      t = _mm512_mul_ps(t, cs_[h]);
      if (e_.bias) t = _mm512_add_ps(t, bias_[h]);
      if (accumulate_) t = _mm512_add_ps(_mm512_maskz_loadu_ps(mk_[h], out + 16 * h), t);
      if (stream)
        _mm512_stream_ps(out + 16 * h, t);
      else
        _mm512_mask_storeu_ps(out + 16 * h, mk_[h], t);
    }
  }

 private:
  const GemmIntEpilogue& e_;
  __mmask16 mk_[2];
  __m512 cs_[2], bias_[2];
  bool accumulate_, stream_;
};

}  // namespace
}  // namespace lowbit

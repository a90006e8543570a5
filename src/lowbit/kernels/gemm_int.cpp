// The integer GEMM kernel families (best first, `_ref` last) and the tile epilogue that turns
// exact integer sums into f32 outputs. Baseline x86-64 code (SSE2 at most), so every path runs
// the same IEEE operations; the spec is gemm_int_epilogue_ref (kernels/ref/gemm_int_ref.h).
#include "lowbit/kernels/gemm_int.h"

#include <emmintrin.h>

namespace lowbit {

const KernelFamily<GemmIntKernel>& gemm_s8_kernels() {
  using P = GemmIntPanel;
  static const KernelFamily<GemmIntKernel> family(
      "gemm_s8",
      {
          {"gemm_s8_amx", Isa::amx, 32, 32, P::s8_amx, 0, gemm_s8amx_micro_amx, false,
           gemm_s8amx_micro_f32_amx, gemm_s8amx_prepare_amx, gemm_s8amx_micro_f32_rows_amx,
           gemm_s8amx_finish_amx},
          {"gemm_s8_avx512vnni", Isa::avx512_vnni, 6, 32, P::u8s8_k4, 128,
           gemm_u8s8k4_micro_avx512vnni, false, gemm_u8s8k4_micro_f32_avx512vnni, nullptr,
           gemm_u8s8k4_micro_f32_rows_avx512vnni},
          {"gemm_s8_avxvnni", Isa::avx_vnni, 6, 16, P::u8s8_k4, 128, gemm_u8s8k4_micro_avxvnni},
          {"gemm_s8_avx2", Isa::avx2, 6, 16, P::u8s8_k4, 0, gemm_s8s8k4_micro_avx2, true,
           gemm_s8s8k4_micro_f32_avx2},
          {"gemm_s8_avx2_madd", Isa::avx2, 6, 16, P::s16_k2, 0, gemm_s16k2_micro_avx2, false,
           gemm_s16k2_micro_f32_avx2},
          {"gemm_s8_ref", Isa::scalar, 4, 8, P::s32_k1, 0, gemm_s32k1_micro_ref},
      });
  return family;
}

const KernelFamily<GemmIntKernel>& gemm_s16_kernels() {
  using P = GemmIntPanel;
  static const KernelFamily<GemmIntKernel> family(
      "gemm_s16",
      {
          {"gemm_s16_avx512vnni", Isa::avx512_vnni, 6, 32, P::s16_k2, 0,
           gemm_s16k2_micro_avx512vnni, false, gemm_s16k2_micro_f32_avx512vnni, nullptr,
           gemm_s16k2_micro_f32_rows_avx512vnni},
          {"gemm_s16_avxvnni", Isa::avx_vnni, 6, 16, P::s16_k2, 0, gemm_s16k2_micro_avxvnni},
          {"gemm_s16_avx2", Isa::avx2, 6, 16, P::s16_k2, 0, gemm_s16k2_micro_avx2, false,
           gemm_s16k2_micro_f32_avx2},
          {"gemm_s16_ref", Isa::scalar, 4, 8, P::s32_k1, 0, gemm_s32k1_micro_ref},
      });
  return family;
}

const KernelFamily<GemmIntKernel>& gemm_s4_kernels() {
  using P = GemmIntPanel;
  static const KernelFamily<GemmIntKernel> family(
      "gemm_s4",
      {
          {"gemm_s4_amx", Isa::amx, 32, 32, P::s8_amx, 0, gemm_s8amx_micro_amx, false,
           gemm_s8amx_micro_f32_amx, gemm_s8amx_prepare_amx, gemm_s8amx_micro_f32_rows_amx,
           gemm_s8amx_finish_amx},
          {"gemm_s4_avx512vnni", Isa::avx512_vnni, 6, 32, P::u8s8_k4, 8,
           gemm_u8s8k4_micro_avx512vnni, false, gemm_u8s8k4_micro_f32_avx512vnni, nullptr,
           gemm_u8s8k4_micro_f32_rows_avx512vnni},
          {"gemm_s4_avxvnni", Isa::avx_vnni, 6, 16, P::u8s8_k4, 8, gemm_u8s8k4_micro_avxvnni},
          {"gemm_s4_avx2", Isa::avx2, 6, 16, P::u8s8_k4, 8, gemm_u4s4k4_micro_avx2},
          {"gemm_s4_ref", Isa::scalar, 4, 8, P::s32_k1, 0, gemm_s32k1_micro_ref},
      });
  return family;
}

int64_t gemm_int_panel_bytes(GemmIntPanel panel, int rows_tile, int64_t k, bool is_b) {
  int64_t bytes = 0;
  switch (panel) {
    case GemmIntPanel::s32_k1:
      bytes = k * rows_tile * 4;
      break;
    case GemmIntPanel::s16_k2:
      bytes = (k + 1) / 2 * rows_tile * 4;
      break;
    case GemmIntPanel::u8s8_k4:
      bytes = (k + 3) / 4 * rows_tile * 4 + (is_b ? rows_tile * 4 : 0);
      break;
    case GemmIntPanel::s8_amx:
      bytes = (k + 63) / 64 * 64 * rows_tile;
      break;
  }
  return (bytes + 63) / 64 * 64;
}

namespace {

struct ScaleView {
  const float* p;
  int64_t stride;
  float at(int64_t i) const { return p ? p[i * stride] : 1.0f; }
};

template <class Acc>
void epilogue(const Acc* acc, int64_t lda, int64_t m, int64_t n, const GemmIntEpilogue& epi) {
  switch (epi.out) {
    case GemmIntOut::i32: {
      auto* c = static_cast<int32_t*>(epi.c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) c[i * epi.ldc + j] = static_cast<int32_t>(acc[i * lda + j]);
      return;
    }
    case GemmIntOut::i64: {
      auto* c = static_cast<int64_t*>(epi.c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) c[i * epi.ldc + j] = acc[i * lda + j];
      return;
    }
    case GemmIntOut::f32:
    case GemmIntOut::f32_acc:
      break;
  }
  const ScaleView rs{epi.row_scale, epi.row_scale_stride}, cs{epi.col_scale, epi.col_scale_stride};
  const bool accumulate = epi.out == GemmIntOut::f32_acc;
  auto* c = static_cast<float*>(epi.c);
  for (int64_t i = 0; i < m; ++i) {
    const float r = rs.at(i);
    float* row = c + i * epi.ldc;
    for (int64_t j = 0; j < n; ++j) {
      // One IEEE operation per step, in this order, on every path (no FMA in baseline code).
      float t = static_cast<float>(acc[i * lda + j]);
      t = t * r;
      t = t * cs.at(j);
      if (epi.bias) t = t + epi.bias[j];
      row[j] = accumulate ? row[j] + t : t;
    }
  }
}

// The f32 modes on int32 sums, 4 lanes at a time with SSE2 (baseline): the same IEEE operations
// in the same order as the scalar loop, so the bits match it exactly.
template <bool kColVec, bool kBias, bool kAcc>
void epilogue_f32_sse2(const int32_t* acc, int64_t lda, int64_t m, int64_t n,
                       const GemmIntEpilogue& epi) {
  const ScaleView rs{epi.row_scale, epi.row_scale_stride};
  const float cs0 = epi.col_scale ? epi.col_scale[0] : 1.0f;
  auto* c = static_cast<float*>(epi.c);
  for (int64_t i = 0; i < m; ++i) {
    const float r = rs.at(i);
    const __m128 rv = _mm_set1_ps(r), csv = _mm_set1_ps(cs0);
    float* row = c + i * epi.ldc;
    const int32_t* a = acc + i * lda;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      __m128 t = _mm_cvtepi32_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + j)));
      t = _mm_mul_ps(t, rv);
      t = _mm_mul_ps(t, kColVec ? _mm_loadu_ps(epi.col_scale + j) : csv);
      if (kBias) t = _mm_add_ps(t, _mm_loadu_ps(epi.bias + j));
      if (kAcc) t = _mm_add_ps(_mm_loadu_ps(row + j), t);
      _mm_storeu_ps(row + j, t);
    }
    for (; j < n; ++j) {
      float t = static_cast<float>(a[j]);
      t = t * r;
      t = t * (kColVec ? epi.col_scale[j] : cs0);
      if (kBias) t = t + epi.bias[j];
      row[j] = kAcc ? row[j] + t : t;
    }
  }
}

template <bool kColVec, bool kBias>
void epilogue_f32_sse2_acc(const int32_t* acc, int64_t lda, int64_t m, int64_t n,
                           const GemmIntEpilogue& epi) {
  if (epi.out == GemmIntOut::f32_acc)
    epilogue_f32_sse2<kColVec, kBias, true>(acc, lda, m, n, epi);
  else
    epilogue_f32_sse2<kColVec, kBias, false>(acc, lda, m, n, epi);
}

}  // namespace

void gemm_int_epilogue_i32(const int32_t* acc, int64_t lda, int64_t m, int64_t n,
                           const GemmIntEpilogue& epi) {
  if (epi.out != GemmIntOut::f32 && epi.out != GemmIntOut::f32_acc)
    return epilogue(acc, lda, m, n, epi);
  const bool col_vec = epi.col_scale && epi.col_scale_stride == 1;
  if (col_vec) {
    if (epi.bias)
      epilogue_f32_sse2_acc<true, true>(acc, lda, m, n, epi);
    else
      epilogue_f32_sse2_acc<true, false>(acc, lda, m, n, epi);
  } else {
    if (epi.bias)
      epilogue_f32_sse2_acc<false, true>(acc, lda, m, n, epi);
    else
      epilogue_f32_sse2_acc<false, false>(acc, lda, m, n, epi);
  }
}

void gemm_int_epilogue_i64(const int64_t* acc, int64_t lda, int64_t m, int64_t n,
                           const GemmIntEpilogue& epi) {
  epilogue(acc, lda, m, n, epi);
}

}  // namespace lowbit

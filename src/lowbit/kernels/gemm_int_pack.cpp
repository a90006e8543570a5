// Packers of the integer GEMM panels (layouts in gemm_int.h): every source (int8, int16, packed
// int4, f32 quantized on the fly) and both orientations into every panel format, baseline code.
#include <cmath>
#include <cstring>

#include "lowbit/formats/intn.h"
#include "lowbit/kernels/gemm_int.h"

namespace lowbit {

namespace {

// RNE of x / scale clamped to +-qmax, NaN -> 0: the same IEEE division and rounding as
// intn_quant_*_ref, so quantizing while packing equals quantizing first. Clamping before
// rounding is the same as after (qmax is an integer); the magic-number add rounds to nearest
// even for |v| <= 2^22 in the default rounding mode.
inline int32_t quant_rne(float x, float scale, int32_t qmax) {
  float v = x / scale;
  if (!(v == v)) return 0;
  const float hi = static_cast<float>(qmax);
  v = v < -hi ? -hi : (v > hi ? hi : v);
  volatile float magic = 12582912.0f;  // 1.5 * 2^23; volatile keeps the add-sub pair
  float r = (v + magic) - magic;
  return static_cast<int32_t>(r);
}

// Stored element (row, col) of the source (before `trans` is applied).
template <GemmIntSrc S>
inline int32_t load(const GemmIntSource& x, int64_t row, int64_t col) {
  const int64_t idx = row * x.ld + col;
  if constexpr (S == GemmIntSrc::s8) return static_cast<const int8_t*>(x.data)[idx];
  if constexpr (S == GemmIntSrc::s16) return static_cast<const int16_t*>(x.data)[idx];
  if constexpr (S == GemmIntSrc::s4) {
    uint8_t byte = static_cast<const uint8_t*>(x.data)[idx >> 1];
    return (idx & 1) ? int4_high(byte) : int4_low(byte);
  }
  if constexpr (S == GemmIntSrc::f32)
    return quant_rne(static_cast<const float*>(x.data)[idx], x.scale, x.qmax);
  return 0;
}

inline int32_t plane_of(int32_t v, int plane) {
  return plane == 0 ? v : (plane == 1 ? (v >> 8) : (v & 0xFF));
}

template <GemmIntPanel P>
inline void put(void* panel, int64_t index, int32_t v, bool is_b, int a_offset) {
  if constexpr (P == GemmIntPanel::s32_k1) static_cast<int32_t*>(panel)[index] = v;
  if constexpr (P == GemmIntPanel::s16_k2) static_cast<int16_t*>(panel)[index] = static_cast<int16_t>(v);
  if constexpr (P == GemmIntPanel::u8s8_k4)
    static_cast<uint8_t*>(panel)[index] = static_cast<uint8_t>(is_b ? v : v + a_offset);
}

template <GemmIntPanel P>
constexpr int kg() {
  return P == GemmIntPanel::s32_k1 ? 1 : (P == GemmIntPanel::s16_k2 ? 2 : 4);
}

// One panel: rows [r0, r0 + rows) (rows <= R) of op(X) over k-range [p0, p0 + k).
template <GemmIntPanel P, GemmIntSrc S>
void pack_panel(int R, bool is_b, int a_offset, const GemmIntSource& x, int64_t r0, int64_t rows,
                int64_t p0, int64_t k, void* dst) {
  constexpr int KG = kg<P>();
  const int64_t groups = (k + KG - 1) / KG;
  std::memset(dst, 0, static_cast<size_t>(gemm_int_panel_bytes(P, R, k, is_b)));
  // Zero padding (rows past `rows`, k past `k`) must read as code 0: for u8 A that is a_offset.
  if (P == GemmIntPanel::u8s8_k4 && !is_b && a_offset != 0)
    std::memset(dst, a_offset, static_cast<size_t>(groups * R * KG));
  const int plane = x.plane;
  if (!x.trans) {
    // Row-major walk: each panel row reads one contiguous source row.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < k; ++p) {
        int32_t v = plane_of(load<S>(x, r0 + r, p0 + p), plane);
        put<P>(dst, ((p / KG) * R + r) * KG + p % KG, v, is_b, a_offset);
      }
  } else {
    // k-major walk: op(X)[r][p] = X[p][r], so each p reads `rows` contiguous elements.
    for (int64_t p = 0; p < k; ++p)
      for (int64_t r = 0; r < rows; ++r) {
        int32_t v = plane_of(load<S>(x, p0 + p, r0 + r), plane);
        put<P>(dst, ((p / KG) * R + r) * KG + p % KG, v, is_b, a_offset);
      }
  }
  if (P == GemmIntPanel::u8s8_k4 && is_b && a_offset != 0) {
    // Trailer: corr[r] = -a_offset * column sum (exact: |sum| <= k * 128).
    const auto* codes = static_cast<const int8_t*>(dst);
    auto* corr = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(dst) + groups * R * KG);
    for (int64_t r = 0; r < R; ++r) {
      int32_t sum = 0;
      for (int64_t g = 0; g < groups; ++g)
        for (int t = 0; t < KG; ++t) sum += codes[(g * R + r) * KG + t];
      corr[r] = -a_offset * sum;
    }
  }
}

template <GemmIntPanel P>
void pack_rows(int R, bool is_b, int a_offset, const GemmIntSource& x, int64_t r0, int64_t rows,
               int64_t p0, int64_t k, void* dst) {
  const int64_t bytes = gemm_int_panel_bytes(P, R, k, is_b);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t r = 0; r < rows; r += R, out += bytes) {
    const int64_t cur = rows - r < R ? rows - r : R;
    switch (x.src) {
      case GemmIntSrc::s8: pack_panel<P, GemmIntSrc::s8>(R, is_b, a_offset, x, r0 + r, cur, p0, k, out); break;
      case GemmIntSrc::s16: pack_panel<P, GemmIntSrc::s16>(R, is_b, a_offset, x, r0 + r, cur, p0, k, out); break;
      case GemmIntSrc::s4: pack_panel<P, GemmIntSrc::s4>(R, is_b, a_offset, x, r0 + r, cur, p0, k, out); break;
      case GemmIntSrc::f32: pack_panel<P, GemmIntSrc::f32>(R, is_b, a_offset, x, r0 + r, cur, p0, k, out); break;
    }
  }
}

}  // namespace

void gemm_int_pack(GemmIntPanel panel, int rows_tile, bool is_b, int a_offset,
                   const GemmIntSource& x, int64_t r0, int64_t rows, int64_t p0, int64_t k,
                   void* dst) {
  LB_ASSERT(rows_tile > 0 && rows >= 0 && k >= 0 && r0 >= 0 && p0 >= 0);
  LB_ASSERT(x.src != GemmIntSrc::s4 || x.ld % 2 == 0);
  LB_ASSERT(x.src != GemmIntSrc::f32 || x.scale > 0.0f);
  switch (panel) {
    case GemmIntPanel::s32_k1: return pack_rows<GemmIntPanel::s32_k1>(rows_tile, is_b, a_offset, x, r0, rows, p0, k, dst);
    case GemmIntPanel::s16_k2: return pack_rows<GemmIntPanel::s16_k2>(rows_tile, is_b, a_offset, x, r0, rows, p0, k, dst);
    case GemmIntPanel::u8s8_k4: return pack_rows<GemmIntPanel::u8s8_k4>(rows_tile, is_b, a_offset, x, r0, rows, p0, k, dst);
  }
}

}  // namespace lowbit

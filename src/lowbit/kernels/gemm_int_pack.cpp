// Packers of the integer GEMM panels (layouts in gemm_int.h): every source (int8, int16, packed
// int4, f32 quantized on the fly) and both orientations into every panel format, baseline code.
#include <emmintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "lowbit/formats/intn.h"
#include "lowbit/kernels/cpu_features.h"
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
  if constexpr (S == GemmIntSrc::s4) return int4_at(static_cast<const uint8_t*>(x.data), idx);
  if constexpr (S == GemmIntSrc::f32)
    return quant_rne(static_cast<const float*>(x.data)[idx], x.scale, x.qmax);
  return 0;
}

inline int32_t plane_of(int32_t v, int plane) {
  return plane == 0 ? v : (plane == 1 ? (v >> 8) : (v & 0xFF));
}

// A hint to bring the stored row's code `ahead` past `col` into L1.
template <GemmIntSrc S>
inline void prefetch_ahead(const GemmIntSource& x, int64_t row, int64_t col, int64_t ahead = 256) {
  const int64_t idx = row * x.ld + col + ahead;
  int64_t at = idx;  // bytes: s8
  if constexpr (S == GemmIntSrc::f32) at = idx * 4;
  if constexpr (S == GemmIntSrc::s16) at = idx * 2;
  if constexpr (S == GemmIntSrc::s4) at = idx / 2;
  _mm_prefetch(static_cast<const char*>(x.data) + at, _MM_HINT_T0);
}

template <GemmIntPanel P>
inline void put(void* panel, int64_t index, int32_t v, bool is_b, int a_offset) {
  if constexpr (P == GemmIntPanel::s32_k1) static_cast<int32_t*>(panel)[index] = v;
  if constexpr (P == GemmIntPanel::s16_k2)
    static_cast<int16_t*>(panel)[index] = static_cast<int16_t>(v);
  if constexpr (P == GemmIntPanel::u8s8_k4)
    static_cast<uint8_t*>(panel)[index] = static_cast<uint8_t>(is_b ? v : v + a_offset);
}

template <GemmIntPanel P>
constexpr int kg() {
  return P == GemmIntPanel::s32_k1 ? 1 : (P == GemmIntPanel::s16_k2 ? 2 : 4);
}

// 16 codes of stored row `row` from column `col` (even for int4: whole bytes) as bytes, plus
// `off` (codes of <= 8 bits: int16 and f32 sources pack without saturating).
template <GemmIntSrc S>
inline __m128i load16_codes(const GemmIntSource& x, int64_t row, int64_t col, __m128i off) {
  const int64_t idx = row * x.ld + col;
  if constexpr (S == GemmIntSrc::s8)
    return _mm_add_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                            static_cast<const int8_t*>(x.data) + idx)),
                        off);
  if constexpr (S == GemmIntSrc::f32) {
    // quant_rne on 4 lanes: the same division, clamp, magic-number rounding and NaN -> 0,
    // so the codes equal the scalar ones; |code| <= qmax <= 127 packs without saturating.
    const float* f = static_cast<const float*>(x.data) + idx;
    const __m128 sc = _mm_set1_ps(x.scale), hi = _mm_set1_ps(static_cast<float>(x.qmax));
    const __m128 lo = _mm_set1_ps(-static_cast<float>(x.qmax)),
                 magic = _mm_set1_ps(12582912.0f);
    __m128i q[4];
    for (int t = 0; t < 4; ++t) {
      __m128 v = _mm_div_ps(_mm_loadu_ps(f + 4 * t), sc);
      const __m128 ord = _mm_cmpord_ps(v, v);
      v = _mm_max_ps(_mm_min_ps(v, hi), lo);
      v = _mm_sub_ps(_mm_add_ps(v, magic), magic);
      q[t] = _mm_cvttps_epi32(_mm_and_ps(v, ord));
    }
    return _mm_add_epi8(
        _mm_packs_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3])), off);
  }
  if constexpr (S == GemmIntSrc::s16) {  // codes of <= 8 bits held in int16
    const auto* h = reinterpret_cast<const __m128i*>(static_cast<const int16_t*>(x.data) + idx);
    return _mm_add_epi8(_mm_packs_epi16(_mm_loadu_si128(h), _mm_loadu_si128(h + 1)), off);
  }
  // Nibbles to int8: ((n & 15) ^ 8) - 8 sign-extends; low nibble first (formats/intn.h).
  const __m128i b = _mm_loadl_epi64(
      reinterpret_cast<const __m128i*>(static_cast<const uint8_t*>(x.data) + idx / 2));
  const __m128i m15 = _mm_set1_epi8(15), m8 = _mm_set1_epi8(8);
  __m128i lo = _mm_sub_epi8(_mm_xor_si128(_mm_and_si128(b, m15), m8), m8);
  __m128i hi = _mm_sub_epi8(_mm_xor_si128(_mm_and_si128(_mm_srli_epi16(b, 4), m15), m8), m8);
  return _mm_add_epi8(_mm_unpacklo_epi8(lo, hi), off);
}

// Fast paths (SSE2, baseline x86-64) for every source into u8s8_k4 and for int8 / int16 codes
// into s16_k2, writing exactly what the generic loop writes: whole k-groups of whole rows; the
// caller's generic loop does the ragged rest.
// Returns how many leading k-groups were packed for every row (0: not handled).
template <GemmIntPanel P, GemmIntSrc S>
int64_t pack_fast(int R, int a_offset, const GemmIntSource& x, int64_t r0, int64_t rows, int64_t p0,
                  int64_t k, void* dst) {
  constexpr int KG = kg<P>();
  const int64_t groups = k / KG;
  if (x.plane != 0 || groups == 0) return 0;
  if constexpr (P == GemmIntPanel::u8s8_k4) {
    const __m128i off = _mm_set1_epi8(static_cast<char>(a_offset));
    auto load16 = [&](int64_t row, int64_t col) { return load16_codes<S>(x, row, col, off); };
    auto* out = static_cast<uint8_t*>(dst);
    if (!x.trans) {  // each panel row is a contiguous source row: copy k-quads
      int64_t g0 = 0;  // k-quads already packed for every row
      if constexpr (S == GemmIntSrc::s8)
        if (rows == R && isa_usable(Isa::avx512)) {
          const int8_t* src = static_cast<const int8_t*>(x.data) + r0 * x.ld + p0;
          if (R % 16 == 0 && a_offset == 0)
            g0 = gemm_int_pack_s8_rows16_avx512(src, x.ld, R, groups, out);
          else if (R == 6)
            g0 = gemm_int_pack_s8_rows6_avx512(src, x.ld, groups, a_offset, out);
        }
      int64_t r = 0;
      for (; r + 4 <= rows; r += 4) {  // 4 rows x 4 k-quads: a 4x4 transpose of 32-bit units
        int64_t g = g0;
        for (; g + 4 <= groups; g += 4) {
          __m128i v[4];
          for (int t = 0; t < 4; ++t) {
            // Four rows are read at once, beyond what the hardware prefetcher runs ahead on.
            if (g % 16 == 0) prefetch_ahead<S>(x, r0 + r + t, p0 + 4 * g);
            v[t] = load16(r0 + r + t, p0 + 4 * g);
          }
          const __m128i t0 = _mm_unpacklo_epi32(v[0], v[1]), t1 = _mm_unpackhi_epi32(v[0], v[1]);
          const __m128i t2 = _mm_unpacklo_epi32(v[2], v[3]), t3 = _mm_unpackhi_epi32(v[2], v[3]);
          const __m128i q[4] = {_mm_unpacklo_epi64(t0, t2), _mm_unpackhi_epi64(t0, t2),
                                _mm_unpacklo_epi64(t1, t3), _mm_unpackhi_epi64(t1, t3)};
          for (int t = 0; t < 4; ++t)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + ((g + t) * R + r) * 4), q[t]);
        }
        for (int t = 0; t < 4; ++t)
          for (int64_t gg = g; gg < groups; ++gg)
            for (int u = 0; u < 4; ++u)
              out[(gg * R + r + t) * 4 + u] =
                  static_cast<uint8_t>(load<S>(x, r0 + r + t, p0 + 4 * gg + u) + a_offset);
      }
      for (; r < rows; ++r) {
        int64_t g = g0;
        for (; g + 4 <= groups; g += 4) {
          if (g % 16 == 0) prefetch_ahead<S>(x, r0 + r, p0 + 4 * g);
          alignas(16) uint32_t q[4];
          _mm_store_si128(reinterpret_cast<__m128i*>(q), load16(r0 + r, p0 + 4 * g));
          for (int t = 0; t < 4; ++t) std::memcpy(out + ((g + t) * R + r) * 4, &q[t], 4);
        }
        for (; g < groups; ++g)
          for (int t = 0; t < 4; ++t)
            out[(g * R + r) * 4 + t] =
                static_cast<uint8_t>(load<S>(x, r0 + r, p0 + 4 * g + t) + a_offset);
      }
      return groups;
    }
    if (S == GemmIntSrc::s4 && r0 % 2 != 0) return 0;
    for (int64_t g = 0; g < groups; ++g) {  // 4 source rows x 16 columns -> 16 k-quads
      // The rows four k-quads on: a panel takes only its 16-64 bytes of each source row, too
      // little for the hardware prefetcher to run ahead (Zen 5: half of B's packing time was
      // the loads' misses).
      if (g + 4 < groups)
        for (int t = 0; t < 4; ++t) prefetch_ahead<S>(x, p0 + 4 * (g + 4) + t, r0, 0);
      int64_t r = 0;
      for (; r + 16 <= rows; r += 16) {
        __m128i v[4];
        for (int t = 0; t < 4; ++t) v[t] = load16(p0 + 4 * g + t, r0 + r);
        __m128i t0 = _mm_unpacklo_epi8(v[0], v[1]), t1 = _mm_unpackhi_epi8(v[0], v[1]);
        __m128i t2 = _mm_unpacklo_epi8(v[2], v[3]), t3 = _mm_unpackhi_epi8(v[2], v[3]);
        auto* o = reinterpret_cast<__m128i*>(out + (g * R + r) * 4);
        _mm_storeu_si128(o, _mm_unpacklo_epi16(t0, t2));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(t0, t2));
        _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(t1, t3));
        _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(t1, t3));
      }
      for (; r < rows; ++r)  // A panels (6 rows) and ragged B panels
        for (int t = 0; t < 4; ++t)
          out[(g * R + r) * 4 + t] =
              static_cast<uint8_t>(load<S>(x, p0 + 4 * g + t, r0 + r) + a_offset);
    }
    return groups;
  }
  if constexpr (P == GemmIntPanel::s16_k2 && (S == GemmIntSrc::s8 || S == GemmIntSrc::s16)) {
    using T = std::conditional_t<S == GemmIntSrc::s8, int8_t, int16_t>;
    const auto* src = static_cast<const T*>(x.data);
    auto* out = static_cast<int16_t*>(dst);
    if (!x.trans) {  // k-pairs of a contiguous source row
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = src + (r0 + r) * x.ld + p0;
        for (int64_t g = 0; g < groups; ++g) {
          out[(g * R + r) * 2] = row[2 * g];
          out[(g * R + r) * 2 + 1] = row[2 * g + 1];
        }
      }
      return groups;
    }
    for (int64_t g = 0; g < groups; ++g) {  // 2 source rows x 8 columns -> 8 k-pairs
      const T* s0 = src + (p0 + 2 * g) * x.ld + r0;
      int64_t r = 0;
      for (; r + 8 <= rows; r += 8) {
        __m128i v[2];
        for (int t = 0; t < 2; ++t) {
          if constexpr (S == GemmIntSrc::s8) {
            __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s0 + t * x.ld + r));
            v[t] = _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8);  // sign-extend 8 bytes
          } else {
            v[t] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s0 + t * x.ld + r));
          }
        }
        auto* o = reinterpret_cast<__m128i*>(out + (g * R + r) * 2);
        _mm_storeu_si128(o, _mm_unpacklo_epi16(v[0], v[1]));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(v[0], v[1]));
      }
      for (; r < rows; ++r) {
        out[(g * R + r) * 2] = s0[r];
        out[(g * R + r) * 2 + 1] = s0[x.ld + r];
      }
    }
    return groups;
  }
  return 0;
}

// A transposed source into panels whose height R is not a multiple of the SIMD width (A panels
// of 6 rows): 16 (u8s8_k4) or 8 (s16_k2) columns of the source block at a time go through the
// same SSE2 transposes into 4-byte units, each stored into its own panel; int8 into 32-row B
// panels, where AVX-512 is usable: 64 columns (two panels) of each source row at a time, so
// each row is read once, not a half line per panel. Full k-groups only; returns how many
// leading columns of the block are done (a multiple of the width).
template <GemmIntPanel P, GemmIntSrc S>
int64_t pack_block_trans(int R, int a_offset, const GemmIntSource& x, int64_t r0, int64_t rows,
                         int64_t p0, int64_t k, uint8_t* dst, int64_t panel_bytes) {
  constexpr bool kBytes = P == GemmIntPanel::u8s8_k4;
  constexpr bool kPairs =
      P == GemmIntPanel::s16_k2 && (S == GemmIntSrc::s8 || S == GemmIntSrc::s16);
  if constexpr (kBytes || kPairs) {
    constexpr int W = kBytes ? 16 : 8, KG = kg<P>();
    if constexpr (kBytes && S == GemmIntSrc::s8)
      if (x.trans && x.plane == 0 && R == 32 && a_offset == 0 && isa_usable(Isa::avx512))
        return gemm_int_pack_s8_trans32_avx512(static_cast<const int8_t*>(x.data) + p0 * x.ld + r0,
                                               x.ld, rows, k / KG, panel_bytes, dst);
    if (!x.trans || x.plane != 0 || R % W == 0 || rows < W || k < KG) return 0;
    if (S == GemmIntSrc::s4 && r0 % 2 != 0) return 0;
    const int64_t cols = rows / W * W, groups = k / KG;
    alignas(16) uint8_t strip[W * KG * (kBytes ? 1 : 2)];
    GemmIntSource sx = x;  // the strip as one panel of height W, at column c of the block
    // Where column r's 4-byte unit of group 0 goes (group g: + g * R * 4), computed once: two
    // integer divisions per unit would cost more than the transposes.
    std::vector<int64_t> at(static_cast<size_t>(cols));
    for (int64_t r = 0; r < cols; ++r) at[r] = (r / R) * panel_bytes + (r % R) * 4;
    // 4 k x 16 columns of an int8 source as 16 4-byte units (plus the offset) at out: pack_fast's
    // transpose inline, as a call per 64 bytes costs more than the work.
    auto units16 = [&](int64_t g, int64_t c, uint8_t* out) {
      const auto* src = static_cast<const int8_t*>(x.data) + (p0 + g * 4) * x.ld + r0 + c;
      const __m128i off = _mm_set1_epi8(static_cast<char>(a_offset));
      __m128i v[4];
      for (int t = 0; t < 4; ++t)
        v[t] = _mm_add_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + t * x.ld)), off);
      const __m128i t0 = _mm_unpacklo_epi8(v[0], v[1]), t1 = _mm_unpackhi_epi8(v[0], v[1]);
      const __m128i t2 = _mm_unpacklo_epi8(v[2], v[3]), t3 = _mm_unpackhi_epi8(v[2], v[3]);
      auto* o = reinterpret_cast<__m128i*>(out);
      _mm_storeu_si128(o, _mm_unpacklo_epi16(t0, t2));
      _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(t0, t2));
      _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(t1, t3));
      _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(t1, t3));
    };
    for (int64_t g = 0; g < groups; ++g) {  // g outer: each source row is read once
      uint8_t* dg = dst + g * R * 4;
      int64_t c = 0;
      if constexpr (kBytes && S == GemmIntSrc::s8) {
        // 48 columns are eight whole 6-row panels: 24 contiguous bytes each, not 48 4-byte units.
        if (R == 6)
          for (; c + 48 <= cols; c += 48) {
            alignas(16) uint8_t units[48 * 4];
            for (int q = 0; q < 3; ++q) units16(g, c + 16 * q, units + 64 * q);
            for (int j = 0; j < 8; ++j) std::memcpy(dg + at[c + 6 * j], units + 24 * j, 24);
          }
      }
      for (; c < cols; c += W) {
        if constexpr (kBytes && S == GemmIntSrc::s8) {
          units16(g, c, strip);
        } else {
          pack_fast<P, S>(W, a_offset, sx, r0 + c, W, p0 + g * KG, KG, strip);
        }
        for (int q = 0; q < W; ++q) std::memcpy(dg + at[c + q], strip + q * 4, 4);
      }
    }
    return cols;
  }
  return 0;
}

// B's trailer of a u8s8_k4 panel: corr[r] = -a_offset * sum of column r's codes over the panel's
// k-quads (exact: |sum| <= k * 128). SSE2: 16 bytes hold 4 columns' quads; sign-extended pairs
// summed by PMADDWD into int32 lanes, 32 columns at a time.
void quad_column_corrections(const int8_t* codes, int64_t groups, int R, int32_t a_offset,
                             int32_t* corr) {
  const __m128i ones = _mm_set1_epi16(1);
  const int whole = R / 4 * 4;
  for (int c0 = 0; c0 < whole; c0 += 32) {
    const int quads = (whole - c0 < 32 ? whole - c0 : 32) / 4;
    __m128i acc[8][2];
    for (int q = 0; q < quads; ++q) acc[q][0] = acc[q][1] = _mm_setzero_si128();
    for (int64_t g = 0; g < groups; ++g)
      for (int q = 0; q < quads; ++q) {
        const __m128i v =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + (g * R + c0 + 4 * q) * 4));
        const __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
        const __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8);
        acc[q][0] = _mm_add_epi32(acc[q][0], _mm_madd_epi16(lo, ones));
        acc[q][1] = _mm_add_epi32(acc[q][1], _mm_madd_epi16(hi, ones));
      }
    for (int q = 0; q < quads; ++q)
      for (int h = 0; h < 2; ++h) {
        alignas(16) int32_t s[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(s), acc[q][h]);
        corr[c0 + 4 * q + 2 * h] = -a_offset * (s[0] + s[1]);
        corr[c0 + 4 * q + 2 * h + 1] = -a_offset * (s[2] + s[3]);
      }
  }
  for (int r = whole; r < R; ++r) {  // columns past the last whole 4
    int32_t sum = 0;
    for (int64_t g = 0; g < groups; ++g)
      for (int t = 0; t < 4; ++t) sum += codes[(g * R + r) * 4 + t];
    corr[r] = -a_offset * sum;
  }
}

// Zeros (u8 A: a_offset, the code 0) everywhere a panel of `rows` rows holds no element. With
// every row and k-group present (a k-group of a row is 4 bytes in each of these formats), that
// is only what follows the codes: B's trailer, which column sums may overwrite, and the padding.
template <GemmIntPanel P>
void panel_init(int R, int64_t rows, bool is_b, int a_offset, int64_t k, void* dst) {
  constexpr int KG = kg<P>();
  const int64_t bytes = gemm_int_panel_bytes(P, R, k, is_b);
  if (rows == R && k % KG == 0) {
    const int64_t codes = k / KG * R * 4;
    std::memset(static_cast<uint8_t*>(dst) + codes, 0, static_cast<size_t>(bytes - codes));
    return;
  }
  std::memset(dst, 0, static_cast<size_t>(bytes));
  if (P == GemmIntPanel::u8s8_k4 && !is_b && a_offset != 0)
    std::memset(dst, a_offset, static_cast<size_t>((k + KG - 1) / KG * R * KG));
}

// One panel: rows [r0, r0 + rows) (rows <= R) of op(X) over k-range [p0, p0 + k), except the
// first `skip` rows of the full k-groups (done by pack_block_trans); then B's trailer.
template <GemmIntPanel P, GemmIntSrc S>
void pack_panel(int R, bool is_b, int a_offset, const GemmIntSource& x, int64_t r0, int64_t rows,
                int64_t p0, int64_t k, int64_t skip, void* dst) {
  constexpr int KG = kg<P>();
  const int64_t groups = (k + KG - 1) / KG, pfull = k / KG * KG;
  const int plane = x.plane;
  const int64_t pdone =
      skip > 0 ? 0 : pack_fast<P, S>(R, is_b ? 0 : a_offset, x, r0, rows, p0, k, dst) * KG;
  if (!x.trans) {
    // Row-major walk: each panel row reads one contiguous source row.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = pdone; p < k; ++p) {
        int32_t v = plane_of(load<S>(x, r0 + r, p0 + p), plane);
        put<P>(dst, ((p / KG) * R + r) * KG + p % KG, v, is_b, a_offset);
      }
  } else {
    // k-major walk: op(X)[r][p] = X[p][r], so each p reads `rows` contiguous elements. With
    // every row's full groups done, only the ragged k tail is left (an empty pass over each p
    // took a tenth of a transposed product's time).
    for (int64_t p = skip >= rows ? pfull : pdone; p < k; ++p)
      for (int64_t r = p < pfull ? skip : 0; r < rows; ++r) {
        int32_t v = plane_of(load<S>(x, p0 + p, r0 + r), plane);
        put<P>(dst, ((p / KG) * R + r) * KG + p % KG, v, is_b, a_offset);
      }
  }
  if (P == GemmIntPanel::u8s8_k4 && is_b && a_offset != 0) {
    const auto* codes = static_cast<const int8_t*>(dst);
    auto* corr = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(dst) + groups * R * KG);
    if (R % 16 == 0 && R <= 64 && isa_usable(Isa::avx512))
      gemm_int_quad_sums_avx512(codes, groups, R, a_offset, corr);
    else
      quad_column_corrections(codes, groups, R, a_offset, corr);
  }
}

template <GemmIntPanel P, GemmIntSrc S>
void pack_rows_src(int R, bool is_b, int a_offset, const GemmIntSource& x, int64_t r0, int64_t rows,
                   int64_t p0, int64_t k, uint8_t* dst) {
  const int64_t bytes = gemm_int_panel_bytes(P, R, k, is_b);
  for (int64_t r = 0; r < rows; r += R)
    panel_init<P>(R, rows - r < R ? rows - r : R, is_b, a_offset, k, dst + (r / R) * bytes);
  const int64_t done =
      pack_block_trans<P, S>(R, is_b ? 0 : a_offset, x, r0, rows, p0, k, dst, bytes);
  for (int64_t r = 0; r < rows; r += R) {
    const int64_t cur = rows - r < R ? rows - r : R;
    const int64_t skip = done > r ? (done - r < cur ? done - r : cur) : 0;
    pack_panel<P, S>(R, is_b, a_offset, x, r0 + r, cur, p0, k, skip, dst + (r / R) * bytes);
  }
}

// 16 k (stored rows p .. p+15) x 16 panel rows (stored columns c .. c+15) of a transposed source
// into s8_amx's A layout at dst (panel row stride 64): a 16 x 16 byte transpose as four rounds of
// byte interleaves of row pairs. A round takes (row bits r3..r0, column bits c3..c0) to rows
// (c3 r3 r2 r1) and columns (c2 c1 c0 r0), so four reverse both indices' bits: the rows go in,
// and the results out, in bit-reversed order.
template <GemmIntSrc S>
void transpose16_amx_a(const GemmIntSource& x, int64_t p, int64_t c, uint8_t* dst) {
  static constexpr int kRev[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  __m128i v[16], w[16];
  for (int s = 0; s < 16; ++s) v[s] = load16_codes<S>(x, p + kRev[s], c, _mm_setzero_si128());
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 8; ++i) {
      w[i] = _mm_unpacklo_epi8(v[2 * i], v[2 * i + 1]);
      w[i + 8] = _mm_unpackhi_epi8(v[2 * i], v[2 * i + 1]);
    }
    for (int i = 0; i < 16; ++i) v[i] = w[i];
  }
  for (int o = 0; o < 16; ++o)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + kRev[o] * 64), v[o]);
}

// s8_amx panels (layouts in gemm_int.h), one at a time into their own stride. B: u8s8_k4's packers
// without an offset (so no trailer); A: each row's codes 16 at a time into its tile rows, or 16 x
// 16 blocks of a transposed source through transpose16_amx_a; the ragged rest element by element.
template <GemmIntSrc S>
void pack_rows_amx(int R, bool is_b, const GemmIntSource& x, int64_t r0, int64_t rows, int64_t p0,
                   int64_t k, uint8_t* dst) {
  const int64_t bytes = gemm_int_panel_bytes(GemmIntPanel::s8_amx, R, k, is_b);
  for (int64_t r = 0; r < rows; r += R) {
    uint8_t* panel = dst + (r / R) * bytes;
    const int64_t cur = rows - r < R ? rows - r : R;
    std::memset(panel, 0, static_cast<size_t>(bytes));
    if (is_b) {
      pack_panel<GemmIntPanel::u8s8_k4, S>(R, true, 0, x, r0 + r, cur, p0, k, 0, panel);
      continue;
    }
    auto at = [&](int64_t i, int64_t p) { return panel + ((p / 64) * R + i) * 64 + p % 64; };
    auto put = [&](int64_t i, int64_t p, int64_t row, int64_t col) {
      *at(i, p) = static_cast<uint8_t>(plane_of(load<S>(x, row, col), x.plane));
    };
    // 16 codes at a time read whole bytes of int4 storage only from an even column.
    const int64_t even_from = x.trans ? r0 + r : p0;
    const bool fast = x.plane == 0 && (S != GemmIntSrc::s4 || even_from % 2 == 0);
    const int64_t pf = fast ? k / 16 * 16 : 0;
    if (!x.trans) {
      for (int64_t i = 0; i < cur; ++i) {
        for (int64_t p = 0; p < pf; p += 16)
          _mm_storeu_si128(reinterpret_cast<__m128i*>(at(i, p)),
                           load16_codes<S>(x, r0 + r + i, p0 + p, _mm_setzero_si128()));
        for (int64_t p = pf; p < k; ++p) put(i, p, r0 + r + i, p0 + p);
      }
      continue;
    }
    const int64_t cf = fast ? cur / 16 * 16 : 0;
    for (int64_t p = 0; p < pf; p += 16)
      for (int64_t i = 0; i < cf; i += 16) transpose16_amx_a<S>(x, p0 + p, r0 + r + i, at(i, p));
    for (int64_t p = 0; p < k; ++p)
      for (int64_t i = p < pf ? cf : 0; i < cur; ++i) put(i, p, p0 + p, r0 + r + i);
  }
}

// fn(std::integral_constant<GemmIntSrc, S>{}) for the source kind src: one instantiation of the
// packers per kind.
template <class Fn>
void with_src(GemmIntSrc src, Fn&& fn) {
  switch (src) {
    case GemmIntSrc::s8: return fn(std::integral_constant<GemmIntSrc, GemmIntSrc::s8>{});
    case GemmIntSrc::s16: return fn(std::integral_constant<GemmIntSrc, GemmIntSrc::s16>{});
    case GemmIntSrc::s4: return fn(std::integral_constant<GemmIntSrc, GemmIntSrc::s4>{});
    case GemmIntSrc::f32: return fn(std::integral_constant<GemmIntSrc, GemmIntSrc::f32>{});
  }
}

}  // namespace

void gemm_int_pack(GemmIntPanel panel, int rows_tile, bool is_b, int a_offset,
                   const GemmIntSource& x, int64_t r0, int64_t rows, int64_t p0, int64_t k,
                   void* dst) {
  LB_ASSERT(rows_tile > 0 && rows >= 0 && k >= 0 && r0 >= 0 && p0 >= 0);
  LB_ASSERT(x.src != GemmIntSrc::s4 || x.ld % 2 == 0);
  LB_ASSERT(x.src != GemmIntSrc::f32 || x.scale > 0.0f);
  auto* out = static_cast<uint8_t*>(dst);
  with_src(x.src, [&](auto src) {
    constexpr GemmIntSrc S = decltype(src)::value;
    using P = GemmIntPanel;
    switch (panel) {
      case P::s32_k1:
        return pack_rows_src<P::s32_k1, S>(rows_tile, is_b, a_offset, x, r0, rows, p0, k, out);
      case P::s16_k2:
        return pack_rows_src<P::s16_k2, S>(rows_tile, is_b, a_offset, x, r0, rows, p0, k, out);
      case P::u8s8_k4:
        return pack_rows_src<P::u8s8_k4, S>(rows_tile, is_b, a_offset, x, r0, rows, p0, k, out);
      case P::s8_amx:
        return pack_rows_amx<S>(rows_tile, is_b, x, r0, rows, p0, k, out);
    }
  });
}

}  // namespace lowbit

// The encode lookup tables of the dynamic maps, built from the exact thresholds by bisection on
// the reference encoder, the `_ref` encoder (the threshold search itself) and the kernel list.
#include "lowbit/kernels/ref/blockwise_lut.h"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {

uint8_t code_of_bits(uint32_t bits, const float* thresholds) {
  float v = std::bit_cast<float>(bits);
  uint8_t c = 0;
  blockwise_encode_ref(&v, 1, 1.0f, thresholds, &c);
  return c;
}

// Per bucket: the code at its first float and where (if anywhere) the code changes. The
// reference code is monotone in the bits within one sign, so bisection finds the step. Empty
// when a bucket of shift s spans two thresholds.
std::vector<uint32_t> build_lut(const float* thresholds, int s) {
  const int32_t first = lut_first(s), buckets = lut_buckets(s);
  const uint32_t none = 1u << s;
  std::vector<uint32_t> lut(2 * buckets);
  for (uint32_t sign = 0; sign < 2; ++sign) {
    uint32_t* row = lut.data() + sign * buckets;
    for (int32_t j = first; j <= lut_last(s); ++j) {
      uint32_t lo = sign << 31 | static_cast<uint32_t>(j) << s;
      uint8_t c_lo = code_of_bits(lo, thresholds), c_hi = code_of_bits(lo | (none - 1), thresholds);
      if (std::abs(c_hi - c_lo) > 1) return {};  // two thresholds in one bucket
      uint32_t step = none;
      if (c_hi != c_lo) {
        uint32_t a = 0, b = none - 1;  // code(lo | a) == c_lo, code(lo | b) != c_lo
        while (b - a > 1) {
          uint32_t mid = (a + b) / 2;
          (code_of_bits(lo | mid, thresholds) == c_lo ? a : b) = mid;
        }
        step = b;
      }
      row[j - first] = static_cast<uint32_t>(c_lo) << 24 | step;
    }
    // The clamped ranges are constant: from +-0 to the first bucket, from the last one to inf.
    const uint32_t sb = sign << 31;
    LB_ASSERT(code_of_bits(sb, thresholds) == (row[0] >> 24) && (row[0] & 0xFFFFFF) == none);
    const uint32_t top = row[buckets - 1];
    LB_ASSERT(code_of_bits(sb | 0x7F800000u, thresholds) == (top >> 24));
    LB_ASSERT((top & 0xFFFFFF) == none);
  }
  return lut;
}

DynamicAffine build_affine(DynamicMap w) {
  const bool is_signed = w == DynamicMap::signed_map;
  DynamicAffine a{};
  a.offset = is_signed ? 127 : -1;
  a.zero_code = is_signed ? 127 : 0;
  for (int i = 0; i < 7; ++i) {
    const int items = is_signed ? (1 << i) : (1 << (i + 1));
    const double d = std::pow(10.0, i - 6);
    const double av = d * (0.1 + 0.45 / items), bv = d * 0.9 / items;
    const int slot = (127 + (is_signed ? i : i + 1)) & 7;
    a.ah[slot] = static_cast<float>(av);
    a.al[slot] = static_cast<float>(av - a.ah[slot]);
    a.bh[slot] = static_cast<float>(bv);
    a.bl[slot] = static_cast<float>(bv - a.bh[slot]);
  }
  a.ah[is_signed ? 6 : 7] = 1.0f;  // u = 128 (signed) / 256 (unsigned): code 255
  const float* map = dynamic_map(w);
  for (int c = 0; c < 256; ++c)
    LB_CHECK(std::bit_cast<uint32_t>(dynamic_decode_affine(static_cast<uint8_t>(c), a)) ==
                 std::bit_cast<uint32_t>(map[c]),
             "[blockwise8] affine decode of code ", c, " is ",
             dynamic_decode_affine(static_cast<uint8_t>(c), a), ", map has ", map[c]);
  return a;
}

// The table at the coarsest bucket shift (17, else 16) whose buckets each span at most one
// threshold; shift gets it.
std::vector<uint32_t> coarsest_lut(const float* thresholds, int& shift) {
  for (shift = 17;; --shift) {
    std::vector<uint32_t> lut = build_lut(thresholds, shift);
    if (!lut.empty()) return lut;
    LB_CHECK(shift > 16, "[blockwise8] a lookup bucket of 7 mantissa bits spans two thresholds");
  }
}

struct TableSet {
  int shift;  // set by coarsest_lut
  std::vector<uint32_t> lut;
  DynamicAffine affine;
  DynamicTables t;
  explicit TableSet(DynamicMap w)
      : lut(coarsest_lut(dynamic_thresholds(w), shift)), affine(build_affine(w)) {
    // The negative row holds +0's entry throughout, and that is code 0 (the reference's code of
    // a NaN, which the sign-free lookup sends there when its sign bit is set).
    bool flat = (lut[0] >> 24) == 0;
    for (int32_t i = 0; i < lut_buckets(shift); ++i)
      flat = flat && lut[lut_buckets(shift) + i] == lut[0];
    t = {dynamic_map(w), dynamic_thresholds(w), lut.data(), shift, &affine, flat};
    LB_CHECK(flat == (w == DynamicMap::unsigned_map), "[blockwise8] the ",
             w == DynamicMap::unsigned_map ? "unsigned" : "signed", " map's negative codes are ",
             flat ? "" : "not ", "all code(+0)");
  }
};

}  // namespace

float dynamic_decode_affine(uint8_t code, const DynamicAffine& a) {
  const int32_t d = code - a.offset;
  const float uf = static_cast<float>(d < 0 ? -d : d);
  const uint32_t ub = std::bit_cast<uint32_t>(uf);
  const int slot = static_cast<int>(ub >> 23) & 7;
  const float kf = uf - std::bit_cast<float>(ub & 0xFF800000u);
  const float ah = a.ah[slot], bh = a.bh[slot];
  const float p = bh * kf, pe = std::fma(bh, kf, -p), t = std::fma(a.bl[slot], kf, a.al[slot]);
  const float s = p + ah, b = s - p, se = (p - (s - b)) + (ah - b);
  const float v = s + ((se + pe) + t);
  if (code == a.zero_code) return 0.0f;
  return d < 0 ? -v : v;
}

const DynamicTables& dynamic_tables(DynamicMap which) {
  static const TableSet s(DynamicMap::signed_map), u(DynamicMap::unsigned_map);
  return which == DynamicMap::signed_map ? s.t : u.t;
}

void blockwise_encode_lut_ref(const float* x, int64_t n, float absmax, const DynamicTables& t,
                              uint8_t* codes) {
  blockwise_encode_ref(x, n, absmax, t.thresholds, codes);
}

const KernelFamily<BlockwiseLutKernel>& blockwise_lut_kernels() {
  static const KernelFamily<BlockwiseLutKernel> f(
      "blockwise8_lut", {{"blockwise8_lut_avx512", Isa::avx512, blockwise_encode_lut_avx512},
                         {"blockwise8_lut_avx2", Isa::avx2, blockwise_encode_lut_avx2},
                         {"blockwise8_lut_ref", Isa::scalar, blockwise_encode_lut_ref}});
  return f;
}

}  // namespace lowbit

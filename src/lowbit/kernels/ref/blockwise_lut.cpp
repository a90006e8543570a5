// The encode lookup tables of the dynamic maps, built from the exact thresholds by bisection on
// the reference encoder, the `_ref` encoder (the threshold search itself) and the kernel list.
#include "lowbit/kernels/ref/blockwise_lut.h"

#include <algorithm>
#include <bit>
#include <cmath>
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

// A bucket's first and last codes and its step (the first mantissa with the next code, 2^s
// when none).
struct Bucket {
  uint8_t c, c_end;
  uint32_t step;
};

// Which of its edges a bucket without a step watches for the reciprocal quotient: the entry's
// flagged window |r - t| < kLutReciprocalWindow lies at r = 0 or at r = 2^s.
enum Watch : uint8_t { kTop = 1, kBottom = 2 };

// Per bucket: the code c at its first float and where (if anywhere) it changes. The reference
// code is monotone in the bits within one sign, so bisection finds the step; inf -> NaN in the top
// positive bucket is the step 255 -> 0. Empty when a bucket of shift s spans two thresholds.
std::vector<Bucket> scan_buckets(const float* thresholds, int s) {
  const uint32_t none = 1u << s, count = 1u << (32 - s);
  std::vector<Bucket> out(count);
  for (uint32_t j = 0; j < count; ++j) {
    const uint32_t lo = j << s;
    const uint8_t c = code_of_bits(lo, thresholds), c_end = code_of_bits(lo | (none - 1), thresholds);
    const uint8_t d = static_cast<uint8_t>(c_end - c);  // 1 up (sign bit clear), 255 down (set)
    if (d != 0 && d != (lo >> 31 ? 255 : 1)) return {};
    uint32_t step = none;
    if (d != 0) {
      uint32_t a = 0, b = none - 1;  // code(lo | a) == c, code(lo | b) != c
      while (b - a > 1) {
        uint32_t mid = (a + b) / 2;
        (code_of_bits(lo | mid, thresholds) == c ? a : b) = mid;
      }
      step = b;
    }
    out[j] = {c, c_end, step};
  }
  return out;
}

// The edges each bucket must watch so that a quotient within kLutReciprocalWindow - 1 bit
// patterns of a code change is flagged wherever it lands (blockwise_lut.h); safe is false when
// some bucket cannot (it has a step, or needs both edges), or a code changes below 2^-125 where
// the quotient's bound does not hold. inf -> NaN is exempt: no rounding crosses it.
std::vector<uint8_t> edge_watches(const std::vector<Bucket>& b, int s, bool& safe) {
  const uint32_t none = 1u << s, w = kLutReciprocalWindow;
  std::vector<uint8_t> watch(b.size(), 0);
  safe = true;
  for (uint32_t j = 0; j < b.size(); ++j) {
    const uint32_t lo = j << s, exponent = lo >> 23 & 0xFF;
    const bool starts_sign = (lo & 0x7FFFFFFF) == 0, has_step = b[j].step != none;
    const bool edge_change = !starts_sign && b[j].c != b[j - 1].c_end;
    if (exponent == 255 || (!has_step && !edge_change)) continue;
    if (exponent <= 1) safe = false;
    if (!starts_sign && (edge_change || b[j].step < w)) {  // a change at or just above the bottom
      watch[j - 1] |= kTop;
      if (edge_change) watch[j] |= kBottom;
    }
    if (has_step && none - b[j].step < w) watch[j + 1] |= kBottom;
  }
  for (uint32_t j = 0; j < b.size(); ++j)
    if (watch[j] != 0 && (b[j].step != none || watch[j] == (kTop | kBottom))) safe = false;
  return watch;
}

// The code the entry e gives for bits lo | mant of its bucket (blockwise_lut.h).
uint8_t entry_code(uint32_t e, uint32_t bits, int s) {
  const uint32_t mask = (1u << s) - 1, r = (bits >> 31 ? ~bits : bits) & mask;
  return static_cast<uint8_t>((r - e) >> 24);
}

// The entries of blockwise_lut.h: X << 24 | t, a bucket without a step watching its top unless
// it must watch its bottom (a bucket with a step keeps it: edge_watches has then cleared safe).
// Each entry is checked against the reference at its bucket's ends and either side of its step.
// safe gets DynamicTables::reciprocal_safe. Empty as scan_buckets.
std::vector<uint32_t> build_lut(const float* thresholds, int s, bool& safe) {
  const std::vector<Bucket> b = scan_buckets(thresholds, s);
  if (b.empty()) return {};
  const std::vector<uint8_t> watch = edge_watches(b, s, safe);
  const uint32_t none = 1u << s;
  std::vector<uint32_t> lut(b.size());
  for (uint32_t j = 0; j < b.size(); ++j) {
    const bool negative = j >> (31 - s);
    const bool bottom = watch[j] == kBottom && b[j].step == none;
    const uint32_t c = b[j].c;
    // Sign bit clear: X = -(c + 1), t = step, or X = -c, t = 0 to watch the bottom edge.
    // Set: X = -c, t = 2^s - step (0 when none), or X = -(c + 1), t = 2^s for the bottom edge.
    const uint32_t x = (negative != bottom) ? 256u - c : 255u - c;
    const uint32_t t = negative ? (bottom ? none : none - b[j].step) : (bottom ? 0 : b[j].step);
    lut[j] = (x & 0xFF) << 24 | t;
    const uint32_t lo = j << s, step = b[j].step;
    for (uint32_t m : {0u, none - 1, step - 1, step < none ? step : 0u})
      LB_CHECK(entry_code(lut[j], lo | m, s) == code_of_bits(lo | m, thresholds),
               "[blockwise8] lookup entry ", j, " at shift ", s, " gives the wrong code for bits ",
               lo | m);
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
// threshold; shift and safe get its shift and reciprocal_safe.
std::vector<uint32_t> coarsest_lut(const float* thresholds, int& shift, bool& safe) {
  for (shift = 17;; --shift) {
    std::vector<uint32_t> lut = build_lut(thresholds, shift, safe);
    if (!lut.empty()) return lut;
    LB_CHECK(shift > 16, "[blockwise8] a lookup bucket of 7 mantissa bits spans two thresholds");
  }
}

struct TableSet {
  int shift;  // set by coarsest_lut, as safe
  bool safe;
  std::vector<uint32_t> lut;
  DynamicAffine affine;
  alignas(64) uint8_t planes[4][256];
  DynamicTables t;
  explicit TableSet(DynamicMap w)
      : lut(coarsest_lut(dynamic_thresholds(w), shift, safe)), affine(build_affine(w)) {
    // Every value with the sign bit set has code 0 with no step (entry 0, whatever its r), and
    // values below 2^-24 share lut_first's entry.
    const uint32_t half = 1u << (31 - shift), first = lut_first(shift);
    bool flat = std::all_of(lut.begin() + half, lut.end(), [](uint32_t e) { return e == 0; });
    flat = flat && std::all_of(lut.begin(), lut.begin() + first,
                               [&](uint32_t e) { return e == lut[first]; });
    const float* map = dynamic_map(w);
    for (int c = 0; c < 256; ++c)
      for (int k = 0; k < 4; ++k)
        planes[k][c] = static_cast<uint8_t>(std::bit_cast<uint32_t>(map[c]) >> (8 * k));
    t = {map, dynamic_thresholds(w), lut.data(), shift, &affine, flat, safe, &planes[0][0]};
    LB_CHECK(flat == (w == DynamicMap::unsigned_map), "[blockwise8] the ",
             w == DynamicMap::unsigned_map ? "unsigned" : "signed", " map's negative codes are ",
             flat ? "" : "not ", "all 0");
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

const DynamicTables* dynamic_tables_of(const float* p, const float* DynamicTables::*field) {
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map})
    if (dynamic_tables(w).*field == p) return &dynamic_tables(w);
  return nullptr;
}

void blockwise_encode_lut_or(const float* x, int64_t n, float absmax, const float* thresholds,
                             uint8_t* codes, BlockwiseLutEncodeFn lut,
                             BlockwiseSearchEncodeFn other) {
  if (const DynamicTables* t = dynamic_tables_of(thresholds, &DynamicTables::thresholds))
    return lut(x, n, absmax, *t, codes);
  other(x, n, absmax, thresholds, codes);
}

void blockwise_encode_lut_ref(const float* x, int64_t n, float absmax, const DynamicTables& t,
                              uint8_t* codes) {
  blockwise_encode_ref(x, n, absmax, t.thresholds, codes);
}

BlockwiseLutEncodeFn blockwise_encode_lut_best_avx512() {
  return cpu_features().slow_gather ? blockwise_encode_lut_loads_avx512
                                    : blockwise_encode_lut_avx512;
}

namespace {

// Both AVX-512 lookups on every AVX-512 CPU (the parity tests run each), the faster one first.
std::vector<BlockwiseLutKernel> lut_variants() {
  const BlockwiseLutKernel
      gather{"blockwise8_lut_avx512", Isa::avx512, blockwise_encode_lut_avx512},
      loads{"blockwise8_lut_loads_avx512", Isa::avx512, blockwise_encode_lut_loads_avx512};
  std::vector<BlockwiseLutKernel> v;
  if (blockwise_encode_lut_best_avx512() == loads.encode)
    v = {loads, gather};
  else
    v = {gather, loads};
  v.push_back({"blockwise8_lut_avx2", Isa::avx2, blockwise_encode_lut_avx2});
  v.push_back({"blockwise8_lut_ref", Isa::scalar, blockwise_encode_lut_ref});
  return v;
}

}  // namespace

const KernelFamily<BlockwiseLutKernel>& blockwise_lut_kernels() {
  static const KernelFamily<BlockwiseLutKernel> f("blockwise8_lut", lut_variants());
  return f;
}

}  // namespace lowbit

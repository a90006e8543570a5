// The encode lookup tables of the dynamic maps, built from the exact thresholds by bisection on
// the reference encoder, the `_ref` encoder (the threshold search itself) and the kernel list.
#include "lowbit/kernels/ref/blockwise_lut.h"

#include <bit>
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
// reference code is monotone in the bits within one sign, so bisection finds the step.
std::vector<uint32_t> build_lut(const float* thresholds) {
  std::vector<uint32_t> lut(2 * kLutBuckets);
  for (uint32_t sign = 0; sign < 2; ++sign) {
    uint32_t* row = lut.data() + sign * kLutBuckets;
    for (int32_t j = kLutFirst; j <= kLutLast; ++j) {
      uint32_t lo = sign << 31 | static_cast<uint32_t>(j) << 16;
      uint8_t c_lo = code_of_bits(lo, thresholds), c_hi = code_of_bits(lo | 0xFFFF, thresholds);
      LB_ASSERT(std::abs(c_hi - c_lo) <= 1);  // at most one threshold per bucket
      uint32_t step = 0x10000;
      if (c_hi != c_lo) {
        uint32_t a = 0, b = 0xFFFF;  // code(lo | a) == c_lo, code(lo | b) != c_lo
        while (b - a > 1) {
          uint32_t mid = (a + b) / 2;
          (code_of_bits(lo | mid, thresholds) == c_lo ? a : b) = mid;
        }
        step = b;
      }
      row[j - kLutFirst] = static_cast<uint32_t>(c_lo) << 17 | step;
    }
    // The clamped ranges are constant: from +-0 to the first bucket, from the last one to inf.
    const uint32_t s = sign << 31;
    LB_ASSERT(code_of_bits(s, thresholds) == (row[0] >> 17) && (row[0] & 0x1FFFF) == 0x10000);
    const uint32_t last = row[kLutBuckets - 1];
    LB_ASSERT(code_of_bits(s | 0x7F800000u, thresholds) == (last >> 17));
    LB_ASSERT((last & 0x1FFFF) == 0x10000);
  }
  return lut;
}

struct TableSet {
  std::vector<uint32_t> lut;
  DynamicTables t;
  explicit TableSet(DynamicMap w) : lut(build_lut(dynamic_thresholds(w))) {
    t = {dynamic_map(w), dynamic_thresholds(w), lut.data()};
  }
};

}  // namespace

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
      "blockwise8_lut", {{"blockwise8_lut_avx2", Isa::avx2, blockwise_encode_lut_avx2},
                         {"blockwise8_lut_ref", Isa::scalar, blockwise_encode_lut_ref}});
  return f;
}

}  // namespace lowbit

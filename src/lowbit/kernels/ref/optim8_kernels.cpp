// Reference fused 8-bit optimizer kernels (decode with blockwise_decode_ref, the update_math.h
// arithmetic, absmax + encode with the blockwise8 `_ref` kernels), the encode lookup tables built
// from the exact thresholds, and the optim8 kernel list, best first, `_ref` last.
#include "lowbit/kernels/ref/optim8_kernels.h"

#include <algorithm>
#include <array>
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

// Per bucket: the code at its first float and where (if anywhere) the code changes, found by
// bisection on the reference encoder (monotone in the bits within one sign).
std::vector<uint32_t> build_lut(const float* thresholds) {
  std::vector<uint32_t> lut(2 * kLutBuckets);
  for (uint32_t sign = 0; sign < 2; ++sign) {
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
      lut[sign * kLutBuckets + (j - kLutFirst)] = static_cast<uint32_t>(c_lo) << 17 | step;
    }
    // The clamped ranges are constant: from +-0 up to the first bucket, and from the last to inf.
    uint32_t s = sign << 31;
    LB_ASSERT(code_of_bits(s, thresholds) == (lut[sign * kLutBuckets] >> 17));
    LB_ASSERT((lut[sign * kLutBuckets] & 0x1FFFF) == 0x10000);
    LB_ASSERT(code_of_bits(s | 0x7F800000u, thresholds) == (lut[sign * kLutBuckets + kLutBuckets - 1] >> 17));
    LB_ASSERT((lut[sign * kLutBuckets + kLutBuckets - 1] & 0x1FFFF) == 0x10000);
  }
  return lut;
}

struct TableSet {
  std::vector<uint32_t> lut;
  Q8Tables t;
  explicit TableSet(DynamicMap w) : lut(build_lut(dynamic_thresholds(w))) {
    t = {dynamic_map(w), dynamic_thresholds(w), lut.data()};
  }
};

void decode_ref(const Q8Block& q, int64_t n, int64_t qblock, float* out) {
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b)
    blockwise_decode_ref(q.codes + off, std::min(qblock, n - off), q.absmax[b], q.tables->map,
                         out + off);
}

void encode_ref(const float* in, int64_t n, int64_t qblock, const Q8Block& q) {
  for (int64_t off = 0, b = 0; off < n; off += qblock, ++b) {
    int64_t len = std::min(qblock, n - off);
    q.absmax[b] = blockwise_absmax_ref(in + off, len);
    blockwise_encode_ref(in + off, len, q.absmax[b], q.tables->thresholds, q.codes + off);
  }
}

}  // namespace

const Q8Tables& q8_tables(DynamicMap which) {
  static const TableSet s(DynamicMap::signed_map), u(DynamicMap::unsigned_map);
  return which == DynamicMap::signed_map ? s.t : u.t;
}

void q8_encode_ref(const float* x, int64_t n, float absmax, const Q8Tables& t, uint8_t* codes) {
  blockwise_encode_ref(x, n, absmax, t.thresholds, codes);
}

void adam_update_f32_ref(const optim::AdamCoeffs<float>& k, int64_t n, float* p, const float* g,
                         float* m, float* v) {
  optim::adam_update_block(k, n, p, g, m, v);
}

void sgd_update_f32_ref(const optim::SgdCoeffs<float>& k, int64_t n, float* p, const float* g,
                        float* buf) {
  optim::sgd_update_block(k, n, p, g, buf);
}

void lion_update_f32_ref(const optim::LionCoeffs<float>& k, int64_t n, float* p, const float* g,
                         float* m) {
  optim::lion_update_block(k, n, p, g, m);
}

void adam8_block_ref(const optim::AdamCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Q8Block& m, const Q8Block& v, float* scratch) {
  LB_ASSERT(qblock > 0 && n >= 0);
  float* fm = scratch;
  float* fv = scratch + n;
  decode_ref(m, n, qblock, fm);
  decode_ref(v, n, qblock, fv);
  optim::adam_update_block(k, n, p, g, fm, fv);
  encode_ref(fm, n, qblock, m);
  encode_ref(fv, n, qblock, v);
}

void sgd8_block_ref(const optim::SgdCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                    const float* g, const Q8Block& buf, float* scratch) {
  LB_ASSERT(qblock > 0 && n >= 0);
  decode_ref(buf, n, qblock, scratch);
  optim::sgd_update_block(k, n, p, g, scratch);
  encode_ref(scratch, n, qblock, buf);
}

void lion8_block_ref(const optim::LionCoeffs<float>& k, int64_t n, int64_t qblock, float* p,
                     const float* g, const Q8Block& m, float* scratch) {
  LB_ASSERT(qblock > 0 && n >= 0);
  decode_ref(m, n, qblock, scratch);
  optim::lion_update_block(k, n, p, g, scratch);
  encode_ref(scratch, n, qblock, m);
}

const KernelFamily<Optim8Kernel>& optim8_kernels() {
  static const KernelFamily<Optim8Kernel> f(
      "optim8", {{"optim8_avx2", Isa::avx2, q8_encode_avx2, adam8_block_avx2, sgd8_block_avx2,
                  lion8_block_avx2},
                 {"optim8_ref", Isa::scalar, q8_encode_ref, adam8_block_ref, sgd8_block_ref,
                  lion8_block_ref}});
  return f;
}

}  // namespace lowbit

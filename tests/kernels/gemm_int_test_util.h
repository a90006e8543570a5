// Shared helpers of the integer GEMM tests: strided, offset operands of every source kind, and a
// checker that runs ops::gemm_int and compares every element bit for bit with gemm_int_ref.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/formats/intn.h"
#include "lowbit/kernels/ref/gemm_int_ref.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/ops/gemm_int.h"

namespace lowbit::testing {

// A stored (rows, cols) matrix of one source kind, ld = cols + pad (s4: rounded to even), with
// its data pointer offset from the allocation; padding holds random codes that must be ignored.
struct IntOperand {
  GemmIntSrc src = GemmIntSrc::s8;
  int bits = 8;
  bool trans = false;
  int64_t rows = 0, cols = 0, ld = 0;
  float scale = 1.0f;  // f32 source
  std::vector<uint8_t> bytes;
  int64_t offset = 0;  // bytes

  const void* data() const { return bytes.data() + offset; }
  // The code of stored element (r, c), as the kernels must see it.
  int32_t code(int64_t r, int64_t c) const {
    const int64_t idx = r * ld + c;
    switch (src) {
      case GemmIntSrc::s8:
        return static_cast<const int8_t*>(data())[idx];
      case GemmIntSrc::s16:
        return static_cast<const int16_t*>(data())[idx];
      case GemmIntSrc::s4: {
        uint8_t b = static_cast<const uint8_t*>(data())[idx / 2];
        return idx % 2 ? int4_high(b) : int4_low(b);
      }
      case GemmIntSrc::f32: {
        int16_t q;
        intn_quant_s16_ref(static_cast<const float*>(data()) + idx, 1, scale, intn_qmax(bits), &q);
        return q;
      }
    }
    return 0;
  }
  // op(X)[i][p]
  int32_t op(int64_t i, int64_t p) const { return trans ? code(p, i) : code(i, p); }
  ops::IntMatrix matrix() const {
    ops::IntMatrix m;
    m.src = src;
    m.data = data();
    m.ld = ld;
    m.trans = trans;
    m.bits = bits;
    m.scale = scale;
    return m;
  }
};

// Codes uniform over the whole bits range; with `extremes`, only the two ends of the range;
// with `fill` (not INT32_MIN), that one code everywhere (integer sources); `symmetric` leaves
// out -2^(bits-1) (the grid of formats/intn).
inline IntOperand make_int_operand(Rng& rng, GemmIntSrc src, int bits, bool trans, int64_t op_rows,
                                   int64_t op_cols, bool extremes = false, int32_t fill = INT32_MIN,
                                   bool symmetric = false) {
  IntOperand x;
  x.src = src;
  x.bits = bits;
  x.trans = trans;
  x.rows = trans ? op_cols : op_rows;
  x.cols = trans ? op_rows : op_cols;
  x.ld = x.cols + 3;
  if (src == GemmIntSrc::s4) x.ld += x.ld % 2;
  const int64_t elem = src == GemmIntSrc::s8 ? 1 : (src == GemmIntSrc::s16 ? 2 : 4);
  const int64_t n = x.rows * x.ld;
  const int64_t nbytes = src == GemmIntSrc::s4 ? (n + 1) / 2 : n * elem;
  x.offset = src == GemmIntSrc::s4 ? 1 : 3 * elem;
  x.bytes.assign(static_cast<size_t>(nbytes + x.offset + 64), 0);
  const int32_t lo = -(1 << (bits - 1)) + (symmetric ? 1 : 0), hi = (1 << (bits - 1)) - 1;
  auto draw = [&]() -> int32_t {
    if (fill != INT32_MIN) return fill;
    if (extremes) return rng.below(2) ? hi : lo;
    return lo + static_cast<int32_t>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
  };
  void* d = x.bytes.data() + x.offset;
  // A power-of-two scale makes the +0.5 values exact ties (round half to even).
  if (src == GemmIntSrc::f32) x.scale = rng.below(2) ? 0.125f : 0.03125f + 0.5f * rng.uniform();
  for (int64_t i = 0; i < n; ++i) {
    switch (src) {
      case GemmIntSrc::s8:
        static_cast<int8_t*>(d)[i] = static_cast<int8_t>(draw());
        break;
      case GemmIntSrc::s16:
        static_cast<int16_t*>(d)[i] = static_cast<int16_t>(draw());
        break;
      case GemmIntSrc::s4: {
        auto* b = static_cast<uint8_t*>(d) + i / 2;
        uint8_t nib = static_cast<uint8_t>(draw()) & 0x0F;
        *b = i % 2 ? static_cast<uint8_t>((*b & 0x0F) | (nib << 4))
                   : static_cast<uint8_t>((*b & 0xF0) | nib);
        break;
      }
      case GemmIntSrc::f32: {
        // Values around the grid, some past the clamp, some exactly halfway (ties to even).
        float v = static_cast<float>(draw()) + (rng.below(4) == 0 ? 0.5f : rng.uniform() - 0.5f);
        if (rng.below(50) == 0) v *= 3.0f;
        static_cast<float*>(d)[i] = v * x.scale;
        break;
      }
    }
  }
  return x;
}

struct IntCase {
  int64_t m, n, k;
  GemmIntOut mode;
  bool row_vec, col_vec, bias;  // per-row / per-column scales (else one each), bias on
};

// Runs gemm_int and compares the whole output, padding included, with the spec. Returns false
// (after a gtest failure naming everything) on the first mismatch.
inline bool check_int_gemm(const char* kernel, const IntOperand& a, const IntOperand& b,
                           const IntCase& t, Rng& rng) {
  const int64_t m = t.m, n = t.n, k = t.k, ldc = n + 2;
  // op(A) and op(B) as plain int32 arrays first (the f32 getters quantize per element).
  std::vector<int32_t> av(static_cast<size_t>(m * k)), bv(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) av[i * k + p] = a.op(i, p);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j) bv[p * n + j] = b.op(p, j);
  std::vector<int64_t> acc(static_cast<size_t>(m * n));
  gemm_int_ref(
      m, n, k, [&](int64_t i, int64_t p) { return av[i * k + p]; },
      [&](int64_t p, int64_t j) { return bv[p * n + j]; }, acc.data(), n);
  std::vector<float> rs(static_cast<size_t>(t.row_vec ? m : 1)),
      cs(static_cast<size_t>(t.col_vec ? n : 1)), bias(static_cast<size_t>(n));
  for (float& v : rs) v = 0.001f + rng.uniform();
  for (float& v : cs) v = 0.001f + rng.uniform();
  for (float& v : bias) v = rng.uniform() - 0.5f;
  const bool f32 = t.mode == GemmIntOut::f32 || t.mode == GemmIntOut::f32_acc;
  const size_t elem = t.mode == GemmIntOut::i64 ? 8 : 4;
  std::vector<uint8_t> c(static_cast<size_t>(m * ldc) * elem + 16);
  for (size_t i = 0; i < c.size(); i += 4) {  // random old values (f32_acc), sentinel padding
    float v = rng.uniform() * 4.0f - 2.0f;
    std::memcpy(&c[i], &v, 4);
  }
  const std::vector<uint8_t> c0 = c;
  ops::IntOutput out;
  out.mode = t.mode;
  out.c = c.data() + 8;
  out.ldc = ldc;
  if (f32) {
    out.row_scale = rs.data();
    out.row_scale_len = static_cast<int64_t>(rs.size());
    out.col_scale = cs.data();
    out.col_scale_len = static_cast<int64_t>(cs.size());
    out.bias = t.bias ? bias.data() : nullptr;
  }
  ops::gemm_int(m, n, k, a.matrix(), b.matrix(), out);
  auto where = [&](int64_t i, int64_t j) {
    return std::string(kernel) + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
           " k=" + std::to_string(k) + " a=(src " + std::to_string(int(a.src)) + ", " +
           std::to_string(a.bits) + " bits, trans " + std::to_string(a.trans) + ") b=(src " +
           std::to_string(int(b.src)) + ", " + std::to_string(b.bits) + " bits, trans " +
           std::to_string(b.trans) + ") mode " + std::to_string(int(t.mode)) + " at (" +
           std::to_string(i) + ", " + std::to_string(j) + ")";
  };
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t off = 8 + static_cast<size_t>(i * ldc + j) * elem;
      if (j >= n) {
        if (std::memcmp(&c[off], &c0[off], elem) != 0) {
          ADD_FAILURE() << "wrote padding: " << where(i, j);
          return false;
        }
        continue;
      }
      const int64_t want = acc[i * n + j];
      if (t.mode == GemmIntOut::i32 || t.mode == GemmIntOut::i64) {
        int64_t got;
        if (elem == 4) {
          int32_t g;
          std::memcpy(&g, &c[off], 4);
          got = g;
        } else {
          std::memcpy(&got, &c[off], 8);
        }
        if (got != want) {
          ADD_FAILURE() << where(i, j) << ": got " << got << ", want " << want;
          return false;
        }
        continue;
      }
      float old, got;
      std::memcpy(&old, &c0[off], 4);
      std::memcpy(&got, &c[off], 4);
      const float w =
          gemm_int_epilogue_ref(want, rs[t.row_vec ? i : 0], cs[t.col_vec ? j : 0],
                                t.bias ? &bias[j] : nullptr, t.mode == GemmIntOut::f32_acc, old);
      if (std::bit_cast<uint32_t>(got) != std::bit_cast<uint32_t>(w)) {
        ADD_FAILURE() << where(i, j) << ": got " << got << ", want " << w << " (acc " << want
                      << ")";
        return false;
      }
    }
  return true;
}

}  // namespace lowbit::testing

// 4-bit numerics: Hadamard rotation and zero padding along K, packed int4 codes via quantize(),
// integer products with the f32 rescale fused into the GEMM's epilogue.
#include "lowbit/nn/int4_numerics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/formats/intn.h"
#include "lowbit/ops/gemm_int.h"
#include "lowbit/quant/bit_split.h"
#include "lowbit/quant/hadamard.h"
#include "lowbit/quant/leverage_sample.h"
#include "lowbit/quant/uniform.h"

namespace lowbit::nn {

namespace {

// A packed byte's two int4 codes, squared and summed: one load per byte instead of two nibble
// extractions and sign extensions in the leverage scores' sum of squares.
const std::array<int32_t, 256> kNibbleSquares = [] {
  std::array<int32_t, 256> t{};
  for (int b = 0; b < 256; ++b) {
    const int32_t lo = int4_low(static_cast<uint8_t>(b)), hi = int4_high(static_cast<uint8_t>(b));
    t[b] = lo * lo + hi * hi;
  }
  return t;
}();

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}
uint64_t splitmix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
// Operands: 0 x, 1 w, 2 dy (dX), 3 dy (dW), 4 the sampling draw.
uint64_t stream_of(const std::string& layer, uint64_t step, int operand) {
  return splitmix(fnv1a(layer) ^ splitmix(step * 8 + static_cast<uint64_t>(operand) + 0x4000));
}

QFormat int4_format(bool stochastic) {
  QFormat f;
  f.storage = DType::u8;
  f.bits = 4;
  f.gran = Granularity::tensor;
  f.rounding = stochastic ? Rounding::stochastic : Rounding::nearest_even;
  f.scale_kind = ScaleKind::amax;
  return f;
}

// x (R, K) f32 -> (R, kp), zero columns appended, then rotated when hadamard.
Tensor rotate(const Tensor& x, int64_t kp, bool hadamard, int64_t block) {
  const int64_t r = x.dim(0), k = x.dim(1);
  if (kp == k) return hadamard ? hadamard_rows(x, block) : x;
  Tensor out = Tensor::zeros({r, kp});
  for (int64_t i = 0; i < r; ++i)
    std::memcpy(out.data<float>() + i * kp, x.data<float>() + i * k, sizeof(float) * k);
  if (hadamard) hadamard_rows_(out, block);
  return out;
}

// (R, kp) -> (R, k) after the inverse rotation (H is self-inverse).
Tensor unrotate(Tensor x, int64_t k, bool hadamard, int64_t block) {
  if (hadamard) hadamard_rows_(x, block);
  const int64_t r = x.dim(0), kp = x.dim(1);
  if (kp == k) return x;
  Tensor out = Tensor::empty({r, k});
  for (int64_t i = 0; i < r; ++i)
    std::memcpy(out.data<float>() + i * k, x.data<float>() + i * kp, sizeof(float) * k);
  return out;
}

ops::IntMatrix s4(const QTensor& q, bool trans) {
  ops::IntMatrix m;
  m.src = GemmIntSrc::s4;
  m.data = q.codes.raw();
  m.ld = (q.shape[1] + 1) / 2 * 2;
  m.trans = trans;
  m.bits = 4;
  return m;
}

// f32 C (m, n) = op(A)·op(B) · scale: exact integer sums, then one f32 multiply per element in
// the GEMM's epilogue (no row scale, so t = float(acc) · 1 · scale = float(acc) · scale).
Tensor product_f32(int64_t m, int64_t n, int64_t k, const ops::IntMatrix& a, const ops::IntMatrix& b,
                   float scale) {
  Tensor out = Tensor::empty({m, n});
  if (m == 0 || n == 0) return out;
  ops::IntOutput o;
  o.mode = GemmIntOut::f32;
  o.c = out.raw();
  o.ldc = n;
  o.col_scale = &scale;
  o.col_scale_len = 1;
  ops::gemm_int(m, n, k, a, b, o);
  return out;
}

// The backward's element loops run in parallel_for chunks (core/parallel.h); each element (or
// row sum) is computed by one thread in a fixed order, so threads change no bit.

// op(DY) (m, r) times B (r, n) with DY in int4 (stochastic rounding).
Tensor int4_product(const Tensor& dy, bool dy_trans, const QTensor& b, uint64_t seed,
                    uint64_t stream) {
  QTensor q = quantize(dy, int4_format(true), seed, stream);
  const int64_t m = dy_trans ? q.shape[1] : q.shape[0];
  const int64_t r = dy_trans ? q.shape[0] : q.shape[1];
  return product_f32(m, b.shape[1], r, s4(q, dy_trans), s4(b, false),
                     q.scales.data<float>()[0] * b.scales.data<float>()[0]);
}

// op(DY) · B with DY bit split (int4_split_product).
Tensor split_product(const Tensor& dy, bool dy_trans, const QTensor& b, uint64_t seed,
                     uint64_t stream) {
  return int4_split_product(quantize(dy, bit_split_format(), seed, stream), dy_trans, b);
}

}  // namespace

Tensor int4_split_product(const QTensor& c, bool c_trans, const QTensor& b) {
  LB_CHECK(c.codes.dtype() == DType::i8 && c.shape.size() == 2 &&
               c.format.encoding == Encoding::intn && c.format.bits <= 8 &&
               c.format.gran == Granularity::tensor,
           "[int4 split product] C must be 2-D int8 codes at one tensor scale, got ",
           qformat_name(c.format));
  LB_CHECK(b.codes.dtype() == DType::u8 && b.format.encoding == Encoding::intn &&
               b.format.bits <= 4 && b.format.gran == Granularity::tensor,
           "[int4 split product] B must be packed int4 codes at one tensor scale, got ",
           qformat_name(b.format));
  const int64_t m = c_trans ? c.shape[1] : c.shape[0];
  const int64_t r = c_trans ? c.shape[0] : c.shape[1];
  LB_CHECK(b.shape.size() == 2 && b.shape[0] == r, "[int4 split product] B has ", b.shape.size() == 2 ? b.shape[0] : -1,
           " rows, expected ", r);
  ops::IntMatrix a;
  a.src = GemmIntSrc::s8;
  a.data = c.codes.raw();
  a.ld = c.shape[1];
  a.trans = c_trans;
  a.bits = 8;
  return product_f32(m, b.shape[1], r, a, s4(b, false),
                     c.scales.data<float>()[0] * b.scales.data<float>()[0]);
}

Int4GemmNumerics::Int4GemmNumerics(std::string layer, Int4NumericsConfig cfg)
    : layer_(std::move(layer)), cfg_(cfg) {
  const int64_t b = cfg_.hadamard_block;
  LB_CHECK(!cfg_.hadamard || (b >= 2 && b <= 256 && (b & (b - 1)) == 0), "[int4 numerics ",
           layer_, "] numerics.hadamard_block = ", b, ", expected a power of two in 2..256");
  LB_CHECK(cfg_.sample_fraction > 0 && cfg_.sample_fraction <= 1, "[int4 numerics ", layer_,
           "] numerics.sample_fraction = ", cfg_.sample_fraction, ", expected (0, 1]");
}

Tensor Int4GemmNumerics::forward_bias(const Tensor& x, const Tensor& w, const Tensor& bias,
                                      const ForwardContext& ctx) {
  LB_CHECK(x.dtype() == DType::f32 && w.dtype() == DType::f32, "[int4 numerics ", layer_,
           "] x is ", dtype_name(x.dtype()), " and w ", dtype_name(w.dtype()), ", expected f32");
  step_ = ctx.step;
  k_ = x.dim(1);
  const int64_t b = cfg_.hadamard ? cfg_.hadamard_block : 1;
  kp_ = (k_ + b - 1) / b * b;
  xq_ = quantize(rotate(x, kp_, cfg_.hadamard, b), int4_format(false));
  wq_ = quantize(rotate(w, kp_, cfg_.hadamard, b), int4_format(false));
  sampled_rows_ = -1;
  return ops::matmul_nt_int(xq_, wq_, bias);
}

Tensor Int4GemmNumerics::backward_input(const Tensor& dy) {
  LB_CHECK(wq_.codes.defined(), "[int4 numerics ", layer_, "] backward before forward");
  LB_CHECK(dy.dtype() == DType::f32, "[int4 numerics ", layer_, "] dy must be f32");
  const uint64_t st = stream_of(layer_, step_, 2);
  Tensor dxh = cfg_.bit_split ? split_product(dy, false, wq_, cfg_.seed, st)
                              : int4_product(dy, false, wq_, cfg_.seed, st);
  return unrotate(std::move(dxh), k_, cfg_.hadamard, cfg_.hadamard_block);
}

void Int4GemmNumerics::backward_weight(const Tensor& dy, Tensor& dw) {
  LB_CHECK(xq_.codes.defined(), "[int4 numerics ", layer_, "] backward before forward");
  const int64_t m = dy.dim(0), n = dy.dim(1);
  Tensor dys = dy;
  QTensor xs = xq_;
  if (cfg_.leverage_sampling && m > 1) {
    // ||X_i|| from the kept codes (the rotation is orthonormal, so ||X_i·H|| = ||X_i||); the
    // sum of squared codes is an integer, exact in int64 as it was in double.
    const uint8_t* xqp = xq_.codes.data<uint8_t>();
    const int64_t row_bytes = (kp_ + 1) / 2;
    const float* dyp = dy.data<float>();
    std::vector<double> score(static_cast<size_t>(m));
    // ||dY_i||^2 is a sequential double sum per row; kRows rows advance together so their
    // chains overlap (one row alone waits out an add's latency per element), each row's sum in
    // its own order as before.
    constexpr int64_t kRows = 8;
    parallel_for(m, std::max<int64_t>(kRows, rows_per_chunk(kp_ + n) / kRows * kRows),
                 [&](int64_t i0, int64_t i1) {
      for (int64_t g = i0; g < i1; g += kRows) {
        const int64_t rows = std::min(kRows, i1 - g);
        double sd[kRows] = {};
        const float* d = dyp + g * n;
        auto square_sums = [&](auto count) {
          for (int64_t j = 0; j < n; ++j)
#pragma GCC unroll 8
            for (int64_t r = 0; r < count; ++r) {
              const double v = d[r * n + j];
              sd[r] += v * v;
            }
        };
        // A whole group as a constant trip count: unrolled, its sums stay in registers.
        if (rows == kRows)
          square_sums(std::integral_constant<int64_t, kRows>{});
        else
          square_sums(rows);
        for (int64_t r = 0; r < rows; ++r) {
          const uint8_t* row = xqp + (g + r) * row_bytes;
          int64_t sx = 0;
          for (int64_t j = 0; j < kp_ / 2; ++j) sx += kNibbleSquares[row[j]];
          if (kp_ % 2) sx += int4_low(row[kp_ / 2]) * int4_low(row[kp_ / 2]);
          score[g + r] = std::sqrt(static_cast<double>(sx)) * std::sqrt(sd[r]);
        }
      }
    });
    LeverageSample ls =
        leverage_sample(score, cfg_.sample_fraction, cfg_.seed, stream_of(layer_, step_, 4));
    const int64_t mk = static_cast<int64_t>(ls.rows.size());
    sampled_rows_ = mk;
    if (mk == 0) return;
    dys = Tensor::empty({mk, n});
    xs.codes = Tensor::empty({mk, row_bytes}, DType::u8);
    xs.shape = {mk, kp_};
    float* dysp = dys.data<float>();
    uint8_t* xsp = xs.codes.data<uint8_t>();
    parallel_for(mk, rows_per_chunk(n), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t i = ls.rows[r];
        const float wr = ls.weights[r];
        for (int64_t j = 0; j < n; ++j) dysp[r * n + j] = dyp[i * n + j] * wr;
        std::memcpy(xsp + r * row_bytes, xqp + i * row_bytes, row_bytes);
      }
    });
  }
  const uint64_t st = stream_of(layer_, step_, 3);
  Tensor dwh = cfg_.bit_split ? split_product(dys, true, xs, cfg_.seed, st)
                              : int4_product(dys, true, xs, cfg_.seed, st);
  Tensor d = unrotate(std::move(dwh), k_, cfg_.hadamard, cfg_.hadamard_block);
  float* o = dw.data<float>();
  const float* s = d.data<float>();
  parallel_for(d.numel(), kChunkElems, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) o[t] += s[t];
  });
}

void Int4GemmNumerics::release() {
  xq_ = QTensor();
  wq_ = QTensor();
}

std::string Int4GemmNumerics::describe() const {
  std::string s = "int4 (amax tensor scale): Y int4 GEMM";
  s += cfg_.hadamard ? " with Hadamard quantizer (block " + std::to_string(cfg_.hadamard_block) + ")"
                     : " (no Hadamard)";
  s += cfg_.bit_split ? "; dX, dW dy bit-split 8 = 2 x int4" : "; dX, dW dy int4 sr";
  if (cfg_.leverage_sampling)
    s += "; dW leverage-sampled rows (fraction " + std::to_string(cfg_.sample_fraction).substr(0, 4) + ")";
  return s;
}

std::unique_ptr<GemmNumerics> make_int4_numerics(const std::string& layer, Int4NumericsConfig cfg) {
  return std::make_unique<Int4GemmNumerics>(layer, cfg);
}

}  // namespace lowbit::nn

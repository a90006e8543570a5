// n-bit symmetric quantizer: error bounds for every n, granularity and scale kind, saturation,
// stochastic rounding unbiasedness, thread independence, int4 packing, FP8/dynamic via QTensor.
#include "lowbit/quant/uniform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "lowbit/formats/intn.h"

namespace lowbit {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, float stddev = 1.0f) {
  Tensor t = Tensor::empty(shape);
  Rng(seed).fill_normal(t, 0, stddev);
  return t;
}

// The scale that element (r, c) used.
float scale_of(const QTensor& q, int64_t r, int64_t c) {
  const float* s = q.scales.data<float>();
  int64_t cols = qview_cols(q.shape);
  switch (q.format.gran) {
    case Granularity::tensor: return s[0];
    case Granularity::row: return s[r];
    case Granularity::col: return s[c];
    case Granularity::block: return s[r * ((cols + q.format.block - 1) / q.format.block) + c / q.format.block];
  }
  return 0;
}

const Granularity kGrans[] = {Granularity::tensor, Granularity::row, Granularity::col, Granularity::block};

// RNE: |x - dq| <= s/2 up to the float rounding of x / s and q * s: each has relative error
// <= 2^-24, so the slack is 2^-24 * (|x| + |q| * s) <= 2^-23 * (|x| + s/2) (pow2 scales: 0).
// The exception is pow2 saturation: x / s in [qmax + 0.5, 2^(n-1)) rounds past qmax and clamps,
// so there the bound is s.
TEST(Uniform, RoundToNearestErrorBoundEveryBitWidth) {
  Tensor x = randn({13, 37}, 3);
  x.data<float>()[5] = 9.0f;  // an outlier
  for (int bits = 2; bits <= 16; ++bits)
    for (ScaleKind kind : {ScaleKind::amax, ScaleKind::pow2})
      for (Granularity g : kGrans) {
        QFormat f{bits <= 8 ? DType::i8 : DType::i16, bits, g, 8, Rounding::nearest_even, kind};
        QTensor q = quantize(x, f);
        Tensor dq = dequantize(q);
        Tensor ints = qtensor_int_codes(q);
        const float* px = x.data<float>();
        const float* pd = dq.data<float>();
        int32_t qmax = intn_qmax(bits);
        for (int64_t i = 0; i < x.numel(); ++i) {
          float s = scale_of(q, i / 37, i % 37);
          int32_t c = ints.data<int32_t>()[i];
          ASSERT_LE(std::abs(c), qmax) << qformat_name(f);
          double bound = s / 2.0;
          if (kind == ScaleKind::pow2 && std::fabs(px[i]) / s >= qmax + 0.5) bound = s;
          if (kind == ScaleKind::amax) bound += 0x1p-23 * (std::fabs(px[i]) + s / 2);
          ASSERT_LE(std::fabs(px[i] - pd[i]), bound) << qformat_name(f) << " element " << i
                                                      << " x " << px[i] << " dq " << pd[i];
        }
      }
}

TEST(Uniform, ScalesFollowTheirDefinitions) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {0.5f, -3.0f, 1.0f, 0.0f, 0.0f, 0.0f});
  QTensor a = quantize(x, {DType::i8, 8, Granularity::row, 0, Rounding::nearest_even, ScaleKind::amax});
  EXPECT_EQ(a.scales.data<float>()[0], 3.0f / 127);
  EXPECT_EQ(a.scales.data<float>()[1], 0.0f);  // all-zero row: scale 0, codes 0
  EXPECT_EQ(qtensor_int_codes(a).data<int32_t>()[1], -127);
  // pow2: amax 3 = 0.75 * 2^2, 8 bits: scale 2^(2 - 7); codes are the aligned 8-bit mantissas.
  QTensor p = quantize(x, {DType::i8, 8, Granularity::tensor, 0, Rounding::nearest_even, ScaleKind::pow2});
  EXPECT_EQ(p.scales.data<float>()[0], 0x1p-5f);
  EXPECT_EQ(qtensor_int_codes(p).data<int32_t>()[1], -96);
  // The one value that rounds to 2^(n-1) saturates: amax 3.99 -> 127.7 -> 127.
  Tensor y = Tensor::from_vector<float>({1}, {3.99f});
  EXPECT_EQ(qtensor_int_codes(quantize(y, {DType::i8, 8, Granularity::tensor, 0, Rounding::nearest_even,
                                           ScaleKind::pow2})).data<int32_t>()[0], 127);
}

// Stochastic rounding: E[q] = x / s. x[0] = 127 fixes s = 1; the other N elements all equal k + p,
// so the mean code has standard error sqrt(p(1-p)/N); we allow 5 of them.
TEST(Uniform, StochasticRoundingIsUnbiasedAndBounded) {
  const int n = 100000;
  for (float v : {3.1f, -7.25f, 0.5f, 60.9f}) {
    std::vector<float> xs(n + 1, v);
    xs[0] = 127.0f;
    Tensor x = Tensor::from_vector<float>({n + 1}, xs);
    QFormat f{DType::i8, 8, Granularity::tensor, 0, Rounding::stochastic, ScaleKind::amax};
    QTensor q = quantize(x, f, 1234, 7);
    ASSERT_EQ(q.scales.data<float>()[0], 1.0f);
    Tensor ints = qtensor_int_codes(q);
    double sum = 0;
    for (int i = 1; i <= n; ++i) {
      int c = ints.data<int32_t>()[i];
      ASSERT_LT(std::fabs(c - v), 1.0f);
      sum += c;
    }
    double p = v - std::floor(v);
    EXPECT_NEAR(sum / n, v, 5 * std::sqrt(p * (1 - p) / n) + 1e-9) << v;
  }
  // Bound on random data: |x - dq| < s (plus the float slack of the RNE test).
  Tensor x = randn({64, 33}, 5);
  for (int bits : {2, 4, 8, 12, 16}) {
    QFormat f{bits <= 8 ? DType::i8 : DType::i16, bits, Granularity::row, 0, Rounding::stochastic};
    QTensor q = quantize(x, f, 9);
    Tensor dq = dequantize(q);
    for (int64_t i = 0; i < x.numel(); ++i) {
      float s = q.scales.data<float>()[i / 33], xi = x.data<float>()[i];
      ASSERT_LT(std::fabs(xi - dq.data<float>()[i]), s + 0x1p-23 * (std::fabs(xi) + s)) << bits;
    }
  }
}

TEST(Uniform, ThreadCountDoesNotChangeCodes) {
  Tensor x = randn({300, 129}, 8);
  int saved = num_threads();
  for (Rounding r : {Rounding::nearest_even, Rounding::stochastic}) {
    QFormat f{DType::i16, 12, Granularity::block, 32, r, ScaleKind::pow2};
    set_num_threads(1);
    QTensor a = quantize(x, f, 5);
    set_num_threads(2);
    QTensor b = quantize(x, f, 5);
    EXPECT_EQ(a.codes.to_vector(), b.codes.to_vector());
    EXPECT_EQ(a.scales.to_vector(), b.scales.to_vector());
  }
  set_num_threads(saved);
}

// One tensor scale (quantize's one-team path: amax and codes in one OpenMP team) against the
// two-pass form (quantize_amax, then quantize_with_amax), at 1 and 2 threads: int8 / int16,
// nearest and stochastic, multi-chunk, single-row, empty and NaN-holding tensors; an Inf in a late
// chunk is the same error on both paths.
TEST(Uniform, OneTeamTensorScaleEqualsTwoPasses) {
  const int saved = num_threads();
  const Shape shapes[] = {{300, 129}, {5000, 7}, {1, 100000}, {0, 5}, {5, 0}, {3}};
  for (int threads : {1, 2})
    for (const Shape& shape : shapes)
      for (int bits : {8, 12})
        for (Rounding r : {Rounding::nearest_even, Rounding::stochastic}) {
          set_num_threads(threads);
          Tensor x = randn(shape, 21);
          if (x.numel() > 4000) x.data<float>()[3999] = NAN;
          QFormat f{bits <= 8 ? DType::i8 : DType::i16, bits, Granularity::tensor, 0, r,
                    ScaleKind::pow2};
          const QTensor a = quantize(x, f, 5, 7);
          const QTensor b = quantize_with_amax(x, f, quantize_amax(x, f), 5, 7);
          ASSERT_EQ(a.shape, b.shape);
          ASSERT_EQ(a.codes.shape(), b.codes.shape());
          ASSERT_EQ(std::memcmp(a.codes.raw(), b.codes.raw(), a.codes.nbytes()), 0)
              << "threads " << threads << " bits " << bits;
          ASSERT_EQ(a.scales.to_vector(), b.scales.to_vector());
        }
  set_num_threads(2);
  Tensor x = randn({4000, 64}, 22);
  x.data<float>()[3990 * 64 + 5] = INFINITY;
  const QFormat f{DType::i8, 8, Granularity::tensor, 0, Rounding::stochastic, ScaleKind::pow2};
  std::string one, two;
  try { quantize(x, f, 5, 7); } catch (const Error& e) { one = e.what(); }
  try { quantize_with_amax(x, f, quantize_amax(x, f), 5, 7); } catch (const Error& e) { two = e.what(); }
  set_num_threads(saved);
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, two);
}

TEST(Int4, PackUnpackExhaustive) {
  for (int b = 0; b < 256; ++b) {
    uint8_t byte = static_cast<uint8_t>(b);
    int8_t lo = int4_low(byte), hi = int4_high(byte);
    ASSERT_GE(lo, -8);
    ASSERT_LE(lo, 7);
    ASSERT_EQ(lo, ((b & 0xF) ^ 8) - 8);
    ASSERT_EQ(hi, ((b >> 4) ^ 8) - 8);
    ASSERT_EQ(int4_pack_pair(lo, hi), byte);
    int8_t codes[2];
    int4_unpack(&byte, 2, codes);
    ASSERT_EQ(codes[0], lo);
    ASSERT_EQ(codes[1], hi);
  }
  int8_t odd[3] = {-7, 7, -1}, back[3];
  uint8_t packed[2];
  int4_pack(odd, 3, packed);
  EXPECT_EQ(packed[1], 0x0F);  // last high nibble is 0
  int4_unpack(packed, 3, back);
  EXPECT_EQ(std::vector<int8_t>(back, back + 3), std::vector<int8_t>(odd, odd + 3));
}

TEST(Int4, PackedQuantizeEqualsUnpacked) {
  Tensor x = randn({7, 11}, 4);
  for (Granularity g : kGrans) {
    QFormat plain{DType::i8, 4, g, 4};
    QFormat packed{DType::u8, 4, g, 4};
    QTensor a = quantize(x, plain), b = quantize(x, packed);
    EXPECT_EQ(b.codes.shape(), (Shape{7, 6}));
    EXPECT_EQ(qtensor_int_codes(a).to_vector(), qtensor_int_codes(b).to_vector());
    EXPECT_EQ(dequantize(a).to_vector(), dequantize(b).to_vector());
  }
}

TEST(Uniform, Fp8AndDynamicThroughQTensor) {
  Tensor x = randn({5, 40}, 6, 3.0f);
  for (Encoding e : {Encoding::fp8_e4m3, Encoding::fp8_e5m2}) {
    QTensor q = quantize(x, {DType::u8, 8, Granularity::row, 0, Rounding::nearest_even,
                             ScaleKind::amax, e});
    Tensor dq = dequantize(q);
    // RNE to m mantissa bits: relative error <= 2^-(m+1) in the normal range; below it the
    // absolute error is <= half the min subnormal, times the scale (bounds below are looser).
    double rel = e == Encoding::fp8_e4m3 ? 0x1p-4 : 0x1p-3;
    for (int64_t i = 0; i < x.numel(); ++i) {
      float s = q.scales.data<float>()[i / 40], xi = x.data<float>()[i];
      float sub = e == Encoding::fp8_e4m3 ? 0x1p-9f : 0x1p-16f;
      ASSERT_LE(std::fabs(xi - dq.data<float>()[i]), rel * std::fabs(xi) * 1.0001 + s * sub) << i;
    }
  }
  QTensor d = quantize(x, {DType::u8, 8, Granularity::block, 16, Rounding::nearest_even,
                           ScaleKind::amax, Encoding::dynamic_signed});
  EXPECT_EQ(d.scales.shape(), (Shape{5, 3}));
  Tensor dq = dequantize(d);
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_LE(std::fabs(x.data<float>()[i] - dq.data<float>()[i]), 0.06 * d.scales.data<float>()[(i / 40) * 3 + (i % 40) / 16]);
}

TEST(Uniform, BadFormatsAndInputsAreNamed) {
  Tensor x = randn({2, 2}, 1);
  EXPECT_THROW(quantize(x, {DType::i8, 9}), Error);
  EXPECT_THROW(quantize(x, {DType::i16, 17}), Error);
  EXPECT_THROW(quantize(x, {DType::u8, 6}), Error);
  EXPECT_THROW(quantize(x, {DType::i8, 8, Granularity::block, 0}), Error);
  EXPECT_THROW(quantize(x, {DType::i8, 8, Granularity::tensor, 0, Rounding::nearest_even,
                            ScaleKind::amax, Encoding::fp8_e4m3}), Error);
  x.data<float>()[3] = INFINITY;
  try {
    quantize(x, {DType::i8, 8});
    FAIL() << "no error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("non-finite"), std::string::npos) << err.what();
  }
  EXPECT_THROW(quantize(Tensor::zeros({2}, DType::f64), {DType::i8, 8}), Error);
}

}  // namespace
}  // namespace lowbit

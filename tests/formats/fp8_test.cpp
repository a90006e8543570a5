// FP8 E4M3/E5M2: every code against the definition formula, every rounding boundary,
// overflow/saturation, subnormals, signed zero, stochastic rounding and per-tensor scaling.
#include "lowbit/formats/fp8.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

struct Def {
  Fp8Kind kind;
  int e, m, bias;
  bool ieee;  // E5M2: IEEE-like inf/NaN; E4M3: only S.1111.111 is NaN
};
const Def kDefs[] = {{Fp8Kind::e4m3, 4, 3, 7, false}, {Fp8Kind::e5m2, 5, 2, 15, true}};

// The value of a code from the OCP definition, written independently of the library.
double def_value(const Def& d, int code) {
  int s = code >> 7, e = (code >> d.m) & ((1 << d.e) - 1), f = code & ((1 << d.m) - 1);
  int emax = (1 << d.e) - 1;
  double sign = s ? -1.0 : 1.0;
  if (d.ieee && e == emax) return f == 0 ? sign * INFINITY : NAN;
  if (!d.ieee && e == emax && f == (1 << d.m) - 1) return NAN;
  if (e == 0) return sign * std::ldexp(f / double(1 << d.m), 1 - d.bias);
  return sign * std::ldexp(1.0 + f / double(1 << d.m), e - d.bias);
}

TEST(Fp8, DecodeEveryCodeMatchesDefinition) {
  for (const Def& d : kDefs) {
    for (int c = 0; c < 256; ++c) {
      double want = def_value(d, c);
      float got = fp8_decode(static_cast<uint8_t>(c), d.kind);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << fp8_spec(d.kind).name << " code " << c;
      } else {
        EXPECT_EQ(static_cast<double>(got), want) << fp8_spec(d.kind).name << " code " << c;
        EXPECT_EQ(std::signbit(got), c >= 128) << "code " << c;
      }
    }
  }
  EXPECT_EQ(fp8_decode(0x7E, Fp8Kind::e4m3), 448.0f);
  EXPECT_EQ(fp8_decode(0x08, Fp8Kind::e4m3), 0x1p-6f);
  EXPECT_EQ(fp8_decode(0x01, Fp8Kind::e4m3), 0x1p-9f);
  EXPECT_EQ(fp8_decode(0x7B, Fp8Kind::e5m2), 57344.0f);
  EXPECT_EQ(fp8_decode(0x01, Fp8Kind::e5m2), 0x1p-16f);
  EXPECT_TRUE(std::isinf(fp8_decode(0x7C, Fp8Kind::e5m2)));
  int nans[2] = {0, 0};
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < 256; ++c) nans[k] += std::isnan(fp8_decode(c, kDefs[k].kind));
  EXPECT_EQ(nans[0], 2);  // S.1111.111
  EXPECT_EQ(nans[1], 6);  // S.11111.{01,10,11}
}

TEST(Fp8, EncodeDecodeRoundTripsEveryCode) {
  for (const Def& d : kDefs)
    for (int c = 0; c < 256; ++c) {
      float v = fp8_decode(c, d.kind);
      if (std::isnan(v)) continue;
      EXPECT_EQ(fp8_encode(v, d.kind, false), c) << fp8_spec(d.kind).name << " code " << c;
      if (!std::isinf(v)) EXPECT_EQ(fp8_encode(v, d.kind, true), c) << "code " << c;
    }
}

// Between adjacent finite codes c, c+1 (same sign): the exact midpoint goes to the even code,
// the floats just above/below it go up/down.
TEST(Fp8, EveryRoundingBoundary) {
  for (const Def& d : kDefs) {
    const Fp8Spec& s = fp8_spec(d.kind);
    for (int c = 0; c < s.max_code; ++c) {
      for (int sign : {0, 0x80}) {
        float lo = fp8_decode(c | sign, d.kind), hi = fp8_decode((c + 1) | sign, d.kind);
        float mid = static_cast<float>((double(lo) + hi) / 2);
        ASSERT_EQ(double(mid), (double(lo) + hi) / 2) << "midpoint not exact";
        int even = (c % 2 == 0) ? c : c + 1;
        for (bool sat : {false, true}) {
          EXPECT_EQ(fp8_encode(mid, d.kind, sat), even | sign) << s.name << " mid of " << c;
          EXPECT_EQ(fp8_encode(std::nextafter(mid, hi), d.kind, sat), (c + 1) | sign) << s.name << " " << c;
          EXPECT_EQ(fp8_encode(std::nextafter(mid, lo), d.kind, sat), c | sign) << s.name << " " << c;
        }
      }
    }
  }
}

TEST(Fp8, OverflowAndSaturation) {
  // E4M3: 464 is the midpoint of 448 (mantissa 110, even) and the NaN slot 480: ties to 448.
  EXPECT_EQ(fp8_encode(464.0f, Fp8Kind::e4m3, false), 0x7E);
  EXPECT_EQ(fp8_encode(std::nextafter(464.0f, 1e9f), Fp8Kind::e4m3, false), 0x7F);
  EXPECT_EQ(fp8_encode(std::nextafter(464.0f, 1e9f), Fp8Kind::e4m3, true), 0x7E);
  EXPECT_EQ(fp8_encode(-1e30f, Fp8Kind::e4m3, true), 0xFE);
  EXPECT_EQ(fp8_encode(-1e30f, Fp8Kind::e4m3, false), 0xFF);
  EXPECT_EQ(fp8_encode(INFINITY, Fp8Kind::e4m3, false), 0x7F);
  EXPECT_EQ(fp8_encode(-INFINITY, Fp8Kind::e4m3, true), 0xFE);
  EXPECT_EQ(fp8_encode(NAN, Fp8Kind::e4m3, true), 0x7F);
  EXPECT_EQ(fp8_encode(-NAN, Fp8Kind::e4m3, true), 0xFF);
  // E5M2: 61440 is the midpoint of 57344 (1.11b * 2^15, odd) and 2^16 (even): ties up, overflows.
  EXPECT_EQ(fp8_encode(std::nextafter(61440.0f, 0.0f), Fp8Kind::e5m2, false), 0x7B);
  EXPECT_EQ(fp8_encode(61440.0f, Fp8Kind::e5m2, false), 0x7C);
  EXPECT_EQ(fp8_encode(61440.0f, Fp8Kind::e5m2, true), 0x7B);
  EXPECT_EQ(fp8_encode(-1e30f, Fp8Kind::e5m2, false), 0xFC);
  EXPECT_EQ(fp8_encode(-1e30f, Fp8Kind::e5m2, true), 0xFB);
  EXPECT_EQ(fp8_encode(INFINITY, Fp8Kind::e5m2, false), 0x7C);
  EXPECT_EQ(fp8_encode(-INFINITY, Fp8Kind::e5m2, true), 0xFB);
  EXPECT_TRUE(std::isnan(fp8_decode(fp8_encode(NAN, Fp8Kind::e5m2, true), Fp8Kind::e5m2)));
}

TEST(Fp8, SubnormalsAndSignedZero) {
  for (const Def& d : kDefs) {
    const Fp8Spec& s = fp8_spec(d.kind);
    float ms = s.min_subnormal;
    EXPECT_EQ(fp8_encode(ms / 2, d.kind, true), 0x00);                         // tie to even 0
    EXPECT_EQ(fp8_encode(std::nextafter(ms / 2, 1.0f), d.kind, true), 0x01);
    EXPECT_EQ(fp8_encode(-ms / 2, d.kind, true), 0x80);                        // -0
    EXPECT_EQ(fp8_encode(1.5f * ms, d.kind, true), 0x02);                      // tie to even 2
    EXPECT_EQ(fp8_encode(2.5f * ms, d.kind, true), 0x02);
    EXPECT_EQ(fp8_encode(std::nextafter(s.min_normal, 0.0f), d.kind, true), 1 << s.man_bits);
    EXPECT_EQ(fp8_encode(1e-45f, d.kind, true), 0x00);  // float subnormal
    EXPECT_EQ(fp8_encode(-1e-45f, d.kind, true), 0x80);
    EXPECT_EQ(fp8_encode(0.0f, d.kind, false), 0x00);
    EXPECT_EQ(fp8_encode(-0.0f, d.kind, false), 0x80);
    EXPECT_TRUE(std::signbit(fp8_decode(0x80, d.kind)));
    EXPECT_EQ(fp8_decode(0x80, d.kind), 0.0f);
  }
}

TEST(Fp8, StochasticRoundingIsUnbiasedAndStaysOnNeighbours) {
  // Mean of N draws: standard error (hi - lo) * sqrt(p(1-p)/N); we allow 5 of them.
  const int n = 40000;
  Rng rng(11);
  for (const Def& d : kDefs) {
    for (float x : {1.1f, -3.3f, 0.013f, 0x1p-8f * 1.37f, 200.0f}) {
      uint8_t c0 = fp8_encode(x, d.kind, true);
      double sum = 0;
      for (int i = 0; i < n; ++i) {
        uint8_t c = fp8_encode_stochastic(x, d.kind, true, rng.u32_at(i));
        ASSERT_LE(std::abs(int(c & 0x7F) - int(c0 & 0x7F)), 1) << x;
        sum += fp8_decode(c, d.kind);
      }
      float a = fp8_decode(fp8_encode(std::fabs(x), d.kind, true), d.kind);
      float lo = a <= std::fabs(x) ? a : fp8_decode(fp8_encode(std::fabs(x), d.kind, true) - 1, d.kind);
      float hi = fp8_decode(fp8_encode(lo, d.kind, true) + 1, d.kind);
      double p = (std::fabs(x) - lo) / (hi - lo);
      double se = (hi - lo) * std::sqrt(p * (1 - p) / n);
      EXPECT_NEAR(sum / n, x, 5 * se + 1e-12) << fp8_spec(d.kind).name << " x=" << x;
    }
    // Exact values never move.
    for (int i = 0; i < 100; ++i) EXPECT_EQ(fp8_encode_stochastic(1.5f, d.kind, true, rng.u32_at(i)), fp8_encode(1.5f, d.kind, true));
  }
}

TEST(Fp8, PerTensorScaling) {
  EXPECT_EQ(fp8_scale_from_amax(224.0f, Fp8Kind::e4m3), 2.0f);
  EXPECT_EQ(fp8_scale_from_amax(224.0f, Fp8Kind::e4m3, 1), 1.0f);
  EXPECT_EQ(fp8_scale_from_amax(57344.0f, Fp8Kind::e5m2), 1.0f);
  EXPECT_EQ(fp8_scale_from_amax(0.0f, Fp8Kind::e4m3, 0, 3.0f), 3.0f);
  EXPECT_EQ(fp8_scale_from_amax(NAN, Fp8Kind::e4m3, 0, 3.0f), 3.0f);
  EXPECT_EQ(fp8_scale_from_amax(1e-44f, Fp8Kind::e4m3), 3.4028234664e38f);  // inf clamps to FLT_MAX

  Fp8DelayedScaling ds(Fp8Kind::e4m3, 3, 0);
  EXPECT_EQ(ds.scale(), 1.0f);
  ds.update(4.0f);
  EXPECT_EQ(ds.scale(), 112.0f);
  ds.update(1.0f);
  ds.update(2.0f);
  EXPECT_EQ(ds.scale(), 112.0f);  // window {2, 1, 4}
  ds.update(1.0f);                // 4 leaves the window: {1, 2, 1}
  EXPECT_EQ(ds.scale(), 224.0f);
  EXPECT_EQ(ds.history_size(), 3);
  ds.update(0.0f);  // {0, 1, 2}
  EXPECT_EQ(ds.scale(), 224.0f);
  ds.update(0.0f);  // {0, 0, 1}
  EXPECT_EQ(ds.scale(), 448.0f);
  ds.update(0.0f);  // {0, 0, 0}: no information, the last scale stays
  EXPECT_EQ(ds.scale(), 448.0f);
  EXPECT_EQ(ds.scale_inv(), 1.0f / 448.0f);
}

}  // namespace
}  // namespace lowbit

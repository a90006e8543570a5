// Every runnable variant of the codec kernel families against its `_ref`, bit for bit, on odd
// lengths and misaligned pointers, with specials (inf, NaN, huge, tiny, -0) in the FP8 input.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/formats/intn.h"
#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/ref/rng_kernels.h"

namespace lowbit {
namespace {

const int64_t kSizes[] = {0, 1, 7, 8, 9, 31, 33, 257, 1000};

// n values (plus one leading pad so the data pointer is misaligned) at several magnitudes.
std::vector<float> data(int64_t n, uint64_t seed, float spread, bool specials) {
  Rng rng(seed);
  std::vector<float> v(n + 1);
  for (auto& x : v) x = rng.normal() * std::pow(2.0f, spread * (rng.uniform() - 0.5f));
  if (specials) {
    const float sp[] = {INFINITY, -INFINITY, NAN, -0.0f, 0.0f, 1e30f, -1e-30f, 464.0f, 61440.0f, 1e-45f};
    for (int64_t i = 1; i <= n; i += 5) v[i] = sp[(i / 5) % 10];
  }
  return v;
}

uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }

TEST(CodecParity, Fp8EncodeDecode) {
  for (Fp8Kind kind : {Fp8Kind::e4m3, Fp8Kind::e5m2})
    for (bool sat : {false, true})
      for (float scale : {1.0f, 3.0f})
      for (int64_t n : kSizes) {
        std::vector<float> x = data(n, n + 1, 40.0f, true);
        // Exact midpoints between adjacent codes (ties: half go up to the even code).
        for (int64_t i = 3; i <= n; i += 7) {
          int c = static_cast<int>(i % fp8_spec(kind).max_code);
          x[i] = static_cast<float>((double(fp8_decode(c, kind)) + fp8_decode(c + 1, kind)) / 2);
        }
        Fp8CodecParams p{kind, sat, scale};
        std::vector<uint8_t> want(n + 1), got(n + 1);
        fp8_encode_ref(x.data() + 1, n, p, want.data() + 1);
        std::vector<uint8_t> codes(n + 1);
        for (int64_t i = 0; i <= n; ++i) codes[i] = static_cast<uint8_t>((i * 37 + n) & 0xFF);
        std::vector<float> dwant(n + 1), dgot(n + 1);
        fp8_decode_ref(codes.data() + 1, n, p, dwant.data() + 1);
        for (const Fp8EncodeKernel* k : fp8_encode_kernels().runnable()) {
          k->fn(x.data() + 1, n, p, got.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(got[i], want[i]) << k->name << " " << fp8_spec(kind).name << " sat " << sat
                                       << " n " << n << " i " << i - 1 << " x " << x[i];
        }
        for (const Fp8DecodeKernel* k : fp8_decode_kernels().runnable()) {
          k->fn(codes.data() + 1, n, p, dgot.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(bits_of(dgot[i]), bits_of(dwant[i])) << k->name << " n " << n << " code " << int(codes[i]);
        }
      }
  // All 256 codes through every decoder.
  std::vector<uint8_t> all(256);
  for (int c = 0; c < 256; ++c) all[c] = static_cast<uint8_t>(c);
  for (Fp8Kind kind : {Fp8Kind::e4m3, Fp8Kind::e5m2}) {
    std::vector<float> want(256), got(256);
    fp8_decode_ref(all.data(), 256, {kind, true, 1.0f}, want.data());
    for (const Fp8DecodeKernel* k : fp8_decode_kernels().runnable()) {
      k->fn(all.data(), 256, {kind, true, 1.0f}, got.data());
      for (int c = 0; c < 256; ++c) ASSERT_EQ(bits_of(got[c]), bits_of(want[c])) << k->name << " code " << c;
    }
  }
}

TEST(CodecParity, IntnQuantize) {
  for (int bits : {2, 4, 8, 10, 16})
    for (int64_t n : kSizes)
      for (float scale : {0.125f, 0.3f}) {  // 0.3: x / scale is a real division
        std::vector<float> x = data(n, 7 * n + bits, 6.0f, false);  // spread 6: some saturate
        if (n > 3) x[3] = NAN;
        if (n > 4) x[4] = 2.5f * 0.125f;  // a tie at scale 0.125: 2.5 -> 2
        const int32_t qmax = intn_qmax(bits);
        std::vector<int16_t> w16(n + 1), g16(n + 1);
        std::vector<int8_t> w8(n + 1), g8(n + 1);
        intn_quant_s16_ref(x.data() + 1, n, scale, qmax, w16.data() + 1);
        if (bits <= 8) intn_quant_s8_ref(x.data() + 1, n, scale, qmax, w8.data() + 1);
        for (const IntnQuantKernel* k : intn_quant_kernels().runnable()) {
          k->to_s16(x.data() + 1, n, scale, qmax, g16.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(g16[i], w16[i]) << k->name << " s16 bits " << bits << " n " << n << " i " << i - 1;
          if (bits > 8) continue;
          k->to_s8(x.data() + 1, n, scale, qmax, g8.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(g8[i], w8[i]) << k->name << " s8 bits " << bits << " n " << n << " i " << i - 1;
        }
      }
}

// Stochastic rounding: every variant against the reference at positions that start mid-block,
// on both sides of a counter high-word change (block 2^32), with NaN, infinities, -0 and
// saturating values; and
// the reference against a direct transcription of its definition with Rng::u32_at and sr_word.
TEST(CodecParity, IntnStochasticRounding) {
  // Position p takes half p & 1 of word p >> 1, of block p >> 3: the block counter's high word
  // changes at p = 2^35.
  const uint64_t kStarts[] = {0, 1, 6, (uint64_t{1} << 35) - 45, (uint64_t{1} << 35) - 2,
                              (uint64_t{1} << 35) - 1024, (uint64_t{1} << 35) - 120,
                              (uint64_t{1} << 35) - 249, (uint64_t{1} << 34) - 45};
  // Not powers of two (x / scale must be a division), and powers of two, which a kernel may
  // multiply by the reciprocal instead: the smallest and largest it does, past them, and one
  // that makes every x / scale subnormal. Seeds and streams with high words.
  const float kScales[] = {0.3f, 3.0f, 0.25f, 0x1p-126f, 0x1p126f, 0x1p127f, 0x1p-149f};
  for (int bits : {2, 4, 8, 10, 16})
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{31}, int64_t{33}, int64_t{64}, int64_t{65},
                      int64_t{100}, int64_t{257}, int64_t{1000}})
      for (uint64_t pos0 : kStarts)
        for (const float scale : kScales) {
        std::vector<float> x = data(n, 11 * n + bits, 6.0f, false);
        if (n > 3) x[3] = NAN;
        if (n > 7) x[5] = INFINITY, x[6] = -INFINITY, x[7] = -0.0f;
        const int32_t qmax = intn_qmax(bits);
        const Rng rng(0x9E3779B97F4A7C15ull + bits, 0xD1B54A32D192ED03ull ^ static_cast<uint64_t>(n));
        std::vector<int16_t> w16(n + 1), g16(n + 1);
        std::vector<int8_t> w8(n + 1), g8(n + 1);
        intn_sr_s16_ref(x.data() + 1, n, scale, qmax, rng.seed(), rng.stream(), pos0, w16.data() + 1);
        for (int64_t i = 1; i <= n; ++i) {
          const float v = x[i] / scale, fl = std::floor(v);
          const uint64_t pos = pos0 + static_cast<uint64_t>(i - 1);
          const float u = u32_to_unit_float(sr_word(rng.u32_at(pos >> 1), pos));
          const float r = std::clamp(fl + (u < v - fl ? 1.0f : 0.0f), -float(qmax), float(qmax));
          ASSERT_EQ(w16[i], std::isnan(x[i]) ? 0 : static_cast<int16_t>(r)) << "ref i " << i - 1;
        }
        if (bits <= 8) intn_sr_s8_ref(x.data() + 1, n, scale, qmax, rng.seed(), rng.stream(), pos0, w8.data() + 1);
        for (const IntnQuantKernel* k : intn_quant_kernels().runnable()) {
          k->sr_s16(x.data() + 1, n, scale, qmax, rng.seed(), rng.stream(), pos0, g16.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(g16[i], w16[i]) << k->name << " s16 bits " << bits << " n " << n << " pos0 "
                                      << pos0 << " i " << i - 1;
          if (bits > 8) continue;
          k->sr_s8(x.data() + 1, n, scale, qmax, rng.seed(), rng.stream(), pos0, g8.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(g8[i], w8[i]) << k->name << " s8 bits " << bits << " n " << n << " pos0 "
                                    << pos0 << " scale " << scale << " i " << i - 1;
        }
        }
}

TEST(CodecParity, RngWordsEqualU32At) {
  // The last three: runs of a generator (64 or 128 words) that end exactly at the high-word
  // change, and runs whose last block would be the first past it (AVX2, AVX-512).
  const uint64_t kStarts[] = {0, 3, 5, (uint64_t{1} << 34) - 45, (uint64_t{1} << 34) - 512,
                              (uint64_t{1} << 34) - 60, (uint64_t{1} << 34) - 124};
  for (const RngWordsKernel* k : rng_words_kernels().runnable())
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{31}, int64_t{32}, int64_t{33}, int64_t{65},
                      int64_t{300}, int64_t{600}})
      for (uint64_t pos0 : kStarts) {
        const Rng rng(0x9E3779B97F4A7C15ull + n, pos0 ^ 0xD1B54A32D192ED03ull);
        std::vector<uint32_t> got(n + 1, 0xDEADBEEFu);
        k->fn(rng.seed(), rng.stream(), pos0, n, got.data());
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(got[i], rng.u32_at(pos0 + i)) << k->name << " n " << n << " pos0 " << pos0 << " i " << i;
        ASSERT_EQ(got[n], 0xDEADBEEFu) << k->name << " wrote past n";
      }
}

// The dynamic maps' own tables take the lookup-table encode (and, on AVX-512, the affine decode);
// a copy of the same tables at another address (`copied`) takes the threshold search and the
// table gather.
// absmax skips NaN (fmax) wherever it sits, and finds the largest |x| in any lane or the tail.
TEST(CodecParity, BlockwiseAbsmaxSkipsNaN) {
  for (int64_t n : {0, 1, 15, 16, 17, 63, 64, 65, 127, 130, 1000})
    for (int64_t at : {int64_t{0}, n / 2, n / 64 * 64 - 1, n / 16 * 16 - 1, n - 1}) {
      if (at < 0 || at >= n) continue;
      std::vector<float> x = data(n, 7 * n + at, 3.0f, false);
      x[at] = NAN;
      if (n > 2) x[(at + n / 3) % n] = -1e6f;
      if (n > 4) x[(at + 1) % n] = -0.0f;
      const float want = blockwise_absmax_ref(x.data(), n);
      for (const BlockwiseKernel* k : blockwise_kernels().runnable())
        ASSERT_EQ(bits_of(k->absmax(x.data(), n)), bits_of(want)) << k->name << " n " << n;
    }
}

TEST(CodecParity, BlockwiseAbsmaxEncodeDecode) {
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map})
    for (bool copied : {false, true})
    for (int64_t n : kSizes) {
      std::vector<float> x = data(n, 3 * n + 1, 20.0f, false);
      if (w == DynamicMap::unsigned_map)
        for (float& v : x) v = std::fabs(v);
      const std::vector<float> t_copy(dynamic_thresholds(w), dynamic_thresholds(w) + 256);
      const std::vector<float> map_copy(dynamic_map(w), dynamic_map(w) + 256);
      const float* t = copied ? t_copy.data() : dynamic_thresholds(w);
      const float* map = copied ? map_copy.data() : dynamic_map(w);
      float amax = blockwise_absmax_ref(x.data() + 1, n);
      std::vector<uint8_t> want(n + 1), got(n + 1);
      std::vector<float> dwant(n + 1), dgot(n + 1);
      for (const BlockwiseKernel* k : blockwise_kernels().runnable()) {
        ASSERT_EQ(bits_of(k->absmax(x.data() + 1, n)), bits_of(amax)) << k->name << " n " << n;
        for (float a : {amax, 0.0f}) {
          blockwise_encode_ref(x.data() + 1, n, a, t, want.data() + 1);
          k->encode(x.data() + 1, n, a, t, got.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(got[i], want[i]) << k->name << " encode n " << n << " i " << i - 1
                                       << " absmax " << a << " copied " << copied;
          blockwise_decode_ref(want.data() + 1, n, a, map, dwant.data() + 1);
          k->decode(want.data() + 1, n, a, map, dgot.data() + 1);
          for (int64_t i = 1; i <= n; ++i)
            ASSERT_EQ(bits_of(dgot[i]), bits_of(dwant[i]))
                << k->name << " decode n " << n << " i " << i - 1 << " copied " << copied;
        }
      }
    }
}

TEST(CodecParity, FamiliesHaveAnAvx2VariantAndRefLast) {
  EXPECT_EQ(fp8_encode_kernels().all().back().isa, Isa::scalar);
  EXPECT_EQ(intn_quant_kernels().all().front().isa, Isa::avx512);
  EXPECT_EQ(intn_quant_kernels().all()[1].isa, Isa::avx2);
  if (cpu_supports(Isa::avx2)) {
    EXPECT_EQ(blockwise_kernels().runnable().size(), cpu_supports(Isa::avx512) ? 3u : 2u);
  }
}

}  // namespace
}  // namespace lowbit

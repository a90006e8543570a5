// Every runnable fused 8-bit Adam(W) block kernel against adam8_block_ref, bit for bit (p, codes,
// absmaxes): random states and gradients over tails (1, 7, 9, 257, 2047, ...), every quantization
// block size, both decay styles, misaligned pointers, an all-zero block, specials (in p and g,
// NaNs of both signs; a NaN in p matches any NaN); and gradients
// built so that the new m / absmax lands on, next to and a few floats around every encode
// threshold (exact ties included), at absmaxes that are not powers of two; the affine decode of
// every code of both maps.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/kernels/ref/adam8.h"

namespace lowbit {
namespace {

struct Case {
  std::vector<float> p, g;
  std::vector<uint8_t> mc, vc;
  std::vector<float> ma, va;
};

// Runs kernel k on a copy of c (pointers one element past the start, so misaligned).
Case run(const Adam8Kernel& k, const optim::AdamCoeffs<float>& co, int64_t n, int64_t qb, Case c) {
  Blockwise8Span m{c.mc.data() + 1, c.ma.data(), &dynamic_tables(DynamicMap::signed_map)};
  Blockwise8Span v{c.vc.data() + 1, c.va.data(), &dynamic_tables(DynamicMap::unsigned_map)};
  k.block(co, n, qb, c.p.data() + 1, c.g.data() + 1, m, v);
  return c;
}

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }

void expect_parity(const char* what, const optim::AdamCoeffs<float>& co, int64_t n, int64_t qb,
                   const Case& c) {
  const Case want = run(adam8_kernels().all().back(), co, n, qb, c);
  for (const Adam8Kernel* k : adam8_kernels().runnable()) {
    const Case got = run(*k, co, n, qb, c);
    const char* name = k->name;
    for (int64_t i = 0; i < n; ++i) {
      // A NaN's sign and payload are unspecified: x86 returns the first operand's NaN and the
      // compiler may order an addition's operands either way, in the reference too.
      if (std::isnan(got.p[i + 1]) && std::isnan(want.p[i + 1])) continue;
      ASSERT_EQ(bits(got.p[i + 1]), bits(want.p[i + 1]))
          << what << " " << name << " n " << n << " qblock " << qb << " p[" << i
          << "]: " << got.p[i + 1] << " vs " << want.p[i + 1];
      ASSERT_EQ(got.mc[i + 1], want.mc[i + 1]) << what << " " << name << " n " << n << " qblock "
                                               << qb << " m code " << i << " g " << c.g[i + 1];
      ASSERT_EQ(got.vc[i + 1], want.vc[i + 1]) << what << " " << name << " n " << n << " qblock "
                                               << qb << " v code " << i << " g " << c.g[i + 1];
    }
    for (size_t b = 0; b < c.ma.size(); ++b) {
      ASSERT_EQ(bits(got.ma[b]), bits(want.ma[b])) << what << " " << name << " m absmax " << b;
      ASSERT_EQ(bits(got.va[b]), bits(want.va[b])) << what << " " << name << " v absmax " << b;
    }
  }
}

Case random_case(int64_t n, int64_t qb, uint64_t seed, bool specials) {
  Rng rng(seed);
  Case c;
  const int64_t nb = (n + qb - 1) / qb;
  for (int64_t i = 0; i <= n; ++i) {
    c.p.push_back(0.05f * rng.normal());
    c.g.push_back(std::pow(10.0f, -1.0f - 4.0f * rng.uniform()) * rng.normal());
    c.mc.push_back(static_cast<uint8_t>(rng.next_u32() & 0xFF));
    c.vc.push_back(static_cast<uint8_t>(rng.next_u32() & 0xFF));
  }
  for (int64_t b = 0; b < nb; ++b) {
    c.ma.push_back(b == 1 ? 0.0f : std::pow(10.0f, -1.0f - 5.0f * rng.uniform()));
    c.va.push_back(b == 1 ? 0.0f : std::pow(10.0f, -2.0f - 8.0f * rng.uniform()));
  }
  if (nb > 2)  // block 2: gradient zero too, so its new absmax is zero (state decays otherwise)
    for (int64_t i = 2 * qb; i < std::min(n, 3 * qb); ++i) c.g[i + 1] = 0.0f;
  if (specials) {
    const float sp[] = {0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, 1e-30f, -1e30f, 1e-40f};
    for (int64_t i = 3; i <= n; i += 97) c.g[i] = sp[(i / 97) % 9];
    for (int64_t i = 5; i <= n; i += 89) c.p[i] = sp[(i / 89) % 9];
  }
  return c;
}

optim::AdamCoeffs<float> coeffs(bool l2) {
  // beta1 0.9, beta2 0.999, step 10, lr 1e-3; AdamW decay 0.01 or Adam L2 decay 0.01
  return {0.1f, 0.999f, 0.001f, 0.0997f, 1e-8f, -1.5353e-3f, l2 ? 1.0f : 0.99999f,
          l2 ? 0.01f : 0.0f};
}

TEST(Adam8Kernel, MatchesReferenceOnRandomStates) {
  // Past 2048: runs of optimizer blocks in one call, whole and with a short last block.
  const int64_t sizes[] = {1, 7, 8, 9, 63, 255, 256, 257, 513, 1000, 2047, 2048, 4396, 16384};
  uint64_t seed = 1;
  for (int64_t qb : {8, 64, 256, 512, 2048})
    for (int64_t n : sizes)
      for (bool l2 : {false, true}) {
        expect_parity("random", coeffs(l2), n, qb, random_case(n, qb, seed++, false));
        expect_parity("specials", coeffs(l2), n, qb, random_case(n, qb, seed++, true));
      }
}

// beta1 = 0, beta2 = 0 (w1 = w2 = 1) and zero states: the new m is the gradient exactly and the
// new v its square. Each block's first gradient sets the absmax A; the others put x / A at, next
// to and up to 12 floats around each threshold and map entry: g = fl(y * A) for the signed map
// (m), g = fl(sqrt(y * A)) for the unsigned one (v, whose g * g lands within a float or two).
void check_thresholds(DynamicMap w) {
  const optim::AdamCoeffs<float> co{1.0f, 0.0f, 1.0f, 1.0f, 1e-8f, -1e-3f, 1.0f, 0.0f};
  const float* t = dynamic_thresholds(w);
  const float* map = dynamic_map(w);
  const bool is_m = w == DynamicMap::signed_map;
  std::vector<float> ys;
  for (int i = 0; i < 255; ++i)
    for (float y0 : {t[i], map[i]}) {
      float y = y0;
      for (int s = 0; s < 12; ++s) y = std::nextafter(y, -2.0f);
      for (int s = 0; s < 25; ++s, y = std::nextafter(y, 2.0f))
        if (std::fabs(y) <= 1.0f && (is_m || y >= 0.0f)) ys.push_back(y);
    }
  for (float a : {1.0f, 0.37f, 3.3e-3f, 7.77e-9f, 1e-30f, 5e30f}) {
    for (int64_t qb : {256, 2048}) {
      for (size_t lo = 0; lo < ys.size(); lo += 2047) {
        const int64_t n = 2048;
        Case c;
        c.p.assign(n + 1, 0.0f);
        c.g.assign(n + 1, 0.0f);
        c.mc.assign(n + 1, dynamic_encode(0.0f, DynamicMap::signed_map));
        c.vc.assign(n + 1, dynamic_encode(0.0f, DynamicMap::unsigned_map));
        c.ma.assign(n / qb, 0.0f);
        c.va.assign(n / qb, 0.0f);
        for (int64_t i = 0; i < n; ++i) {
          float y = i % qb == 0 ? 1.0f : ys[(lo + i) % ys.size()];
          c.g[i + 1] = is_m ? y * a : std::sqrt(y * a);
        }
        expect_parity(is_m ? "m thresholds" : "v thresholds", co, n, qb, c);
      }
    }
  }
}

TEST(Adam8Kernel, MatchesReferenceAroundEveryThreshold) {
  check_thresholds(DynamicMap::signed_map);
  check_thresholds(DynamicMap::unsigned_map);
}

// The AVX-512 affine-variant decode has no table load: every code of both maps through the
// affine form.
TEST(Adam8Kernel, AffineDecodeIsTheMap) {
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map})
    for (int c = 0; c < 256; ++c)
      ASSERT_EQ(bits(dynamic_decode_affine(static_cast<uint8_t>(c), *dynamic_tables(w).affine)),
                bits(dynamic_map(w)[c]))
          << (w == DynamicMap::signed_map ? "signed" : "unsigned") << " code " << c;
}

TEST(Adam8Kernel, FamilyHasAvx2AndRefLast) {
  EXPECT_EQ(adam8_kernels().all().back().isa, Isa::scalar);
  if (cpu_supports(Isa::avx2))
    EXPECT_EQ(adam8_kernels().runnable().size(),
              cpu_features().avx512_vbmi ? 4u : cpu_supports(Isa::avx512) ? 3u : 2u);
}

}  // namespace
}  // namespace lowbit

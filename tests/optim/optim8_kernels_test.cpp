// Every runnable optim8 kernel against its `_ref`, bit for bit: the lookup-table encoder on
// thresholds, their neighbours and specials, and the fused Adam / SGD / Lion updates on odd
// lengths, every quantization block size class, misaligned pointers and arbitrary states.
#include "lowbit/kernels/ref/optim8_kernels.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {
namespace {

uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }

const char* map_name(DynamicMap w) { return w == DynamicMap::signed_map ? "signed" : "unsigned"; }

// Values whose codes are hardest: each threshold, its two float neighbours, both signs, the map
// entries themselves, and magnitudes from 1e-9 to 4 plus specials.
std::vector<float> encode_probe(DynamicMap w, uint64_t seed) {
  const float* t = dynamic_thresholds(w);
  const float* m = dynamic_map(w);
  std::vector<float> v;
  for (int i = 0; i < 255; ++i)
    for (float x : {t[i], std::nextafter(t[i], -4.0f), std::nextafter(t[i], 4.0f), m[i]}) {
      v.push_back(x);
      v.push_back(-x);
    }
  Rng rng(seed);
  for (int i = 0; i < 4000; ++i) {
    float mag = std::pow(10.0f, 0.6f - 9.6f * rng.uniform());
    v.push_back(rng.uniform() < 0.5f ? -mag : mag);
  }
  for (float x : {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 1e30f, -1e30f, 1e-45f, -1e-45f, INFINITY,
                  -INFINITY, NAN, -NAN, 1.1920929e-7f, 2.0000002f})
    v.push_back(x);
  return v;
}

TEST(Optim8Kernels, EncodeMatchesReferenceExactly) {
  for (DynamicMap w : {DynamicMap::signed_map, DynamicMap::unsigned_map}) {
    const Q8Tables& t = q8_tables(w);
    std::vector<float> x = encode_probe(w, 5);
    x.insert(x.begin(), 0.5f);  // misaligns the data pointer (x.data() + 1)
    const int64_t n = static_cast<int64_t>(x.size()) - 1;
    // absmax 1 tests the values as given; 0.37 pushes some beyond +-1; 0 gives all-zero codes.
    for (float absmax : {1.0f, 0.37f, 0.0f}) {
      std::vector<uint8_t> want(n), got(n);
      blockwise_encode_ref(x.data() + 1, n, absmax, t.thresholds, want.data());
      for (const Optim8Kernel* k : optim8_kernels().runnable()) {
        for (int64_t len : {n, int64_t{0}, int64_t{1}, int64_t{7}, int64_t{9}, int64_t{257}}) {
          std::fill(got.begin(), got.end(), 0xAB);
          k->encode(x.data() + 1, len, absmax, t, got.data());
          for (int64_t i = 0; i < len; ++i)
            ASSERT_EQ(got[i], want[i]) << k->name << " " << map_name(w) << " len " << len
                                       << " i " << i << " x " << x[i + 1] << " absmax " << absmax;
        }
      }
    }
  }
}

// Random codes (every code appears), absmaxes across magnitudes with some zero blocks, and
// parameters / gradients of mixed scale: arbitrary 8-bit states, not only well-formed ones.
struct Case {
  std::vector<float> p, g;
  std::vector<uint8_t> c0, c1;
  std::vector<float> a0, a1;
};

Case make_case(int64_t n, int64_t qblock, uint64_t seed) {
  Rng rng(seed);
  Case c;
  const int64_t nb = (n + qblock - 1) / qblock;
  for (int64_t i = 0; i < n + 1; ++i) {  // + 1: data starts at element 1 (misaligned)
    c.p.push_back(rng.normal());
    c.g.push_back(rng.normal() * std::pow(10.0f, -4.0f * rng.uniform()));
    c.c0.push_back(static_cast<uint8_t>(rng.next_u32() & 0xFF));
    c.c1.push_back(static_cast<uint8_t>(rng.next_u32() & 0xFF));
  }
  for (int64_t b = 0; b < nb; ++b) {
    c.a0.push_back(b % 5 == 3 ? 0.0f : std::pow(10.0f, -6.0f * rng.uniform()));
    c.a1.push_back(b % 7 == 4 ? 0.0f : std::pow(10.0f, -8.0f * rng.uniform()));
  }
  return c;
}

void expect_same(const char* what, const char* kernel, const Case& want, const Case& got,
                 int64_t n, int64_t qblock, bool two_states) {
  for (int64_t i = 1; i <= n; ++i) {
    ASSERT_EQ(bits_of(got.p[i]), bits_of(want.p[i]))
        << kernel << " " << what << " p n " << n << " qblock " << qblock << " i " << i - 1;
    ASSERT_EQ(got.c0[i], want.c0[i])
        << kernel << " " << what << " codes0 n " << n << " qblock " << qblock << " i " << i - 1;
    if (two_states) {
      ASSERT_EQ(got.c1[i], want.c1[i])
          << kernel << " " << what << " codes1 n " << n << " qblock " << qblock << " i " << i - 1;
    }
  }
  for (size_t b = 0; b < want.a0.size(); ++b) {
    ASSERT_EQ(bits_of(got.a0[b]), bits_of(want.a0[b])) << kernel << " " << what << " absmax0 " << b;
    if (two_states) {
      ASSERT_EQ(bits_of(got.a1[b]), bits_of(want.a1[b])) << kernel << " " << what << " absmax1 " << b;
    }
  }
}

const int64_t kLengths[] = {0, 1, 7, 8, 9, 255, 256, 257, 513, 2047, 2048};
const int64_t kQblocks[] = {1, 4, 8, 64, 256, 2048};

TEST(Optim8Kernels, FusedAdamMatchesReference) {
  const Q8Tables& ts = q8_tables(DynamicMap::signed_map);
  const Q8Tables& tu = q8_tables(DynamicMap::unsigned_map);
  std::vector<float> scratch(2 * 2048);
  for (bool l2 : {false, true})
    for (int64_t qblock : kQblocks)
      for (int64_t n : kLengths) {
        optim::AdamCoeffs<float> k{0.1f, 0.999f, 0.001f, 0.3f, 1e-8f, -0.02f,
                                   l2 ? 1.0f : 0.999f, l2 ? 0.01f : 0.0f};
        const Case start = make_case(n, qblock, static_cast<uint64_t>(n * 31 + qblock));
        Case want = start;
        adam8_block_ref(k, n, qblock, want.p.data() + 1, want.g.data() + 1,
                        {want.c0.data() + 1, want.a0.data(), &ts},
                        {want.c1.data() + 1, want.a1.data(), &tu}, scratch.data());
        for (const Optim8Kernel* kern : optim8_kernels().runnable()) {
          Case got = start;
          kern->adam(k, n, qblock, got.p.data() + 1, got.g.data() + 1,
                     {got.c0.data() + 1, got.a0.data(), &ts},
                     {got.c1.data() + 1, got.a1.data(), &tu}, scratch.data());
          expect_same(l2 ? "adam" : "adamw", kern->name, want, got, n, qblock, true);
        }
      }
}

TEST(Optim8Kernels, FusedSgdMatchesReference) {
  const Q8Tables& ts = q8_tables(DynamicMap::signed_map);
  std::vector<float> scratch(2 * 2048);
  for (bool l2 : {false, true})
    for (float momentum : {0.0f, 0.9f})
      for (int64_t qblock : kQblocks)
        for (int64_t n : kLengths) {
          optim::SgdCoeffs<float> k{momentum, l2 ? 0.05f : 0.0f, -0.1f};
          const Case start = make_case(n, qblock, static_cast<uint64_t>(n * 17 + qblock));
          Case want = start;
          sgd8_block_ref(k, n, qblock, want.p.data() + 1, want.g.data() + 1,
                         {want.c0.data() + 1, want.a0.data(), &ts}, scratch.data());
          for (const Optim8Kernel* kern : optim8_kernels().runnable()) {
            Case got = start;
            kern->sgd(k, n, qblock, got.p.data() + 1, got.g.data() + 1,
                      {got.c0.data() + 1, got.a0.data(), &ts}, scratch.data());
            expect_same("sgd", kern->name, want, got, n, qblock, false);
          }
        }
}

TEST(Optim8Kernels, FusedLionMatchesReference) {
  const Q8Tables& ts = q8_tables(DynamicMap::signed_map);
  std::vector<float> scratch(2 * 2048);
  for (float decay : {1.0f, 0.999f})
    for (int64_t qblock : kQblocks)
      for (int64_t n : kLengths) {
        optim::LionCoeffs<float> k{0.9f, 0.1f, 0.99f, 0.01f, decay, -1e-4f};
        const Case start = make_case(n, qblock, static_cast<uint64_t>(n * 13 + qblock));
        Case want = start;
        lion8_block_ref(k, n, qblock, want.p.data() + 1, want.g.data() + 1,
                        {want.c0.data() + 1, want.a0.data(), &ts}, scratch.data());
        for (const Optim8Kernel* kern : optim8_kernels().runnable()) {
          Case got = start;
          kern->lion(k, n, qblock, got.p.data() + 1, got.g.data() + 1,
                     {got.c0.data() + 1, got.a0.data(), &ts}, scratch.data());
          expect_same("lion", kern->name, want, got, n, qblock, false);
        }
      }
}

TEST(Optim8Kernels, FamilyHasAvx2AndRefLast) {
  EXPECT_EQ(optim8_kernels().all().back().isa, Isa::scalar);
  if (cpu_supports(Isa::avx2)) {
    EXPECT_EQ(optim8_kernels().runnable().size(), 2u);
  }
}

}  // namespace
}  // namespace lowbit

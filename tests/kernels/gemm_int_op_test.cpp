// Integer GEMM op layer: saturation at the exactness limits (extreme codes at the largest K),
// the int64 chunk plan, 1 vs 2 threads bit for bit, fused quantization, the QTensor training
// products and their validation messages, and the VPDPBUSD panel format decoded in scalar.
#include <gtest/gtest.h>

#include <cpuid.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/gemm_int_test_util.h"
#include "lowbit/core/parallel.h"
#include "lowbit/core/tensor.h"
#include "lowbit/kernels/gemm_int.h"

namespace lowbit {
namespace {

using testing::check_int_gemm;
using testing::IntCase;
using testing::make_int_operand;

// Every runnable variant of the family, forced through the op layer's override.
template <class Fn>
void for_each_variant(const KernelFamily<GemmIntKernel>& family, Fn fn) {
  for (const GemmIntKernel* kern : family.runnable()) {
    ops::gemm_int_kernel_override(kern);
    fn(*kern);
    if (::testing::Test::HasFailure()) break;
  }
  ops::gemm_int_kernel_override(nullptr);
}

TEST(GemmIntPlan, ExactBoundsAndChunks) {
  EXPECT_EQ(ops::gemm_int_max_exact_k(16, 16), 1);
  EXPECT_EQ(ops::gemm_int_max_exact_k(12, 12), 511);
  EXPECT_EQ(ops::gemm_int_max_exact_k(10, 10), 8191);
  EXPECT_EQ(ops::gemm_int_max_exact_k(8, 8), 131071);
  EXPECT_EQ(ops::gemm_int_max_exact_k(4, 4), 33554431);
  // Transformer K (<= 4096): 8-bit and 10-bit need no chunking, 12-bit chunks, 16-bit splits A.
  EXPECT_FALSE(ops::gemm_int_plan(4096, 8, 8).wide());
  EXPECT_FALSE(ops::gemm_int_plan(4096, 10, 10).wide());
  ops::IntGemmPlan p12 = ops::gemm_int_plan(3072, 12, 12);
  EXPECT_TRUE(p12.wide());
  EXPECT_FALSE(p12.split_a);
  EXPECT_LE(p12.kblock, 511);
  EXPECT_GE(p12.kblock * p12.nkblocks, 3072);
  ops::IntGemmPlan p16 = ops::gemm_int_plan(768, 16, 16);
  EXPECT_TRUE(p16.split_a);
  EXPECT_LE(p16.kblock * 255 * 32768, INT32_MAX);
  EXPECT_EQ(ops::gemm_int_plan(1, 16, 16).wide(), false);
  EXPECT_EQ(ops::gemm_int_plan(384, 4, 4).family, &gemm_s4_kernels());
  EXPECT_EQ(ops::gemm_int_plan(384, 8, 4).family, &gemm_s8_kernels());
  EXPECT_EQ(ops::gemm_int_plan(384, 8, 9).family, &gemm_s16_kernels());
}

// All -128 x -128 at the largest exact K sums to 131071 * 2^14 = 2^31 - 2^14: any saturating
// step (a VPMADDUBSW pair, a saturating VPDPBUSDS) or lost +128 correction shows up here.
TEST(GemmIntExtremes, Int8AtMaxK) {
  const int64_t k = ops::gemm_int_max_exact_k(8, 8), m = 7, n = 19;
  for_each_variant(gemm_s8_kernels(), [&](const GemmIntKernel& kern) {
    // A variant that needs B without -128 gets -127 there: 2 * 128 * 127 per VPMADDUBSW lane.
    const int8_t bmin = kern.b_symmetric ? -127 : -128;
    for (int pattern = 0; pattern < 3; ++pattern) {
      std::vector<int8_t> a(m * k), b(k * n);
      for (size_t i = 0; i < a.size(); ++i) a[i] = pattern == 1 && i % 3 == 0 ? 127 : -128;
      for (size_t i = 0; i < b.size(); ++i) b[i] = pattern == 2 ? 127 : bmin;
      std::vector<int32_t> c(m * n);
      ops::IntMatrix am{GemmIntSrc::s8, a.data(), k, false, 8, 0.0f};
      ops::IntMatrix bm{GemmIntSrc::s8, b.data(), n, false, 8, 0.0f};
      ops::IntOutput out;
      out.mode = GemmIntOut::i32;
      out.c = c.data();
      out.ldc = n;
      ops::gemm_int(m, n, k, am, bm, out);
      for (int64_t i = 0; i < m; ++i) {
        int64_t want = 0;
        for (int64_t p = 0; p < k; ++p) want += int64_t(a[i * k + p]) * b[p * n];
        for (int64_t j = 0; j < n; ++j)  // every column of b is the same
          ASSERT_EQ(c[i * n + j], want)
              << kern.name << " pattern " << pattern << " (" << i << ", " << j << ")";
      }
    }
    // One step further the sum can leave int32: raw int32 output is refused, int64 is exact.
    std::vector<int8_t> a(3 * (k + 1), -128), b((k + 1) * 2, bmin);
    std::vector<int32_t> c32(6);
    std::vector<int64_t> c64(6);
    ops::IntMatrix am{GemmIntSrc::s8, a.data(), k + 1, false, 8, 0.0f};
    ops::IntMatrix bm{GemmIntSrc::s8, b.data(), 2, false, 8, 0.0f};
    ops::IntOutput out;
    out.mode = GemmIntOut::i32;
    out.c = c32.data();
    out.ldc = 2;
    EXPECT_THROW(ops::gemm_int(3, 2, k + 1, am, bm, out), Error);
    out.mode = GemmIntOut::i64;
    out.c = c64.data();
    ops::gemm_int(3, 2, k + 1, am, bm, out);
    for (int64_t v : c64) ASSERT_EQ(v, (k + 1) * 128 * -bmin) << kern.name;
  });
}

// One extreme code everywhere, so every partial sum runs to the edge in one direction: the
// int16 accumulation of VPMADDUBSW (int4: 7 * -8 pairs reach -30720 before each widening), the
// 16-bit byte split (-32768 * -32768 pairs wrap VPMADDWD to 2^31) and the 12-bit chunks.
TEST(GemmIntExtremes, ConstantCodesAtLargeK) {
  struct Case {
    const KernelFamily<GemmIntKernel>* family;
    GemmIntSrc src;
    int bits;
    int64_t k;
    int32_t a, b;
  };
  const Case cases[] = {
      {&gemm_s4_kernels(), GemmIntSrc::s4, 4, 4099, 7, -8},
      {&gemm_s4_kernels(), GemmIntSrc::s4, 4, 4099, 7, 7},
      {&gemm_s4_kernels(), GemmIntSrc::s4, 4, 1027, -8, -8},
      {&gemm_s8_kernels(), GemmIntSrc::s8, 8, 131071, 127, -128},
      {&gemm_s8_kernels(), GemmIntSrc::s8, 8, 131071, -128, -128},
      {&gemm_s16_kernels(), GemmIntSrc::s16, 16, 4096, -32768, -32768},
      {&gemm_s16_kernels(), GemmIntSrc::s16, 16, 1000, 32767, -32768},
      {&gemm_s16_kernels(), GemmIntSrc::s16, 12, 511, -2048, -2048},
      {&gemm_s16_kernels(), GemmIntSrc::s16, 12, 2000, -2048, -2048},
  };
  for (const Case& cs : cases)
    for_each_variant(*cs.family, [&](const GemmIntKernel& kern) {
      Rng rng(1);
      auto a = make_int_operand(rng, cs.src, cs.bits, false, 7, cs.k, false, cs.a);
      const int32_t bcode = kern.b_symmetric && cs.b == -128 ? -127 : cs.b;
      auto b = make_int_operand(rng, cs.src, cs.bits, true, cs.k, 17, false, bcode);
      const bool wide = ops::gemm_int_plan(cs.k, cs.bits, cs.bits).wide();
      IntCase c{7, 17, cs.k, wide ? GemmIntOut::i64 : GemmIntOut::i32, false, false, false};
      ASSERT_TRUE(check_int_gemm(kern.name, a, b, c, rng)) << cs.a << " x " << cs.b;
    });
}

// Random ends of the range (-8 / 7, -128 / 127, -32768 / 32767, -2048 / 2047) at large K,
// for every variant: int4 stresses the int16 accumulation of VPMADDUBSW, 16-bit the byte split
// and int64 chunks, 12-bit the chunks at and past 511.
TEST(GemmIntExtremes, EndsOfRangeAtLargeK) {
  struct Case {
    const KernelFamily<GemmIntKernel>* family;
    GemmIntSrc src;
    int bits;
    int64_t k;
  };
  const Case cases[] = {{&gemm_s4_kernels(), GemmIntSrc::s4, 4, 4099},
                        {&gemm_s8_kernels(), GemmIntSrc::s8, 8, 4096},
                        {&gemm_s16_kernels(), GemmIntSrc::s16, 16, 1},
                        {&gemm_s16_kernels(), GemmIntSrc::s16, 16, 4096},
                        {&gemm_s16_kernels(), GemmIntSrc::s16, 12, 511},
                        {&gemm_s16_kernels(), GemmIntSrc::s16, 12, 1500}};
  for (const Case& cs : cases)
    for_each_variant(*cs.family, [&](const GemmIntKernel& kern) {
      Rng rng(cs.k + cs.bits);
      for (int t = 0; t < 3; ++t) {
        const bool ta = t == 2, tb = t == 0;
        auto a = make_int_operand(rng, cs.src, cs.bits, ta, 13, cs.k, true);
        auto b =
            make_int_operand(rng, cs.src, cs.bits, tb, cs.k, 21, true, INT32_MIN, kern.b_symmetric);
        const bool wide = ops::gemm_int_plan(cs.k, cs.bits, cs.bits).wide();
        IntCase c{13, 21, cs.k, wide ? GemmIntOut::i64 : GemmIntOut::i32, false, false, false};
        ASSERT_TRUE(check_int_gemm(kern.name, a, b, c, rng));
        c.mode = GemmIntOut::f32;
        ASSERT_TRUE(check_int_gemm(kern.name, a, b, c, rng));
      }
    });
}

// Threads split output tiles only, never K: 1 and 2 threads give the same bits, on shapes that
// take the split-M path, the split-N path, int64 chunks and the 16-bit byte split.
// After an AMX GEMM every thread's tiles are back in their init state (GemmIntKernel::finish):
// XGETBV(1), the in-use bitmap, has XTILEDATA (bit 18) clear on the calling thread.
TEST(GemmIntThreads, AmxTilesReleasedAfterAGemm) {
  if (!isa_usable(Isa::amx)) GTEST_SKIP() << "AMX not usable here (CPU, OS or LOWBIT_MAX_ISA)";
  unsigned a, b, c, d;
  __cpuid_count(0xD, 1, a, b, c, d);
  if (!(a & 4)) GTEST_SKIP() << "no XGETBV with ECX = 1";
  std::vector<int8_t> x(64 * 96, 3), w(48 * 96, -2);
  std::vector<int32_t> y(64 * 48);
  ops::IntOutput out;
  out.mode = GemmIntOut::i32;
  out.c = y.data();
  out.ldc = 48;
  ops::gemm_int(64, 48, 96, {GemmIntSrc::s8, x.data(), 96, false, 8},
                {GemmIntSrc::s8, w.data(), 96, true, 8}, out);
  EXPECT_EQ(y[0], 96 * -6);
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
  EXPECT_EQ(lo >> 18 & 1, 0u) << "tile data still in use";
}

TEST(GemmIntThreads, OneAndTwoThreadsBitwise) {
  int saved = num_threads();
  struct Shape {
    int64_t m, n, k;
    GemmIntSrc src;
    int bits;
    bool sym;
  };
  for (Shape s :
       {Shape{300, 100, 800, GemmIntSrc::s8, 8, true}, Shape{5, 300, 600, GemmIntSrc::s8, 8, true},
        Shape{200, 70, 300, GemmIntSrc::s8, 8, false},
        Shape{257, 257, 257, GemmIntSrc::s4, 4, false},
        Shape{120, 90, 1100, GemmIntSrc::s16, 12, false},
        Shape{64, 200, 300, GemmIntSrc::s16, 16, false}}) {
    Rng rng(s.m + s.k);
    auto a = make_int_operand(rng, s.src, s.bits, false, s.m, s.k);
    auto b = make_int_operand(rng, s.src, s.bits, true, s.k, s.n, false, INT32_MIN, s.sym);
    std::vector<float> rs(s.m), c1(s.m * s.n, 0.5f), c2 = c1;
    for (float& v : rs) v = rng.uniform();
    float cs = 0.25f;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      ops::IntOutput out;
      out.mode = GemmIntOut::f32_acc;
      out.c = threads == 1 ? c1.data() : c2.data();
      out.ldc = s.n;
      out.row_scale = rs.data();
      out.row_scale_len = s.m;
      out.col_scale = &cs;
      ops::gemm_int(s.m, s.n, s.k, a.matrix(), b.matrix(), out);
    }
    ASSERT_EQ(0, std::memcmp(c1.data(), c2.data(), c1.size() * 4))
        << "m=" << s.m << " n=" << s.n << " k=" << s.k << " bits=" << s.bits;
  }
  set_num_threads(saved);
}

// An f32 output past the streaming threshold (16 MiB: 2048 x 2304 floats) written by every
// runnable ISA (non-temporal stores where the kernel has them), 1 and 2 threads, into a 64-byte
// aligned tensor: the same bytes as the AVX2-capped run, which has no streaming stores.
TEST(GemmIntThreads, LargeStreamedOutputEqualsPlainStores) {
  const int saved = num_threads();
  const Isa cap = isa_cap();
  const int64_t m = 2048, n = 2304, k = 72;
  Rng rng(29);
  auto a = make_int_operand(rng, GemmIntSrc::s8, 8, false, m, k);
  auto b = make_int_operand(rng, GemmIntSrc::s8, 8, true, k, n);
  std::vector<float> rs(static_cast<size_t>(m));
  for (float& v : rs) v = rng.uniform();
  const float cs = 0.25f;
  auto run = [&](Isa isa, int threads) {
    isa_cap_set(isa);
    set_num_threads(threads);
    Tensor c = Tensor::empty({m, n});
    ops::IntOutput out;
    out.mode = GemmIntOut::f32;
    out.c = c.data<float>();
    out.ldc = n;
    out.row_scale = rs.data();
    out.row_scale_len = m;
    out.col_scale = &cs;
    ops::gemm_int(m, n, k, a.matrix(), b.matrix(), out);
    return c;
  };
  const Tensor want = run(std::min(cap, Isa::avx2), 1);
  for (int threads : {1, 2}) {
    const Tensor got = run(cap, threads);
    ASSERT_EQ(0, std::memcmp(want.data<float>(), got.data<float>(), m * n * sizeof(float)))
        << "threads " << threads;
  }
  isa_cap_set(cap);
  set_num_threads(saved);
}

// Quantizing f32 while packing gives the same codes as quantizing first with the intn codec.
TEST(GemmIntQuant, FusedQuantizationEqualsQuantizeThenGemm) {
  Rng rng(3);
  const int64_t m = 33, n = 40, k = 77;
  std::vector<float> x(m * k), w(n * k);
  for (float& v : x) v = 3.0f * rng.normal();
  for (float& v : w) v = rng.normal();
  x[5] = 0.5f;  // ties to even at scale 1
  x[6] = 1.5f;
  x[7] = -2.5f;
  x[8] = NAN;         // -> 0
  x[9] = INFINITY;    // -> 127
  x[10] = -INFINITY;  // -> -127
  w[3] = NAN;
  const float sx = 1.0f, sw = 0.02f;
  std::vector<int8_t> qx(m * k), qw(n * k);
  intn_quant_kernels().chosen().to_s8(x.data(), m * k, sx, 127, qx.data());
  intn_quant_kernels().chosen().to_s8(w.data(), n * k, sw, 127, qw.data());
  std::vector<int32_t> fused(m * n), plain(m * n);
  ops::IntOutput out;
  out.mode = GemmIntOut::i32;
  out.ldc = n;
  out.c = fused.data();
  ops::gemm_int(m, n, k, {GemmIntSrc::f32, x.data(), k, false, 8, sx},
                {GemmIntSrc::f32, w.data(), k, true, 8, sw}, out);
  out.c = plain.data();
  ops::gemm_int(m, n, k, {GemmIntSrc::s8, qx.data(), k, false, 8, 0.0f},
                {GemmIntSrc::s8, qw.data(), k, true, 8, 0.0f}, out);
  EXPECT_EQ(fused, plain);
}

// VPDPBUSD panels (A + 128 as u8, B as s8 with the -128 * column-sum trailer) decoded by the
// layout of gemm_int.h give exact sums: the packing half of the VNNI path, checked on any CPU.
TEST(GemmIntPanels, U8S8Offset128DecodesExactly) {
  Rng rng(9);
  const int mr = 6, nr = 32;
  for (int64_t k : {1, 3, 4, 5, 64, 301}) {
    auto a = make_int_operand(rng, GemmIntSrc::s8, 8, false, mr - 1, k, k == 64);
    auto b = make_int_operand(rng, GemmIntSrc::s8, 8, true, k, nr - 3, k == 64);
    std::vector<uint8_t> ap(gemm_int_panel_bytes(GemmIntPanel::u8s8_k4, mr, k, false)),
        bp(gemm_int_panel_bytes(GemmIntPanel::u8s8_k4, nr, k, true));
    gemm_int_pack(GemmIntPanel::u8s8_k4, mr, false, 128,
                  {a.src, a.data(), a.ld, false, 0.0f, 127, 0}, 0, mr - 1, 0, k, ap.data());
    gemm_int_pack(GemmIntPanel::u8s8_k4, nr, true, 128,
                  {b.src, b.data(), b.ld, false, 0.0f, 127, 0}, 0, nr - 3, 0, k, bp.data());
    const int64_t groups = (k + 3) / 4;
    const auto* bs = reinterpret_cast<const int8_t*>(bp.data());
    int32_t corr[nr];
    std::memcpy(corr, bp.data() + groups * nr * 4, sizeof(corr));
    for (int i = 0; i < mr - 1; ++i)
      for (int j = 0; j < nr - 3; ++j) {
        int64_t got = corr[j], want = 0;
        for (int64_t g = 0; g < groups; ++g)
          for (int t = 0; t < 4; ++t)
            got += int64_t(ap[(g * mr + i) * 4 + t]) * bs[(g * nr + j) * 4 + t];
        for (int64_t p = 0; p < k; ++p) want += int64_t(a.op(i, p)) * b.op(p, j);
        ASSERT_EQ(got, want) << "k=" << k << " (" << i << ", " << j << ")";
      }
  }
}

QTensor make_q(Rng& rng, int64_t rows, int64_t cols, DType storage, int bits, Granularity g) {
  QTensor q;
  q.format.storage = storage;
  q.format.bits = bits;
  q.format.gran = g;
  q.shape = {rows, cols};
  const int64_t qmax = (1 << (bits - 1)) - 1;
  if (storage == DType::u8) {
    q.codes = Tensor::empty({rows, (cols + 1) / 2}, DType::u8);
    std::vector<int8_t> row(cols);
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& v : row) v = static_cast<int8_t>(int64_t(rng.below(2 * qmax + 1)) - qmax);
      int4_pack(row.data(), cols, q.codes.data<uint8_t>() + r * ((cols + 1) / 2));
    }
  } else {
    q.codes = Tensor::empty({rows, cols}, storage);
    for (int64_t i = 0; i < rows * cols; ++i) {
      int64_t v = int64_t(rng.below(2 * qmax + 1)) - qmax;
      if (storage == DType::i8)
        q.codes.data<int8_t>()[i] = static_cast<int8_t>(v);
      else
        q.codes.data<int16_t>()[i] = static_cast<int16_t>(v);
    }
  }
  q.scales = Tensor::empty(qscales_shape(q.format, q.shape));
  for (int64_t i = 0; i < q.scales.numel(); ++i) q.scales.data<float>()[i] = 0.01f + rng.uniform();
  return q;
}

int32_t qcode(const QTensor& q, int64_t r, int64_t c) {
  if (q.format.storage == DType::i8) return q.codes.data<int8_t>()[r * q.shape[1] + c];
  if (q.format.storage == DType::i16) return q.codes.data<int16_t>()[r * q.shape[1] + c];
  uint8_t b = q.codes.data<uint8_t>()[r * ((q.shape[1] + 1) / 2) + c / 2];
  return c % 2 ? int4_high(b) : int4_low(b);
}

float qscale(const QTensor& q, int64_t r, int64_t c) {
  const float* s = q.scales.data<float>();
  return q.format.gran == Granularity::tensor ? s[0]
                                              : (q.format.gran == Granularity::row ? s[r] : s[c]);
}

// The three training products against the spec, with odd K for packed int4 (padded rows).
TEST(GemmIntMatmul, TrainingProductsMatchSpec) {
  Rng rng(21);
  const int64_t M = 29, N = 19, K = 37;
  for (auto [storage, bits] :
       {std::pair{DType::i8, 8}, std::pair{DType::u8, 4}, std::pair{DType::i16, 12}}) {
    QTensor x = make_q(rng, M, K, storage, bits, Granularity::row);
    QTensor w = make_q(rng, N, K, storage, bits, Granularity::row);
    Tensor bias = Tensor::empty({N});
    for (int64_t j = 0; j < N; ++j) bias.data<float>()[j] = rng.uniform();
    Tensor y = ops::matmul_nt_int(x, w, bias);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        int64_t acc = 0;
        for (int64_t p = 0; p < K; ++p) acc += int64_t(qcode(x, i, p)) * qcode(w, j, p);
        float want = gemm_int_epilogue_ref(acc, qscale(x, i, 0), qscale(w, j, 0),
                                           &bias.data<float>()[j], false, 0);
        ASSERT_EQ(y.data<float>()[i * N + j], want)
            << "Y bits " << bits << " (" << i << ", " << j << ")";
      }
    QTensor dy = make_q(rng, M, N, storage, bits, Granularity::row);
    QTensor wc = make_q(rng, N, K, storage, bits, Granularity::col);
    Tensor dx = ops::matmul_nn_int(dy, wc);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < K; ++j) {
        int64_t acc = 0;
        for (int64_t p = 0; p < N; ++p) acc += int64_t(qcode(dy, i, p)) * qcode(wc, p, j);
        float want =
            gemm_int_epilogue_ref(acc, qscale(dy, i, 0), qscale(wc, 0, j), nullptr, false, 0);
        ASSERT_EQ(dx.data<float>()[i * K + j], want)
            << "dX bits " << bits << " (" << i << ", " << j << ")";
      }
    QTensor dyc = make_q(rng, M, N, storage, bits, Granularity::col);
    QTensor xt = make_q(rng, M, K, storage, bits, Granularity::tensor);
    Tensor dw = Tensor::full({N, K}, 0.75);
    ops::matmul_tn_acc_int(dyc, xt, dw);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < K; ++j) {
        int64_t acc = 0;
        for (int64_t p = 0; p < M; ++p) acc += int64_t(qcode(dyc, p, i)) * qcode(xt, p, j);
        float want =
            gemm_int_epilogue_ref(acc, qscale(dyc, 0, i), qscale(xt, 0, 0), nullptr, true, 0.75f);
        ASSERT_EQ(dw.data<float>()[i * K + j], want)
            << "dW bits " << bits << " (" << i << ", " << j << ")";
      }
  }
}

TEST(GemmIntMatmul, ValidationNamesTheProblem) {
  Rng rng(1);
  QTensor x = make_q(rng, 4, 8, DType::i8, 8, Granularity::col);  // scales along K
  QTensor w = make_q(rng, 5, 8, DType::i8, 8, Granularity::row);
  try {
    ops::matmul_nt_int(x, w);
    FAIL() << "column scales of x along the reduction were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reduction"), std::string::npos) << e.what();
  }
  QTensor wr = make_q(rng, 5, 8, DType::i8, 8, Granularity::row);
  QTensor dy = make_q(rng, 4, 5, DType::i8, 8, Granularity::row);
  EXPECT_THROW(ops::matmul_nn_int(dy, wr), Error);  // w's row scales lie along N, dX's reduction
  QTensor w9 = make_q(rng, 5, 9, DType::i8, 8, Granularity::row);
  QTensor x8 = make_q(rng, 4, 8, DType::i8, 8, Granularity::row);
  EXPECT_THROW(ops::matmul_nt_int(x8, w9), Error);
  std::vector<int8_t> buf(64);
  ops::IntOutput out;
  out.mode = GemmIntOut::i32;
  out.c = buf.data();
  out.ldc = 4;
  EXPECT_THROW(ops::gemm_int(4, 4, 4, {GemmIntSrc::s8, buf.data(), 3, false, 8, 0.0f},
                             {GemmIntSrc::s8, buf.data(), 4, false, 8, 0.0f}, out),
               Error);
  EXPECT_THROW(ops::gemm_int(2, 2, 2, {GemmIntSrc::s8, buf.data(), 2, false, 9, 0.0f},
                             {GemmIntSrc::s8, buf.data(), 2, false, 8, 0.0f}, out),
               Error);
  EXPECT_THROW(ops::gemm_int(2, 2, 2, {GemmIntSrc::s16, buf.data(), 2, false, 16, 0.0f},
                             {GemmIntSrc::s16, buf.data(), 2, false, 16, 0.0f}, out),
               Error);
}

}  // namespace
}  // namespace lowbit

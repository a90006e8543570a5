// Parity of every runnable integer GEMM variant (forced through the ISA cap) with the int64
// spec, bit for bit: edge shapes in m, n and k, the three training transpositions, every source
// kind (int8, int16, packed int4, f32 quantized while packing), strided offset inputs and every
// output mode. Variants this CPU cannot run are listed as skipped.
#include "lowbit/kernels/gemm_int.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>
#include <xmmintrin.h>

#include "kernels/gemm_int_test_util.h"
#include "lowbit/core/tensor.h"
#include "support/shapes.h"

namespace lowbit {
namespace {

using testing::check_int_gemm;
using testing::edge_sizes;
using testing::IntCase;
using testing::make_int_operand;

struct SrcPair {
  GemmIntSrc a_src;
  int a_bits;
  GemmIntSrc b_src;
  int b_bits;
};

// Operand kinds that land in each family (the family follows the wider operand).
std::vector<SrcPair> pairs_for(const char* family) {
  using S = GemmIntSrc;
  std::string f = family;
  if (f == "gemm_s8")
    return {
        {S::s8, 8, S::s8, 8}, {S::f32, 8, S::s8, 7}, {S::s8, 6, S::s4, 4}, {S::s16, 8, S::f32, 5}};
  if (f == "gemm_s16")
    return {{S::s16, 16, S::s16, 16},
            {S::s16, 12, S::s16, 12},
            {S::s8, 8, S::s16, 16},
            {S::f32, 16, S::s16, 10},
            {S::s16, 10, S::s4, 4}};
  return {{S::s4, 4, S::s4, 4}, {S::s8, 4, S::s4, 3}, {S::f32, 4, S::s4, 4}, {S::s4, 2, S::f32, 4}};
}

// The training products' orientations: Y = X·Wᵀ (NT), dX = dY·W (NN), dW = dYᵀ·X (TN), and TT.
const bool kTrans[4][2] = {{false, true}, {false, false}, {true, false}, {true, true}};

// Runs every variant the CPU supports (forced through the op layer's override, since two
// variants may share an ISA); the others are reported as skipped.
void run_family(const KernelFamily<GemmIntKernel>& family) {
  const std::vector<int64_t> ks = {0, 1, 3, 4, 5, 7, 8, 9, 31, 257, 513};
  struct Restore {
    ~Restore() { ops::gemm_int_kernel_override(nullptr); }
  } restore;
  for (const GemmIntKernel& kern : family.all()) {
    if (!cpu_supports(kern.isa)) {
      std::printf("[ not run  ] %s: this CPU has no %s\n", kern.name, isa_name(kern.isa));
      continue;
    }
    ops::gemm_int_kernel_override(&kern);
    const std::vector<SrcPair> pairs = pairs_for(family.family());
    Rng rng(std::hash<std::string>{}(kern.name) % 1000);
    int64_t idx = 0;
    std::vector<int64_t> ms = edge_sizes(kern.mr), ns = edge_sizes(kern.nr);
    ms.push_back(513);
    ns.push_back(513);
    for (int64_t m : ms)
      for (int64_t n : ns)
        for (int64_t k : ks) {
          // Keep the suite fast: the largest combinations only where one side is small.
          if (m * n * k > 257 * 40 * 513 && !(m * n <= 257 * 257 && k <= 31)) continue;
          ++idx;
          const SrcPair& sp = pairs[idx % pairs.size()];
          const bool* tr = kTrans[idx % 4];
          ops::IntGemmPlan plan = ops::gemm_int_plan(k, sp.a_bits, sp.b_bits);
          GemmIntOut mode = static_cast<GemmIntOut>(idx % 4);
          if (mode == GemmIntOut::i32 && plan.wide()) mode = GemmIntOut::i64;
          IntCase c{m, n, k, mode, idx % 3 == 0, idx % 5 != 0, idx % 2 == 0};
          auto a = make_int_operand(rng, sp.a_src, sp.a_bits, tr[0], m, k);
          auto b = make_int_operand(rng, sp.b_src, sp.b_bits, tr[1], k, n, false, INT32_MIN,
                                    kern.b_symmetric);
          if (!check_int_gemm(kern.name, a, b, c, rng)) return;
        }
    // The three training products on two mid-size shapes each, for every operand kind (101
    // rows: a transposed int8 A packs 48-row strips, then 16, then single rows).
    for (const SrcPair& sp : pairs)
      for (int t = 0; t < 3; ++t)
        for (const int64_t m : {37, 101}) {
          const int64_t k = m == 37 ? 300 : 72;
          auto a = make_int_operand(rng, sp.a_src, sp.a_bits, kTrans[t][0], m, k);
          auto b = make_int_operand(rng, sp.b_src, sp.b_bits, kTrans[t][1], k, 45, false,
                                    INT32_MIN, kern.b_symmetric);
          if (!check_int_gemm(kern.name, a, b,
                              IntCase{m, 45, k, GemmIntOut::f32_acc, true, true, false}, rng))
            return;
        }
  }
}

// LOWBIT_MAX_ISA (isa_cap_set) selects the variant: each runnable ISA in turn, and the int8
// VPSIGNB kernel hands over to VPMADDWD when B holds -128.
TEST(GemmInt, IsaCapAndOperandsSelectTheVariant) {
  Isa saved = isa_cap();
  std::vector<int8_t> sym(64, -127), full(64, -127);
  full[17] = -128;
  ops::IntMatrix bs{GemmIntSrc::s8, sym.data(), 8, false, 8, 0.0f};
  ops::IntMatrix bf{GemmIntSrc::s8, full.data(), 8, false, 8, 0.0f};
  for (const auto* family : {&gemm_s8_kernels(), &gemm_s16_kernels(), &gemm_s4_kernels()})
    for (const GemmIntKernel* kern : family->runnable()) {
      isa_cap_set(kern->isa);
      ops::IntGemmPlan plan = ops::gemm_int_plan(8, 8, 8);
      plan.family = family;
      const GemmIntKernel& got = ops::gemm_int_kernel_for(plan, bs, 8, 8);
      EXPECT_EQ(got.isa, kern->isa) << family->family();
      EXPECT_STREQ(got.name, family->chosen().name);
    }
  if (cpu_supports(Isa::avx2)) {
    isa_cap_set(Isa::avx2);
    ops::IntGemmPlan plan = ops::gemm_int_plan(8, 8, 8);
    EXPECT_STREQ(ops::gemm_int_kernel_for(plan, bs, 8, 8).name, "gemm_s8_avx2");
    EXPECT_STREQ(ops::gemm_int_kernel_for(plan, bf, 8, 8).name, "gemm_s8_avx2_madd");
  }
  isa_cap_set(saved);
}

TEST(GemmInt, S8EveryVariantMatchesSpec) {
  run_family(gemm_s8_kernels());
}
TEST(GemmInt, S16EveryVariantMatchesSpec) {
  run_family(gemm_s16_kernels());
}
TEST(GemmInt, S4EveryVariantMatchesSpec) {
  run_family(gemm_s4_kernels());
}

// Each micro-kernel on its own: random panels of its format, every edge tile size, against the
// sum written out by hand from the panel layout of gemm_int.h.
TEST(GemmInt, MicroKernelsMatchPanelLayout) {
  for (const auto* family : {&gemm_s8_kernels(), &gemm_s16_kernels(), &gemm_s4_kernels()})
    for (const GemmIntKernel* kern : family->runnable()) {
      Rng rng(5);
      const int bits = family == &gemm_s4_kernels() ? 4 : (family == &gemm_s8_kernels() ? 8 : 16);
      for (int64_t k : {0, 1, 2, 3, 4, 5, 17, 64, 520, 1031})
        for (int64_t m : {int64_t(1), int64_t(kern->mr - 1), int64_t(kern->mr)})
          for (int64_t n : {int64_t(1), int64_t(kern->nr - 1), int64_t(kern->nr)}) {
            if (m <= 0 || n <= 0) continue;
            // 16 x 12 bits overflows int32 past k = 31: keep the hand-checked sums in range.
            if (bits == 16 && k > 31) continue;
            const GemmIntSrc src = bits == 16 ? GemmIntSrc::s16 : GemmIntSrc::s8;
            auto a = make_int_operand(rng, src, bits, false, m, k);
            auto b = make_int_operand(rng, src, bits == 16 ? 12 : bits, true, k, n, false,
                                      INT32_MIN, kern->b_symmetric);
            std::vector<uint8_t> ap(gemm_int_panel_bytes(kern->panel, kern->mr, k, false)),
                bp(gemm_int_panel_bytes(kern->panel, kern->nr, k, true));
            GemmIntSource as{a.src, a.data(), a.ld, a.trans, 0.0f, 127, 0};
            GemmIntSource bs{b.src, b.data(), b.ld, !b.trans, 0.0f, 127, 0};  // panel view (j, p)
            gemm_int_pack(kern->panel, kern->mr, false, kern->a_offset, as, 0, m, 0, k, ap.data());
            gemm_int_pack(kern->panel, kern->nr, true, kern->a_offset, bs, 0, n, 0, k, bp.data());
            std::vector<int32_t> c(static_cast<size_t>(m * (n + 1)), -7);
            if (kern->prepare) kern->prepare();
            kern->micro(k, ap.data(), bp.data(), c.data(), n + 1, m, n);
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j <= n; ++j) {
                int64_t want = -7;
                if (j < n) {
                  want = 0;
                  for (int64_t p = 0; p < k; ++p) want += int64_t(a.op(i, p)) * b.op(p, j);
                }
                ASSERT_EQ(c[i * (n + 1) + j], want)
                    << kern->name << " k=" << k << " m=" << m << " n=" << n << " at (" << i << ", "
                    << j << ")";
              }
          }
    }
}

// Random m x k and k x n operands of `bits`-bit codes packed into ceil(m / mr) A panels (one
// after another) and one B panel of kern.
std::pair<std::vector<uint8_t>, std::vector<uint8_t>> random_panels(Rng& rng,
                                                                    const GemmIntKernel& kern,
                                                                    GemmIntSrc src, int bits,
                                                                    int64_t m, int64_t n, int64_t k) {
  auto a = make_int_operand(rng, src, bits, false, m, k);
  auto b = make_int_operand(rng, src, bits, true, k, n);
  const int64_t panels = std::max<int64_t>(1, (m + kern.mr - 1) / kern.mr);
  std::vector<uint8_t> ap(gemm_int_panel_bytes(kern.panel, kern.mr, k, false) * panels),
      bp(gemm_int_panel_bytes(kern.panel, kern.nr, k, true));
  GemmIntSource as{a.src, a.data(), a.ld, a.trans, 0.0f, 127, 0};
  GemmIntSource bs{b.src, b.data(), b.ld, !b.trans, 0.0f, 127, 0};
  gemm_int_pack(kern.panel, kern.mr, false, kern.a_offset, as, 0, m, 0, k, ap.data());
  gemm_int_pack(kern.panel, kern.nr, true, kern.a_offset, bs, 0, n, 0, k, bp.data());
  return {std::move(ap), std::move(bp)};
}

// The fused f32 epilogue (micro_f32) against micro + gemm_int_epilogue_i32, byte for byte: every
// tile height, edge widths, both f32 modes, row and column scales null / per element / stride 0,
// bias on and off, with NaN, Inf and denormal scales among them.
TEST(GemmInt, FusedEpilogueMatchesTileThenEpilogue) {
  Rng rng(11);
  int64_t checked = 0;
  for (const auto* family : {&gemm_s8_kernels(), &gemm_s16_kernels(), &gemm_s4_kernels()})
    for (const GemmIntKernel* kern : family->runnable()) {
      if (!kern->micro_f32) continue;
      const int bits = family == &gemm_s4_kernels() ? 4 : (family == &gemm_s8_kernels() ? 8 : 12);
      const GemmIntSrc src = bits == 12 ? GemmIntSrc::s16 : GemmIntSrc::s8;
      for (int64_t k : {0, 1, 5, 64, 127})
        for (int64_t m = 1; m <= kern->mr; ++m)
          for (int64_t n : {int64_t(1), int64_t(7), int64_t(16), int64_t(17), int64_t(kern->nr - 1),
                            int64_t(kern->nr)}) {
            if (n > kern->nr) continue;  // 17 is past a 16-column tile
            const auto [ap, bp] = random_panels(rng, *kern, src, bits, m, n, k);
            std::vector<int32_t> tile(static_cast<size_t>(kern->mr * kern->nr));
            if (kern->prepare) kern->prepare();
            kern->micro(k, ap.data(), bp.data(), tile.data(), kern->nr, m, n);
            for (int variant = 0; variant < 36; ++variant) {
              const int rs_kind = variant % 3, cs_kind = variant / 3 % 3;
              const bool bias_on = variant / 9 % 2, acc = variant / 18;
              std::vector<float> rs(kern->mr + 2), cs(40), bias(40);
              for (float& v : rs) v = static_cast<float>(rng.normal());
              for (float& v : cs) v = static_cast<float>(rng.normal());
              for (float& v : bias) v = static_cast<float>(rng.normal());
              if (variant % 4 == 0) rs[m - 1] = NAN;
              if (variant % 5 == 0) cs[n - 1] = INFINITY;
              if (variant % 7 == 0) cs[0] = 1e-40f;
              const int64_t ldc = n + 3;
              std::vector<float> want(static_cast<size_t>(m * ldc));
              for (float& v : want) v = static_cast<float>(rng.normal());
              std::vector<float> got = want;
              GemmIntEpilogue e;
              e.out = acc ? GemmIntOut::f32_acc : GemmIntOut::f32;
              e.ldc = ldc;
              e.row_scale = rs_kind == 0 ? nullptr : rs.data();
              e.row_scale_stride = rs_kind == 2 ? 0 : 1;
              e.col_scale = cs_kind == 0 ? nullptr : cs.data();
              e.col_scale_stride = cs_kind == 2 ? 0 : 1;
              e.bias = bias_on ? bias.data() : nullptr;
              e.c = want.data();
              gemm_int_epilogue_i32(tile.data(), kern->nr, m, n, e);
              e.c = got.data();
              kern->micro_f32(k, ap.data(), bp.data(), e, m, n);
              ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
                  << kern->name << " k=" << k << " m=" << m << " n=" << n << " variant " << variant;
              ++checked;
            }
          }
    }
  if (checked == 0) std::printf("[ not run  ] no kernel with a fused epilogue runs on this CPU\n");
}

// GemmIntEpilogue::stream (non-temporal stores of whole, aligned tile rows) writes what the plain
// stores write: full tiles of every fused kernel into a 64-byte aligned output, stream on and off.
TEST(GemmInt, StreamingStoresWriteTheSameTile) {
  Rng rng(13);
  for (const auto* family : {&gemm_s8_kernels(), &gemm_s16_kernels(), &gemm_s4_kernels()})
    for (const GemmIntKernel* kern : family->runnable()) {
      if (!kern->micro_f32) continue;
      const int bits = family == &gemm_s4_kernels() ? 4 : (family == &gemm_s8_kernels() ? 8 : 12);
      const GemmIntSrc src = bits == 12 ? GemmIntSrc::s16 : GemmIntSrc::s8;
      const int64_t m = kern->mr, n = kern->nr, k = 67, ldc = 3 * 16 + n;  // rows 64-byte aligned
      const auto [ap, bp] = random_panels(rng, *kern, src, bits, m, n, k);
      std::vector<float> cs(static_cast<size_t>(n));
      for (float& v : cs) v = static_cast<float>(rng.normal());
      Tensor plain = Tensor::zeros({m, ldc}), streamed = Tensor::zeros({m, ldc});
      GemmIntEpilogue e;
      e.out = GemmIntOut::f32;
      e.ldc = ldc;
      e.col_scale = cs.data();
      e.col_scale_stride = 1;
      e.c = plain.data<float>();
      if (kern->prepare) kern->prepare();
      kern->micro_f32(k, ap.data(), bp.data(), e, m, n);
      e.c = streamed.data<float>();
      e.stream = true;
      kern->micro_f32(k, ap.data(), bp.data(), e, m, n);
      _mm_sfence();
      ASSERT_EQ(std::memcmp(plain.data<float>(), streamed.data<float>(), m * ldc * sizeof(float)), 0)
          << kern->name;
    }
}

// micro_f32_rows (a column of A panels against one B panel) writes what micro_f32 writes panel by
// panel, byte for byte: block heights below, at and past a tile, partial tiles, both f32 modes,
// row scales null / per row / stride 0, bias, and streaming into 64-byte aligned rows.
TEST(GemmInt, FusedRowsEqualTileByTile) {
  Rng rng(19);
  int64_t checked = 0;
  for (const auto* family : {&gemm_s8_kernels(), &gemm_s16_kernels(), &gemm_s4_kernels()})
    for (const GemmIntKernel* kern : family->runnable()) {
      if (!kern->micro_f32_rows) continue;
      const int bits = family == &gemm_s4_kernels() ? 4 : 8;
      for (int64_t k : {1, 64, 131})
        for (int64_t m : {int64_t{1}, int64_t{kern->mr}, int64_t{kern->mr + 1}, int64_t{3 * kern->mr - 5}})
          for (int64_t n : {int64_t{7}, int64_t{kern->nr}}) {
            const auto [ap, bp] = random_panels(rng, *kern, GemmIntSrc::s8, bits, m, n, k);
            const int64_t pa = gemm_int_panel_bytes(kern->panel, kern->mr, k, false);
            const int64_t panels = (m + kern->mr - 1) / kern->mr;
            for (int variant = 0; variant < 12; ++variant) {
              std::vector<float> rs(static_cast<size_t>(m)), cs(static_cast<size_t>(n)),
                  bias(static_cast<size_t>(n));
              for (float& v : rs) v = static_cast<float>(rng.normal());
              for (float& v : cs) v = static_cast<float>(rng.normal());
              for (float& v : bias) v = static_cast<float>(rng.normal());
              const int64_t ldc = 3 * 16 + kern->nr;  // rows 64-byte aligned
              Tensor want = Tensor::zeros({m, ldc}), got = Tensor::zeros({m, ldc});
              Rng(variant).fill_normal(want, 0, 1);
              std::memcpy(got.raw(), want.raw(), want.nbytes());
              GemmIntEpilogue e;
              e.out = variant % 2 ? GemmIntOut::f32_acc : GemmIntOut::f32;
              e.ldc = ldc;
              e.row_scale = variant % 3 == 0 ? nullptr : rs.data();
              e.row_scale_stride = variant % 3 == 2 ? 0 : 1;
              e.col_scale = cs.data();
              e.col_scale_stride = 1;
              e.bias = variant % 4 < 2 ? bias.data() : nullptr;
              e.stream = variant >= 6;
              if (kern->prepare) kern->prepare();
              for (int64_t p = 0; p < panels; ++p) {
                GemmIntEpilogue ep = e;
                ep.c = want.data<float>() + p * kern->mr * ldc;
                if (ep.row_scale) ep.row_scale += p * kern->mr * ep.row_scale_stride;
                kern->micro_f32(k, ap.data() + p * pa, bp.data(), ep,
                                std::min<int64_t>(kern->mr, m - p * kern->mr), n);
              }
              e.c = got.data<float>();
              kern->micro_f32_rows(k, ap.data(), pa, bp.data(), e, m, n);
              _mm_sfence();
              ASSERT_EQ(std::memcmp(want.raw(), got.raw(), want.nbytes()), 0)
                  << kern->name << " k=" << k << " m=" << m << " n=" << n << " variant " << variant;
              ++checked;
            }
          }
    }
  if (checked == 0) std::printf("[ not run  ] no kernel with a column epilogue runs on this CPU\n");
}

TEST(GemmInt, FamiliesAreListed) {
  for (const auto* family : {&gemm_s8_kernels(), &gemm_s16_kernels(), &gemm_s4_kernels()}) {
    EXPECT_EQ(family->all().back().isa, Isa::scalar);
    bool listed = false;
    for (const auto& row : kernel_choices()) listed |= row.family == family->family();
    EXPECT_TRUE(listed) << family->family();
  }
}

// The AVX-512 int8 packers (16-row B blocks, 6-row A panels, transposed sources into B panels,
// B's column sums) write the bytes the SSE2 / generic path writes: the same source packed under
// an AVX2 cap and without one, on odd row counts, k below, at and past one 16-quad block,
// ragged k-quads, both offsets, row-major and transposed.
TEST(GemmInt, Avx512PackersMatchTheGenericPath) {
  if (!isa_usable(Isa::avx512)) GTEST_SKIP() << "AVX-512 not usable here (CPU or LOWBIT_MAX_ISA)";
  const Isa saved = isa_cap();
  Rng rng(17);
  for (int R : {6, 32})
    for (int a_offset : {0, 8, 128})
      for (int64_t rows :
           {int64_t{1}, int64_t{R - 1}, int64_t{R}, int64_t{2 * R}, int64_t{3 * R + 2}})
        for (int64_t k : {int64_t{5}, int64_t{64}, int64_t{67}, int64_t{300}})
          for (bool trans : {false, true}) {
            const bool is_b = R == 32;
            const int64_t ld = (trans ? rows : k) + 3;
            std::vector<int8_t> x(static_cast<size_t>((trans ? k : rows) * ld));
            for (auto& v : x) v = static_cast<int8_t>(rng.next_u32() % 256);
            GemmIntSource s{GemmIntSrc::s8, x.data(), ld, trans, 0.0f, 127, 0};
            const int64_t bytes =
                gemm_int_panel_bytes(GemmIntPanel::u8s8_k4, R, k, is_b) * ((rows + R - 1) / R);
            std::vector<uint8_t> want(static_cast<size_t>(bytes)), got(static_cast<size_t>(bytes));
            isa_cap_set(Isa::avx2);
            gemm_int_pack(GemmIntPanel::u8s8_k4, R, is_b, a_offset, s, 0, rows, 0, k, want.data());
            isa_cap_set(saved);
            gemm_int_pack(GemmIntPanel::u8s8_k4, R, is_b, a_offset, s, 0, rows, 0, k, got.data());
            ASSERT_EQ(want, got) << "R " << R << " offset " << a_offset << " rows " << rows
                                 << " k " << k << " trans " << trans;
          }
}


// A packed panel depends on its source only, never on what the buffer held: every panel format
// and source kind, whole and ragged panels (rows and k), both flavours and offsets, each ISA path,
// packed into a zeroed buffer and into one full of 0xA5 bytes.
TEST(GemmInt, PackingWritesEveryPanelByte) {
  using P = GemmIntPanel;
  const Isa saved = isa_cap();
  Rng rng(23);
  for (Isa cap : {saved, Isa::avx2, Isa::scalar}) {
    isa_cap_set(cap);
    for (P panel : {P::s32_k1, P::s16_k2, P::u8s8_k4, P::s8_amx})
      for (GemmIntSrc src : {GemmIntSrc::s8, GemmIntSrc::s16, GemmIntSrc::s4, GemmIntSrc::f32})
        for (bool trans : {false, true})
          for (int R : {6, 16, 32})
            for (int64_t rows : {int64_t{R}, int64_t{2 * R}, int64_t{2 * R + 1}})
              for (int64_t k : {int64_t{4}, int64_t{64}, int64_t{67}, int64_t{128}}) {
                if (panel == P::s8_amx && R != 16) continue;
                if (src == GemmIntSrc::s16 && panel != P::s32_k1 && panel != P::s16_k2) continue;
                const bool is_b = R != 6;
                const int a_offset = panel == P::u8s8_k4 && !is_b && k != 64 ? 128 : 0;
                const int bits = src == GemmIntSrc::s4 ? 4 : (src == GemmIntSrc::s16 ? 12 : 8);
                auto x = make_int_operand(rng, src, bits, trans, rows, k);
                GemmIntSource s{src, x.data(), x.ld, trans, x.scale, 127, 0};
                const auto bytes = static_cast<size_t>(gemm_int_panel_bytes(panel, R, k, is_b) *
                                                       ((rows + R - 1) / R));
                std::vector<uint8_t> zeroed(bytes, 0), dirty(bytes, 0xA5);
                gemm_int_pack(panel, R, is_b, a_offset, s, 0, rows, 0, k, zeroed.data());
                gemm_int_pack(panel, R, is_b, a_offset, s, 0, rows, 0, k, dirty.data());
                ASSERT_EQ(zeroed, dirty)
                    << "cap " << isa_name(cap) << " panel " << int(panel) << " src " << int(src)
                    << " trans " << trans << " R " << R << " rows " << rows << " k " << k;
              }
  }
  isa_cap_set(saved);
}

}  // namespace
}  // namespace lowbit

// Integer GEMM op layer: validates, plans exactness (int32 chunks, int64 combination), packs
// (quantizing f32 on the fly), threads over output tiles and runs the fused epilogue per tile.
#include "lowbit/ops/gemm_int.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unistd.h>
#include <xmmintrin.h>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/formats/intn.h"

namespace lowbit::ops {

namespace {
// Whole-K panels: a micro-kernel call sums all of k (or one exactness chunk) in registers. The
// packed A block (mc x K, up to kMcMax rows: each B panel brought into L1 serves that many rows)
// is kept within half the L2 (read at run time; 512 KiB on Zen 4, 256 KiB on Zen 2) next to the
// current B panel; the packed B block (K x nc) within ~4 MiB of L3.
int64_t a_block_bytes() {
  static const int64_t bytes = [] {
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return l2 >= (128 << 10) && l2 <= (64 << 20) ? int64_t{l2} / 2 : int64_t{256 << 10};
  }();
  return bytes;
}
constexpr int64_t kBBlockBytes = 4 << 20;
// f32 outputs past half the last-level cache are written with non-temporal stores where a kernel
// can (GemmIntEpilogue::stream): they would not stay cached, and the stores skip reading each
// line first (Zen 5, 4096 x 384 x 1536, 25 MB out: 634-671 -> 778-785 GOP/s). At most 16 MiB:
// sysconf reports the whole package's L3 (384 MiB on the Zen 5 VM), one core sees its CCD's 32.
int64_t stream_min_bytes() {
  static const int64_t bytes = [] {
    const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    const int64_t cap = int64_t{16} << 20;
    return l3 >= (1 << 20) ? std::min<int64_t>(int64_t{l3} / 2, cap) : cap;
  }();
  return bytes;
}
constexpr int64_t kMcMax = 576;
// A chunk shorter than this is not worth a micro-kernel call: split A's bytes instead.
constexpr int64_t kMinChunk = 64;
constexpr int64_t kParallelMinMacs = int64_t(1) << 18;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
int64_t round_up(int64_t a, int64_t b) {
  return ceil_div(a, b) * b;
}

// Grow-only, 64-byte aligned scratch per calling thread and slot (slot 1 holds every team
// thread's A block, allocated before the team starts).
void* scratch(int slot, int64_t bytes) {
  struct Buf {
    std::unique_ptr<void, decltype(&std::free)> data{nullptr, &std::free};
    int64_t cap = 0;
  };
  thread_local Buf bufs[2];
  Buf& buf = bufs[slot];
  if (buf.cap < bytes) {
    int64_t cap = round_up(std::max<int64_t>(bytes, 64), 64);
    void* p = std::aligned_alloc(64, static_cast<size_t>(cap));
    LB_CHECK(p, "[gemm_int] cannot allocate ", cap, " bytes of packing scratch");
    buf.data.reset(p);
    buf.cap = cap;
  }
  return buf.data.get();
}

int panel_elem_bytes(GemmIntPanel p) {
  return p == GemmIntPanel::s32_k1 ? 4 : (p == GemmIntPanel::s16_k2 ? 2 : 1);
}

int32_t qmax_of(int bits) {
  return intn_qmax(bits);
}

// The packer's view: panel row r, k index p. For A that is op(A)[r][p]; for B it is
// op(B)[p][r], so a plain (k, n) B is the packer's transposed case.
GemmIntSource source_of(const IntMatrix& x, bool is_b, int plane) {
  GemmIntSource s;
  s.src = x.src;
  s.data = x.data;
  s.ld = x.ld;
  s.trans = is_b ? !x.trans : x.trans;
  s.scale = x.scale;
  s.qmax = qmax_of(x.bits);
  s.plane = plane;
  return s;
}

void check_operand(const char* what, const IntMatrix& x, int64_t rows, int64_t cols) {
  // rows x cols is op(X); the stored matrix is its transpose when trans.
  const int64_t srows = x.trans ? cols : rows, scols = x.trans ? rows : cols;
  LB_CHECK(x.bits >= 2 && x.bits <= 16, "[gemm_int] ", what, ".bits is ", x.bits,
           ", expected 2..16");
  const int max_bits = x.src == GemmIntSrc::s8 ? 8 : (x.src == GemmIntSrc::s4 ? 4 : 16);
  LB_CHECK(x.bits <= max_bits, "[gemm_int] ", what, " holds ", x.bits,
           "-bit codes in storage of at most ", max_bits, " bits");
  LB_CHECK(x.src != GemmIntSrc::f32 || x.scale > 0.0f, "[gemm_int] ", what,
           " is f32 to be quantized but its scale is ", x.scale, " (must be > 0)");
  LB_CHECK(x.src != GemmIntSrc::s4 || x.ld % 2 == 0, "[gemm_int] ", what,
           " is packed int4 with an odd leading dimension ", x.ld, " (rows are whole bytes)");
  if (srows * scols == 0) return;
  LB_CHECK(x.data != nullptr, "[gemm_int] ", what, " is null");
  LB_CHECK(x.ld >= scols, "[gemm_int] ", what, " is stored (", srows, ", ", scols,
           ") but its leading dimension is ", x.ld);
}

struct Tiles {
  const GemmIntKernel* kern;
  IntGemmPlan plan;
  std::vector<int64_t> kb_start, kb_len;
  int nplanes;
};

GemmIntEpilogue epilogue_at(const IntOutput& out, int64_t i, int64_t j, bool stream) {
  GemmIntEpilogue e;
  e.out = out.mode;
  e.stream = stream;
  const int64_t elem = out.mode == GemmIntOut::i64 ? 8 : 4;
  e.c = static_cast<char*>(out.c) + (i * out.ldc + j) * elem;
  e.ldc = out.ldc;
  e.row_scale_stride = out.row_scale_len == 1 ? 0 : 1;
  e.row_scale = out.row_scale ? out.row_scale + i * e.row_scale_stride : nullptr;
  e.col_scale_stride = out.col_scale_len == 1 ? 0 : 1;
  e.col_scale = out.col_scale ? out.col_scale + j * e.col_scale_stride : nullptr;
  e.bias = out.bias ? out.bias + j : nullptr;
  return e;
}

void run_blocked(const Tiles& t, int64_t m, int64_t n, int64_t k, const IntMatrix& a,
                 const IntMatrix& b, const IntOutput& out) {
  const GemmIntKernel& kern = *t.kern;
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t nkb = static_cast<int64_t>(t.kb_len.size());
  const int elem = panel_elem_bytes(kern.panel);
  const int64_t kk = std::max<int64_t>(k, 1);
  // A transposed int8 source packs 48 rows (eight 6-row panels, three 16-byte transposes) at a
  // time (gemm_int_pack's pack_block_trans) and the rest element by element: blocks of 48 rows.
  const int64_t align =
      mr == 6 && kern.panel == GemmIntPanel::u8s8_k4 && a.trans && a.src == GemmIntSrc::s8 ? 48
                                                                                         : mr;
  const int64_t mc = std::clamp(a_block_bytes() / (kk * elem * t.nplanes) / align * align, align,
                                kMcMax / align * align);
  const int64_t nc = std::clamp(kBBlockBytes / (kk * elem) / nr * nr, nr, round_up(n, nr));
  int nt = omp_in_parallel() || m * n * k < kParallelMinMacs ? 1 : num_threads();
  const bool split_m = nt == 1 || ceil_div(m, mr) >= 2 * nt;
  const int64_t mblocks = split_m ? round_up(ceil_div(m, mc), nt) : 1;
  // Whole 48-row blocks only where they give as many blocks as mr-row ones (threads split them).
  const int64_t mcb_plain = round_up(ceil_div(m, mblocks), mr);
  const int64_t mcb_aligned = round_up(ceil_div(m, mblocks), align);
  const int64_t mcb =
      ceil_div(m, mcb_aligned) == ceil_div(m, mcb_plain) ? mcb_aligned : mcb_plain;
  const int64_t mb = ceil_div(m, mcb);

  // Packed panel sizes and block offsets per k-chunk (and per A plane).
  std::vector<int64_t> pa(nkb), pb(nkb), boff(nkb + 1, 0), aoff(nkb * t.nplanes + 1, 0);
  const int64_t npanels_max = ceil_div(nc, nr), apanels = ceil_div(mcb, mr);
  for (int64_t q = 0; q < nkb; ++q) {
    pa[q] = gemm_int_panel_bytes(kern.panel, kern.mr, t.kb_len[q], false);
    pb[q] = gemm_int_panel_bytes(kern.panel, kern.nr, t.kb_len[q], true);
    boff[q + 1] = boff[q] + npanels_max * pb[q];
    for (int pl = 0; pl < t.nplanes; ++pl)
      aoff[q * t.nplanes + pl + 1] = aoff[q * t.nplanes + pl] + apanels * pa[q];
  }
  auto* bpack = static_cast<uint8_t*>(scratch(0, boff[nkb]));
  const bool direct = !t.plan.wide() && out.mode == GemmIntOut::i32;
  const bool stream = out.mode == GemmIntOut::f32 && m * n * 4 > stream_min_bytes();

  const int64_t abytes = round_up(aoff[nkb * t.nplanes], 64);  // each thread's packed A block
  auto* apacks = static_cast<uint8_t*>(scratch(1, nt * abytes));

  run_team(nt, [&](auto team) {
    constexpr bool kTeam = decltype(team)::value;
    uint8_t* apack = apacks + team_thread<kTeam>() * abytes;
    if (kern.prepare) kern.prepare();
    alignas(64) int32_t tile[32 * 32];
    alignas(64) int64_t wide[32 * 32];
    for (int64_t jc = 0; jc < n; jc += nc) {
      const int64_t ncur = std::min(nc, n - jc);
      const int64_t npanels = ceil_div(ncur, nr);
      const int64_t nw = split_m ? ncur : round_up(ceil_div(ncur, nt), nr);
      const int64_t nb = ceil_div(ncur, nw);
      // Two B panels per item: a transposed int8 source then packs them in one pass over its
      // rows, each 64-byte line read once (gemm_int_pack's pack_block_trans).
      constexpr int64_t kPanelsPerItem = 2;
      const int64_t items = ceil_div(npanels, kPanelsPerItem);
      team_for<kTeam>(items * nkb, [&](int64_t item) {
        const int64_t q = item / items, s = item % items * kPanelsPerItem;
        const int64_t cols = std::min(kPanelsPerItem * nr, ncur - s * nr);
        gemm_int_pack(kern.panel, kern.nr, true, kern.a_offset, source_of(b, true, 0), jc + s * nr,
                      cols, t.kb_start[q], t.kb_len[q], bpack + boff[q] + s * pb[q]);
      });
      int64_t packed_ib = -1;
      team_for<kTeam>(mb * nb, [&](int64_t item) {
        const int64_t ib = item / nb, jb = item % nb;
        const int64_t i0 = ib * mcb, mcur = std::min(mcb, m - i0);
        if (ib != packed_ib) {
          for (int64_t q = 0; q < nkb; ++q)
            for (int pl = 0; pl < t.nplanes; ++pl)
              gemm_int_pack(kern.panel, kern.mr, false, kern.a_offset,
                            source_of(a, false, t.nplanes == 1 ? 0 : pl + 1), i0, mcur,
                            t.kb_start[q], t.kb_len[q], apack + aoff[q * t.nplanes + pl]);
          packed_ib = ib;
        }
        const int64_t j1 = std::min(ncur, (jb + 1) * nw);
        for (int64_t jr = jb * nw; jr < j1; jr += nr) {
          const int64_t s = jr / nr, nn = std::min(nr, j1 - jr);
          if (kern.micro_f32_rows && !t.plan.wide() && !direct && out.mode != GemmIntOut::i64) {
            kern.micro_f32_rows(t.kb_len[0], apack, pa[0], bpack + s * pb[0],
                                epilogue_at(out, i0, jc + jr, stream), mcur, nn);
            continue;
          }
          for (int64_t ir = 0; ir < mcur; ir += mr) {
            const int64_t mm = std::min(mr, mcur - ir);
            const int64_t gi = i0 + ir, gj = jc + jr;
            if (!t.plan.wide()) {
              const uint8_t* ap = apack + (ir / mr) * pa[0];
              const uint8_t* bp = bpack + s * pb[0];
              if (direct) {
                kern.micro(t.kb_len[0], ap, bp, static_cast<int32_t*>(out.c) + gi * out.ldc + gj,
                           out.ldc, mm, nn);
              } else if (kern.micro_f32 && out.mode != GemmIntOut::i64) {
                kern.micro_f32(t.kb_len[0], ap, bp, epilogue_at(out, gi, gj, stream), mm, nn);
              } else {
                kern.micro(t.kb_len[0], ap, bp, tile, nr, mm, nn);
                gemm_int_epilogue_i32(tile, nr, mm, nn, epilogue_at(out, gi, gj, false));
              }
              continue;
            }
            // Chunks (and A's byte planes) in a fixed order, combined exactly in int64.
            for (int64_t i = 0; i < mm; ++i)
              for (int64_t j = 0; j < nn; ++j) wide[i * nr + j] = 0;
            for (int64_t q = 0; q < nkb; ++q)
              for (int pl = 0; pl < t.nplanes; ++pl) {
                const uint8_t* ap = apack + aoff[q * t.nplanes + pl] + (ir / mr) * pa[q];
                kern.micro(t.kb_len[q], ap, bpack + boff[q] + s * pb[q], tile, nr, mm, nn);
                const int shift = t.nplanes == 2 && pl == 0 ? 8 : 0;
                for (int64_t i = 0; i < mm; ++i)
                  for (int64_t j = 0; j < nn; ++j)
                    wide[i * nr + j] +=
                        static_cast<int64_t>(tile[i * nr + j]) * (int64_t(1) << shift);
              }
            gemm_int_epilogue_i64(wide, nr, mm, nn, epilogue_at(out, gi, gj, false));
          }
        }
      });
    }
    if (stream) _mm_sfence();  // this thread's non-temporal stores, before anyone reads them
    if (kern.finish) kern.finish();
  });
}

std::atomic<const GemmIntKernel*> g_override{nullptr};

bool in_family(const KernelFamily<GemmIntKernel>& family, const GemmIntKernel* kern) {
  for (const GemmIntKernel& k : family.all())
    if (&k == kern) return true;
  return false;
}

// No code of op(B) (k, n) is -2^(bits-1). f32 sources are clamped to +-qmax, so never.
bool b_is_symmetric(const IntMatrix& b, int64_t k, int64_t n) {
  if (b.src == GemmIntSrc::f32) return true;
  const int64_t rows = b.trans ? n : k, cols = b.trans ? k : n;
  const int32_t lowest = -(1 << (b.bits - 1));
  if (b.src == GemmIntSrc::s8 && lowest == -128) {  // memchr is vectorized
    for (int64_t r = 0; r < rows; ++r)
      if (std::memchr(static_cast<const int8_t*>(b.data) + r * b.ld, 0x80,
                      static_cast<size_t>(cols)))
        return false;
    return true;
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t idx = r * b.ld + c;
      int32_t v;
      switch (b.src) {
        case GemmIntSrc::s8:
          v = static_cast<const int8_t*>(b.data)[idx];
          break;
        case GemmIntSrc::s16:
          v = static_cast<const int16_t*>(b.data)[idx];
          break;
        default:
          v = int4_at(static_cast<const uint8_t*>(b.data), idx);
      }
      if (v <= lowest) return false;
    }
  return true;
}

}  // namespace

const GemmIntKernel& gemm_int_kernel_for(const IntGemmPlan& plan, const IntMatrix& b, int64_t k,
                                         int64_t n) {
  const GemmIntKernel* forced = g_override.load();
  int symmetric = -1;  // unknown until a variant asks
  auto meets = [&](const GemmIntKernel& kern) {
    if (!kern.b_symmetric || b.bits < 8) return true;
    if (symmetric < 0) symmetric = b_is_symmetric(b, k, n) ? 1 : 0;
    return symmetric == 1;
  };
  if (forced && in_family(*plan.family, forced)) {
    LB_CHECK(meets(*forced), "[gemm_int] forced variant ", forced->name, " needs B codes without -",
             1 << (b.bits - 1));
    return *forced;
  }
  for (const GemmIntKernel& kern : plan.family->all())
    if (isa_usable(kern.isa) && meets(kern)) return kern;
  return plan.family->all().back();
}

void gemm_int_kernel_override(const GemmIntKernel* kern) {
  g_override.store(kern);
}

int64_t gemm_int_max_exact_k(int bits_a, int bits_b) {
  const int64_t prod = (int64_t(1) << (bits_a - 1)) * (int64_t(1) << (bits_b - 1));
  return INT32_MAX / prod;
}

IntGemmPlan gemm_int_plan(int64_t k, int bits_a, int bits_b) {
  IntGemmPlan p{};
  const int wide_bits = std::max(bits_a, bits_b);
  p.family = wide_bits <= 4 ? &gemm_s4_kernels()
                            : (wide_bits <= 8 ? &gemm_s8_kernels() : &gemm_s16_kernels());
  p.max_exact_k = gemm_int_max_exact_k(bits_a, bits_b);
  p.split_a = false;
  int64_t chunk = p.max_exact_k;
  if (k > chunk && chunk < kMinChunk) {
    // Byte planes of A: high byte in [-2^(bits_a-9), 2^(bits_a-9)), low byte in [0, 255].
    p.split_a = true;
    chunk = INT32_MAX / (int64_t(255) * (int64_t(1) << (bits_b - 1)));
  }
  if (k <= chunk) {
    p.kblock = k;
    p.nkblocks = 1;
    return p;
  }
  chunk = chunk / 4 * 4;  // whole k-quads per chunk
  p.nkblocks = ceil_div(k, chunk);
  p.kblock = round_up(ceil_div(k, p.nkblocks), 4);
  return p;
}

void gemm_int(int64_t m, int64_t n, int64_t k, const IntMatrix& a, const IntMatrix& b,
              const IntOutput& out) {
  LB_CHECK(m >= 0 && n >= 0 && k >= 0, "[gemm_int] negative size m=", m, " n=", n, " k=", k);
  check_operand("a", a, m, k);
  check_operand("b", b, k, n);
  if (m == 0 || n == 0) return;
  LB_CHECK(out.c != nullptr && out.ldc >= n, "[gemm_int] output (", m, ", ", n,
           ") has leading dimension ", out.ldc, (out.c ? "" : " and is null"));
  const bool f32 = out.mode == GemmIntOut::f32 || out.mode == GemmIntOut::f32_acc;
  LB_CHECK(f32 || (!out.row_scale && !out.col_scale && !out.bias),
           "[gemm_int] raw integer output takes no scales or bias");
  LB_CHECK(!out.row_scale || out.row_scale_len == 1 || out.row_scale_len == m,
           "[gemm_int] row_scale has ", out.row_scale_len, " entries, expected 1 or m = ", m);
  LB_CHECK(!out.col_scale || out.col_scale_len == 1 || out.col_scale_len == n,
           "[gemm_int] col_scale has ", out.col_scale_len, " entries, expected 1 or n = ", n);

  Tiles t;
  t.plan = gemm_int_plan(k, a.bits, b.bits);
  LB_CHECK(out.mode != GemmIntOut::i32 || !t.plan.wide(), "[gemm_int] k = ", k, " with ", a.bits,
           "-bit x ", b.bits, "-bit codes can exceed int32 (exact up to k = ", t.plan.max_exact_k,
           "); ask for i64 or f32 output");
  t.kern = &gemm_int_kernel_for(t.plan, b, k, n);
  t.nplanes = t.plan.split_a ? 2 : 1;
  for (int64_t q = 0; q < t.plan.nkblocks; ++q) {
    t.kb_start.push_back(q * t.plan.kblock);
    t.kb_len.push_back(std::min(t.plan.kblock, k - q * t.plan.kblock));
  }
  run_blocked(t, m, n, k, a, b, out);
}

}  // namespace lowbit::ops

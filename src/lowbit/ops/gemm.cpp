// GEMM op layer: shape checks and dispatch. The f32 path packs and blocks BLIS-style around
// the registry's micro-kernel and threads over output tiles; f64 threads over row blocks of the
// registry's f64 kernel.
#include "lowbit/ops/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/gemm_f32.h"
#include "lowbit/kernels/gemm_f64.h"

namespace lowbit::ops {

namespace {
// Cache blocking for Zen 2 (32 KiB L1d, 512 KiB L2 per core, 16 MiB L3): a kc x nr B panel
// (24 KiB at nr 16) stays in L1 while the mc x kc packed A block (216 KiB) streams from L2; the
// packed kc x nc B block (2.25 MiB) lives in L3. kc = 384 beat 256 and 512 on the
// transformer shapes (K = 384 is then one block); nc = 1536 edged out 3072 and 768. kc depends on k alone, so every C element
// sums the same k-blocks in the same order whatever the thread count.
constexpr int64_t kKcMax = 384;
constexpr int64_t kMcMax = 144;
constexpr int64_t kNcMax = 1536;
// Below this many multiply-adds a fork/join costs more than it saves.
constexpr int64_t kParallelMinMacs = int64_t(1) << 18;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Grow-only, 64-byte aligned scratch per calling thread and slot (slot 1 holds every team
// thread's A block, allocated before the team starts).
float* scratch(int slot, int64_t floats) {
  struct Buf {
    std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
    int64_t cap = 0;
  };
  thread_local Buf bufs[2];
  Buf& buf = bufs[slot];
  if (buf.cap < floats) {
    int64_t cap = round_up(floats, 16);
    void* p = std::aligned_alloc(64, static_cast<size_t>(cap) * sizeof(float));
    LB_CHECK(p, "[gemm] cannot allocate ", cap * 4, " bytes of packing scratch");
    buf.data.reset(static_cast<float*>(p));
    buf.cap = cap;
  }
  return buf.data.get();
}

// k == 0: C = alpha * 0 + beta * C, as the reference computes it.
void gemm_f32_empty_k(int64_t m, int64_t n, float alpha, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float prod = alpha * 0.0f;
      c[i * ldc + j] = beta == 0.0f ? prod : prod + beta * c[i * ldc + j];
    }
}

void gemm_f32_blocked(const GemmF32Kernel& kern, bool ta, bool tb, int64_t m, int64_t n,
                      int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                      int64_t ldb, float beta, float* c, int64_t ldc) {
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t kc = std::min(k, round_up(ceil_div(k, ceil_div(k, kKcMax)), 8));
  const int64_t nc = std::min(round_up(n, nr), kNcMax);
  int nt = omp_in_parallel() || m * n * k < kParallelMinMacs ? 1 : num_threads();
  // Split M when there are enough row tiles, else split N; either way each thread owns
  // whole micro-tiles, so the split changes nothing in the arithmetic.
  const bool split_m = nt == 1 || ceil_div(m, mr) >= 2 * nt;
  const int64_t mblocks = split_m ? round_up(ceil_div(m, kMcMax), nt) : 1;
  const int64_t mc = round_up(ceil_div(m, mblocks), mr);
  const int64_t mb = ceil_div(m, mc);
  float* bpack = scratch(0, kc * nc);
  // In-place A only while K is one k-block: with longer rows the six rows of a tile lie far
  // apart (TLB misses on every broadcast), and packing wins again.
  const bool direct_a = !ta && kern.micro_rows && k <= kKcMax;

  const int64_t afloats = round_up(mc * kc + gemm_f32_pack_slack, 16);  // each thread's A block
  float* apacks = scratch(1, nt * afloats);

  run_team(nt, [&](auto team) {
    constexpr bool kTeam = decltype(team)::value;
    float* apack = apacks + team_thread<kTeam>() * afloats;
    for (int64_t jc = 0; jc < n; jc += nc) {
      const int64_t ncur = std::min(nc, n - jc);
      const int64_t npanels = ceil_div(ncur, nr);
      const int64_t nw = split_m ? ncur : round_up(ceil_div(ncur, nt), nr);
      const int64_t nb = ceil_div(ncur, nw);
      for (int64_t pc = 0; pc < k; pc += kc) {
        const int64_t kcur = std::min(kc, k - pc);
        const GemmF32Epilogue epi{alpha, pc == 0 ? beta : 1.0f};
        team_for<kTeam>(npanels, [&](int64_t s) {
          const int64_t j = jc + s * nr;
          kern.pack_b(tb, kcur, std::min(nr, ncur - s * nr), tb ? b + j * ldb + pc : b + pc * ldb + j,
                      ldb, bpack + s * kcur * nr);
        });
        int64_t packed_ib = -1;
        team_for<kTeam>(mb * nb, [&](int64_t item) {
          const int64_t ib = item / nb, jb = item % nb;
          const int64_t i0 = ib * mc, mcur = std::min(mc, m - i0);
          // Whole row tiles read A in place when the kernel can (row-major A); the rest packs.
          const int64_t direct = direct_a ? mcur / mr * mr : 0;
          const float* a0 = ta ? a + pc * lda + i0 : a + i0 * lda + pc;
          if (ib != packed_ib) {
            if (direct < mcur)
              kern.pack_a(ta, mcur - direct, kcur, ta ? a0 + direct : a0 + direct * lda, lda, apack);
            packed_ib = ib;
          }
          const int64_t j1 = std::min(ncur, (jb + 1) * nw);
          for (int64_t jr = jb * nw; jr < j1; jr += nr) {
            const float* bp = bpack + (jr / nr) * kcur * nr;
            float* cj = c + i0 * ldc + jc + jr;
            const int64_t ncols = std::min(nr, j1 - jr);
            for (int64_t ir = 0; ir < direct; ir += mr)
              kern.micro_rows(kcur, a0 + ir * lda, lda, bp, cj + ir * ldc, ldc, ncols, epi);
            for (int64_t ir = direct; ir < mcur; ir += mr)
              kern.micro(kcur, apack + ((ir - direct) / mr) * kcur * mr, bp, cj + ir * ldc, ldc,
                         std::min(mr, mcur - ir), ncols, epi);
          }
        });
      }
    }
  });
}

template <class T>
Tensor matmul_nt_t(const Tensor& x, const Tensor& w) {
  int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  Tensor y = Tensor::empty({m, n}, x.dtype());
  gemm(false, true, m, n, k, T(1), x.data<T>(), k, w.data<T>(), k, T(0), y.data<T>(), n);
  return y;
}

template <class T>
Tensor matmul_nn_t(const Tensor& dy, const Tensor& w) {
  int64_t m = dy.dim(0), n = dy.dim(1), k = w.dim(1);
  Tensor dx = Tensor::empty({m, k}, dy.dtype());
  gemm(false, false, m, k, n, T(1), dy.data<T>(), n, w.data<T>(), k, T(0), dx.data<T>(), k);
  return dx;
}

template <class T>
void matmul_tn_acc_t(const Tensor& dy, const Tensor& x, Tensor& dw) {
  int64_t m = dy.dim(0), n = dy.dim(1), k = x.dim(1);
  gemm(true, false, n, k, m, T(1), dy.data<T>(), n, x.data<T>(), k, T(1), dw.data<T>(), k);
}

void check_gemm_args(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda,
                     int64_t ldb, int64_t ldc) {
  LB_CHECK(m >= 0 && n >= 0 && k >= 0, "[gemm] negative size m=", m, " n=", n, " k=", k);
  LB_CHECK(lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n) && ldc >= n,
           "[gemm] leading dimensions lda=", lda, " ldb=", ldb, " ldc=", ldc, " too small for m=",
           m, " n=", n, " k=", k, " trans_a=", trans_a, " trans_b=", trans_b);
}

void check_float_pair(const char* op, const Tensor& a, const Tensor& b) {
  LB_CHECK(a.ndim() == 2 && b.ndim() == 2, "[", op, "] expects 2-D operands, got ",
           a.shape_string(), " and ", b.shape_string());
  LB_CHECK(a.dtype() == b.dtype() && (a.dtype() == DType::f32 || a.dtype() == DType::f64), "[",
           op, "] operands must both be f32 or both f64, got ", dtype_name(a.dtype()), " and ",
           dtype_name(b.dtype()));
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  check_gemm_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) return gemm_f32_empty_k(m, n, alpha, beta, c, ldc);
  gemm_f32_blocked(gemm_f32_kernels().chosen(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                   beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  check_gemm_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  // Row blocks of 32: each packs B once per block (1/32 of the multiply-adds in copies), and a
  // row's result does not depend on which block it is in.
  const GemmF64Kernel& kern = gemm_f64_kernels().chosen();
  parallel_for(m, 32, [&](int64_t r0, int64_t r1) {
    const double* a_rows = trans_a ? a + r0 : a + r0 * lda;
    kern.fn(trans_a, trans_b, r1 - r0, n, k, alpha, a_rows, lda, b, ldb, beta, c + r0 * ldc, ldc);
  });
}

Tensor matmul_nt(const Tensor& x, const Tensor& w) {
  check_float_pair("matmul_nt", x, w);
  LB_CHECK(x.dim(1) == w.dim(1), "[matmul_nt] x is ", x.shape_string(), ", w is ",
           w.shape_string(), ": inner dimensions differ");
  return x.dtype() == DType::f32 ? matmul_nt_t<float>(x, w) : matmul_nt_t<double>(x, w);
}

Tensor matmul_nn(const Tensor& dy, const Tensor& w) {
  check_float_pair("matmul_nn", dy, w);
  LB_CHECK(dy.dim(1) == w.dim(0), "[matmul_nn] dy is ", dy.shape_string(), ", w is ",
           w.shape_string(), ": inner dimensions differ");
  return dy.dtype() == DType::f32 ? matmul_nn_t<float>(dy, w) : matmul_nn_t<double>(dy, w);
}

void matmul_tn_acc(const Tensor& dy, const Tensor& x, Tensor& dw) {
  check_float_pair("matmul_tn_acc", dy, x);
  LB_CHECK(dy.dim(0) == x.dim(0) && dw.ndim() == 2 && dw.dim(0) == dy.dim(1) &&
               dw.dim(1) == x.dim(1) && dw.dtype() == x.dtype(),
           "[matmul_tn_acc] dy ", dy.shape_string(), ", x ", x.shape_string(), ", dw ",
           dw.shape_string(), ": expected dy (M, N), x (M, K), dw (N, K)");
  if (x.dtype() == DType::f32) matmul_tn_acc_t<float>(dy, x, dw);
  else matmul_tn_acc_t<double>(dy, x, dw);
}

}  // namespace lowbit::ops

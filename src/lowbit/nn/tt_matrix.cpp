// TT-matrix math: factorization of sizes, validation, the core-by-core contractions of the
// forward and backward passes (each a GEMM plus a transpose), materialization and TT-SVD.
#include "lowbit/nn/tt_matrix.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "lowbit/core/linalg.h"
#include "lowbit/core/parallel.h"
#include "lowbit/ops/gemm.h"

namespace lowbit::nn {

namespace {

int64_t product(const std::vector<int64_t>& v, size_t begin = 0, size_t end = SIZE_MAX) {
  int64_t p = 1;
  for (size_t k = begin; k < std::min(end, v.size()); ++k) p *= v[k];
  return p;
}

std::string list_str(const std::vector<int64_t>& v) { return shape_str(v); }

}  // namespace

int64_t TtLayout::in() const { return product(in_modes); }
int64_t TtLayout::out() const { return product(out_modes); }
int64_t TtLayout::numel() const {
  int64_t n = 0;
  for (int k = 0; k < d(); ++k) n += shape_numel(core_shape(k));
  return n;
}
std::string TtLayout::str() const {
  return cat("in ", list_str(in_modes), ", out ", list_str(out_modes), ", ranks ", list_str(ranks));
}

std::vector<int64_t> tt_factorize(int64_t n, int d, bool allow_ones) {
  LB_CHECK(n >= 1 && d >= 1, "[tt_factorize] n = ", n, " and d = ", d, " must be positive");
  // Exhaustive search over non-decreasing divisor sequences (sizes here are ≤ ~1e6, d ≤ ~6):
  // minimise Σ (log f - log n / d)², i.e. the most even split.
  const double target = std::log(static_cast<double>(n)) / d;
  std::vector<int64_t> best, cur;
  double best_cost = std::numeric_limits<double>::infinity();
  const int64_t lo = allow_ones ? 1 : 2;
  std::function<void(int64_t, int64_t, double)> rec = [&](int64_t rest, int64_t min_f,
                                                          double cost) {
    int left = d - static_cast<int>(cur.size());
    if (left == 1) {
      if (rest < min_f) return;
      double e = std::log(static_cast<double>(rest)) - target;
      if (cost + e * e < best_cost) {
        best_cost = cost + e * e;
        best = cur;
        best.push_back(rest);
      }
      return;
    }
    for (int64_t f = min_f; f <= rest; ++f) {
      if (rest % f) continue;
      // f is the smallest of the remaining `left` factors, so f^left ≤ rest.
      if (std::pow(static_cast<double>(f), left) > static_cast<double>(rest) * (1 + 1e-9)) break;
      double e = std::log(static_cast<double>(f)) - target;
      cur.push_back(f);
      rec(rest / f, f, cost + e * e);
      cur.pop_back();
    }
  };
  rec(n, lo, 0.0);
  LB_CHECK(!best.empty(), "[tt_factorize] ", n, " cannot be written as a product of ", d,
           " factors ≥ 2 (it has fewer than ", d,
           " prime factors); use fewer modes, pass the modes explicitly, or allow factors of 1");
  return best;
}

std::vector<int64_t> tt_factorize_at_least(int64_t n, int d) {
  LB_CHECK(n >= 1 && d >= 1, "[tt_factorize_at_least] n = ", n, " and d = ", d,
           " must be positive");
  // Start from ceil(n^(1/d)) everywhere, then shrink modes one by one while the product stays
  // ≥ n: near-equal modes with little padding.
  auto m = static_cast<int64_t>(std::ceil(std::pow(static_cast<double>(n), 1.0 / d) - 1e-9));
  std::vector<int64_t> f(static_cast<size_t>(d), std::max<int64_t>(m, 1));
  while (product(f) < n) ++f[0];  // guard against pow rounding
  for (int k = 0; k < d; ++k)
    while (f[k] > 1) {
      --f[k];
      if (product(f) < n) {
        ++f[k];
        break;
      }
    }
  std::sort(f.begin(), f.end());
  return f;
}

std::vector<int64_t> tt_default_ranks(const std::vector<int64_t>& out_modes,
                                      const std::vector<int64_t>& in_modes, int64_t max_rank) {
  const size_t d = in_modes.size();
  std::vector<int64_t> r(d + 1, 1);
  for (size_t k = 0; k + 1 < d; ++k) {
    int64_t right = 1;
    for (size_t j = k + 1; j < d; ++j) right = std::min<int64_t>(right * out_modes[j] * in_modes[j], int64_t(1) << 40);
    r[k + 1] = std::min({max_rank, r[k] * out_modes[k] * in_modes[k], right});
  }
  return r;
}

TtLayout tt_layout(const TtShape& s, int64_t in, int64_t out, const std::string& who,
                   bool pad_out) {
  LB_CHECK(in > 0 && out > 0, "[", who, "] in ", in, " and out ", out, " must be positive");
  TtLayout l;
  int d = !s.in_modes.empty() ? static_cast<int>(s.in_modes.size())
          : !s.out_modes.empty() ? static_cast<int>(s.out_modes.size()) : s.d;
  LB_CHECK(d >= 1, "[", who, "] a tensor train needs at least 1 mode, got d = ", d);
  l.in_modes = s.in_modes.empty() ? tt_factorize(in, d, true) : s.in_modes;
  if (s.out_modes.empty()) {
    l.out_modes = pad_out ? tt_factorize_at_least(out, d) : tt_factorize(out, d, true);
    std::reverse(l.out_modes.begin(), l.out_modes.end());  // largest first: cheaper forward
  } else {
    l.out_modes = s.out_modes;
  }
  LB_CHECK(l.in_modes.size() == l.out_modes.size(), "[", who, "] in modes ",
           list_str(l.in_modes), " and out modes ", list_str(l.out_modes),
           " must have the same count");
  for (size_t k = 0; k < l.in_modes.size(); ++k)
    LB_CHECK(l.in_modes[k] >= 1 && l.out_modes[k] >= 1, "[", who, "] modes must be ≥ 1, got in ",
             list_str(l.in_modes), ", out ", list_str(l.out_modes));
  LB_CHECK(l.in() == in, "[", who, "] in modes ", list_str(l.in_modes), " multiply to ", l.in(),
           ", expected in = ", in);
  if (pad_out)
    LB_CHECK(l.out() >= out, "[", who, "] out modes ", list_str(l.out_modes), " multiply to ",
             l.out(), ", fewer than the ", out, " rows");
  else
    LB_CHECK(l.out() == out, "[", who, "] out modes ", list_str(l.out_modes), " multiply to ",
             l.out(), ", expected out = ", out);
  if (s.ranks.empty()) {
    LB_CHECK(s.max_rank >= 1, "[", who, "] give the ranks or a max_rank ≥ 1 (got ", s.max_rank,
             ")");
    l.ranks = tt_default_ranks(l.out_modes, l.in_modes, s.max_rank);
  } else {
    l.ranks = s.ranks;
    LB_CHECK(l.ranks.size() == l.in_modes.size() + 1 && l.ranks.front() == 1 &&
                 l.ranks.back() == 1,
             "[", who, "] ranks ", list_str(l.ranks), " must be ", l.in_modes.size() + 1,
             " values starting and ending with 1");
    for (int64_t r : l.ranks)
      LB_CHECK(r >= 1, "[", who, "] ranks ", list_str(l.ranks), " must be ≥ 1");
  }
  return l;
}

template <class T>
void transpose_2d(const T* src, int64_t rows, int64_t cols, T* dst) {
  constexpr int64_t kBlock = 64;  // 64 x 64 f32 tile = 16 KiB: both sides stay in L1
  parallel_for(rows, kBlock, [&](int64_t r0, int64_t r1) {
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
      const int64_t c1 = std::min(cols, c0 + kBlock);
      for (int64_t c = c0; c < c1; ++c) {
        T* __restrict d = dst + c * rows;
        const T* __restrict s = src + c;
        for (int64_t r = r0; r < r1; ++r) d[r] = s[r * cols];
      }
    }
  });
}
template void transpose_2d<float>(const float*, int64_t, int64_t, float*);
template void transpose_2d<double>(const double*, int64_t, int64_t, double*);

namespace {

// Step k (0-based) multiplies Z (A_k, i_k·r_{k+1}) by core k seen as (r_k·o_k) × (i_k·r_{k+1}):
// T = Z·G_kᵀ (A_k, r_k·o_k). Z's rows are indexed (o_{k+1}..o_{d-1}, m, i_0..i_{k-1}), so after
// the transpose (A_k·r_k, o_k) -> (o_k, A_k·r_k) the result is the next step's Z, whose trailing
// pair (i_{k-1}, r_k) is contracted next. The last step's T (O, M·o_0) transposes to (M, out).
template <class T>
Tensor forward_t(const TtLayout& l, const std::vector<const Tensor*>& cores, const Tensor& x,
                 TtSaved* saved) {
  const int d = l.d();
  const int64_t m = x.dim(0);
  if (saved) {
    saved->z.assign(static_cast<size_t>(d), Tensor());
    saved->rows = m;
  }
  Tensor z = x;
  for (int k = d - 1; k >= 0; --k) {
    if (saved) saved->z[k] = z;
    const int64_t kk = l.in_modes[k] * l.ranks[k + 1], ncol = l.ranks[k] * l.out_modes[k];
    const int64_t a = z.numel() / kk;
    Tensor t = Tensor::empty({a, ncol}, x.dtype());
    ops::gemm(false, true, a, ncol, kk, T(1), z.data<T>(), kk, cores[k]->data<T>(), kk, T(0),
              t.data<T>(), ncol);
    Tensor next = Tensor::empty({t.numel()}, x.dtype());
    if (k > 0)
      transpose_2d(t.data<T>(), a * l.ranks[k], l.out_modes[k], next.data<T>());
    else
      transpose_2d(t.data<T>(), a / m, m * l.out_modes[0], next.data<T>());
    z = next;
  }
  return z.reshape({m, l.out()});
}

// Reverse of forward_t: per core, dG_k += dTᵀ·Z_k and dZ_k = dT·G_k, then the inverse transpose.
template <class T>
Tensor backward_t(const TtLayout& l, const std::vector<const Tensor*>& cores,
                  const TtSaved& saved, const Tensor& dy, const std::vector<Tensor*>& dcores) {
  const int d = l.d();
  const int64_t m = saved.rows;
  Tensor dt = Tensor::empty({dy.numel()}, dy.dtype());
  transpose_2d(dy.data<T>(), m * l.out_modes[0], l.out() / l.out_modes[0], dt.data<T>());
  Tensor dz;
  for (int k = 0; k < d; ++k) {
    const Tensor& z = saved.z[k];
    const int64_t kk = l.in_modes[k] * l.ranks[k + 1], ncol = l.ranks[k] * l.out_modes[k];
    const int64_t a = z.numel() / kk;
    ops::gemm(true, false, ncol, kk, a, T(1), dt.data<T>(), ncol, z.data<T>(), kk, T(1),
              dcores[k]->data<T>(), kk);
    dz = Tensor::empty({a, kk}, dy.dtype());
    ops::gemm(false, false, a, kk, ncol, T(1), dt.data<T>(), ncol, cores[k]->data<T>(), kk, T(0),
              dz.data<T>(), kk);
    if (k + 1 < d) {
      // Z_k = transpose of T_{k+1} (A_{k+1}·r_{k+1}, o_{k+1}); undo it on the gradient.
      dt = Tensor::empty({dz.numel()}, dy.dtype());
      const int64_t o = l.out_modes[k + 1];
      transpose_2d(dz.data<T>(), o, dz.numel() / o, dt.data<T>());
    }
  }
  return dz.reshape({m, l.in()});
}

void check_cores(const TtLayout& l, const std::vector<const Tensor*>& cores, DType dtype,
                 const char* what) {
  LB_CHECK(static_cast<int>(cores.size()) == l.d(), "[", what, "] ", cores.size(),
           " cores for a ", l.d(), "-mode tensor train");
  for (int k = 0; k < l.d(); ++k) {
    check_shape(what, cat("core", k).c_str(), *cores[k], l.core_shape(k));
    check_dtype(what, cat("core", k).c_str(), *cores[k], dtype);
  }
}

}  // namespace

Tensor tt_forward(const TtLayout& l, const std::vector<const Tensor*>& cores, const Tensor& x,
                  TtSaved* saved) {
  LB_CHECK(x.ndim() == 2 && x.dim(1) == l.in(), "[tt_forward] x is ", x.shape_string(),
           ", expected (*, ", l.in(), ")");
  LB_CHECK(x.dtype() == DType::f32 || x.dtype() == DType::f64, "[tt_forward] x is ",
           dtype_name(x.dtype()), ", expected f32 or f64");
  check_cores(l, cores, x.dtype(), "tt_forward");
  if (x.dim(0) == 0) {
    if (saved) *saved = TtSaved{std::vector<Tensor>(static_cast<size_t>(l.d())), 0};
    return Tensor::zeros({0, l.out()}, x.dtype());
  }
  return x.dtype() == DType::f32 ? forward_t<float>(l, cores, x, saved)
                                 : forward_t<double>(l, cores, x, saved);
}

Tensor tt_backward(const TtLayout& l, const std::vector<const Tensor*>& cores,
                   const TtSaved& saved, const Tensor& dy, const std::vector<Tensor*>& dcores) {
  LB_CHECK(saved.rows >= 0, "[tt_backward] called before a forward that saved its inputs");
  LB_CHECK(dy.ndim() == 2 && dy.dim(0) == saved.rows && dy.dim(1) == l.out(), "[tt_backward] dy is ",
           dy.shape_string(), ", expected (", saved.rows, ", ", l.out(), ")");
  check_cores(l, cores, dy.dtype(), "tt_backward");
  std::vector<const Tensor*> dc(dcores.begin(), dcores.end());
  check_cores(l, dc, dy.dtype(), "tt_backward");
  if (saved.rows == 0) return Tensor::zeros({0, l.in()}, dy.dtype());
  return dy.dtype() == DType::f32 ? backward_t<float>(l, cores, saved, dy, dcores)
                                  : backward_t<double>(l, cores, saved, dy, dcores);
}

Tensor tt_materialize(const TtLayout& l, const std::vector<const Tensor*>& cores) {
  LB_CHECK(!cores.empty(), "[tt_materialize] no cores");
  check_cores(l, cores, cores[0]->dtype(), "tt_materialize");
  const int d = l.d();
  const int64_t rows = l.out(), cols = l.in();
  std::vector<std::vector<double>> g;
  for (const Tensor* c : cores) g.push_back(c->to_vector());
  std::vector<double> w(static_cast<size_t>(rows * cols));
  // Entry by entry: a row vector times d slices, with the digits of (row, col), mode 0 first.
  std::vector<double> v, nv;
  std::vector<int64_t> ai(d), bi(d);
  for (int64_t a = 0; a < rows; ++a)
    for (int64_t b = 0; b < cols; ++b) {
      for (int64_t k = d - 1, ra = a, rb = b; k >= 0; --k) {
        ai[k] = ra % l.out_modes[k], ra /= l.out_modes[k];
        bi[k] = rb % l.in_modes[k], rb /= l.in_modes[k];
      }
      v.assign(1, 1.0);
      for (int k = 0; k < d; ++k) {
        const int64_t r0 = l.ranks[k], r1 = l.ranks[k + 1], o = l.out_modes[k], i = l.in_modes[k];
        nv.assign(static_cast<size_t>(r1), 0.0);
        for (int64_t s = 0; s < r0; ++s)
          for (int64_t t = 0; t < r1; ++t)
            nv[t] += v[s] * g[k][((s * o + ai[k]) * i + bi[k]) * r1 + t];
        v.swap(nv);
      }
      w[a * cols + b] = v[0];
    }
  Tensor out = Tensor::from_vector({rows, cols}, w);
  return cores[0]->dtype() == DType::f64 ? out : out.to(cores[0]->dtype());
}

std::vector<Tensor> tt_svd(const Tensor& w, const TtLayout& l, std::vector<double>* discarded_sq) {
  LB_CHECK(w.ndim() == 2 && w.dim(0) == l.out() && w.dim(1) == l.in(), "[tt_svd] W is ",
           w.shape_string(), ", expected (", l.out(), ", ", l.in(), ") for ", l.str());
  LB_CHECK(w.dtype() == DType::f32 || w.dtype() == DType::f64, "[tt_svd] W is ",
           dtype_name(w.dtype()), ", expected f32 or f64");
  const int d = l.d();
  const int64_t rows = l.out(), cols = l.in();
  // Regroup W's indices (a_0..a_{d-1}, b_0..b_{d-1}) as (a_0 b_0, a_1 b_1, ...).
  auto wv = w.to_vector();
  std::vector<double> cur(wv.size());
  for (int64_t a = 0; a < rows; ++a)
    for (int64_t b = 0; b < cols; ++b) {
      int64_t pos = 0, stride = 1;
      for (int64_t k = d - 1, ra = a, rb = b; k >= 0; --k) {
        pos += (ra % l.out_modes[k] * l.in_modes[k] + rb % l.in_modes[k]) * stride;
        stride *= l.out_modes[k] * l.in_modes[k];
        ra /= l.out_modes[k], rb /= l.in_modes[k];
      }
      cur[pos] = wv[a * cols + b];
    }
  if (discarded_sq) discarded_sq->assign(static_cast<size_t>(d), 0.0);
  std::vector<Tensor> cores;
  for (int k = 0; k < d; ++k) {
    const int64_t r0 = l.ranks[k], r1 = l.ranks[k + 1];
    const int64_t m = r0 * l.out_modes[k] * l.in_modes[k];
    std::vector<double> core(static_cast<size_t>(m * r1), 0.0);
    if (k == d - 1) {
      core = cur;  // (r_{d-1}·o·i) × 1
    } else {
      const int64_t n = static_cast<int64_t>(cur.size()) / m;
      Svd s = svd_jacobi(cur, m, n);
      const int64_t keep = std::min(r1, s.p);  // ranks above p are zero padding
      for (int64_t q = keep; q < s.p; ++q)
        if (discarded_sq) (*discarded_sq)[k] += s.s[q] * s.s[q];
      for (int64_t i = 0; i < m; ++i)
        for (int64_t q = 0; q < keep; ++q) core[i * r1 + q] = s.u[i * s.p + q];
      std::vector<double> next(static_cast<size_t>(r1 * n), 0.0);  // diag(s)·Vᵀ, r1 rows
      for (int64_t q = 0; q < keep; ++q)
        for (int64_t j = 0; j < n; ++j) next[q * n + j] = s.s[q] * s.v[j * s.p + q];
      cur.swap(next);
    }
    Tensor c = Tensor::from_vector(l.core_shape(k), core);
    cores.push_back(w.dtype() == DType::f64 ? c : c.to(w.dtype()));
  }
  return cores;
}

}  // namespace lowbit::nn

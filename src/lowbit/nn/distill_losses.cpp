// Row-parallel loops with fixed chunks; partial sums are added in chunk order, so the loss bits
// do not depend on the thread count.
#include "lowbit/nn/distill_losses.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "lowbit/core/error.h"
#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kChunk = 4096;

void check_pair(const char* op, const Tensor& s, const Tensor& t) {
  LB_CHECK(s.shape() == t.shape(), "[", op, "] student is ", s.shape_string(), ", teacher ",
           t.shape_string(), "; they must match");
  LB_CHECK(s.dtype() == t.dtype() && (s.dtype() == DType::f32 || s.dtype() == DType::f64), "[",
           op, "] student is ", dtype_name(s.dtype()), ", teacher ", dtype_name(t.dtype()),
           "; expected both f32 or both f64");
}

template <class T>
double mse_t(const Tensor& student, const Tensor& teacher, Tensor* dstudent) {
  const int64_t n = student.numel();
  const T* s = student.data<T>();
  const T* t = teacher.data<T>();
  T* d = dstudent ? dstudent->data<T>() : nullptr;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> part(static_cast<size_t>(chunks), 0.0);
  const double scale = n ? 2.0 / static_cast<double>(n) : 0;
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double acc = 0;
      for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
        const double e = static_cast<double>(s[i]) - static_cast<double>(t[i]);
        acc += e * e;
        if (d) d[i] = static_cast<T>(scale * e);
      }
      part[c] = acc;
    }
  });
  double sum = 0;
  for (double p : part) sum += p;
  return n ? sum / static_cast<double>(n) : 0;
}

// log-softmax of x/T into out (double).
template <class T>
void log_softmax_row(const T* x, int64_t k, double inv_t, double* out) {
  double mx = -INFINITY;
  for (int64_t j = 0; j < k; ++j) mx = std::max(mx, static_cast<double>(x[j]) * inv_t);
  double s = 0;
  for (int64_t j = 0; j < k; ++j) s += std::exp(static_cast<double>(x[j]) * inv_t - mx);
  const double lse = mx + std::log(s);
  for (int64_t j = 0; j < k; ++j) out[j] = static_cast<double>(x[j]) * inv_t - lse;
}

template <class T>
double soft_ce_t(const Tensor& student, const Tensor& teacher, double temp, Tensor* dstudent) {
  const int64_t b = student.dim(0), k = student.dim(1);
  const T* s = student.data<T>();
  const T* t = teacher.data<T>();
  T* d = dstudent ? dstudent->data<T>() : nullptr;
  std::vector<double> row_loss(static_cast<size_t>(b));
  const double inv_t = 1.0 / temp;
  parallel_for(b, 16, [&](int64_t r0, int64_t r1) {
    std::vector<double> lq(static_cast<size_t>(k)), lp(static_cast<size_t>(k));
    for (int64_t r = r0; r < r1; ++r) {
      log_softmax_row(s + r * k, k, inv_t, lq.data());
      log_softmax_row(t + r * k, k, inv_t, lp.data());
      double acc = 0;
      for (int64_t j = 0; j < k; ++j) {
        const double p = std::exp(lp[j]);
        acc += p * (lp[j] - lq[j]);
        if (d) d[r * k + j] = static_cast<T>(temp * (std::exp(lq[j]) - p) / static_cast<double>(b));
      }
      row_loss[r] = acc;
    }
  });
  double sum = 0;
  for (double l : row_loss) sum += l;
  return b ? temp * temp * sum / static_cast<double>(b) : 0;
}

}  // namespace

double mse_loss(const Tensor& student, const Tensor& teacher, Tensor* dstudent) {
  check_pair("mse_loss", student, teacher);
  if (dstudent) *dstudent = Tensor::empty(student.shape(), student.dtype());
  return student.dtype() == DType::f32 ? mse_t<float>(student, teacher, dstudent)
                                       : mse_t<double>(student, teacher, dstudent);
}

double soft_cross_entropy(const Tensor& student, const Tensor& teacher, double temperature,
                          Tensor* dstudent) {
  check_pair("soft_cross_entropy", student, teacher);
  LB_CHECK(student.ndim() == 2, "[soft_cross_entropy] logits are ", student.shape_string(),
           ", expected (B, K)");
  LB_CHECK(temperature > 0, "[soft_cross_entropy] temperature ", temperature, " must be positive");
  if (dstudent) *dstudent = Tensor::empty(student.shape(), student.dtype());
  return student.dtype() == DType::f32 ? soft_ce_t<float>(student, teacher, temperature, dstudent)
                                       : soft_ce_t<double>(student, teacher, temperature, dstudent);
}

}  // namespace lowbit::nn

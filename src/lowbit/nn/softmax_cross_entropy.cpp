// Cross-entropy rows in parallel; each row's log-sum-exp subtracts the row max and sums in
// double, and the mean adds the row losses in row order (thread-count independent).
#include "lowbit/nn/softmax_cross_entropy.h"

#include <cmath>

#include "lowbit/core/parallel.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kRowsPerChunk = 16;

struct RowResult {
  double lse;
  int64_t argmax;
};

template <class T>
RowResult row_lse(const T* x, int64_t k) {
  int64_t best = 0;
  for (int64_t j = 1; j < k; ++j)
    if (x[j] > x[best]) best = j;
  const double mx = static_cast<double>(x[best]);
  double s = 0;
  for (int64_t j = 0; j < k; ++j) s += std::exp(static_cast<double>(x[j]) - mx);
  return {mx + std::log(s), best};
}

template <class T>
double forward_t(const Tensor& logits, const std::vector<int32_t>& labels, std::vector<double>& lse,
                 int64_t& correct) {
  const int64_t b = logits.dim(0), k = logits.dim(1);
  const T* x = logits.data<T>();
  std::vector<double> loss(static_cast<size_t>(b));
  std::vector<uint8_t> hit(static_cast<size_t>(b));
  parallel_for(b, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const RowResult rr = row_lse(x + r * k, k);
      lse[r] = rr.lse;
      loss[r] = rr.lse - static_cast<double>(x[r * k + labels[r]]);
      hit[r] = rr.argmax == labels[r];
    }
  });
  double sum = 0;
  correct = 0;
  for (int64_t r = 0; r < b; ++r) {
    sum += loss[r];
    correct += hit[r];
  }
  return sum / static_cast<double>(b);
}

template <class T>
void backward_t(const Tensor& logits, const std::vector<int32_t>& labels,
                const std::vector<double>& lse, Tensor& dlogits) {
  const int64_t b = logits.dim(0), k = logits.dim(1);
  const T* x = logits.data<T>();
  T* d = dlogits.data<T>();
  const double inv_b = 1.0 / static_cast<double>(b);
  parallel_for(b, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t j = 0; j < k; ++j) {
        const double p = std::exp(static_cast<double>(x[r * k + j]) - lse[r]);
        d[r * k + j] = static_cast<T>((p - (j == labels[r] ? 1.0 : 0.0)) * inv_b);
      }
    }
  });
}

}  // namespace

double SoftmaxCrossEntropy::forward(const Tensor& logits, const Tensor& labels) {
  LB_CHECK(logits.ndim() == 2 && logits.dim(0) > 0 && logits.dim(1) > 0,
           "[cross_entropy] logits is ", logits.shape_string(), ", expected (B, K) with B, K > 0");
  LB_CHECK(logits.dtype() == DType::f32 || logits.dtype() == DType::f64,
           "[cross_entropy] logits is ", dtype_name(logits.dtype()), ", expected f32 or f64");
  const int64_t b = logits.dim(0), k = logits.dim(1);
  check_shape("cross_entropy", "labels", labels, {b});
  check_dtype("cross_entropy", "labels", labels, DType::i32);
  const int32_t* pl = labels.data<int32_t>();
  for (int64_t r = 0; r < b; ++r)
    LB_CHECK(pl[r] >= 0 && pl[r] < k, "[cross_entropy] label ", pl[r], " at row ", r,
             " is out of range for ", k, " classes (model.classes); check the dataset's labels");
  logits_ = logits;
  labels_.assign(pl, pl + b);
  lse_.assign(static_cast<size_t>(b), 0.0);
  return logits.dtype() == DType::f32 ? forward_t<float>(logits, labels_, lse_, correct_)
                                      : forward_t<double>(logits, labels_, lse_, correct_);
}

Tensor SoftmaxCrossEntropy::backward() const {
  LB_CHECK(logits_.defined(), "[cross_entropy] backward called before forward");
  Tensor d = Tensor::empty(logits_.shape(), logits_.dtype());
  if (d.dtype() == DType::f32)
    backward_t<float>(logits_, labels_, lse_, d);
  else
    backward_t<double>(logits_, labels_, lse_, d);
  return d;
}

}  // namespace lowbit::nn

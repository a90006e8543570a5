// Softmax + cross-entropy loss over classes (torch.nn.functional.cross_entropy, mean reduction),
// fused so the backward is softmax - onehot without forming log-probabilities twice.
#pragma once

#include <cstdint>
#include <vector>

#include "lowbit/core/tensor.h"

namespace lowbit::nn {

class SoftmaxCrossEntropy {
 public:
  // logits (B, K) f32|f64, labels (B) i32 in [0, K) -> mean over rows of logsumexp - logit[label],
  // accumulated in double. Keeps a reference to logits (not a copy) for backward.
  double forward(const Tensor& logits, const Tensor& labels);
  // Rows of the last forward whose argmax (the first index on ties) equals the label.
  int64_t correct() const { return correct_; }
  // dlogits (B, K) = (softmax(logits) - onehot(labels)) / B, in the logits' dtype.
  Tensor backward() const;

 private:
  Tensor logits_;
  std::vector<int32_t> labels_;
  std::vector<double> lse_;  // per row: log sum_k exp(logit_k)
  int64_t correct_ = 0;
};

}  // namespace lowbit::nn

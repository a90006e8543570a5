// Evaluation loop: fixed order, no dropout; sums combined in batch order (deterministic).
#include "lowbit/train/evaluate.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "lowbit/nn/softmax_cross_entropy.h"

namespace lowbit {

EvalResult evaluate(models::Classifier& model, const TaskData& data, int64_t batch_size,
                    int64_t max_examples) {
  auto t0 = std::chrono::steady_clock::now();
  int64_t n = data.size(false);
  if (max_examples > 0) n = std::min(n, max_examples);
  EvalResult r;
  double loss_sum = 0;
  int64_t correct = 0;
  nn::ForwardContext ctx;  // training = false
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    std::vector<int64_t> idx(static_cast<size_t>(std::min(batch_size, n - begin)));
    std::iota(idx.begin(), idx.end(), begin);
    Tensor labels;
    models::ModelInput in = data.batch(false, idx, &labels);
    nn::SoftmaxCrossEntropy ce;
    loss_sum += ce.forward(model.forward(in, ctx), labels) * static_cast<double>(idx.size());
    correct += ce.correct();
  }
  r.examples = n;
  r.accuracy = n ? static_cast<double>(correct) / n : 0;
  r.loss = n ? loss_sum / n : 0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace lowbit

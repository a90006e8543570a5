// The two losses of knowledge distillation: mean squared error between a student's and a
// teacher's hidden states, and the soft cross-entropy of the student's logits against the
// teacher's at a temperature (Hinton et al. 2015; TinyBERT's prediction-layer loss).
#pragma once

#include "lowbit/core/tensor.h"

namespace lowbit::nn {

// mean((student - teacher)^2) over all elements, summed in double in a fixed order; dstudent
// (same shape and dtype as student) = 2 (student - teacher) / numel. teacher is not
// differentiated (it is a constant target).
double mse_loss(const Tensor& student, const Tensor& teacher, Tensor* dstudent);

// Rows of logits (B, K): T^2 · mean_b sum_k p_k · (log p_k - log q_k) with p = softmax(teacher/T),
// q = softmax(student/T) (the KL divergence, so a perfect student scores 0; the T^2 keeps the
// gradient's scale independent of T). dstudent = T · (q - p) / B.
double soft_cross_entropy(const Tensor& student, const Tensor& teacher, double temperature,
                          Tensor* dstudent);

}  // namespace lowbit::nn

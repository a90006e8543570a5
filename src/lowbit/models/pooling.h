// Row gather/scatter for [CLS] pooling and the tanh of the BERT pooler, templated on the
// scalar so f64 gradient tests run the same code.
#pragma once

#include "lowbit/core/tensor.h"

namespace lowbit::models {

// x (B*T, C) -> (B, C): row b*T of each sequence.
Tensor first_token_rows(const Tensor& x, int64_t batch, int64_t seq);
// dy (B, C) -> (B*T, C), zeros except row b*T.
Tensor first_token_rows_backward(const Tensor& dy, int64_t batch, int64_t seq);
Tensor tanh_forward(const Tensor& x);
// dy * (1 - y^2), y = tanh output
Tensor tanh_backward(const Tensor& dy, const Tensor& y);

}  // namespace lowbit::models

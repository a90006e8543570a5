// The bias of a linear map, shared by the dense and tensor-train layers: y (M, N) += bias (N)
// row by row, and dbias (N) += column sums of dy (M, N). f32 or f64; fixed row chunks whose
// partial sums are added in chunk order, so the bits do not depend on the thread count.
#pragma once

#include "lowbit/core/tensor.h"

namespace lowbit::nn {

void bias_add_rows(Tensor& y, const Tensor& bias);
void bias_grad_acc(const Tensor& dy, Tensor& dbias);

}  // namespace lowbit::nn

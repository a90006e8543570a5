// Residual wiring: y += x in place (same shape and float dtype), the add of every skip connection.
// Its backward is the identity, so the blocks add the upstream gradient to both branches.
#pragma once

#include "lowbit/core/tensor.h"

namespace lowbit::nn {

void add_inplace(Tensor& y, const Tensor& x);

}  // namespace lowbit::nn

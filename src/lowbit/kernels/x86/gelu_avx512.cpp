// The gelu family's avx512 variant: gelu_math.h compiled with this file's ISA flags (and
// -ffp-contract=off), vectorized by the compiler, bit-identical to gelu_*_ref.
#include "lowbit/kernels/ref/gelu_kernels.h"
#include "lowbit/kernels/ref/gelu_math.h"

namespace lowbit {

void gelu_forward_avx512(const float* x, float* y, int64_t n) {
  gelu_forward_loop(x, y, n);
}
void gelu_backward_avx512(const float* x, const float* dy, float* dx, int64_t n) {
  gelu_backward_loop(x, dy, dx, n);
}

}  // namespace lowbit

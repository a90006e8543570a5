// The gelu family's `_ref` (gelu_math.h compiled for baseline x86-64) and the family itself.
#include "lowbit/kernels/ref/gelu_kernels.h"

#include "lowbit/kernels/ref/gelu_math.h"

namespace lowbit {

void gelu_forward_ref(const float* x, float* y, int64_t n) {
  gelu_forward_loop(x, y, n);
}
void gelu_backward_ref(const float* x, const float* dy, float* dx, int64_t n) {
  gelu_backward_loop(x, dy, dx, n);
}
float gelu_erf_ref(float x) {
  return gelu_erf(x);
}
float gelu_exp_nonpos_ref(float x) {
  return gelu_exp_nonpos(x);
}

const KernelFamily<GeluKernel>& gelu_kernels() {
  static const KernelFamily<GeluKernel> f(
      "gelu", {{"gelu_avx512", Isa::avx512, gelu_forward_avx512, gelu_backward_avx512},
               {"gelu_avx2", Isa::avx2, gelu_forward_avx2, gelu_backward_avx2},
               {"gelu_ref", Isa::scalar, gelu_forward_ref, gelu_backward_ref}});
  return f;
}

}  // namespace lowbit

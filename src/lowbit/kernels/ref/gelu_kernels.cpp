// The gelu family's `_ref` (gelu_math.h compiled for baseline x86-64) and the family itself.
#define LOWBIT_BUILD_ISA ref
#include "lowbit/kernels/ref/gelu_defs.h"

namespace lowbit {

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

// Defines the gelu family's two entry points for one build (LOWBIT_BUILD_ISA = ref, avx2,
// avx512) from kernels/ref/gelu_math.h. Included once per file that builds a variant.
#include "lowbit/kernels/ref/gelu_kernels.h"
#include "lowbit/kernels/ref/gelu_math.h"
#include "lowbit/kernels/ref/isa_build.h"

namespace lowbit {

void LOWBIT_ISA_FN(gelu_forward_)(const float* x, float* y, int64_t n) {
  gelu_forward_loop(x, y, n);
}
void LOWBIT_ISA_FN(gelu_backward_)(const float* x, const float* dy, float* dx, int64_t n) {
  gelu_backward_loop(x, dy, dx, n);
}

}  // namespace lowbit

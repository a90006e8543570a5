// Defines the int_layer_norm family's three entry points for one build (LOWBIT_BUILD_ISA = ref,
// avx2, avx512) from kernels/ref/int_ln_math.h. Included once per file that builds a variant.
#include "lowbit/kernels/ref/int_ln_kernels.h"
#include "lowbit/kernels/ref/int_ln_math.h"
#include "lowbit/kernels/ref/isa_build.h"

namespace lowbit {

void LOWBIT_ISA_FN(int_ln_normalize_s8_)(const int8_t* q, float s, int64_t r0, int64_t r1,
                                         int64_t c, double eps, float* xhat, float* rstd) {
  int_ln_normalize_rows(q, s, r0, r1, c, eps, xhat, rstd);
}
void LOWBIT_ISA_FN(int_ln_affine_s8_)(const int8_t* h, const int8_t* g, float k,
                                      const float* beta, int64_t r0, int64_t r1, int64_t c,
                                      float* y) {
  int_ln_affine_rows(h, g, k, beta, r0, r1, c, y);
}
void LOWBIT_ISA_FN(int_ln_backward_s8_)(const int8_t* e, const int8_t* h, const int8_t* g,
                                        const float* rstd, float sd, float sh, float sg,
                                        int64_t r0, int64_t r1, int64_t c, float* dx,
                                        int64_t* part) {
  int_ln_backward_rows(e, h, g, rstd, sd, sh, sg, r0, r1, c, dx, part);
}

}  // namespace lowbit

// The int_layer_norm family's `_ref` (int_ln_math.h built for baseline x86-64) and the family.
#define LOWBIT_BUILD_ISA ref
#include "lowbit/kernels/ref/int_ln_defs.h"

namespace lowbit {

const KernelFamily<IntLnKernel>& int_ln_kernels() {
  static const KernelFamily<IntLnKernel> f(
      "int_layer_norm",
      {{"int_layer_norm_avx512", Isa::avx512, int_ln_normalize_s8_avx512, int_ln_affine_s8_avx512,
        int_ln_backward_s8_avx512},
       {"int_layer_norm_avx2", Isa::avx2, int_ln_normalize_s8_avx2, int_ln_affine_s8_avx2,
        int_ln_backward_s8_avx2},
       {"int_layer_norm_ref", Isa::scalar, int_ln_normalize_s8_ref, int_ln_affine_s8_ref,
        int_ln_backward_s8_ref}});
  return f;
}

}  // namespace lowbit

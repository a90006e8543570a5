// The f32 Walsh-Hadamard family: its `_ref` is the templated specification.
#include "lowbit/kernels/ref/hadamard_ref.h"

namespace lowbit {

void fwht_rows_f32_ref(float* x, int64_t rows, int64_t cols, int64_t block) {
  fwht_rows_ref<float>(x, rows, cols, block);
}

const KernelFamily<FwhtKernel>& fwht_kernels() {
  static const KernelFamily<FwhtKernel> f(
      "fwht", {{"fwht_avx2", Isa::avx2, fwht_rows_f32_avx2},
               {"fwht_ref", Isa::scalar, fwht_rows_f32_ref}});
  return f;
}

}  // namespace lowbit

// Hadamard rotation op: validates the block and shape, then runs the FWHT on row chunks.
// Each row is independent, so the result is the same at any thread count.
#include "lowbit/quant/hadamard.h"

#include <algorithm>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/hadamard_ref.h"

namespace lowbit {

void hadamard_rows_(Tensor& x, int64_t block) {
  LB_CHECK(block >= 2 && block <= 256 && (block & (block - 1)) == 0,
           "[hadamard] block must be a power of two in 2..256, got ", block);
  LB_CHECK(x.dtype() == DType::f32 || x.dtype() == DType::f64, "[hadamard] expects f32 or f64, got ",
           dtype_name(x.dtype()));
  int64_t cols = x.ndim() == 0 ? 1 : x.dim(-1);
  LB_CHECK(cols % block == 0, "[hadamard] last dimension of ", x.shape_string(),
           " is not a multiple of block ", block);
  int64_t rows = cols == 0 ? 0 : x.numel() / cols;
  const int64_t grain = rows_per_chunk(cols);
  const FwhtKernel& k = fwht_kernels().chosen();
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    if (x.dtype() == DType::f32)
      k.fn(x.data<float>() + r0 * cols, r1 - r0, cols, block);
    else
      fwht_rows_ref(x.data<double>() + r0 * cols, r1 - r0, cols, block);
  });
}

}  // namespace lowbit

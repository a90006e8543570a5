// Hadamard rotation op: validates the block and shape, then runs the FWHT on row chunks.
// Each row is independent, so the result is the same at any thread count.
#include "lowbit/quant/hadamard.h"

#include <algorithm>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/ref/hadamard_ref.h"

namespace lowbit {

namespace {
// dst = src rotated (dst may be src): each chunk of rows copied, if out of place, and
// transformed while it is in cache, chunks in parallel.
void rotate_rows(const Tensor& src, Tensor& dst, int64_t block) {
  LB_CHECK(block >= 2 && block <= 256 && (block & (block - 1)) == 0,
           "[hadamard] block must be a power of two in 2..256, got ", block);
  LB_CHECK(src.dtype() == DType::f32 || src.dtype() == DType::f64,
           "[hadamard] expects f32 or f64, got ", dtype_name(src.dtype()));
  int64_t cols = src.ndim() == 0 ? 1 : src.dim(-1);
  LB_CHECK(cols % block == 0, "[hadamard] last dimension of ", src.shape_string(),
           " is not a multiple of block ", block);
  int64_t rows = cols == 0 ? 0 : src.numel() / cols;
  const int64_t grain = rows_per_chunk(cols);
  const FwhtKernel& k = fwht_kernels().chosen();
  const bool copy = src.raw() != dst.raw();
  const size_t elem = src.dtype() == DType::f32 ? sizeof(float) : sizeof(double);
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    if (copy)
      std::memcpy(static_cast<char*>(dst.raw()) + r0 * cols * elem,
                  static_cast<const char*>(src.raw()) + r0 * cols * elem, (r1 - r0) * cols * elem);
    if (src.dtype() == DType::f32)
      k.fn(dst.data<float>() + r0 * cols, r1 - r0, cols, block);
    else
      fwht_rows_ref(dst.data<double>() + r0 * cols, r1 - r0, cols, block);
  });
}
}  // namespace

void hadamard_rows_(Tensor& x, int64_t block) {
  rotate_rows(x, x, block);
}

Tensor hadamard_rows(const Tensor& x, int64_t block) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  rotate_rows(x, out, block);
  return out;
}

}  // namespace lowbit

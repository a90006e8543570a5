// Bit splitting: quantize to int8 (amax scale, stochastic rounding), then split every code into
// its high nibble (arithmetic shift) and its low nibble offset by -8, both packed as int4.
#include "lowbit/quant/bit_split.h"

#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/formats/intn.h"
#include "lowbit/quant/uniform.h"

namespace lowbit {

void bit_split_codes(const int8_t* c, int64_t n, int8_t* hi, int8_t* lo) {
  for (int64_t i = 0; i < n; ++i) {
    hi[i] = static_cast<int8_t>(c[i] >> 4);
    lo[i] = static_cast<int8_t>((c[i] & 15) - 8);
  }
}

namespace {
QTensor packed_int4(const std::vector<int8_t>& codes, int64_t rows, int64_t cols, float scale) {
  QTensor q;
  q.format.storage = DType::u8;
  q.format.bits = 4;
  q.format.gran = Granularity::tensor;
  q.shape = {rows, cols};
  const int64_t row_bytes = (cols + 1) / 2;
  q.codes = Tensor::empty({rows, row_bytes}, DType::u8);
  parallel_for(rows, rows_per_chunk(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      int4_pack(codes.data() + r * cols, cols, q.codes.data<uint8_t>() + r * row_bytes);
  });
  q.scales = Tensor::full({1}, scale);
  return q;
}
}  // namespace

QFormat bit_split_format() {
  QFormat f;
  f.storage = DType::i8;
  f.bits = 8;
  f.rounding = Rounding::stochastic;
  f.scale_kind = ScaleKind::amax;
  return f;
}

BitSplit bit_split(const Tensor& x, uint64_t seed, uint64_t stream) {
  LB_CHECK(x.ndim() == 2 && x.dtype() == DType::f32, "[bit_split] x is ", x.shape_string(), " ",
           dtype_name(x.dtype()), ", expected 2-D f32");
  QTensor q = quantize(x, bit_split_format(), seed, stream);
  const int64_t rows = x.dim(0), cols = x.dim(1), n = rows * cols;
  std::vector<int8_t> hi(static_cast<size_t>(n)), lo(static_cast<size_t>(n));
  parallel_for(n, 1 << 16, [&](int64_t i0, int64_t i1) {
    bit_split_codes(q.codes.data<int8_t>() + i0, i1 - i0, hi.data() + i0, lo.data() + i0);
  });
  BitSplit s;
  s.scale = q.scales.data<float>()[0];
  s.hi = packed_int4(hi, rows, cols, s.scale);
  s.lo = packed_int4(lo, rows, cols, s.scale);
  return s;
}

}  // namespace lowbit

// Quantized tensors: a QFormat (table-like description of codes, scales and rounding) and a
// QTensor (codes + scales + the logical shape). Quantizers in quant/ turn Tensors into these.
#pragma once

#include <cstdint>
#include <string>

#include "lowbit/core/tensor.h"

namespace lowbit {

// Which elements share one scale. The tensor is viewed as 2-D (rows = numel / last dim,
// cols = last dim); a 1-D tensor is one row.
enum class Granularity : uint8_t {
  tensor = 0,  // scales (1)
  row = 1,     // scales (rows)
  col = 2,     // scales (cols)
  block = 3,   // runs of `block` elements along each row: scales (rows, ceil(cols / block))
};

enum class Rounding : uint8_t {
  nearest_even = 0,
  stochastic = 1,  // counter based on Rng(seed, stream): integers sr_word(u32_at(i >> 1), i),
                   // FP8 u32_at(i), for element i
};

enum class ScaleKind : uint8_t {
  amax = 0,  // float scale = amax / qmax (the group's largest magnitude maps to qmax)
  pow2 = 1,  // power of two: dynamic fixed point (the group's largest exponent, n-bit mantissas)
};

// What a code means. intn: a symmetric integer; fp8_*: an OCP FP8 code; dynamic_*: an index into
// the 256-entry dynamic tree map of Dettmers et al. (signed / unsigned variant).
enum class Encoding : uint8_t {
  intn = 0,
  fp8_e4m3 = 1,
  fp8_e5m2 = 2,
  dynamic_signed = 3,
  dynamic_unsigned = 4,
};

// storage: i8 (bits <= 8), i16 (bits <= 16), or u8 with bits == 4 for packed int4 (two codes a
// byte, low nibble first, each row padded to whole bytes). FP8 and dynamic codes are u8, bits 8.
struct QFormat {
  DType storage = DType::i8;
  int bits = 8;
  Granularity gran = Granularity::tensor;
  int64_t block = 0;  // elements per block along a row (gran == block only)
  Rounding rounding = Rounding::nearest_even;
  ScaleKind scale_kind = ScaleKind::amax;
  Encoding encoding = Encoding::intn;
};

// Throws a lowbit::Error naming `op` and the offending field when the format is inconsistent.
void qformat_check(const char* op, const QFormat& f);
// "int8/row/rne/amax", "int4p/block64/sr/pow2", "fp8_e4m3/tensor", ...
std::string qformat_name(const QFormat& f);

// codes: (rows, cols) in the storage dtype, or (rows, ceil(cols / 2)) u8 for packed int4.
// scales: f32, the dequantization multiplier: x ~= value(code) * scale (shape per Granularity).
struct QTensor {
  Tensor codes;
  Tensor scales;
  QFormat format;
  Shape shape;  // logical shape of the quantized tensor
};

// Rows and cols of the 2-D view that granularities refer to.
int64_t qview_rows(const Shape& shape);
int64_t qview_cols(const Shape& shape);
// Shape of the scales tensor for a format and logical shape.
Shape qscales_shape(const QFormat& f, const Shape& shape);

}  // namespace lowbit

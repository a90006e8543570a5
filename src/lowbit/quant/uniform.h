// Tensor-level quantizer: any QFormat (n-bit integers with float or power-of-two scales, FP8,
// dynamic 8-bit) at tensor/row/col/block granularity, nearest-even or stochastic rounding.
#pragma once

#include <cstdint>

#include "lowbit/core/qtensor.h"

namespace lowbit {

// x: f32, any shape (viewed as rows = numel / last dim, cols = last dim). Scales follow the
// format's ScaleKind per group (see docs/FORMATS.md); codes saturate to the format's range.
// Stochastic rounding draws element i's word (i = flat index) from Rng(seed, stream): integer
// codes sr_word(u32_at(i >> 1), i), 16 random bits (core/rng.h), FP8 u32_at(i); so the result
// does not depend on the thread count. Throws on non-finite input (amax not finite).
QTensor quantize(const Tensor& x, const QFormat& format, uint64_t seed = 0, uint64_t stream = 0);
// The two halves of quantize(): the largest magnitude of every scale group of x (f32,
// qscales_shape), and the quantization with those maxima given instead of measured, so part of a
// tensor can be quantized with the whole tensor's scales (an embedding's gathered rows with
// their table's); magnitudes above a group's amax saturate.
Tensor quantize_amax(const Tensor& x, const QFormat& format);
QTensor quantize_with_amax(const Tensor& x, const QFormat& format, const Tensor& amax,
                           uint64_t seed = 0, uint64_t stream = 0);

// max |x_i| over n floats, NaN skipped (a fold of fmax), through the SIMD absmax kernel in
// parallel chunks of 2^16; exact, so the same for any thread count.
float absmax_of(const float* x, int64_t n);

// f32 tensor of q.shape: value(code) * scale.
Tensor dequantize(const QTensor& q);

// Integer code values as i32 with q.shape (packed int4 unpacked), for tests and integer GEMMs.
Tensor qtensor_int_codes(const QTensor& q);

}  // namespace lowbit

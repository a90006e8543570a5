// quantize / dequantize for every QFormat: per-group amax, the group's scale, then the codec
// kernels run on contiguous runs of a row. Rows are independent, so threads split rows.
#include "lowbit/quant/uniform.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/core/rng.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/formats/fp8.h"
#include "lowbit/formats/intn.h"
#include "lowbit/kernels/ref/quant_kernels.h"

namespace lowbit {

namespace {
bool is_fp8(const QFormat& f) {
  return f.encoding == Encoding::fp8_e4m3 || f.encoding == Encoding::fp8_e5m2;
}
Fp8Kind fp8_kind(const QFormat& f) {
  return f.encoding == Encoding::fp8_e4m3 ? Fp8Kind::e4m3 : Fp8Kind::e5m2;
}
DynamicMap dyn_map(const QFormat& f) {
  return f.encoding == Encoding::dynamic_signed ? DynamicMap::signed_map : DynamicMap::unsigned_map;
}
bool packed4(const QFormat& f) { return f.encoding == Encoding::intn && f.storage == DType::u8; }

// Calls fn(c0, c1, scale_index) for the runs of row r that share one scale.
template <class Fn>
void for_each_run(const QFormat& f, int64_t r, int64_t cols, Fn&& fn) {
  switch (f.gran) {
    case Granularity::tensor: fn(0, cols, 0); break;
    case Granularity::row: fn(0, cols, r); break;
    case Granularity::col:
      for (int64_t c = 0; c < cols; ++c) fn(c, c + 1, c);
      break;
    case Granularity::block: {
      int64_t nb = (cols + f.block - 1) / f.block;
      for (int64_t b = 0; b < nb; ++b) fn(b * f.block, std::min(cols, (b + 1) * f.block), r * nb + b);
      break;
    }
  }
}

// Largest magnitude of every scale group (f32, qscales_shape).
Tensor group_amax(const float* x, int64_t rows, int64_t cols, const QFormat& f) {
  Tensor amax = Tensor::zeros(qscales_shape(f, {rows, cols}));
  float* a = amax.data<float>();
  auto absmax = blockwise_kernels().chosen().absmax;
  if (f.gran == Granularity::tensor || f.gran == Granularity::col) {
    // One pass per fixed chunk of rows, combined in order (max is exact anyway).
    int64_t grain = rows_per_chunk(cols), chunks = (rows + grain - 1) / grain;
    int64_t width = f.gran == Granularity::tensor ? 1 : cols;
    std::vector<float> part(static_cast<size_t>(std::max<int64_t>(chunks, 0) * width), 0.0f);
    parallel_for(chunks, 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        float* p = part.data() + k * width;
        const int64_t r0 = k * grain, r1 = std::min(rows, (k + 1) * grain);
        if (width == 1) {  // the chunk's rows are contiguous: one call (max is exact, NaN skipped)
          p[0] = absmax(x + r0 * cols, (r1 - r0) * cols);
          continue;
        }
        for (int64_t r = r0; r < r1; ++r) {
          const float* xr = x + r * cols;
          for (int64_t c = 0; c < cols; ++c) p[c] = std::fmax(p[c], std::fabs(xr[c]));
        }
      }
    });
    for (int64_t k = 0; k < chunks; ++k)
      for (int64_t j = 0; j < width; ++j) a[j] = std::fmax(a[j], part[k * width + j]);
    return amax;
  }
  parallel_for(rows, rows_per_chunk(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for_each_run(f, r, cols, [&](int64_t c0, int64_t c1, int64_t si) {
        a[si] = absmax(x + r * cols + c0, c1 - c0);
      });
  });
  return amax;
}

// The dequantization multiplier of a group from its amax.
float group_scale(float amax, const QFormat& f) {
  if (f.encoding == Encoding::intn)
    return f.scale_kind == ScaleKind::pow2 ? intn_scale_pow2(amax, f.bits) : intn_scale_amax(amax, f.bits);
  if (is_fp8(f)) return 1.0f / fp8_scale_from_amax(amax, fp8_kind(f));
  return amax;
}

template <class Q>
void intn_run(const float* x, int64_t n, int64_t flat0, float s, const QFormat& f, const Rng& rng, Q* q) {
  int32_t qmax = intn_qmax(f.bits);
  if (!(s > 0.0f)) {
    std::fill(q, q + n, Q(0));
  } else if (f.rounding == Rounding::nearest_even) {
    const IntnQuantKernel& k = intn_quant_kernels().chosen();
    if constexpr (sizeof(Q) == 1) k.to_s8(x, n, s, qmax, q);
    else k.to_s16(x, n, s, qmax, q);
  } else {
    // Halves of Rng::u32_at((flat0 + i) >> 1) (sr_word), one Philox block per 8 positions.
    const IntnQuantKernel& k = intn_quant_kernels().chosen();
    const uint64_t pos0 = static_cast<uint64_t>(flat0);
    if constexpr (sizeof(Q) == 1) k.sr_s8(x, n, s, qmax, rng.seed(), rng.stream(), pos0, q);
    else k.sr_s16(x, n, s, qmax, rng.seed(), rng.stream(), pos0, q);
  }
}

// Integer codes at one scale for the whole tensor, stored as they come: contiguous rows can go
// through intn_run as one run (the stochastic-rounding words follow the flat position, so the
// codes are those of a run per row, without each row's call and head/tail handling).
bool one_scale_intn(const QFormat& f) {
  return f.gran == Granularity::tensor && f.encoding == Encoding::intn && !packed4(f);
}

// one_scale_intn codes of rows [r0, r1) of the row-major (rows, cols) x at scale s.
void intn_rows(const float* x, int64_t r0, int64_t r1, int64_t cols, float s, const QFormat& f,
               const Rng& rng, Tensor& codes) {
  const int64_t flat0 = r0 * cols, n = (r1 - r0) * cols;
  if (f.storage == DType::i8)
    intn_run(x + flat0, n, flat0, s, f, rng, codes.data<int8_t>() + flat0);
  else
    intn_run(x + flat0, n, flat0, s, f, rng, codes.data<int16_t>() + flat0);
}
}  // namespace

Tensor quantize_amax(const Tensor& x, const QFormat& f) {
  qformat_check("quantize", f);
  check_dtype("quantize", "input", x, DType::f32);
  return group_amax(x.data<float>(), qview_rows(x.shape()), qview_cols(x.shape()), f);
}

namespace {
// Integer codes at one scale for the whole tensor (the integer numerics' dynamic fixed point, the
// most frequent call in training): the amax pass and the encoding in one team, a barrier between
// them instead of a second fork (on a passive OpenMP runtime each fork wakes the other threads
// from sleep). The chunks, scale and codes are those of the two-pass path.
QTensor quantize_tensor_intn(const Tensor& x, const QFormat& f, uint64_t seed, uint64_t stream) {
  const int64_t rows = qview_rows(x.shape()), cols = qview_cols(x.shape());
  const int64_t grain = rows_per_chunk(cols), chunks = cols == 0 ? 0 : (rows + grain - 1) / grain;
  const float* px = x.data<float>();
  QTensor q;
  q.format = f;
  q.shape = x.shape();
  q.scales = Tensor::empty(qscales_shape(f, x.shape()));
  q.codes = Tensor::empty({rows, cols}, f.storage);
  const Rng rng(seed, stream);
  const auto absmax = blockwise_kernels().chosen().absmax;
  std::vector<float> part(static_cast<size_t>(chunks), 0.0f);
  auto amax_of = [&] {
    float m = 0.0f;
    for (float v : part) m = std::fmax(m, v);  // exact, in chunk order
    return m;
  };
  const int nt = chunks > 1 && !omp_in_parallel() ? num_threads() : 1;
  run_team(nt, [&](auto team) {
    constexpr bool kTeam = decltype(team)::value;
    team_for<kTeam>(chunks, [&](int64_t c) {
      const int64_t r0 = c * grain, r1 = std::min(rows, r0 + grain);
      part[c] = absmax(px + r0 * cols, (r1 - r0) * cols);
    });
    const float m = amax_of();  // every thread, after the loop's barrier
    if (!std::isfinite(m)) return;  // reported below
    const float scale = group_scale(m, f);
    team_for<kTeam>(chunks, [&](int64_t c) {
      intn_rows(px, c * grain, std::min(rows, (c + 1) * grain), cols, scale, f, rng, q.codes);
    });
  });
  const float m = amax_of();
  LB_CHECK(std::isfinite(m), "[quantize] input ", x.shape_string(), " has a non-finite ",
           "value (group 0 amax ", m, "); format ", qformat_name(f));
  q.scales.data<float>()[0] = group_scale(m, f);
  return q;
}
}  // namespace

QTensor quantize(const Tensor& x, const QFormat& f, uint64_t seed, uint64_t stream) {
  qformat_check("quantize", f);
  check_dtype("quantize", "input", x, DType::f32);
  if (one_scale_intn(f)) return quantize_tensor_intn(x, f, seed, stream);
  return quantize_with_amax(x, f, quantize_amax(x, f), seed, stream);
}

QTensor quantize_with_amax(const Tensor& x, const QFormat& f, const Tensor& amax, uint64_t seed,
                           uint64_t stream) {
  qformat_check("quantize", f);
  check_dtype("quantize", "input", x, DType::f32);
  LB_CHECK(amax.dtype() == DType::f32 && amax.shape() == qscales_shape(f, x.shape()),
           "[quantize] amax is ", amax.shape_string(), " ", dtype_name(amax.dtype()), ", expected ",
           shape_str(qscales_shape(f, x.shape())), " f32 for ", qformat_name(f));
  const int64_t rows = qview_rows(x.shape()), cols = qview_cols(x.shape());
  const float* px = x.data<float>();
  QTensor q;
  q.format = f;
  q.shape = x.shape();
  q.scales = Tensor::empty(amax.shape());
  const float* pa = amax.data<float>();
  float* ps = q.scales.data<float>();
  for (int64_t i = 0; i < amax.numel(); ++i) {
    LB_CHECK(std::isfinite(pa[i]), "[quantize] input ", x.shape_string(), " has a non-finite ",
             "value (group ", i, " amax ", pa[i], "); format ", qformat_name(f));
    ps[i] = group_scale(pa[i], f);
  }
  const int64_t packed_cols = (cols + 1) / 2;
  q.codes = packed4(f) ? Tensor::empty({rows, packed_cols}, DType::u8) : Tensor::empty({rows, cols}, f.storage);
  const Rng rng(seed, stream);
  const bool one_run = one_scale_intn(f);
  parallel_for(rows, rows_per_chunk(cols), [&](int64_t r0, int64_t r1) {
    if (one_run) return intn_rows(px, r0, r1, cols, ps[0], f, rng, q.codes);
    std::vector<int8_t> tmp(packed4(f) ? cols : 0);
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = px + r * cols;
      for_each_run(f, r, cols, [&](int64_t c0, int64_t c1, int64_t si) {
        int64_t n = c1 - c0, flat0 = r * cols + c0;
        if (packed4(f)) {
          intn_run(xr + c0, n, flat0, ps[si], f, rng, tmp.data() + c0);
        } else if (f.encoding == Encoding::intn && f.storage == DType::i8) {
          intn_run(xr + c0, n, flat0, ps[si], f, rng, q.codes.data<int8_t>() + flat0);
        } else if (f.encoding == Encoding::intn) {
          intn_run(xr + c0, n, flat0, ps[si], f, rng, q.codes.data<int16_t>() + flat0);
        } else if (is_fp8(f)) {
          uint8_t* out = q.codes.data<uint8_t>() + flat0;
          Fp8CodecParams p{fp8_kind(f), true, 1.0f / ps[si]};
          if (f.rounding == Rounding::nearest_even) fp8_encode_kernels().chosen().fn(xr + c0, n, p, out);
          else for (int64_t i = 0; i < n; ++i)
            out[i] = fp8_encode_stochastic(xr[c0 + i] * p.scale, p.kind, true, rng.u32_at(flat0 + i));
        } else {
          blockwise_kernels().chosen().encode(xr + c0, n, ps[si], dynamic_thresholds(dyn_map(f)),
                                              q.codes.data<uint8_t>() + flat0);
        }
      });
      if (packed4(f)) int4_pack(tmp.data(), cols, q.codes.data<uint8_t>() + r * packed_cols);
    }
  });
  return q;
}

Tensor qtensor_int_codes(const QTensor& q) {
  LB_CHECK(q.format.encoding == Encoding::intn, "[qtensor_int_codes] format ",
           qformat_name(q.format), " has no integer codes");
  const int64_t rows = qview_rows(q.shape), cols = qview_cols(q.shape);
  Tensor out = Tensor::empty(q.shape, DType::i32);
  int32_t* po = out.data<int32_t>();
  std::vector<int8_t> tmp(cols);
  for (int64_t r = 0; r < rows; ++r) {
    if (packed4(q.format)) {
      int4_unpack(q.codes.data<uint8_t>() + r * ((cols + 1) / 2), cols, tmp.data());
      for (int64_t c = 0; c < cols; ++c) po[r * cols + c] = tmp[c];
    } else if (q.format.storage == DType::i8) {
      for (int64_t c = 0; c < cols; ++c) po[r * cols + c] = q.codes.data<int8_t>()[r * cols + c];
    } else {
      for (int64_t c = 0; c < cols; ++c) po[r * cols + c] = q.codes.data<int16_t>()[r * cols + c];
    }
  }
  return out;
}

Tensor dequantize(const QTensor& q) {
  qformat_check("dequantize", q.format);
  const QFormat& f = q.format;
  const int64_t rows = qview_rows(q.shape), cols = qview_cols(q.shape);
  LB_CHECK(q.scales.dtype() == DType::f32 && q.scales.shape() == qscales_shape(f, q.shape),
           "[dequantize] scales are ", q.scales.shape_string(), " ", dtype_name(q.scales.dtype()),
           ", expected ", shape_str(qscales_shape(f, q.shape)), " f32 for ", qformat_name(f));
  Tensor out = Tensor::empty(q.shape);
  float* po = out.data<float>();
  const float* ps = q.scales.data<float>();
  Tensor ints = f.encoding == Encoding::intn ? qtensor_int_codes(q) : Tensor();
  parallel_for(rows, rows_per_chunk(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for_each_run(f, r, cols, [&](int64_t c0, int64_t c1, int64_t si) {
        int64_t n = c1 - c0, flat0 = r * cols + c0;
        if (f.encoding == Encoding::intn) {
          const int32_t* qi = ints.data<int32_t>() + flat0;
          for (int64_t i = 0; i < n; ++i) po[flat0 + i] = static_cast<float>(qi[i]) * ps[si];
        } else if (is_fp8(f)) {
          Fp8CodecParams p{fp8_kind(f), true, ps[si]};
          fp8_decode_kernels().chosen().fn(q.codes.data<uint8_t>() + flat0, n, p, po + flat0);
        } else {
          blockwise_kernels().chosen().decode(q.codes.data<uint8_t>() + flat0, n, ps[si],
                                              dynamic_map(dyn_map(f)), po + flat0);
        }
      });
  });
  return out;
}

float absmax_of(const float* x, int64_t n) {
  const auto absmax = blockwise_kernels().chosen().absmax;
  float amax = 0.0f;
  parallel_reduce_chunks<float>(
      n, int64_t{1} << 16, 1, [&](int64_t b, int64_t e, float* m) { *m = absmax(x + b, e - b); },
      [&](const float* m) { amax = std::fmax(amax, *m); });
  return amax;
}

}  // namespace lowbit

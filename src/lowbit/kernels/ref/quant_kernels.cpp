// Reference codecs (plain loops: the specification of every optimized variant) and the
// ordered kernel lists of the codec families, best first, `_ref` last.
#include "lowbit/kernels/ref/quant_kernels.h"

#include <array>
#include <cmath>

#include "lowbit/core/rng.h"

namespace lowbit {

void fp8_encode_ref(const float* x, int64_t n, const Fp8CodecParams& p, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = fp8_encode(x[i] * p.scale, p.kind, p.saturate);
}

void fp8_decode_ref(const uint8_t* codes, int64_t n, const Fp8CodecParams& p, float* out) {
  const float* table = fp8_decode_table(p.kind);
  for (int64_t i = 0; i < n; ++i) out[i] = table[codes[i]] * p.scale;
}

namespace {
template <class Q>
void intn_quant_ref(const float* x, int64_t n, float scale, int32_t qmax, Q* q) {
  LB_ASSERT(scale > 0.0f);
  const float hi = static_cast<float>(qmax);
  for (int64_t i = 0; i < n; ++i) {
    float v = std::nearbyint(x[i] / scale);  // default rounding mode: nearest even
    v = v < -hi ? -hi : (v > hi ? hi : v);
    q[i] = v == v ? static_cast<Q>(v) : Q(0);
  }
}
template <class Q>
void intn_sr_ref(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                 uint64_t stream, uint64_t pos0, Q* q) {
  LB_ASSERT(scale > 0.0f);
  const float hi = static_cast<float>(qmax);
  std::array<uint32_t, 4> w{};
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t pos = pos0 + static_cast<uint64_t>(i);
    if (i == 0 || (pos & 7) == 0) w = philox4x32(seed, stream, pos >> 3);
    const float v = x[i] / scale, fl = std::floor(v);
    float r = fl + (u32_to_unit_float(sr_word(w[(pos >> 1) & 3], pos)) < v - fl ? 1.0f : 0.0f);
    r = r < -hi ? -hi : (r > hi ? hi : r);
    q[i] = r == r ? static_cast<Q>(r) : Q(0);
  }
}
}  // namespace

void intn_sr_s8_ref(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                    uint64_t stream, uint64_t pos0, int8_t* q) {
  intn_sr_ref(x, n, scale, qmax, seed, stream, pos0, q);
}
void intn_sr_s16_ref(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                     uint64_t stream, uint64_t pos0, int16_t* q) {
  intn_sr_ref(x, n, scale, qmax, seed, stream, pos0, q);
}

void intn_quant_s8_ref(const float* x, int64_t n, float scale, int32_t qmax, int8_t* q) {
  intn_quant_ref(x, n, scale, qmax, q);
}
void intn_quant_s16_ref(const float* x, int64_t n, float scale, int32_t qmax, int16_t* q) {
  intn_quant_ref(x, n, scale, qmax, q);
}

float blockwise_absmax_ref(const float* x, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(x[i]));
  return m;
}

void blockwise_encode_ref(const float* x, int64_t n, float absmax, const float* thresholds,
                          uint8_t* codes) {
  for (int64_t i = 0; i < n; ++i) {
    float v = absmax > 0.0f ? x[i] / absmax : 0.0f;
    int pos = 0;  // branch-free binary search for #{t : thresholds[t] <= v}
    for (int step = 128; step >= 1; step >>= 1)
      if (thresholds[pos + step - 1] <= v) pos += step;
    codes[i] = static_cast<uint8_t>(pos);
  }
}

void blockwise_decode_ref(const uint8_t* codes, int64_t n, float absmax, const float* map,
                          float* x) {
  for (int64_t i = 0; i < n; ++i) x[i] = map[codes[i]] * absmax;
}

Fp8EncodeConsts fp8_encode_consts(const Fp8CodecParams& p) {
  const Fp8Spec& s = fp8_spec(p.kind);
  Fp8EncodeConsts c;
  c.shift = 23 - s.man_bits;
  c.round_half = (1 << (c.shift - 1)) - 1;
  c.rebias = (127 - s.bias) << s.man_bits;
  c.min_normal = (127 + 1 - s.bias) << 23;
  c.magic_bits = (127 + 24 - s.bias - s.man_bits) << 23;
  c.max_code = s.max_code;
  c.ovf_code = p.saturate ? s.max_code : (s.has_inf ? 0x7C : s.nan_code);
  c.nan_code = s.nan_code;
  return c;
}

const KernelFamily<Fp8EncodeKernel>& fp8_encode_kernels() {
  static const KernelFamily<Fp8EncodeKernel> f(
      "fp8_encode", {{"fp8_encode_avx512", Isa::avx512, fp8_encode_avx512},
                     {"fp8_encode_avx2", Isa::avx2, fp8_encode_avx2},
                     {"fp8_encode_ref", Isa::scalar, fp8_encode_ref}});
  return f;
}

const KernelFamily<Fp8DecodeKernel>& fp8_decode_kernels() {
  static const KernelFamily<Fp8DecodeKernel> f(
      "fp8_decode", {{"fp8_decode_avx2", Isa::avx2, fp8_decode_avx2},
                     {"fp8_decode_ref", Isa::scalar, fp8_decode_ref}});
  return f;
}

const KernelFamily<IntnQuantKernel>& intn_quant_kernels() {
  static const KernelFamily<IntnQuantKernel> f(
      "intn_quant", {{"intn_quant_avx512", Isa::avx512, intn_quant_s8_avx512, intn_quant_s16_avx512,
                      intn_sr_s8_avx512, intn_sr_s16_avx512},
                     {"intn_quant_avx2", Isa::avx2, intn_quant_s8_avx2, intn_quant_s16_avx2,
                      intn_sr_s8_avx2, intn_sr_s16_avx2},
                     {"intn_quant_ref", Isa::scalar, intn_quant_s8_ref, intn_quant_s16_ref,
                      intn_sr_s8_ref, intn_sr_s16_ref}});
  return f;
}

const KernelFamily<BlockwiseKernel>& blockwise_kernels() {
  static const KernelFamily<BlockwiseKernel> f(
      "blockwise8", {{"blockwise8_avx512", Isa::avx512, blockwise_absmax_avx2,
                      blockwise_encode_avx512, blockwise_decode_avx512},
                     {"blockwise8_avx2", Isa::avx2, blockwise_absmax_avx2, blockwise_encode_avx2,
                      blockwise_decode_avx2},
                     {"blockwise8_ref", Isa::scalar, blockwise_absmax_ref, blockwise_encode_ref,
                      blockwise_decode_ref}});
  return f;
}

}  // namespace lowbit

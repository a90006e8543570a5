// OCP FP8 E4M3 / E5M2: the table rows, the scalar codec (the specification every FP8 kernel
// is tested against) and per-tensor scaling. Layout and rounding rules: fp8.h.
#include "lowbit/formats/fp8.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <cmath>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {
constexpr Fp8Spec kSpecs[] = {
    // kind        name    e  m  bias inf    max       min_normal  min_subnormal max   nan
    {Fp8Kind::e4m3, "e4m3", 4, 3, 7, false, 448.0f, 0x1p-6f, 0x1p-9f, 0x7E, 0x7F},
    {Fp8Kind::e5m2, "e5m2", 5, 2, 15, true, 57344.0f, 0x1p-14f, 0x1p-16f, 0x7B, 0x7E},
};

// Magnitude of a sign-less code with unbounded exponent (codes past max_code included).
double magnitude(uint32_t code, const Fp8Spec& s) {
  uint32_t mmask = (1u << s.man_bits) - 1;
  if (code <= mmask) return code * static_cast<double>(s.min_subnormal);
  int e = static_cast<int>(code >> s.man_bits) - s.bias;
  return std::ldexp(1.0 + static_cast<double>(code & mmask) / (1 << s.man_bits), e);
}

uint8_t overflow_code(const Fp8Spec& s, bool saturate) {
  if (saturate) return s.max_code;
  return s.has_inf ? 0x7C : s.nan_code;
}

std::array<float, 256> build_table(const Fp8Spec& s) {
  std::array<float, 256> t{};
  uint32_t emax = (1u << s.exp_bits) - 1, mmask = (1u << s.man_bits) - 1;
  for (uint32_t c = 0; c < 256; ++c) {
    uint32_t mag = c & 0x7F, e = mag >> s.man_bits, m = mag & mmask;
    float v;
    if (s.has_inf && e == emax) v = m == 0 ? INFINITY : NAN;
    else if (!s.has_inf && e == emax && m == mmask) v = NAN;
    else v = static_cast<float>(magnitude(mag, s));
    t[c] = (c & 0x80) ? -v : v;
  }
  return t;
}
}  // namespace

const Fp8Spec& fp8_spec(Fp8Kind kind) {
  LB_ASSERT(kind == Fp8Kind::e4m3 || kind == Fp8Kind::e5m2);
  return kSpecs[static_cast<int>(kind)];
}

const float* fp8_decode_table(Fp8Kind kind) {
  static const std::array<float, 256> e4m3 = build_table(fp8_spec(Fp8Kind::e4m3));
  static const std::array<float, 256> e5m2 = build_table(fp8_spec(Fp8Kind::e5m2));
  return kind == Fp8Kind::e4m3 ? e4m3.data() : e5m2.data();
}

float fp8_decode(uint8_t code, Fp8Kind kind) { return fp8_decode_table(kind)[code]; }

uint8_t fp8_encode(float x, Fp8Kind kind, bool saturate) {
  const Fp8Spec& s = fp8_spec(kind);
  uint32_t bits = std::bit_cast<uint32_t>(x);
  uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  uint32_t a = bits & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return s.nan_code | sign;
  if (a == 0x7F800000u) return overflow_code(s, saturate) | sign;
  uint32_t code;
  uint32_t min_normal_bits = static_cast<uint32_t>(127 + 1 - s.bias) << 23;
  if (a < min_normal_bits) {
    // Below fp8's min normal: add 2^k whose float ulp is fp8's min subnormal; the float adder
    // rounds to nearest even, and the low bits of the sum are the code (2^m = min normal).
    float magic = std::ldexp(1.0f, 24 - s.bias - s.man_bits);
    float sum = std::bit_cast<float>(a) + magic;
    code = std::bit_cast<uint32_t>(sum) - std::bit_cast<uint32_t>(magic);
  } else {
    int shift = 23 - s.man_bits;
    uint32_t r = a + ((1u << (shift - 1)) - 1) + ((a >> shift) & 1);  // ties to even
    code = (r >> shift) - (static_cast<uint32_t>(127 - s.bias) << s.man_bits);
  }
  if (code > s.max_code) return overflow_code(s, saturate) | sign;
  return static_cast<uint8_t>(code) | sign;
}

uint8_t fp8_encode_stochastic(float x, Fp8Kind kind, bool saturate, uint32_t rand) {
  const Fp8Spec& s = fp8_spec(kind);
  uint32_t bits = std::bit_cast<uint32_t>(x);
  uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  uint32_t a = bits & 0x7FFFFFFFu;
  if (a >= 0x7F800000u) return fp8_encode(x, kind, saturate);
  float mag = std::bit_cast<float>(a);
  uint32_t t;  // code of mag rounded toward zero
  if (mag < s.min_normal) t = static_cast<uint32_t>(mag / s.min_subnormal);  // exact: 2^k divide
  else t = (a >> (23 - s.man_bits)) - (static_cast<uint32_t>(127 - s.bias) << s.man_bits);
  if (t > s.max_code) return overflow_code(s, saturate) | sign;
  double lo = magnitude(t, s), hi = magnitude(t + 1, s);
  double frac = (static_cast<double>(mag) - lo) / (hi - lo);
  uint32_t code = t + ((rand >> 8) < frac * 16777216.0 ? 1 : 0);
  if (code > s.max_code) return overflow_code(s, saturate) | sign;
  return static_cast<uint8_t>(code) | sign;
}

float fp8_scale_from_amax(float amax, Fp8Kind kind, int margin, float previous) {
  if (!(amax > 0.0f) || !std::isfinite(amax)) return previous;
  float sf = std::ldexp(fp8_spec(kind).max / amax, -margin);
  return std::isfinite(sf) ? sf : FLT_MAX;
}

Fp8DelayedScaling::Fp8DelayedScaling(Fp8Kind kind, int history, int margin)
    : kind_(kind), history_len_(history), margin_(margin) {
  LB_CHECK(history >= 1, "[fp8 delayed scaling] history length must be >= 1, got ", history);
}

float Fp8DelayedScaling::history_max() const {
  float m = 0.0f;
  for (float v : history_)
    if (std::isfinite(v)) m = std::max(m, v);
  return m;
}

void Fp8DelayedScaling::update(float amax) {
  history_.push_front(amax);
  if (static_cast<int>(history_.size()) > history_len_) history_.pop_back();
  scale_ = fp8_scale_from_amax(history_max(), kind_, margin_, scale_);
}

}  // namespace lowbit

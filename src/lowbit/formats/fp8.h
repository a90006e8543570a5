// OCP 8-bit floating point (OCP FP8 spec v1.0, 2023): E4M3 and E5M2 as table rows, exact
// float <-> fp8 conversion (round to nearest even, saturating or not), and per-tensor scaling.
//
// Code layout (both formats): bit 7 sign, then exponent, then mantissa.
//   E4M3: S.EEEE.MMM, bias 7, no infinities, S.1111.111 is NaN, max 448, subnormals to 2^-9.
//   E5M2: S.EEEEE.MM, bias 15, S.11111.00 is inf, S.11111.{01,10,11} NaN, max 57344, to 2^-16.
// Conversion (spec section on conversion from wider formats, as we implement it): the input is
// rounded to nearest even with unbounded exponent; a result above the format's max overflows.
//   saturating:     overflow -> +-max; +-inf -> +-max; NaN -> NaN.
//   non-saturating: overflow -> NaN (E4M3) / +-inf (E5M2); +-inf -> NaN (E4M3) / +-inf (E5M2).
// NaN codes we produce keep the sign: E4M3 0x7F|s, E5M2 0x7E|s (what ml_dtypes produces).
#pragma once

#include <cstdint>
#include <deque>

namespace lowbit {

enum class Fp8Kind : uint8_t { e4m3 = 0, e5m2 = 1 };

struct Fp8Spec {
  Fp8Kind kind;
  const char* name;
  int exp_bits, man_bits, bias;
  bool has_inf;
  float max;            // largest finite magnitude
  float min_normal;     // 2^(1 - bias)
  float min_subnormal;  // 2^(1 - bias - man_bits)
  uint8_t max_code;     // code of +max
  uint8_t nan_code;     // code of +NaN we produce
};

const Fp8Spec& fp8_spec(Fp8Kind kind);

// Round to nearest even.
uint8_t fp8_encode(float x, Fp8Kind kind, bool saturate);
// Stochastic rounding between the two codes around x: rounds away from zero with probability
// (|x| - lo) / (hi - lo) decided by the 32-bit random word `rand` (its top 24 bits).
uint8_t fp8_encode_stochastic(float x, Fp8Kind kind, bool saturate, uint32_t rand);
float fp8_decode(uint8_t code, Fp8Kind kind);
// 256 decoded values indexed by code (NaN codes decode to NaN, E5M2 inf codes to +-inf).
const float* fp8_decode_table(Fp8Kind kind);

// Per-tensor scaling (Transformer Engine convention): codes = fp8(x * scale), x ~= value * scale_inv.
// scale = (max / amax) / 2^margin. amax == 0 or non-finite keeps `previous` (no information).
float fp8_scale_from_amax(float amax, Fp8Kind kind, int margin = 0, float previous = 1.0f);

// Delayed scaling: the scale for step t comes from the max amax over the last `history` steps
// (t-1 back), recorded after each step; as Transformer Engine's "max" amax_compute_algo.
class Fp8DelayedScaling {
 public:
  Fp8DelayedScaling(Fp8Kind kind, int history = 16, int margin = 0);
  float scale() const { return scale_; }
  float scale_inv() const { return 1.0f / scale_; }
  // Record this step's amax and recompute the scale for the next step.
  void update(float amax);
  float history_max() const;
  int history_size() const { return static_cast<int>(history_.size()); }

 private:
  Fp8Kind kind_;
  int history_len_;
  int margin_;
  std::deque<float> history_;
  float scale_ = 1.0f;
};

}  // namespace lowbit

// Counter-based random numbers (Philox4x32-10): value i of stream s under seed k is a pure
// function of (k, s, i), so results never depend on thread count or on call order across streams.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "lowbit/core/tensor.h"

namespace lowbit {

// One Philox4x32-10 block: four 32-bit words for counter (ctr_hi, ctr_lo) under key.
std::array<uint32_t, 4> philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo);

// Uniform in [0, 1) with 24 random bits; exactly representable in float.
inline float u32_to_unit_float(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }

// Stochastic rounding's word for position pos, given word = u32_at(pos >> 1): its 16-bit half
// pos & 1 (the low one first) in the top half, so u32_to_unit_float gives half / 2^16. Sixteen
// random bits per value: the round-up probability is off by less than 2^-16 (bias below 2^-16
// of a quantization step), and one Philox block serves eight values.
inline uint32_t sr_word(uint32_t word, uint64_t pos) {
  return (pos & 1) != 0 ? word & 0xFFFF0000u : word << 16;
}

// FNV-1a of a name: a stable 64-bit id (unlike std::hash) for child streams named after a layer
// or parameter, so initial values and masks depend on the seed and the name only.
inline uint64_t name_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// A stream of random numbers. State is (seed, stream, offset): saving it in a checkpoint and
// restoring it continues the sequence exactly.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0) : seed_(seed), stream_(stream) {}

  // Independent child stream, e.g. one per layer or per purpose.
  Rng child(uint64_t id) const;
  // Random word at absolute position i of this stream (does not advance).
  uint32_t u32_at(uint64_t i) const;

  uint32_t next_u32() { return u32_at(offset_++); }
  float uniform() { return u32_to_unit_float(next_u32()); }
  float normal();                   // Box-Muller on two words
  uint64_t below(uint64_t n);       // uniform integer in [0, n)

  // Fill a float tensor; element j uses position offset+j, then offset advances by numel,
  // so the result is the same at any thread count.
  void fill_uniform(Tensor& t, double lo, double hi);
  void fill_normal(Tensor& t, double mean, double stddev);

  uint64_t seed() const { return seed_; }
  uint64_t stream() const { return stream_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }

 private:
  uint64_t seed_;
  uint64_t stream_;
  uint64_t offset_ = 0;
};

}  // namespace lowbit

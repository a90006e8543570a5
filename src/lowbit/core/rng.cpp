// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
#include "lowbit/core/rng.h"

#include <cmath>

#include "lowbit/core/parallel.h"

namespace lowbit {

std::array<uint32_t, 4> philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(ctr_lo), c1 = static_cast<uint32_t>(ctr_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(ctr_hi), c3 = static_cast<uint32_t>(ctr_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = static_cast<uint32_t>(p1);
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    k0 += kW0;
    k1 += kW1;
  }
  return {c0, c1, c2, c3};
}

Rng Rng::child(uint64_t id) const {
  // Mix the id into the stream so children of different parents do not collide.
  auto w = philox4x32(seed_ ^ 0x5DEECE66DULL, stream_, id);
  return Rng(seed_, (static_cast<uint64_t>(w[0]) << 32) | w[1]);
}

uint32_t Rng::u32_at(uint64_t i) const {
  // One Philox block yields 4 words: positions 4j..4j+3 share the block j.
  auto w = philox4x32(seed_, stream_, i >> 2);
  return w[i & 3];
}

float Rng::normal() {
  float u1 = (static_cast<float>(next_u32() >> 8) + 1.0f) * (1.0f / 16777217.0f);
  float u2 = uniform();
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853071795864f * u2);
}

uint64_t Rng::below(uint64_t n) {
  uint64_t x = (static_cast<uint64_t>(next_u32()) << 32) | next_u32();
  return n == 0 ? 0 : x % n;
}

void Rng::fill_uniform(Tensor& t, double lo, double hi) {
  uint64_t base = offset_;
  auto fill = [&](auto* p) {
    parallel_for(t.numel(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j)
        p[j] = static_cast<std::remove_pointer_t<decltype(p)>>(
            lo + (hi - lo) * u32_to_unit_float(u32_at(base + j)));
    });
  };
  if (t.dtype() == DType::f64) fill(t.data<double>()); else fill(t.data<float>());
  offset_ += static_cast<uint64_t>(t.numel());
}

void Rng::fill_normal(Tensor& t, double mean, double stddev) {
  uint64_t base = offset_;
  auto fill = [&](auto* p) {
    parallel_for(t.numel(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        float u1 = (static_cast<float>(u32_at(base + 2 * j) >> 8) + 1.0f) * (1.0f / 16777217.0f);
        float u2 = u32_to_unit_float(u32_at(base + 2 * j + 1));
        double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
        p[j] = static_cast<std::remove_pointer_t<decltype(p)>>(mean + stddev * z);
      }
    });
  };
  if (t.dtype() == DType::f64) fill(t.data<double>()); else fill(t.data<float>());
  offset_ += 2 * static_cast<uint64_t>(t.numel());
}

}  // namespace lowbit

// AVX-512 stochastic rounding to n-bit integers: Philox4x32-10 on 32 blocks at once (128 words,
// a 16-bit half per position, kernels/x86/philox_x86.h), then the reference's IEEE operations
// (x / scale, floor, compare, clamp) 16 lanes at a time, so codes match intn_sr_*_ref bit for
// bit. The AVX2 file is the same on 16 blocks.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "lowbit/kernels/ref/quant_kernels.h"
#include "lowbit/kernels/x86/philox_x86.h"
#include "lowbit/kernels/x86/prefetch_x86.h"

namespace lowbit {

namespace {

// Whether scale is a power of two in 2^-126 .. 2^126 (its reciprocal a normal float): then
// x * (1 / scale) is the same exact real number as x / scale, rounded once, so the same float
// (subnormal results included), and the multiply costs a fraction of the division (VDIVPS zmm
// has a throughput of one per 8-10 cycles on Intel cores). Integer numerics use such scales.
inline bool exact_reciprocal(float scale) {
  uint32_t bits;
  std::memcpy(&bits, &scale, 4);
  const uint32_t exponent = bits >> 23 & 0xFF;
  return (bits & 0x807FFFFFu) == 0 && exponent >= 1 && exponent <= 253;
}

// 16 codes (int32 lanes) of x[0..15] with the 16-bit random halves h (zero-extended lanes; u =
// h / 2^16, the reference's u32_to_unit_float(sr_word(...)) exactly): x / scale, or x * s
// where s = 1 / scale is exact (kMul).
template <bool kMul>
inline __m512i sr16(const float* x, __m512i h, __m512 s, __m512 lo, __m512 hi) {
  const __m512 v = kMul ? _mm512_mul_ps(_mm512_loadu_ps(x), s) : _mm512_div_ps(_mm512_loadu_ps(x), s);
  const __m512 fl = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(h), _mm512_set1_ps(1.0f / 65536.0f));
  const __mmask16 up = _mm512_cmp_ps_mask(u, _mm512_sub_ps(v, fl), _CMP_LT_OQ);
  // fl + 1 where up, else fl itself (fl + 0 would turn -0 into +0: the same code either way).
  const __m512 r = _mm512_mask_add_ps(fl, up, fl, _mm512_set1_ps(1.0f));
  // NaN -> 0, as the reference: r is NaN exactly where v is (an infinite v gives an infinite r).
  const __mmask16 ordered = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q);
  return _mm512_maskz_cvtps_epi32(ordered, _mm512_min_ps(_mm512_max_ps(r, lo), hi));
}

constexpr int64_t kSrAhead = 2048;  // bytes: two runs of 256 values ahead

// Runs of 256 positions through sr16, the rest through the reference (for_each_halves).
template <class Q, class Ref, class Store>
void sr_run(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed, uint64_t stream,
            uint64_t pos0, Q* q, Ref ref, Store store) {
  LB_ASSERT(scale > 0.0f);
  const __m512 hi = _mm512_set1_ps(static_cast<float>(qmax));
  const __m512 lo = _mm512_set1_ps(-static_cast<float>(qmax));
  auto run = [&](auto mul) {
    constexpr bool kMul = decltype(mul)::value;
    const __m512 s = _mm512_set1_ps(kMul ? 1.0f / scale : scale);
    for_each_halves<Philox32>(
        seed, stream, pos0, n,
        [&](int64_t i, int64_t len) {
          ref(x + i, len, scale, qmax, seed, stream, pos0 + static_cast<uint64_t>(i), q + i);
        },
        [&](int64_t i, const __m512i w[8]) {
          for (int t = 0; t < 16; ++t) {
            // The next runs' values: the Philox rounds before their loads outlast the
            // out-of-order window, so the loads would otherwise wait on memory.
            prefetch_after<_MM_HINT_T0>(x + i + 16 * t, kSrAhead);
            const __m256i h = t % 2 ? _mm512_extracti64x4_epi64(w[t / 2], 1)
                                    : _mm512_castsi512_si256(w[t / 2]);
            store(q + i + 16 * t, sr16<kMul>(x + i + 16 * t, _mm512_cvtepu16_epi32(h), s, lo, hi));
          }
        });
  };
  if (exact_reciprocal(scale))
    run(std::true_type{});
  else
    run(std::false_type{});
}

}  // namespace

void intn_sr_s8_avx512(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                       uint64_t stream, uint64_t pos0, int8_t* q) {
  // |code| <= qmax <= 127: the saturating narrowing is a plain one.
  sr_run(x, n, scale, qmax, seed, stream, pos0, q, intn_sr_s8_ref, [](int8_t* out, __m512i c) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtsepi32_epi8(c));
  });
}

void intn_sr_s16_avx512(const float* x, int64_t n, float scale, int32_t qmax, uint64_t seed,
                        uint64_t stream, uint64_t pos0, int16_t* q) {
  sr_run(x, n, scale, qmax, seed, stream, pos0, q, intn_sr_s16_ref, [](int16_t* out, __m512i c) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtsepi32_epi16(c));
  });
}

}  // namespace lowbit

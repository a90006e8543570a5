// Philox4x32-10 (core/rng.cpp's philox4x32) on 8 consecutive blocks at once (AVX2) and, in files
// built with -mavx512f, on 16 (AVX-512), shared by the kernels that draw counter-based random
// words, with the one walk over positions they all use (for_each_words). Include only from files
// compiled with at least -mavx2; internal linkage only (an unnamed namespace), so no ISA copy can
// leak into baseline code through the linker.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace lowbit {
namespace {

// hi and lo words of the 64-bit products m * c for 8 lanes.
inline void mulhilo(__m256i c, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(c, m), odd = _mm256_mul_epu32(_mm256_srli_epi64(c, 32), m);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// philox4x32(key, ctr_hi, j0 + b) for blocks b = 0..7 (lane b of c[w] = word w), when j0 and
// j0 + 7 share their high 32 bits.
inline void philox8(uint64_t key, uint64_t ctr_hi, uint64_t j0, __m256i c[4]) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  c[0] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0))),
                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  c[1] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0 >> 32)));
  c[2] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi)));
  c[3] = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi >> 32)));
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo(c[0], m0, hi0, lo0);
    mulhilo(c[2], m1, hi1, lo1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), _mm256_set1_epi32(static_cast<int>(k1)));
    c[0] = n0, c[1] = lo1, c[2] = n2, c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// Words of blocks (2t, 2t + 1) in position order, t = 0..3: a 4 x 8 transpose of c.
inline void words_in_order(const __m256i c[4], __m256i out[4]) {
  const __m256i t0 = _mm256_unpacklo_epi32(c[0], c[1]), t1 = _mm256_unpackhi_epi32(c[0], c[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(c[2], c[3]), t3 = _mm256_unpackhi_epi32(c[2], c[3]);
  const __m256i b04 = _mm256_unpacklo_epi64(t0, t2), b15 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i b26 = _mm256_unpacklo_epi64(t1, t3), b37 = _mm256_unpackhi_epi64(t1, t3);
  out[0] = _mm256_permute2x128_si256(b04, b15, 0x20);
  out[1] = _mm256_permute2x128_si256(b26, b37, 0x20);
  out[2] = _mm256_permute2x128_si256(b04, b15, 0x31);
  out[3] = _mm256_permute2x128_si256(b26, b37, 0x31);
}

// The 8-block generator: P::words(key, ctr_hi, j0, w) leaves the 32 words of blocks j0 .. j0 + 7
// in position order, w[t] holding 8 of them.
struct Philox8 {
  using V = __m256i;
  static constexpr int kBlocks = 8;
  static void words(uint64_t key, uint64_t ctr_hi, uint64_t j0, V w[4]) {
    V c[4];
    philox8(key, ctr_hi, j0, c);
    words_in_order(c, w);
  }
};

#ifdef __AVX512F__
// hi and lo words of the 64-bit products m * c for 16 lanes.
inline void mulhilo(__m512i c, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(c, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// philox8 on 16 blocks: lane b of c[w] = word w of block j0 + b (j0, j0 + 15 share high words).
inline void philox16(uint64_t key, uint64_t ctr_hi, uint64_t j0, __m512i c[4]) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  c[0] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0))),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  c[1] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(j0 >> 32)));
  c[2] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi)));
  c[3] = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr_hi >> 32)));
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    __m512i hi0, lo0, hi1, lo1;
    mulhilo(c[0], m0, hi0, lo0);
    mulhilo(c[2], m1, hi1, lo1);
    const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c[1]), _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c[3]), _mm512_set1_epi32(static_cast<int>(k1)));
    c[0] = n0, c[1] = lo1, c[2] = n2, c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// Words of blocks 4t .. 4t + 3 in position order, t = 0..3: the 8-block transpose within 128-bit
// lanes (lane L of bq then holds block 4L + q), then a 4 x 4 transpose of the lanes.
inline void words_in_order(const __m512i c[4], __m512i out[4]) {
  const __m512i t0 = _mm512_unpacklo_epi32(c[0], c[1]), t1 = _mm512_unpackhi_epi32(c[0], c[1]);
  const __m512i t2 = _mm512_unpacklo_epi32(c[2], c[3]), t3 = _mm512_unpackhi_epi32(c[2], c[3]);
  const __m512i b0 = _mm512_unpacklo_epi64(t0, t2), b1 = _mm512_unpackhi_epi64(t0, t2);
  const __m512i b2 = _mm512_unpacklo_epi64(t1, t3), b3 = _mm512_unpackhi_epi64(t1, t3);
  const __m512i x0 = _mm512_shuffle_i32x4(b0, b1, 0x44), x1 = _mm512_shuffle_i32x4(b0, b1, 0xEE);
  const __m512i y0 = _mm512_shuffle_i32x4(b2, b3, 0x44), y1 = _mm512_shuffle_i32x4(b2, b3, 0xEE);
  out[0] = _mm512_shuffle_i32x4(x0, y0, 0x88);
  out[1] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
  out[2] = _mm512_shuffle_i32x4(x1, y1, 0x88);
  out[3] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
}

// The 16-block generator (64 words, w[t] holding 16 of them).
struct Philox16 {
  using V = __m512i;
  static constexpr int kBlocks = 16;
  static void words(uint64_t key, uint64_t ctr_hi, uint64_t j0, V w[4]) {
    V c[4];
    philox16(key, ctr_hi, j0, c);
    words_in_order(c, w);
  }
};
#endif

// Walks positions pos0 .. pos0 + n - 1 of the (seed, stream) word sequence: body(i, w) for each
// run of 4 * P::kBlocks positions starting at offset i, w[t] holding the words of the run's t-th
// quarter; ref(i, len) for what the generator does not take (the head up to a block boundary,
// the tail, and any run across a change of the counter's high word), so a kernel's reference
// fills those.
template <class P, class Ref, class Body>
inline void for_each_words(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, Ref ref,
                           Body body) {
  constexpr int64_t kRun = 4 * P::kBlocks;
  const int64_t head = static_cast<int64_t>((4 - (pos0 & 3)) & 3);
  int64_t i = head < n ? head : n;
  ref(int64_t{0}, i);
  for (; i + kRun <= n; i += kRun) {
    const uint64_t j0 = (pos0 + static_cast<uint64_t>(i)) >> 2;
    if ((j0 >> 32) != ((j0 + P::kBlocks - 1) >> 32)) {  // rare
      ref(i, kRun);
      continue;
    }
    typename P::V w[4];
    P::words(seed, stream, j0, w);
    body(i, w);
  }
  ref(i, n - i);
}

}  // namespace
}  // namespace lowbit

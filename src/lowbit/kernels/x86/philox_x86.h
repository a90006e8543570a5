// Philox4x32-10 (core/rng.cpp's philox4x32) on 16 consecutive blocks at once (AVX2: two
// interleaved runs of 8) and, in files built with -mavx512f, on 32 (AVX-512: four chains of 8), shared
// by the kernels that draw counter-based random words, with the one walk over positions they all
// use (for_each_words). Include only from files compiled with at least -mavx2; internal linkage
// only (an unnamed namespace), so no ISA copy can leak into baseline code through the linker.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace lowbit {
namespace {

// The round keys of a seed as 64-bit lanes, broadcast once per kernel call, not per run.
struct PhiloxKeys8 {
  __m256i k0[10], k1[10];
  explicit PhiloxKeys8(uint64_t key) {
    uint32_t a = static_cast<uint32_t>(key), b = static_cast<uint32_t>(key >> 32);
    for (int round = 0; round < 10; ++round, a += 0x9E3779B9u, b += 0xBB67AE85u)
      k0[round] = _mm256_set1_epi64x(a), k1[round] = _mm256_set1_epi64x(b);
  }
};

// philox4x32(seed, ctr_hi, j0 + b) for blocks b = 0 .. 8 * kSets - 1 (lane b of c[s][w] = word w
// of block j0 + 8 s + b), when j0 and the last block share their high 32 bits. Each set runs as
// two halves, its even and its odd blocks, with their words in the low halves of 64-bit lanes:
// VPMULUDQ reads only those and leaves the full product, so lo is the product itself and hi one
// shift, with no blends in the rounds (the high halves carry garbage that never reaches a low
// half); a shift and a blend per word interleave the halves at the end. The rounds are a chain
// of VPMULUDQ, shift and XOR: two sets (four independent chains; GCC spills some of their 16
// registers) drew words 21 % faster on Zen 3 than one set with blended multiplies did.
template <int kSets>
inline void philox8_sets(const PhiloxKeys8& keys, uint64_t ctr_hi, uint64_t j0, __m256i c[][4]) {
  constexpr int kHalves = 2 * kSets;
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
  __m256i h[kHalves][4];
  for (int half = 0; half < kHalves; ++half) {
    const int64_t first = static_cast<uint32_t>(j0) + 8 * (half / 2) + half % 2;
    h[half][0] = _mm256_add_epi64(_mm256_set1_epi64x(first), _mm256_setr_epi64x(0, 2, 4, 6));
    h[half][1] = _mm256_set1_epi64x(static_cast<uint32_t>(j0 >> 32));
    h[half][2] = _mm256_set1_epi64x(static_cast<uint32_t>(ctr_hi));
    h[half][3] = _mm256_set1_epi64x(static_cast<uint32_t>(ctr_hi >> 32));
  }
#pragma GCC unroll 10  // h stays (mostly) in registers only when fully unrolled
  for (int round = 0; round < 10; ++round) {
#pragma GCC unroll 4
    for (int half = 0; half < kHalves; ++half) {
      __m256i* x = h[half];
      const __m256i p0 = _mm256_mul_epu32(x[0], m0), p1 = _mm256_mul_epu32(x[2], m1);
      const __m256i n0 =
          _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(x[1], keys.k0[round]));
      const __m256i n2 =
          _mm256_xor_si256(_mm256_srli_epi64(p0, 32), _mm256_xor_si256(x[3], keys.k1[round]));
      x[0] = n0, x[1] = p1, x[2] = n2, x[3] = p0;
    }
  }
  for (int set = 0; set < kSets; ++set)
    for (int w = 0; w < 4; ++w)
      c[set][w] = _mm256_blend_epi32(h[2 * set][w], _mm256_slli_epi64(h[2 * set + 1][w], 32), 0xAA);
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

// The AVX2 generator: P::words(keys, ctr_hi, j0, w) leaves the 4 * kBlocks words of blocks j0 ..
// j0 + kBlocks - 1 in position order, w[t] holding kLanes of them.
struct Philox16 {
  using V = __m256i;
  using Keys = PhiloxKeys8;
  static constexpr int kBlocks = 16, kLanes = 8;
  static void store(uint32_t* out, V w) { _mm256_storeu_si256(reinterpret_cast<V*>(out), w); }
  static void words(const Keys& keys, uint64_t ctr_hi, uint64_t j0, V w[8]) {
    V c[2][4];
    philox8_sets<2>(keys, ctr_hi, j0, c);
    words_in_order(c[0], w);
    words_in_order(c[1], w + 4);
  }
};

#ifdef __AVX512F__
// philox8_sets in zmm on 8 * kHalves blocks, kHalves independent chains (the rounds are chains of
// VPMULUDQ, shift and XOR): lane b of h[half][w] (low 32 bits of a 64-bit lane) = word w of
// block j0 + 8 half + b, when j0 and the last block share their high 32 bits. The ternary XOR
// takes one instruction.
template <int kHalves>
inline void philox8_halves(uint64_t key, uint64_t ctr_hi, uint64_t j0, __m512i h[][4]) {
  const __m512i m0 = _mm512_set1_epi64(0xD2511F53), m1 = _mm512_set1_epi64(0xCD9E8D57);
  for (int half = 0; half < kHalves; ++half) {
    h[half][0] = _mm512_add_epi64(_mm512_set1_epi64(static_cast<uint32_t>(j0) + 8 * half),
                                  _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    h[half][1] = _mm512_set1_epi64(static_cast<uint32_t>(j0 >> 32));
    h[half][2] = _mm512_set1_epi64(static_cast<uint32_t>(ctr_hi));
    h[half][3] = _mm512_set1_epi64(static_cast<uint32_t>(ctr_hi >> 32));
  }
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
#pragma GCC unroll 10  // no register copies for the words' rotation when fully unrolled
  for (int round = 0; round < 10; ++round) {
    const __m512i kv0 = _mm512_set1_epi64(k0), kv1 = _mm512_set1_epi64(k1);
#pragma GCC unroll 4  // h stays in registers only when fully unrolled
    for (int half = 0; half < kHalves; ++half) {
      __m512i* x = h[half];
      const __m512i p0 = _mm512_mul_epu32(x[0], m0), p1 = _mm512_mul_epu32(x[2], m1);
      const __m512i n0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), x[1], kv0, 0x96);
      const __m512i n2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), x[3], kv1, 0x96);
      x[0] = n0, x[1] = p1, x[2] = n2, x[3] = p0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// The 32 words of one half's 8 blocks in position order (out[0]: blocks 0-3, out[1]: 4-7): each
// 64-bit lane takes its next word's low half in its high half, giving words (0, 1) and (2, 3)
// of a block per lane, and one two-source permute interleaves those. Four shuffles per 32
// words; a 4 x 16 transpose of interleaved halves took ten.
inline void half_words_in_order(const __m512i h[4], __m512i out[2]) {
  const __m512i w01 = _mm512_mask_shuffle_epi32(h[0], 0xAAAA, h[1], _MM_PERM_CCAA);
  const __m512i w23 = _mm512_mask_shuffle_epi32(h[2], 0xAAAA, h[3], _MM_PERM_CCAA);
  out[0] = _mm512_permutex2var_epi64(w01, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), w23);
  out[1] = _mm512_permutex2var_epi64(w01, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), w23);
}

// 32 blocks (128 words, w[t] holding 16 of them) as four 8-block chains whose rounds interleave:
// the rounds are throughput-bound with four (two chains drew words 10 % slower on Zen 5, six or
// eight spill).
struct Philox32 {
  using V = __m512i;
  using Keys = uint64_t;  // the rounds broadcast theirs: one instruction each with EVEX
  static constexpr int kBlocks = 32, kLanes = 16;
  static void store(uint32_t* out, V w) { _mm512_storeu_si512(out, w); }
  static void words(uint64_t key, uint64_t ctr_hi, uint64_t j0, V w[8]) {
    V h[4][4];
    philox8_halves<4>(key, ctr_hi, j0, h);
    for (int half = 0; half < 4; ++half) half_words_in_order(h[half], w + 2 * half);
  }
};
#endif

// Walks positions pos0 .. pos0 + n - 1 of the (seed, stream) word sequence: body(i, w) for each
// run of 4 * P::kBlocks positions starting at offset i, w[t] holding the run's words
// t * P::kLanes .. t * P::kLanes + kLanes - 1 in order; ref(i, len) for what the generator does
// not take (the head up to a block boundary, the tail, and any run across a change of the
// counter's high word), so a kernel's reference fills those.
template <class P, class Ref, class Body>
inline void for_each_words(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, Ref ref,
                           Body body) {
  constexpr int64_t kRun = 4 * P::kBlocks;
  const int64_t head = static_cast<int64_t>((4 - (pos0 & 3)) & 3);
  int64_t i = head < n ? head : n;
  ref(int64_t{0}, i);
  const typename P::Keys keys(seed);
  for (; i + kRun <= n; i += kRun) {
    const uint64_t j0 = (pos0 + static_cast<uint64_t>(i)) >> 2;
    if ((j0 >> 32) != ((j0 + P::kBlocks - 1) >> 32)) {  // rare
      ref(i, kRun);
      continue;
    }
    typename P::V w[kRun / P::kLanes];
    P::words(keys, stream, j0, w);
    body(i, w);
  }
  ref(i, n - i);
}

// The same walk for consumers of 16-bit halves (stochastic rounding): position p takes half
// p & 1 (the low one first) of word p >> 1, so a run's words are its 2 * 4 * P::kBlocks halves
// in memory order. body(i, w) for each run of that many positions starting at offset i (pos0 + i
// even), ref(i, len) for the rest: an odd first position, runs the word walk gives its ref, and
// an odd last one.
template <class P, class Ref, class Body>
inline void for_each_halves(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, Ref ref,
                            Body body) {
  const int64_t head = (pos0 & 1) != 0 && n > 0 ? 1 : 0;
  ref(int64_t{0}, head);
  const int64_t words = (n - head) / 2;
  for_each_words<P>(
      seed, stream, (pos0 + static_cast<uint64_t>(head)) >> 1, words,
      [&](int64_t i, int64_t len) { ref(head + 2 * i, 2 * len); },
      [&](int64_t i, const typename P::V* w) { body(head + 2 * i, w); });
  ref(head + 2 * words, n - head - 2 * words);
}

// out[i] = word pos0 + i for i < n (Rng::u32_at), ref(pos, len, out) filling what the generator
// does not: the bulk random words (rng_words_*) of each ISA.
template <class P, class Ref>
inline void fill_words(uint64_t seed, uint64_t stream, uint64_t pos0, int64_t n, uint32_t* out,
                       Ref ref) {
  for_each_words<P>(
      seed, stream, pos0, n,
      [&](int64_t i, int64_t len) { ref(seed, stream, pos0 + static_cast<uint64_t>(i), len, out + i); },
      [&](int64_t i, const typename P::V* w) {
        for (int t = 0; t < 4 * P::kBlocks / P::kLanes; ++t) P::store(out + i + P::kLanes * t, w[t]);
      });
}

}  // namespace
}  // namespace lowbit

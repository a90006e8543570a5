// Table lookups for 8 lanes without VPGATHERDD, which is slow on Zen 3 (and Intel's gather-data-
// sampling microcode slows it on Skylake to Tiger Lake, CPUs this AVX2 path serves): eight scalar
// loads into lanes instead. Measured on Zen 3 from DRAM (docs/RESULTS.md, "Zen 3 (AVX2), third
// session"): the block-wise encode 7.46 -> 9.42 GB/s, the decode 9.43 -> 13.90. Include only from
// files built with -mavx2; internal linkage only, as philox_x86.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace lowbit {
namespace {

// table[j] for the 8 lanes of j, each read as unsigned and below the table's size (VPGATHERDD
// would sign-extend them).
inline __m256i lookup8(const uint32_t* table, __m256i j) {
  auto four = [table](__m128i idx) {
    const uint64_t lo = static_cast<uint64_t>(_mm_cvtsi128_si64(idx));
    const uint64_t hi = static_cast<uint64_t>(_mm_extract_epi64(idx, 1));
    __m128i e = _mm_cvtsi32_si128(static_cast<int>(table[static_cast<uint32_t>(lo)]));
    e = _mm_insert_epi32(e, static_cast<int>(table[lo >> 32]), 1);
    e = _mm_insert_epi32(e, static_cast<int>(table[static_cast<uint32_t>(hi)]), 2);
    return _mm_insert_epi32(e, static_cast<int>(table[hi >> 32]), 3);
  };
  return _mm256_inserti128_si256(_mm256_castsi128_si256(four(_mm256_castsi256_si128(j))),
                                 four(_mm256_extracti128_si256(j, 1)), 1);
}

// map[codes[0..7]] (map has 256 entries).
inline __m256 map8(const float* map, const uint8_t* c) {
  return _mm256_setr_ps(map[c[0]], map[c[1]], map[c[2]], map[c[3]], map[c[4]], map[c[5]],
                        map[c[6]], map[c[7]]);
}

}  // namespace
}  // namespace lowbit

// AVX2 fast Walsh-Hadamard transform on row blocks (kernels/ref/hadamard_ref.h): per 8 floats,
// butterfly stages h = 1, 2, 4 pair lanes by a permute and keep a + b in the lower lane, a - b
// in the upper (b - a is never formed); stages h >= 8 pair whole vectors. Then the same
// multiply by 1 / sqrt(block) as the reference. Blocks under 8 go to the reference.
#include <immintrin.h>

#include "lowbit/kernels/ref/hadamard_ref.h"

namespace lowbit {

namespace {

// Lanes in `upper` (a bit mask) take partner - self (= a - b), the others self + partner.
template <int kUpper>
inline __m256 stage(__m256 v, __m256 partner) {
  return _mm256_blend_ps(_mm256_add_ps(v, partner), _mm256_sub_ps(partner, v), kUpper);
}

inline __m256 in_register_stages(__m256 v) {
  v = stage<0xAA>(v, _mm256_permute_ps(v, 0xB1));            // h = 1: lanes 2i, 2i + 1
  v = stage<0xCC>(v, _mm256_permute_ps(v, 0x4E));            // h = 2
  return stage<0xF0>(v, _mm256_permute2f128_ps(v, v, 0x01));  // h = 4: the two halves
}

}  // namespace

void fwht_rows_f32_avx2(float* x, int64_t rows, int64_t cols, int64_t block) {
  if (block < 8) return fwht_rows_f32_ref(x, rows, cols, block);
  LB_ASSERT((block & (block - 1)) == 0 && cols % block == 0);
  // 1 / sqrt(block) as the reference computes it (SQRTSS is correctly rounded, as std::sqrt).
  const float root = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(static_cast<float>(block))));
  const __m256 norm = _mm256_set1_ps(1.0f / root);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b0 = 0; b0 < cols; b0 += block) {
      float* v = x + r * cols + b0;
      for (int64_t j = 0; j < block; j += 8) _mm256_storeu_ps(v + j, in_register_stages(_mm256_loadu_ps(v + j)));
      for (int64_t h = 8; h < block; h *= 2)
        for (int64_t i = 0; i < block; i += 2 * h)
          for (int64_t j = i; j < i + h; j += 8) {
            const __m256 a = _mm256_loadu_ps(v + j), b = _mm256_loadu_ps(v + j + h);
            _mm256_storeu_ps(v + j, _mm256_add_ps(a, b));
            _mm256_storeu_ps(v + j + h, _mm256_sub_ps(a, b));
          }
      for (int64_t j = 0; j < block; j += 8) _mm256_storeu_ps(v + j, _mm256_mul_ps(_mm256_loadu_ps(v + j), norm));
    }
}

}  // namespace lowbit

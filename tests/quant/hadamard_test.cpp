// Block Hadamard rotation: equals multiplication by the explicit Sylvester matrix (double),
// is orthonormal and self-inverse, preserves norms in f32, and rejects bad blocks.
#include "lowbit/quant/hadamard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "lowbit/core/rng.h"
#include "lowbit/kernels/ref/hadamard_ref.h"

namespace lowbit {
namespace {

// H_n (Sylvester): H_1 = [1], H_2n = [[H, H], [H, -H]]; entry (i, j) = (-1)^popcount(i & j).
std::vector<double> sylvester(int64_t n) {
  std::vector<double> h(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) h[i * n + j] = (__builtin_popcountll(i & j) % 2) ? -1.0 : 1.0;
  return h;
}

TEST(Hadamard, MatchesExplicitSylvesterMatrix) {
  for (int64_t block : {16, 32, 64, 128, 256}) {
    const int64_t rows = 3, cols = 2 * block;
    Tensor x = Tensor::empty({rows, cols}, DType::f64);
    Rng(block).fill_normal(x, 0, 1);
    Tensor y = x.clone();
    hadamard_rows_(y, block);
    std::vector<double> h = sylvester(block);
    const double* px = x.data<double>();
    const double* py = y.data<double>();
    // Each output sums `block` products of magnitude |x|: error <= block * eps * max|x| / sqrt(block).
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < cols; b += block)
        for (int64_t i = 0; i < block; ++i) {
          double want = 0;
          for (int64_t j = 0; j < block; ++j) want += h[i * block + j] * px[r * cols + b + j];
          want /= std::sqrt(double(block));
          ASSERT_NEAR(py[r * cols + b + i], want, 1e-13 * block) << "block " << block << " row " << r;
        }
  }
}

TEST(Hadamard, OrthonormalAndSelfInverse) {
  for (int64_t block : {16, 64, 256}) {
    // Rows of the identity become the rows of H / sqrt(n): check H Hᵀ / n = I.
    Tensor eye = Tensor::zeros({block, block}, DType::f64);
    for (int64_t i = 0; i < block; ++i) eye.data<double>()[i * block + i] = 1.0;
    hadamard_rows_(eye, block);
    const double* e = eye.data<double>();
    for (int64_t i = 0; i < block; ++i)
      for (int64_t j = 0; j < block; ++j) {
        double dot = 0;
        for (int64_t k = 0; k < block; ++k) dot += e[i * block + k] * e[j * block + k];
        ASSERT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-12);
      }
    // Twice is the identity; f32 keeps norms to float accuracy (log2(n) butterfly levels).
    Tensor x = Tensor::empty({5, block * 3});
    Rng(1).fill_normal(x, 0, 1);
    Tensor y = x.clone();
    hadamard_rows_(y, block);
    double n0 = 0, n1 = 0;
    for (int64_t i = 0; i < x.numel(); ++i) n0 += double(x.data<float>()[i]) * x.data<float>()[i], n1 += double(y.data<float>()[i]) * y.data<float>()[i];
    EXPECT_NEAR(n1, n0, 1e-5 * n0);
    hadamard_rows_(y, block);
    for (int64_t i = 0; i < x.numel(); ++i) ASSERT_NEAR(y.data<float>()[i], x.data<float>()[i], 1e-5);
  }
}

// The out-of-place form equals the in-place one bit for bit and leaves its input alone, on
// enough rows for several parallel chunks.
TEST(Hadamard, OutOfPlaceEqualsInPlace) {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = Tensor::empty({300, 192}, dt);
    Rng(4).fill_normal(x, 0, 1);
    const Tensor before = x.clone();
    const Tensor got = hadamard_rows(x, 64);
    Tensor want = x.clone();
    hadamard_rows_(want, 64);
    ASSERT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0);
    ASSERT_EQ(std::memcmp(x.raw(), before.raw(), x.nbytes()), 0);
  }
  EXPECT_THROW(hadamard_rows(Tensor::zeros({2, 48}), 32), Error);
}

TEST(Hadamard, RejectsBadBlocks) {
  Tensor x = Tensor::zeros({2, 48});
  EXPECT_THROW(hadamard_rows_(x, 32), Error);   // 48 is not a multiple of 32
  EXPECT_THROW(hadamard_rows_(x, 24), Error);   // not a power of two
  EXPECT_THROW(hadamard_rows_(x, 512), Error);  // too large
  Tensor i = Tensor::zeros({2, 16}, DType::i32);
  EXPECT_THROW(hadamard_rows_(i, 16), Error);
}

}  // namespace
}  // namespace lowbit

namespace lowbit {
namespace {

// Every runnable f32 variant against fwht_rows_ref bit for bit, every block size, odd row counts.
TEST(Hadamard, EveryF32VariantMatchesRefBitForBit) {
  for (const FwhtKernel* k : fwht_kernels().runnable())
    for (int64_t block = 1; block <= 256; block *= 2)
      for (int64_t rows : {0, 1, 3}) {
        const int64_t cols = block * 3;
        Rng rng(static_cast<uint64_t>(block * 10 + rows));
        std::vector<float> want(static_cast<size_t>(rows * cols));
        for (float& v : want) v = rng.normal() * 3.0f;
        std::vector<float> got = want;
        fwht_rows_ref<float>(want.data(), rows, cols, block);
        k->fn(got.data(), rows, cols, block);
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
            << k->name << " block " << block << " rows " << rows;
      }
}

}  // namespace
}  // namespace lowbit

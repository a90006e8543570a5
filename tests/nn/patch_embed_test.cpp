// Patch embedding: equals a direct stride-p convolution (torch Conv2d weight layout), weight and
// bias gradients match finite differences, and image-shape mismatches are reported.
#include "lowbit/nn/patch_embed.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::f64) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng r(seed);
  r.fill_normal(t, 0, 1);
  return t;
}

// out[b*P + py*g + px, h] = bias[h] + sum_{c,ky,kx} W[h, c, ky, kx] img[b, c, py*p + ky, px*p + kx]
std::vector<double> conv_ref(const std::vector<double>& img, const std::vector<double>& w,
                             const std::vector<double>& bias, int64_t batch, int64_t ch, int64_t s,
                             int64_t p, int64_t hidden) {
  const int64_t g = s / p;
  std::vector<double> out(static_cast<size_t>(batch * g * g * hidden));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t py = 0; py < g; ++py)
      for (int64_t px = 0; px < g; ++px)
        for (int64_t h = 0; h < hidden; ++h) {
          double acc = bias[h];
          for (int64_t c = 0; c < ch; ++c)
            for (int64_t ky = 0; ky < p; ++ky)
              for (int64_t kx = 0; kx < p; ++kx)
                acc += w[((h * ch + c) * p + ky) * p + kx] *
                       img[((b * ch + c) * s + py * p + ky) * s + px * p + kx];
          out[((b * g + py) * g + px) * hidden + h] = acc;
        }
  return out;
}

TEST(PatchEmbed, EqualsStridedConvolution) {
  struct Case {
    int64_t batch, ch, s, p, hidden;
  };
  for (Case k :
       {Case{2, 3, 6, 3, 5}, Case{1, 1, 4, 4, 7}, Case{3, 2, 5, 1, 3}, Case{2, 1, 28, 7, 17}}) {
    SCOPED_TRACE(::testing::Message() << "B=" << k.batch << " ch=" << k.ch << " S=" << k.s
                                      << " p=" << k.p << " hidden=" << k.hidden);
    Rng rng(1);
    PatchEmbed pe("patch_embed", k.ch, k.s, k.p, k.hidden, rng, DType::f64);
    EXPECT_EQ(pe.num_patches, (k.s / k.p) * (k.s / k.p));
    Rng(2).fill_normal(pe.params()[1]->value, 0, 1);
    Tensor img = randn({k.batch, k.ch, k.s, k.s}, 3);
    Tensor y = pe.forward(img);
    ASSERT_EQ(y.shape(), (Shape{k.batch * pe.num_patches, k.hidden}));
    auto want = conv_ref(img.to_vector(), pe.params()[0]->value.to_vector(),
                         pe.params()[1]->value.to_vector(), k.batch, k.ch, k.s, k.p, k.hidden);
    auto got = y.to_vector();
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
  }
}

TEST(PatchEmbed, BackwardMatchesFiniteDifferences) {
  Rng rng(4);
  PatchEmbed pe("patch_embed", 2, 6, 3, 5, rng, DType::f64);
  auto ps = pe.params();
  Rng(5).fill_normal(ps[0]->value, 0, 1);
  Tensor img = randn({3, 2, 6, 6}, 6), w = randn({3 * 4, 5}, 7);
  auto loss = [&] { return testing::dot(pe.forward(img), w); };
  pe.zero_grad();
  pe.forward(img);
  pe.backward(w);
  testing::expect_grad_close("dweight", ps[0]->value, ps[0]->grad.clone(), loss);
  testing::expect_grad_close("dbias", ps[1]->value, ps[1]->grad.clone(), loss);
  // Accumulates: a second backward doubles the gradients.
  auto g1 = ps[0]->grad.to_vector();
  pe.backward(w);
  auto g2 = ps[0]->grad.to_vector();
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g2[i], 2 * g1[i], 1e-12);
}

TEST(PatchEmbed, Parameters) {
  Rng rng(1);
  PatchEmbed pe("patch_embed", 3, 32, 4, 64, rng, DType::f32);
  auto ps = pe.params();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->name, "patch_embed.weight");
  EXPECT_EQ(ps[0]->value.shape(), (Shape{64, 48}));
  EXPECT_TRUE(ps[0]->decay);
  EXPECT_EQ(ps[1]->name, "patch_embed.bias");
  EXPECT_EQ(ps[1]->value.shape(), (Shape{64}));
  EXPECT_FALSE(ps[1]->decay);
  EXPECT_EQ(pe.num_patches, 64);
}

TEST(PatchEmbed, BadInputsThrow) {
  Rng rng(1);
  EXPECT_THROW(PatchEmbed("pe", 1, 28, 5, 8, rng, DType::f32), Error);
  EXPECT_THROW(PatchEmbed("pe", 0, 28, 7, 8, rng, DType::f32), Error);
  PatchEmbed pe("pe", 1, 28, 7, 8, rng, DType::f32);
  EXPECT_THROW(pe.backward(Tensor::zeros({16, 8})), Error);
  try {
    pe.forward(Tensor::zeros({2, 3, 32, 32}));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("images are (2, 3, 32, 32), expected (*, 1, 28, 28)"), std::string::npos) << m;
  }
  EXPECT_THROW(pe.forward(Tensor::zeros({2, 28, 28})), Error);
  EXPECT_THROW(pe.forward(Tensor::zeros({2, 1, 28, 27})), Error);
  EXPECT_THROW(pe.forward(Tensor::zeros({2, 1, 28, 28}, DType::f64)), Error);
  pe.forward(Tensor::zeros({2, 1, 28, 28}));
  EXPECT_THROW(pe.backward(Tensor::zeros({31, 8})), Error);
  EXPECT_THROW(pe.backward(Tensor::zeros({32, 8}, DType::f64)), Error);
}

}  // namespace
}  // namespace lowbit::nn

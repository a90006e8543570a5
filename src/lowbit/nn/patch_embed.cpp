// Patch embedding = unfold + nn::Linear forward. The backward skips the image gradient (pixels
// are inputs, not parameters), so it runs only the weight GEMM and the bias column sums.
#include "lowbit/nn/patch_embed.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "lowbit/core/parallel.h"
#include "lowbit/ops/gemm.h"

namespace lowbit::nn {

namespace {

constexpr int64_t kRowsPerChunk = 64;

int64_t checked_num_patches(const std::string& name, int64_t channels, int64_t image_size,
                            int64_t patch, int64_t hidden) {
  LB_CHECK(channels > 0 && image_size > 0 && patch > 0 && hidden > 0, "[patch_embed ", name,
           "] channels ", channels, ", image_size ", image_size, ", patch ", patch, " and hidden ",
           hidden, " must all be positive");
  LB_CHECK(image_size % patch == 0, "[patch_embed ", name, "] image_size ", image_size,
           " is not divisible by patch ", patch, " (model.image_size, model.patch)");
  return (image_size / patch) * (image_size / patch);
}

// cols[b*P + py*g + px, (c*p + ky)*p + kx] = img[b, c, py*p + ky, px*p + kx], g = S/p.
template <class T>
void unfold(const T* img, int64_t batch, int64_t ch, int64_t s, int64_t p, T* cols) {
  const int64_t g = s / p, np = g * g, k = ch * p * p;
  parallel_for(batch * np, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / np, py = (r % np) / g, px = r % g;
      T* dst = cols + r * k;
      for (int64_t c = 0; c < ch; ++c)
        for (int64_t ky = 0; ky < p; ++ky)
          std::memcpy(dst + (c * p + ky) * p, img + ((b * ch + c) * s + py * p + ky) * s + px * p,
                      p * sizeof(T));
    }
  });
}

}  // namespace

PatchEmbed::PatchEmbed(std::string name, int64_t channels, int64_t image_size, int64_t patch,
                       int64_t hidden, Rng& rng, DType dtype)
    : num_patches(checked_num_patches(name, channels, image_size, patch, hidden)),
      name_(std::move(name)),
      channels_(channels),
      image_size_(image_size),
      patch_(patch),
      proj_(name_, channels * patch * patch, hidden, true, rng, dtype) {}

void PatchEmbed::collect_params(std::vector<Param*>& out) {
  proj_.collect_params(out);
}

Tensor PatchEmbed::forward(const Tensor& images, const ForwardContext& ctx) {
  LB_CHECK(images.ndim() == 4 && images.dim(1) == channels_ && images.dim(2) == image_size_ &&
               images.dim(3) == image_size_,
           "[patch_embed ", name_, "] images are ", images.shape_string(), ", expected (*, ",
           channels_, ", ", image_size_, ", ", image_size_,
           ") (model.channels, model.image_size); check the dataset's image size");
  const DType dt = proj_.weight.value.dtype();
  LB_CHECK(images.dtype() == dt, "[patch_embed ", name_, "] images are ",
           dtype_name(images.dtype()), ", expected ", dtype_name(dt), " (the model's dtype)");
  const int64_t b = images.dim(0);
  cols_ = Tensor::empty({b * num_patches, proj_.in_features()}, dt);
  if (dt == DType::f32)
    unfold(images.data<float>(), b, channels_, image_size_, patch_, cols_.data<float>());
  else
    unfold(images.data<double>(), b, channels_, image_size_, patch_, cols_.data<double>());
  return proj_.forward(cols_, ctx);
}

void PatchEmbed::backward(const Tensor& dpatch) {
  LB_CHECK(cols_.defined(), "[patch_embed ", name_, "] backward called before forward");
  check_shape("patch_embed", "dpatch", dpatch, {cols_.dim(0), proj_.out_features()});
  check_dtype("patch_embed", "dpatch", dpatch, cols_.dtype());
  // Through the layer's numerics (integer / FP8 schemes quantize dW's product too).
  proj_.backward_params(dpatch);
}

}  // namespace lowbit::nn

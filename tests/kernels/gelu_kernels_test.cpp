// Every runnable gelu variant against gelu_*_ref, bit for bit: lengths around every vector
// width (tails), unaligned offsets, and the special values (signed zeros, infinities, NaN,
// denormals, the clamp points of erf and exp).
#include "lowbit/kernels/ref/gelu_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

TEST(GeluKernels, EveryVariantMatchesReference) {
  Rng rng(3);
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f, 4.0f, -4.0f,
                            5.65685f, -5.65685f, 13.2f, -13.2f, 1e30f, -1e30f, 3.5f, -0.7f};
  int64_t checked = 0;
  for (int64_t n : {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000}) {
    std::vector<float> x(n + 1), dy(n + 1);
    for (int64_t i = 0; i <= n; ++i) {
      x[i] = (i % 5 == 0) ? specials[i % 17] : 4.0f * rng.normal();
      dy[i] = rng.normal();
    }
    std::vector<float> y_ref(n + 1), dx_ref(n + 1), y(n + 1), dx(n + 1);
    gelu_forward_ref(x.data() + 1, y_ref.data() + 1, n);
    gelu_backward_ref(x.data() + 1, dy.data() + 1, dx_ref.data() + 1, n);
    for (const GeluKernel* k : gelu_kernels().runnable()) {
      k->forward(x.data() + 1, y.data() + 1, n);
      k->backward(x.data() + 1, dy.data() + 1, dx.data() + 1, n);
      ASSERT_EQ(std::memcmp(y.data() + 1, y_ref.data() + 1, n * sizeof(float)), 0)
          << k->name << " forward n " << n;
      ASSERT_EQ(std::memcmp(dx.data() + 1, dx_ref.data() + 1, n * sizeof(float)), 0)
          << k->name << " backward n " << n;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(GeluKernels, FamilyHasIsaVariantsAndRefLast) {
  EXPECT_EQ(gelu_kernels().all().back().isa, Isa::scalar);
  EXPECT_EQ(gelu_kernels().all().size(), 3u);
}

}  // namespace
}  // namespace lowbit

// Every runnable int_layer_norm variant against the `_ref`, bit for bit: widths around every
// vector width, extreme codes (all +-127, a constant row), sub-ranges of rows and column-sum
// partials that start non-zero.
#include "lowbit/kernels/ref/int_ln_kernels.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "lowbit/core/rng.h"

namespace lowbit {
namespace {

template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

TEST(IntLnKernels, EveryVariantMatchesReference) {
  Rng rng(7);
  const IntLnKernel& ref = int_ln_kernels().all().back();
  int64_t checked = 0;
  for (int64_t c : {1, 7, 8, 15, 16, 17, 63, 64, 65, 130, 384}) {
    const int64_t m = 9, r0 = 2, r1 = 8;
    std::vector<int8_t> q(m * c), h(m * c), e(m * c), g(c);
    for (int64_t i = 0; i < m * c; ++i) {
      q[i] = static_cast<int8_t>(static_cast<int>(rng.next_u32() % 255) - 127);
      h[i] = static_cast<int8_t>(static_cast<int>(rng.next_u32() % 255) - 127);
      e[i] = static_cast<int8_t>(static_cast<int>(rng.next_u32() % 255) - 127);
    }
    for (int64_t j = 0; j < c; ++j) {
      g[j] = static_cast<int8_t>(static_cast<int>(rng.next_u32() % 255) - 127);
      q[3 * c + j] = 127;                   // an extreme row
      q[4 * c + j] = 5;                     // a constant row (variance 0: rstd = 1/sqrt(eps))
      e[5 * c + j] = j % 2 ? 127 : -127;
    }
    std::vector<float> beta(c), rstd(m);
    for (float& v : beta) v = rng.normal();
    for (float& v : rstd) v = 1.0f + rng.uniform();
    std::vector<float> xh_ref(m * c, 0.f), rs_ref(m, 0.f), y_ref(m * c, 0.f), dx_ref(m * c, 0.f);
    std::vector<int64_t> part_ref(2 * c);
    for (int64_t j = 0; j < 2 * c; ++j) part_ref[j] = static_cast<int64_t>(rng.next_u32() % 1000) - 500;
    const std::vector<int64_t> part0 = part_ref;
    ref.normalize(q.data(), 0.03125f, r0, r1, c, 1e-12, xh_ref.data(), rs_ref.data());
    ref.affine(h.data(), g.data(), 0.0078125f, beta.data(), r0, r1, c, y_ref.data());
    ref.backward(e.data(), h.data(), g.data(), rstd.data(), 0.001f, 0.0625f, 0.0078125f, r0, r1, c,
                 dx_ref.data(), part_ref.data());
    for (const IntLnKernel* k : int_ln_kernels().runnable()) {
      std::vector<float> xh(m * c, 0.f), rs(m, 0.f), y(m * c, 0.f), dx(m * c, 0.f);
      std::vector<int64_t> part = part0;
      k->normalize(q.data(), 0.03125f, r0, r1, c, 1e-12, xh.data(), rs.data());
      k->affine(h.data(), g.data(), 0.0078125f, beta.data(), r0, r1, c, y.data());
      k->backward(e.data(), h.data(), g.data(), rstd.data(), 0.001f, 0.0625f, 0.0078125f, r0, r1,
                  c, dx.data(), part.data());
      EXPECT_TRUE(same(xh, xh_ref) && same(rs, rs_ref)) << k->name << " normalize c " << c;
      EXPECT_TRUE(same(y, y_ref)) << k->name << " affine c " << c;
      EXPECT_TRUE(same(dx, dx_ref) && same(part, part_ref)) << k->name << " backward c " << c;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(IntLnKernels, FamilyHasIsaVariantsAndRefLast) {
  EXPECT_EQ(int_ln_kernels().all().back().isa, Isa::scalar);
  EXPECT_EQ(int_ln_kernels().all().size(), 3u);
}

}  // namespace
}  // namespace lowbit

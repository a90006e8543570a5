// Global gradient norm (against a double sum, and bitwise across thread counts), torch-style
// clipping, and the NaN/Inf finder with its message.
#include "lowbit/optim/grad_utils.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "lowbit/core/parallel.h"
#include "lowbit/optim/optimizer.h"
#include "optim/optim_test_util.h"

namespace lowbit::optim {
namespace {

using testing::fill_grads;
using testing::make_param_set;
using testing::ParamSet;

double ref_norm(ParamSet& s) {
  long double sum = 0;
  for (auto& p : s.params)
    for (double g : p.grad.to_vector()) sum += static_cast<long double>(g) * g;
  return std::sqrt(static_cast<double>(sum));
}

TEST(GradUtils, NormMatchesDoubleSumAndIsThreadIndependent) {
  ParamSet s = make_param_set(DType::f32, {1, 4095, 4096, 4097, 200003});
  fill_grads(s, 1);
  int saved = num_threads();
  set_num_threads(1);
  double n1 = grad_global_norm(s.ptrs());
  set_num_threads(2);
  double n2 = grad_global_norm(s.ptrs());
  set_num_threads(saved);
  EXPECT_EQ(std::memcmp(&n1, &n2, sizeof n1), 0) << n1 << " vs " << n2;
  // Products of f32 values are exact in double; N additions err by <= N * 2^-53 relative.
  double n = 208292;
  EXPECT_NEAR(n1, ref_norm(s), ref_norm(s) * n * std::ldexp(1.0, -53));
  ParamSet d = make_param_set(DType::f64, {3, 5000});
  fill_grads(d, 2);
  EXPECT_NEAR(grad_global_norm(d.ptrs()), ref_norm(d), ref_norm(d) * 1e-13);
}

TEST(GradUtils, ClipScalesOnlyAboveMaxNorm) {
  ParamSet s = make_param_set(DType::f32, {3, 2});
  float g[5] = {3, 0, 0, 4, 0};  // norm 5
  for (int i = 0; i < 3; ++i) s.params[0].grad.data<float>()[i] = g[i];
  for (int i = 0; i < 2; ++i) s.params[1].grad.data<float>()[i] = g[3 + i];
  EXPECT_EQ(clip_grad_norm(s.ptrs(), 10.0), 5.0);  // below: untouched
  EXPECT_EQ(s.params[0].grad.data<float>()[0], 3.0f);
  EXPECT_EQ(clip_grad_norm(s.ptrs(), 1.0), 5.0);
  float coef = static_cast<float>(1.0 / (5.0 + 1e-6));
  EXPECT_EQ(s.params[0].grad.data<float>()[0], 3.0f * coef);
  EXPECT_EQ(s.params[1].grad.data<float>()[0], 4.0f * coef);
  EXPECT_NEAR(grad_global_norm(s.ptrs()), 1.0, 1e-6);
  EXPECT_THROW(clip_grad_norm(s.ptrs(), 0.0), Error);
}

TEST(GradUtils, NonFiniteIsFoundNamedAndLeftUnclipped) {
  ParamSet s = make_param_set(DType::f32, {10, 100, 100});
  fill_grads(s, 1);
  EXPECT_FALSE(find_nonfinite(s.ptrs()).found());
  s.params[2].grad.data<float>()[3] = std::numeric_limits<float>::quiet_NaN();
  s.params[1].grad.data<float>()[42] = -std::numeric_limits<float>::infinity();
  NonFinite bad = find_nonfinite(s.ptrs());
  ASSERT_TRUE(bad.found());
  EXPECT_EQ(bad.param, "layer1.bias");
  EXPECT_EQ(bad.index, 42);
  EXPECT_EQ(nonfinite_message(123, bad),
            "step 123: gradient of layer1.bias has -Inf at element 42");
  s.params[1].grad.data<float>()[42] = 1.0f;
  EXPECT_EQ(nonfinite_message(7, find_nonfinite(s.ptrs())),
            "step 7: gradient of layer2.weight has NaN at element 3");
  float before = s.params[0].grad.data<float>()[0];
  EXPECT_TRUE(std::isnan(clip_grad_norm(s.ptrs(), 1e-3)));
  EXPECT_EQ(s.params[0].grad.data<float>()[0], before);
}


// Clipping inside the step (Optimizer::scale_grads_in_next_step with clip_coefficient's factor)
// gives the bits of clip_grad_norm before the step, for every kind and both state codecs (the
// 8-bit one through its fused kernel), clipped and unclipped, f32 and f64; the factor lasts one
// step. Zeroing inside the step (zero_grads_in_next_step) changes no update and leaves every
// gradient zero, for that step only.
TEST(GradUtils, ClippingInsideTheStepMatchesClipThenStep) {
  for (DType dtype : {DType::f32, DType::f64})
    for (const char* kind : {"adamw", "adam", "sgd", "lion"})
      for (const char* codec : {"f32", "8bit"})
        for (double max_norm : {0.05, 1e6}) {
          if (dtype == DType::f64 && std::string(codec) == "8bit") continue;
          ParamSet a = make_param_set(dtype, {1, 7, 2047, 2048, 2049, 5003});
          ParamSet b = a.clone();
          OptimizerConfig c;
          c.weight_decay = 0.01;
          c.state_codec = codec;
          c.state_min_numel = 1;
          auto oa = make_optimizer(kind, a.ptrs(), c), ob = make_optimizer(kind, b.ptrs(), c);
          for (int t = 1; t <= 3; ++t) {
            fill_grads(a, t);
            fill_grads(b, t);
            clip_grad_norm(a.ptrs(), max_norm);
            oa->step(1e-2);
            const double coef = clip_coefficient(max_norm, grad_global_norm(b.ptrs()));
            if (max_norm < 1) EXPECT_LT(coef, 1.0);
            if (t < 3) ob->scale_grads_in_next_step(coef);
            if (t == 2) ob->zero_grads_in_next_step();
            ob->step(1e-2);
            for (const auto& p : b.params) {  // zeroed by step 2 only, after its update read them
              const std::vector<double> g = p.grad.to_vector();
              const bool zero = std::all_of(g.begin(), g.end(), [](double v) { return v == 0; });
              EXPECT_EQ(zero, t == 2 || g.empty()) << kind << " " << codec << " step " << t;
            }
            if (t == 3) continue;  // not scaled this time: b's step used unclipped gradients
            for (size_t i = 0; i < a.params.size(); ++i) {
              const auto &pa = a.params[i], &pb = b.params[i];
              ASSERT_EQ(std::memcmp(pa.value.raw(), pb.value.raw(), pa.value.nbytes()), 0)
                  << kind << " " << codec << " " << dtype_name(dtype) << " step " << t << " "
                  << pa.name;
            }
          }
          if (max_norm > 1) continue;
          bool differ = false;  // the third step: clipped against unclipped
          for (size_t i = 0; i < a.params.size(); ++i)
            differ |= std::memcmp(a.params[i].value.raw(), b.params[i].value.raw(),
                                  a.params[i].value.nbytes()) != 0;
          EXPECT_TRUE(differ) << kind << " " << codec;
        }
}

}  // namespace
}  // namespace lowbit::optim

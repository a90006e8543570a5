// LSQ quantization-aware training of a TtLinear and a TtEmbedding: the forward is the plain tensor
// train on the cores' (and input's) grid values (bit for bit), the steps are parameters with their
// own learning rate scale, and backward feeds both the cores (straight through) and the steps.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lowbit/nn/tt_embedding.h"
#include "lowbit/nn/tt_linear.h"
#include "lowbit/quant/lsq.h"

namespace lowbit::nn {
namespace {

// The module's parameter names; each step has the lr scale 0.05 and no weight decay.
std::vector<std::string> param_names_checking_steps(Module& q) {
  std::vector<std::string> names;
  for (Param* p : q.params()) {
    names.push_back(p->name);
    if (p->name.find("_step") != std::string::npos) {
      EXPECT_DOUBLE_EQ(p->lr_scale, 0.05) << p->name;
      EXPECT_FALSE(p->decay) << p->name;
    }
  }
  return names;
}

TEST(TtQat, ForwardIsTheTensorTrainOfTheGridValues) {
  TtShape shape;
  shape.in_modes = {3, 4};
  shape.out_modes = {5, 2};
  shape.max_rank = 3;
  TtQat qat;
  qat.weight_bits = 4;
  qat.act_bits = 8;
  qat.step_lr_scale = 0.05;
  Rng rng(1);
  TtLinear q("fc", 12, 10, true, shape, rng, DType::f32, qat);
  Rng rng2(1);
  TtLinear plain("fc", 12, 10, true, shape, rng2, DType::f32);
  Tensor x = Tensor::empty({7, 12}, DType::f32);
  Rng(2).fill_normal(x, 0, 1);
  Tensor y = q.forward(x);

  // The same quantizers applied by hand (fresh steps initialise from the same data).
  std::vector<LsqQuantizer> cq;
  for (size_t k = 0; k < plain.cores.size(); ++k) {
    cq.emplace_back("c", 4, true, DType::f32);
    plain.cores[k].value.copy_from(cq.back().forward(plain.cores[k].value));
  }
  LsqQuantizer aq("a", 8, true, DType::f32);
  Tensor y_ref = plain.forward(aq.forward(x));
  ASSERT_EQ(y.shape(), y_ref.shape());
  EXPECT_EQ(0, std::memcmp(y.raw(), y_ref.raw(), y.nbytes()));

  const std::vector<std::string> names = param_names_checking_steps(q);
  EXPECT_EQ(names, (std::vector<std::string>{"fc.core0", "fc.core1", "fc.bias", "fc.core0_step",
                                             "fc.core1_step", "fc.act_step"}));

  q.zero_grad();
  Tensor dy = Tensor::empty({7, 10}, DType::f32);
  Rng(3).fill_normal(dy, 0, 1);
  Tensor dx = q.backward(dy);
  EXPECT_EQ(dx.shape(), x.shape());
  for (Param* p : q.params()) {
    double g = 0;
    for (double v : p->grad.to_vector()) g += std::fabs(v);
    EXPECT_GT(g, 0.0) << p->name << " got no gradient";
  }
}

TEST(TtQat, EmbeddingLooksUpTheGridValuesAndFeedsCoresAndSteps) {
  const TtShape shape{{3, 5, 2}, {}, {}, 3};  // vocab 50 in (4, 4, 4), C = 30, ranks 3
  Rng rng(1), rng2(1);
  TtEmbedding q("emb", 50, 30, shape, rng, DType::f32, 4, 0.05);
  TtEmbedding plain("emb", 50, 30, shape, rng2, DType::f32);
  std::vector<LsqQuantizer> cq;  // the same quantizers by hand (steps initialised from the cores)
  std::vector<Tensor> raw;
  for (size_t k = 0; k < plain.cores.size(); ++k) {
    cq.emplace_back("c", 4, true, DType::f32);
    raw.push_back(plain.cores[k].value.clone());
    plain.cores[k].value.copy_from(cq.back().forward(raw.back()));
  }
  const Tensor ids = Tensor::from_vector({2, 6}, std::vector<int32_t>{0, 49, 7, 7, 13, 0, 48, 16,
                                                                      1, 31, 7, 2});
  Tensor y = q.forward(ids), y_ref = plain.forward(ids);
  ASSERT_EQ(y.shape(), y_ref.shape());
  EXPECT_EQ(0, std::memcmp(y.raw(), y_ref.raw(), y.nbytes()));

  const std::vector<std::string> names = param_names_checking_steps(q);
  EXPECT_EQ(names, (std::vector<std::string>{"emb.core0", "emb.core1", "emb.core2",
                                             "emb.core0_step", "emb.core1_step", "emb.core2_step"}));

  // Core gradients: the plain table's (w.r.t. the grid values) through each quantizer's STE.
  q.zero_grad();
  plain.zero_grad();
  Tensor dy = Tensor::empty({12, 30}, DType::f32);
  Rng(3).fill_normal(dy, 0, 1);
  q.backward(dy);
  plain.backward(dy);
  for (size_t k = 0; k < cq.size(); ++k) {
    cq[k].forward(raw[k]);  // the quantizer's saved input is the raw core again
    Tensor want = cq[k].backward(plain.cores[k].grad);
    EXPECT_EQ(0, std::memcmp(q.cores[k].grad.raw(), want.raw(), want.nbytes())) << "core " << k;
    double g = 0;
    for (double v : q.params()[3 + k]->grad.to_vector()) g += std::fabs(v);
    EXPECT_GT(g, 0.0) << "step of core " << k << " got no gradient";
  }
}

}  // namespace
}  // namespace lowbit::nn

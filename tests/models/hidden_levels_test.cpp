// The distillation hooks: hidden_levels() after a forward and backward_levels() against finite
// differences in double, for a loss on any subset of levels (the stages of train/distill).
#include <gtest/gtest.h>

#include "lowbit/models/bert.h"
#include "lowbit/models/vit.h"
#include "support/finite_diff.h"

namespace lowbit::models {

namespace {

// loss = sum over the chosen levels l of dot(level_l, w_l), with fixed random w_l.
void check_level_grads(Classifier& model, const ModelInput& in, const std::vector<bool>& use) {
  model.forward(in, nn::ForwardContext{});
  std::vector<Tensor> levels = model.hidden_levels();
  ASSERT_EQ(levels.size(), use.size());
  std::vector<Tensor> w(levels.size());
  for (size_t l = 0; l < levels.size(); ++l) {
    if (!use[l]) continue;
    w[l] = Tensor::empty(levels[l].shape(), DType::f64);
    Rng(40 + l).fill_normal(w[l], 0, 1);
  }
  auto loss = [&] {
    model.forward(in, nn::ForwardContext{});
    std::vector<Tensor> lv = model.hidden_levels();
    double s = 0;
    for (size_t l = 0; l < lv.size(); ++l)
      if (use[l]) s += testing::dot(lv[l], w[l]);
    return s;
  };
  model.zero_grad();
  model.forward(in, nn::ForwardContext{});
  model.backward_levels(w);
  for (nn::Param* p : model.params()) {
    Tensor analytic = p->grad.clone();
    testing::expect_grad_close(p->name, p->value, analytic, loss, 8);
  }
}

BertClassifier tiny_bert() {
  BertConfig cfg;
  cfg.layers = 2, cfg.hidden = 8, cfg.heads = 2, cfg.ffn = 12, cfg.vocab = 23;
  cfg.max_positions = 6, cfg.classes = 3, cfg.dropout = 0, cfg.attn_dropout = 0;
  return BertClassifier(cfg, 5, DType::f64);
}

ModelInput tiny_text() {
  ModelInput in;
  in.ids = Tensor::from_vector<int32_t>({2, 5}, {2, 7, 9, 3, 0, 2, 11, 22, 3, 4});
  in.segments = Tensor::from_vector<int32_t>({2, 5}, {0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
  in.mask = Tensor::from_vector<uint8_t>({2, 5}, {1, 1, 1, 1, 0, 1, 1, 1, 1, 1});
  return in;
}

}  // namespace

TEST(HiddenLevels, BertLevelsAreBlockInputAndOutputs) {
  BertClassifier model = tiny_bert();
  model.forward(tiny_text(), nn::ForwardContext{});
  std::vector<Tensor> lv = model.hidden_levels();
  ASSERT_EQ(lv.size(), 3u);
  for (const Tensor& t : lv) EXPECT_EQ(t.shape(), (Shape{10, 8}));
}

TEST(HiddenLevels, BertBackwardMatchesFiniteDifferences) {
  for (std::vector<bool> use : {std::vector<bool>{true, false, false}, {false, true, false},
                                {false, false, true}, {true, true, true}}) {
    BertClassifier model = tiny_bert();
    check_level_grads(model, tiny_text(), use);
  }
}

TEST(HiddenLevels, VitBackwardMatchesFiniteDifferences) {
  VitConfig cfg;
  cfg.layers = 2, cfg.hidden = 8, cfg.heads = 2, cfg.ffn = 12, cfg.image_size = 4;
  cfg.patch = 2, cfg.channels = 1, cfg.classes = 3, cfg.dropout = 0, cfg.attn_dropout = 0;
  ModelInput in;
  in.images = Tensor::empty({2, 1, 4, 4}, DType::f64);
  Rng(3).fill_normal(in.images, 0, 1);
  for (std::vector<bool> use : {std::vector<bool>{false, true, false}, {true, false, true}}) {
    VitClassifier model(cfg, 9, DType::f64);
    check_level_grads(model, in, use);
  }
}

TEST(HiddenLevels, NoGradientIsAnError) {
  BertClassifier model = tiny_bert();
  model.forward(tiny_text(), nn::ForwardContext{});
  EXPECT_THROW(model.backward_levels(std::vector<Tensor>(3)), Error);
  EXPECT_THROW(model.backward_levels(std::vector<Tensor>(2)), Error);
}

}  // namespace lowbit::models

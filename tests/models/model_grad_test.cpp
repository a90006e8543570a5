// Whole-model gradients in double against finite differences: checks the wiring between
// layers (residuals, [CLS] pooling, tanh pooler, ViT's class token and positions).
#include <gtest/gtest.h>

#include "lowbit/models/bert.h"
#include "lowbit/models/vit.h"
#include "lowbit/nn/softmax_cross_entropy.h"
#include "support/finite_diff.h"

namespace lowbit::models {

namespace {
double loss_of(Classifier& model, const ModelInput& in, const Tensor& labels) {
  nn::SoftmaxCrossEntropy ce;
  return ce.forward(model.forward(in, nn::ForwardContext{}), labels);
}

void check_all_grads(Classifier& model, const ModelInput& in, const Tensor& labels) {
  model.zero_grad();
  nn::SoftmaxCrossEntropy ce;
  ce.forward(model.forward(in, nn::ForwardContext{}), labels);
  model.backward(ce.backward());
  // Every parameter's gradient is checked by expect_grad_close (support/finite_diff.h).
  ASSERT_FALSE(model.params().empty());
  for (nn::Param* p : model.params()) {
    Tensor analytic = p->grad.clone();
    testing::expect_grad_close(p->name, p->value, analytic,
                               [&] { return loss_of(model, in, labels); }, 12);
  }
}
}  // namespace

TEST(ModelGrad, BertTinyWithPadding) {
  BertConfig cfg;
  cfg.layers = 2, cfg.hidden = 8, cfg.heads = 2, cfg.ffn = 12, cfg.vocab = 23;
  cfg.max_positions = 6, cfg.classes = 3, cfg.dropout = 0, cfg.attn_dropout = 0;
  BertClassifier model(cfg, 5, DType::f64);
  ModelInput in;
  in.ids = Tensor::from_vector<int32_t>({2, 5}, {2, 7, 9, 3, 0, 2, 11, 22, 3, 4});
  in.segments = Tensor::from_vector<int32_t>({2, 5}, {0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
  in.mask = Tensor::from_vector<uint8_t>({2, 5}, {1, 1, 1, 1, 0, 1, 1, 1, 1, 1});
  Tensor labels = Tensor::from_vector<int32_t>({2}, {2, 0});
  check_all_grads(model, in, labels);
}

TEST(ModelGrad, VitTiny) {
  VitConfig cfg;
  cfg.layers = 2, cfg.hidden = 8, cfg.heads = 2, cfg.ffn = 12, cfg.image_size = 4;
  cfg.patch = 2, cfg.channels = 1, cfg.classes = 3, cfg.dropout = 0, cfg.attn_dropout = 0;
  VitClassifier model(cfg, 9, DType::f64);
  ModelInput in;
  in.images = Tensor::empty({2, 1, 4, 4}, DType::f64);
  Rng(3).fill_normal(in.images, 0, 1);
  Tensor labels = Tensor::from_vector<int32_t>({2}, {1, 2});
  check_all_grads(model, in, labels);
}

}  // namespace lowbit::models

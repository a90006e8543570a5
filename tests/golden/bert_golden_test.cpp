// Golden test against an independent implementation: a tiny BERT-style classifier's logits,
// loss, every gradient and three AdamW steps, computed by PyTorch (make_bert_golden.py, the
// script that wrote bert_tiny.json, is committed beside this test).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "lowbit/models/bert.h"
#include "lowbit/nn/softmax_cross_entropy.h"
#include "lowbit/optim/optimizer.h"

namespace lowbit {

namespace {
nlohmann::json load_fixture() {
  std::ifstream in(std::string(LOWBIT_SOURCE_DIR) + "/tests/golden/bert_tiny.json");
  EXPECT_TRUE(in.good()) << "missing tests/golden/bert_tiny.json (run make_bert_golden.py)";
  return nlohmann::json::parse(in);
}

template <class T>
Tensor tensor_from(const nlohmann::json& values, const Shape& shape, DType dtype) {
  std::vector<T> v;
  for (const auto& x : values) v.push_back(static_cast<T>(x.get<double>()));
  Tensor t = Tensor::from_vector<T>(shape, v);
  return t.dtype() == dtype ? t : t.to(dtype);
}

struct Golden {
  nlohmann::json j;
  std::unique_ptr<models::BertClassifier> model;
  models::ModelInput in;
  Tensor labels;

  // Loads the fixture into a fresh model; a failed ASSERT leaves the test with a fatal failure.
  void load(DType dtype) {
    j = load_fixture();
    const auto& c = j["config"];
    models::BertConfig cfg;
    cfg.layers = c["layers"], cfg.hidden = c["hidden"], cfg.heads = c["heads"];
    cfg.ffn = c["ffn"], cfg.vocab = c["vocab"], cfg.max_positions = c["max_positions"];
    cfg.type_vocab = c["type_vocab"], cfg.classes = c["classes"], cfg.ln_eps = c["ln_eps"];
    cfg.dropout = 0, cfg.attn_dropout = 0;
    model = std::make_unique<models::BertClassifier>(cfg, 1, dtype);
    int64_t b = j["batch"], t = j["seq"];
    in.ids = tensor_from<int32_t>(j["ids"], {b, t}, DType::i32);
    in.segments = tensor_from<int32_t>(j["segments"], {b, t}, DType::i32);
    in.mask = tensor_from<uint8_t>(j["mask"], {b, t}, DType::u8);
    labels = tensor_from<int32_t>(j["labels"], {b}, DType::i32);
    auto params = model->params();
    ASSERT_EQ(params.size(), j["params"].size());
    for (nn::Param* p : params) {
      ASSERT_TRUE(j["params"].contains(p->name)) << "fixture lacks " << p->name;
      const auto& e = j["params"][p->name];
      ASSERT_EQ(e["shape"].get<Shape>(), p->value.shape()) << p->name;
      ASSERT_EQ(e["decay"].get<bool>(), p->decay) << p->name;
      p->value.copy_from(tensor_from<double>(e["value"], p->value.shape(), dtype));
    }
  }

  double loss_and_grads(Tensor* logits) {
    model->zero_grad();
    nn::SoftmaxCrossEntropy ce;
    *logits = model->forward(in, nn::ForwardContext{});
    double loss = ce.forward(*logits, labels);
    model->backward(ce.backward());
    return loss;
  }
};

// |got - want| <= tol * (max|want| over the tensor) -- a scale-aware bound per tensor.
void expect_close(const std::string& what, const Tensor& got, const nlohmann::json& want, double tol) {
  auto g = got.to_vector();
  ASSERT_EQ(g.size(), want.size()) << what;
  double scale = 1e-30;
  for (const auto& w : want) scale = std::max(scale, std::fabs(w.get<double>()));
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], want[i].get<double>(), tol * scale) << what << " element " << i;
}

// The key bias's true gradient is exactly 0 (softmax ignores a shift shared by every key), so
// both sides hold rounding noise there: compare it against the gradients' overall scale, and
// after AdamW (which turns noise into full steps of either sign) only bound its movement.
bool is_key_bias(const std::string& name) { return name.find("attention.key.bias") != std::string::npos; }

void run_golden(DType dtype, double tol) {
  Golden gd;
  gd.load(dtype);
  if (::testing::Test::HasFatalFailure()) return;
  Tensor logits;
  double loss = gd.loss_and_grads(&logits);
  expect_close("logits", logits, gd.j["logits"], tol);
  EXPECT_NEAR(loss, gd.j["loss"].get<double>(), tol * std::fabs(gd.j["loss"].get<double>()));
  double grad_scale = 0;
  for (const auto& [name, g] : gd.j["grads"].items())
    for (const auto& v : g) grad_scale = std::max(grad_scale, std::fabs(v.get<double>()));
  for (nn::Param* p : gd.model->params()) {
    if (is_key_bias(p->name)) {
      for (double g : p->grad.to_vector()) EXPECT_LE(std::fabs(g), tol * grad_scale) << p->name;
      continue;
    }
    expect_close("grad " + p->name, p->grad, gd.j["grads"][p->name], tol);
  }
  std::map<std::string, std::vector<double>> initial;
  for (nn::Param* p : gd.model->params()) initial[p->name] = p->value.to_vector();

  const auto& o = gd.j["optimizer"];
  optim::OptimizerConfig cfg;
  cfg.beta1 = o["beta1"], cfg.beta2 = o["beta2"], cfg.eps = o["eps"], cfg.weight_decay = o["weight_decay"];
  auto opt = optim::make_optimizer("adamw", gd.model->params(), cfg);
  for (int s = 0; s < o["steps"].get<int>(); ++s) {
    double l = gd.loss_and_grads(&logits);
    EXPECT_NEAR(l, gd.j["adamw_step_losses"][s].get<double>(), tol * 10) << "AdamW step " << s;
    opt->step(o["lr"].get<double>());
  }
  double lr = o["lr"].get<double>();
  int steps = o["steps"].get<int>();
  for (nn::Param* p : gd.model->params()) {
    if (is_key_bias(p->name)) {
      // An Adam step moves each element by at most lr (|m_hat| <= sqrt(v_hat)).
      auto now = p->value.to_vector();
      for (size_t i = 0; i < now.size(); ++i)
        EXPECT_LE(std::fabs(now[i] - initial[p->name][i]), steps * lr * (1 + 1e-6)) << p->name;
      continue;
    }
    expect_close("after AdamW " + p->name, p->value, gd.j["adamw_final_params"][p->name], tol * 10);
  }
}
}  // namespace

// f64 runs the same code as f32 with the reference GEMM: agreement to ~1e-10 shows the math
// is PyTorch's; f32 agreement within 2e-4 of each tensor's scale shows the f32 kernels are sound
// (f32 eps 1.2e-7 times the depth of the computation, two layers of K <= 24 reductions).
TEST(GoldenBert, MatchesPyTorchInDouble) { run_golden(DType::f64, 1e-9); }
TEST(GoldenBert, MatchesPyTorchInFloat) { run_golden(DType::f32, 2e-4); }

}  // namespace lowbit

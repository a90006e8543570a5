// numerics.mode = int with integer layer norms and embedding: a tiny BERT trains to a finite
// loss and its report names every integer layer; the recipe switches give back the f32 layers
// bit for bit, and the report says why a layer stays in floating point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/models/bert.h"
#include "lowbit/train/numerics_policy.h"
#include "lowbit/train/trainer.h"
#include "support/tiny_recipes.h"

namespace lowbit {
namespace {

Recipe int_recipe() {
  Recipe r = Recipe::defaults();
  r.set("numerics.mode=int");
  r.set("numerics.bits=8");
  return r;
}

TEST(IntTraining, TinyBertTrainsWithIntegerNormsAndEmbedding) {
  if (!testing::have_wordnet()) GTEST_SKIP() << "wordnet-base or the MiniLM vocab missing";
  Recipe r = testing::tiny_text_recipe(testing::temp_dir("int_ln"));
  for (const char* kv : {"numerics.mode=int", "numerics.bits=8", "train.threads=1"}) r.set(kv);
  RunSummary s = train_run(r);
  set_num_threads(0);
  EXPECT_EQ(s.steps, 8);
  EXPECT_TRUE(std::isfinite(s.final_loss)) << s.final_loss;
  EXPECT_TRUE(std::isfinite(s.test_loss)) << s.test_loss;
  for (const char* line : {"  embeddings: int embedding", "  embeddings.ln: int layer norm",
                           "  encoder.0.ln1: int layer norm", "  encoder.0.ln2: int layer norm",
                           "the layer norms' rstd (1/sqrt(var + eps)) and beta add"})
    EXPECT_NE(s.numerics.find(line), std::string::npos) << line << " in\n" << s.numerics;
  EXPECT_EQ(s.numerics.find("embeddings, "), std::string::npos) << s.numerics;
}

models::BertConfig tiny_bert(bool stable = false) {
  models::BertConfig c;
  c.layers = 1;
  c.hidden = 32;
  c.heads = 2;
  c.ffn = 64;
  c.vocab = 50;
  c.max_positions = 16;
  c.classes = 3;
  c.embedding.stable = stable;
  return c;
}

// Logits, then every parameter gradient, of one training step on a fixed batch.
std::vector<Tensor> step(const Recipe& r, bool install_int_layers) {
  models::BertClassifier m(tiny_bert(), 7);
  m.set_numerics(make_numerics_policy(r));
  m.set_attention_policy(make_attention_policy(r));
  if (install_int_layers) m.set_int_layer_policy(make_int_layer_policy(r));
  models::ModelInput in;
  in.ids = Tensor::empty({4, 10}, DType::i32);
  for (int64_t i = 0; i < 40; ++i) in.ids.data<int32_t>()[i] = static_cast<int32_t>(i * 7 % 50);
  in.segments = Tensor::zeros({4, 10}, DType::i32);
  in.mask = Tensor::full({4, 10}, 1, DType::u8);
  std::vector<Tensor> out{m.forward(in, nn::ForwardContext{true, 3})};
  Tensor dlogits = Tensor::empty(out[0].shape());
  Rng(2).fill_normal(dlogits, 0, 1);
  m.zero_grad();
  m.backward(dlogits);
  for (nn::Param* p : m.params()) out.push_back(p->grad.clone());
  return out;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(IntTraining, SwitchedOffTheNormsAndEmbeddingAreTheF32Layers) {
  Recipe off = int_recipe();
  off.set("numerics.int_layer_norm=false");
  off.set("numerics.int_embedding=false");
  const std::vector<Tensor> f32 = step(int_recipe(), false);  // the f32 layers, int GEMMs
  const std::vector<Tensor> switched = step(off, true);
  ASSERT_EQ(f32.size(), switched.size());
  for (size_t i = 0; i < f32.size(); ++i) EXPECT_TRUE(same_bits(f32[i], switched[i])) << i;
  const std::vector<Tensor> on = step(int_recipe(), true);
  EXPECT_FALSE(same_bits(on[0], f32[0])) << "the integer layers change the logits";
  for (const Tensor& t : on)
    for (double v : t.to_vector()) ASSERT_TRUE(std::isfinite(v));
}

std::string report(const Recipe& r, bool stable = false) {
  models::BertClassifier m(tiny_bert(stable), 1);
  return numerics_report(r, m);
}

TEST(IntTraining, ReportSaysWhichNormsAndEmbeddingsAreInteger) {
  Recipe r = int_recipe();
  r.set("numerics.int_layer_norm=false");
  std::string s = report(r);
  EXPECT_NE(s.find("  encoder.0.ln1: f32 layer norm (numerics.int_layer_norm = false)"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("  embeddings: int embedding (dfp, pow2 tensor scale): tables int8 rne"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("layer norm, residual"), std::string::npos) << s;
  r = int_recipe();
  r.set("model.stable_embedding=true");
  s = report(r, true);
  EXPECT_NE(s.find("  embeddings: f32 embedding (model.stable_embedding: the integer embedding "
                   "covers dense tables only)"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("  embeddings.word_ln: int layer norm"), std::string::npos) << s;
  EXPECT_NE(s.find("embeddings, residual"), std::string::npos) << s;
  r = Recipe::defaults();  // fp32: no per-layer lines for norms and embeddings
  EXPECT_EQ(report(r).find("ln1"), std::string::npos);
}

}  // namespace
}  // namespace lowbit

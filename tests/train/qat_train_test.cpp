// numerics.mode = qat end to end on a tiny BERT (or ViT): training reaches a finite loss and
// learns the step sizes, the checkpoint evaluates to the run's own final numbers, --resume
// replays bit for bit (steps included), and `export --format qat` writes codes that dequantize
// to the forward.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "lowbit/core/parallel.h"
#include "lowbit/data/pretrained_paths.h"
#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/quant/lsq.h"
#include "lowbit/train/evaluate.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/numerics_policy.h"
#include "lowbit/train/qat_bits.h"
#include "lowbit/train/qat_export.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/task_data.h"
#include "lowbit/train/trainer.h"

namespace lowbit {
namespace {
namespace fs = std::filesystem;

bool have_wordnet() {
  try {
    find_default_vocab();
  } catch (const Error&) {
    return false;
  }
  return fs::exists("/usr/share/wordnet/data.noun");
}

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lowbit_qat_test_" + name);
  fs::remove_all(p);
  return p.string();
}

bool have_fashion_mnist() {
  return fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
}

// The trainer determinism test's tiny BERT (a few seconds a run), or where WordNet or the vocab is
// missing its tiny ViT (whose patch embedding takes the weight-gradient-only path); both have 8
// linear layers (4 attention, 2 feed-forward, the classifier, the pooler or the patch embedding).
Recipe tiny_qat_recipe(const std::string& out_dir, int wbits, int abits) {
  Recipe r = Recipe::defaults();
  if (have_wordnet()) {
    for (const char* kv : {"model.kind=bert", "model.layers=1", "model.hidden=32", "model.heads=2",
                           "model.ffn=64", "model.max_positions=32", "data.task=wordnet-pos",
                           "data.max_length=32", "data.max_train_examples=96",
                           "data.max_test_examples=40", "train.batch_size=16", "train.epochs=1"})
      r.set(kv);
  } else {
    for (const char* kv :
         {"model.kind=vit", "model.layers=1", "model.hidden=16", "model.heads=2", "model.ffn=32",
          "model.image_size=28", "model.patch=7", "model.channels=1", "data.task=fashion-mnist",
          "data.max_train_examples=64", "data.max_test_examples=32", "train.batch_size=16"})
      r.set(kv);
  }
  for (const char* kv : {"train.max_steps=8", "train.log_every=2", "optim.warmup_steps=2",
                         "train.threads=1", "numerics.mode=qat"})
    r.set(kv);
  r.set("numerics.qat_weight_bits=" + std::to_string(wbits));
  r.set("numerics.qat_act_bits=" + std::to_string(abits));
  r.set("train.out_dir=" + out_dir);
  return r;
}

const std::string kWStep = "encoder.0.ffn.fc1.weight_step";

void expect_same_tensors(const std::string& a, const std::string& b) {
  SafetensorsFile fa = safetensors_read(a + "/model.safetensors");
  SafetensorsFile fb = safetensors_read(b + "/model.safetensors");
  ASSERT_EQ(fa.tensors.size(), fb.tensors.size());
  for (size_t i = 0; i < fa.tensors.size(); ++i) {
    ASSERT_EQ(fa.tensors[i].first, fb.tensors[i].first);
    const Tensor& ta = fa.tensors[i].second;
    const Tensor& tb = fb.tensors[i].second;
    ASSERT_EQ(ta.nbytes(), tb.nbytes());
    EXPECT_EQ(0, std::memcmp(ta.raw(), tb.raw(), ta.nbytes())) << fa.tensors[i].first;
  }
}

TEST(QatTraining, TinyRunLearnsStepsAndItsCheckpointEvaluates) {
  if (!have_wordnet() && !have_fashion_mnist())
    GTEST_SKIP()
        << "neither wordnet-base with the MiniLM vocab nor fashion-mnist (scripts/setup.sh)";
  const std::string dir = temp_dir("run");
  RunSummary s = train_run(tiny_qat_recipe(dir, 4, 8));
  set_num_threads(0);
  EXPECT_TRUE(std::isfinite(s.final_loss)) << s.final_loss;
  EXPECT_NE(s.numerics.find("qat lsq w4 a8"), std::string::npos) << s.numerics;

  SafetensorsFile f = safetensors_read(dir + "/model.safetensors");
  size_t steps = 0;
  for (const auto& [name, t] : f.tensors)
    if (name.find("_step") != std::string::npos) {
      ++steps;
      EXPECT_GT(t.data<float>()[0], 0.0f) << name;
    }
  EXPECT_EQ(steps, 2u * 8) << "8 linear layers, two steps each";
  ASSERT_TRUE(f.has(kWStep));
  // The steps are optimized: the trained value differs from the data-initialised one.
  Recipe r0 = tiny_qat_recipe(temp_dir("init"), 4, 8);
  auto data = make_task_data(r0);
  auto fresh = make_model(r0, *data);
  LsqQuantizer init("w", 4, true);
  for (nn::Param* p : fresh->params())
    if (p->name == "encoder.0.ffn.fc1.weight") init.forward(p->value);
  EXPECT_NE(f.get(kWStep).data<float>()[0], init.step().value.data<float>()[0]);

  // What `lowbit eval` does: the stored recipe, make_model (QAT numerics), all weights and steps.
  Recipe r = checkpoint_recipe(dir);
  auto model = make_model(r, *data);
  checkpoint_load_weights(dir, model->params());
  EvalResult ev = evaluate(*model, *data, r.get_int("train.batch_size"));
  EXPECT_EQ(ev.accuracy, s.test_accuracy);
  EXPECT_EQ(ev.loss, s.test_loss);

  // export --format qat: I8 codes whose dequantization is the training forward's weight.
  const std::string out = dir + "/qat.safetensors";
  EXPECT_EQ(qat_export_checkpoint(dir, out), 8u);
  SafetensorsFile e = safetensors_read(out);
  EXPECT_EQ(e.metadata.at("format"), "lowbit-qat-export-1");
  EXPECT_EQ(e.tensors.size(), f.tensors.size());
  const Tensor& codes = e.get("encoder.0.ffn.fc1.weight");
  ASSERT_EQ(codes.dtype(), DType::i8);
  const float step = e.get(kWStep).data<float>()[0];
  LsqQuantizer q("w", 4, true);
  q.step().value.copy_from(f.get(kWStep));
  Tensor fwd = q.forward(f.get("encoder.0.ffn.fc1.weight"));
  for (int64_t i = 0; i < codes.numel(); ++i) {
    const int8_t c = codes.data<int8_t>()[i];
    ASSERT_TRUE(c >= -8 && c <= 7) << int(c);
    const float dq = static_cast<float>(c) * step;
    ASSERT_EQ(0, std::memcmp(&dq, fwd.data<float>() + i, sizeof(float))) << "element " << i;
  }
  EXPECT_EQ(e.get("encoder.0.ffn.fc1.bias").dtype(), DType::f32);
  EXPECT_THROW(qat_export_checkpoint(temp_dir("missing"), out), Error);
}

// Tensor-train layers and word table under QAT: every core has a step, the compression report
// counts them at the weight bits, and export writes each core as I8 codes.
TEST(QatTraining, TensorTrainCoresAndWordTableExportAsCodes) {
  if (!have_wordnet()) GTEST_SKIP() << "wordnet-base with the MiniLM vocab (scripts/setup.sh)";
  const std::string dir = temp_dir("tt");
  Recipe r = tiny_qat_recipe(dir, 8, 8);
  for (const char* kv : {"model.tt_layers=ffn", "model.tt_embedding=true", "model.tt_rank=4",
                         "model.tt_embedding_rank=4", "numerics.qat_embedding=true",
                         "train.max_steps=2"})
    r.set(kv);
  train_run(r);
  set_num_threads(0);
  SafetensorsFile f = safetensors_read(dir + "/model.safetensors");
  std::vector<std::string> cores;
  for (const auto& [name, t] : f.tensors)
    if (name.find(".core") != std::string::npos && name.find("_step") == std::string::npos) {
      cores.push_back(name);
      EXPECT_TRUE(f.has(name + "_step")) << name;
    }
  ASSERT_EQ(cores.size(), 3u * 3) << "fc1, fc2 and the word table, 3 cores each";
  const std::string out = dir + "/qat.safetensors";
  EXPECT_EQ(qat_export_checkpoint(dir, out), 8u - 2 + cores.size()) << "dense layers and cores";
  SafetensorsFile e = safetensors_read(out);
  for (const std::string& c : cores) EXPECT_EQ(e.get(c).dtype(), DType::i8) << c;
  EXPECT_EQ(e.get("embeddings.position").dtype(), DType::f32);

  Recipe bad = tiny_qat_recipe(temp_dir("tt-bad"), 8, 8);
  bad.set("numerics.qat_embedding=true");  // a dense word table: nothing to quantize
  EXPECT_THROW(train_run(bad), Error);
}

TEST(QatTraining, ResumeReplaysStepsBitForBit) {
  if (!have_wordnet() && !have_fashion_mnist())
    GTEST_SKIP()
        << "neither wordnet-base with the MiniLM vocab nor fashion-mnist (scripts/setup.sh)";
  const std::string whole = temp_dir("whole"), split = temp_dir("split");
  RunSummary s_whole = train_run(tiny_qat_recipe(whole, 8, 8));
  Recipe first = tiny_qat_recipe(split, 8, 8);
  first.set("train.stop_after=4");
  train_run(first);
  RunSummary s_resumed = train_run(tiny_qat_recipe(split, 8, 8), split);
  set_num_threads(0);
  EXPECT_EQ(s_resumed.steps, 8);
  EXPECT_EQ(s_whole.final_loss, s_resumed.final_loss);
  expect_same_tensors(whole, split);
}

TEST(QatTraining, PolicyRefusesBitsOutOfRangeNamingTheKey) {
  Recipe r = Recipe::defaults();
  r.set("numerics.mode=qat");
  EXPECT_EQ(make_numerics_policy(r)("encoder.0.ffn.fc1", nn::LayerKind::linear)->describe(),
            "qat lsq w8 a8");
  for (const char* kv : {"numerics.qat_weight_bits=9", "numerics.qat_act_bits=1"}) {
    Recipe bad = r;
    bad.set(kv);
    const std::string key = std::string(kv).substr(0, std::string(kv).find('='));
    try {
      make_numerics_policy(bad);
      FAIL() << kv;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("2..8"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(r.set("numerics.qat_act_bits=0"), Error);  // the key table's rule: > 0
}

TEST(QatTraining, LayerBitsPickTheFirstMatchingPattern) {
  Recipe r = Recipe::defaults();
  r.set("numerics.mode=qat");
  r.set("numerics.qat_weight_bits=4");
  r.set("numerics.qat_layer_bits=classifier=8/8, ffn.fc2 = 6, ffn=3/5");
  auto policy = make_numerics_policy(r);
  EXPECT_EQ(policy("classifier", nn::LayerKind::linear)->describe(), "qat lsq w8 a8");
  EXPECT_EQ(policy("encoder.1.ffn.fc2", nn::LayerKind::linear)->describe(), "qat lsq w6 a8");
  EXPECT_EQ(policy("encoder.0.ffn.fc1", nn::LayerKind::linear)->describe(), "qat lsq w3 a5");
  EXPECT_EQ(policy("encoder.0.attention.query", nn::LayerKind::linear)->describe(), "qat lsq w4 a8");
  const QatBitsTable t(r);
  EXPECT_EQ(t.for_name("encoder.1.ffn.fc2.weight").weight, 6);   // a weight by its parameter name
  EXPECT_EQ(t.for_name("encoder.0.ffn.fc1.core2").weight, 3);    // a tensor-train core
  EXPECT_EQ(t.for_name("embeddings.word.core0").weight, 4);
  for (const char* bad : {"ffn", "ffn=", "=4", "ffn=4/", "ffn=x", "ffn=9", "ffn=4/1"}) {
    Recipe b = r;
    b.set(std::string("numerics.qat_layer_bits=") + bad);
    try {
      make_numerics_policy(b);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("numerics.qat_layer_bits"), std::string::npos) << e.what();
    }
  }
}

// Per-layer bits reach the compression report and the export: a 2-step run with the classifier
// at 8 bits and everything else at 4.
TEST(QatTraining, LayerBitsReachReportAndExport) {
  if (!have_wordnet()) GTEST_SKIP() << "wordnet-base with the MiniLM vocab (scripts/setup.sh)";
  const std::string dir = temp_dir("layer-bits");
  Recipe r = tiny_qat_recipe(dir, 4, 8);
  r.set("train.max_steps=2");
  r.set("numerics.qat_layer_bits=classifier=8");
  RunSummary s = train_run(r);
  set_num_threads(0);
  EXPECT_NE(s.numerics.find("classifier: qat lsq w8 a8"), std::string::npos) << s.numerics;
  EXPECT_NE(s.numerics.find("encoder.0.ffn.fc1: qat lsq w4 a8"), std::string::npos) << s.numerics;
  const std::string out = dir + "/qat.safetensors";
  qat_export_checkpoint(dir, out);
  SafetensorsFile e = safetensors_read(out);
  int lo = 0, hi = 0;
  for (int64_t i = 0; i < e.get("classifier.weight").numel(); ++i) {
    const int c = e.get("classifier.weight").data<int8_t>()[i];
    lo = std::min(lo, c), hi = std::max(hi, c);
  }
  EXPECT_TRUE(lo < -8 || hi > 7) << "8-bit codes span more than the 4-bit range: " << lo << ".." << hi;
  for (int64_t i = 0; i < e.get("encoder.0.ffn.fc1.weight").numel(); ++i) {
    const int c = e.get("encoder.0.ffn.fc1.weight").data<int8_t>()[i];
    ASSERT_TRUE(c >= -8 && c <= 7) << c;
  }
}

}  // namespace
}  // namespace lowbit

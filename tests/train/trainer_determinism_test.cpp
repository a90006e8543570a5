// End-to-end runs of the trainer on real data (WordNet glosses, Fashion-MNIST): the same seed
// gives bitwise-identical losses and checkpoints at 1 and 2 threads, and --resume replays exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lowbit/core/parallel.h"
#include "lowbit/data/pretrained_paths.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/trainer.h"
#include "support/tiny_recipes.h"

namespace lowbit {

namespace {
namespace fs = std::filesystem;
using testing::have_fashion_mnist;
using testing::have_wordnet;
using testing::temp_dir;
using testing::tiny_image_recipe;
using testing::tiny_text_recipe;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The losses logged to metrics.jsonl, in order (the lines with "kind":"step").
std::vector<std::string> step_lines(const std::string& dir) {
  std::ifstream in(dir + "/metrics.jsonl");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.find("\"step\"") != std::string::npos && line.find("\"loss\"") != std::string::npos)
      out.push_back(line.substr(line.find("\"loss\"")));
  return out;
}

// Weights of the checkpoint, tensor by tensor (metadata holds the machine and thread count).
void expect_same_weights(const std::string& a, const std::string& b) {
  SafetensorsFile fa = safetensors_read(a + "/model.safetensors");
  SafetensorsFile fb = safetensors_read(b + "/model.safetensors");
  ASSERT_EQ(fa.tensors.size(), fb.tensors.size());
  for (size_t i = 0; i < fa.tensors.size(); ++i) {
    const Tensor& ta = fa.tensors[i].second;
    const Tensor& tb = fb.tensors[i].second;
    ASSERT_EQ(fa.tensors[i].first, fb.tensors[i].first);
    ASSERT_EQ(ta.nbytes(), tb.nbytes());
    EXPECT_EQ(0, std::memcmp(ta.raw(), tb.raw(), ta.nbytes())) << fa.tensors[i].first;
  }
}

void check_thread_independence(Recipe (*make)(const std::string&), const std::string& name) {
  std::string d1 = temp_dir(name + "_t1"), d2 = temp_dir(name + "_t2");
  Recipe r1 = make(d1);
  r1.set("train.threads=1");
  RunSummary s1 = train_run(r1);
  Recipe r2 = make(d2);
  r2.set("train.threads=2");
  RunSummary s2 = train_run(r2);
  set_num_threads(0);
  EXPECT_EQ(s1.final_loss, s2.final_loss);
  EXPECT_EQ(s1.test_accuracy, s2.test_accuracy);
  EXPECT_EQ(step_lines(d1), step_lines(d2));
  expect_same_weights(d1, d2);
  EXPECT_EQ(file_bytes(d1 + "/optimizer.safetensors"), file_bytes(d2 + "/optimizer.safetensors"));
}
}  // namespace

TEST(TrainerDeterminism, TextSameBitsAtOneAndTwoThreads) {
  if (!have_wordnet()) GTEST_SKIP() << "wordnet-base or the MiniLM vocab missing (scripts/setup.sh, scripts/fetch_pretrained.sh)";
  check_thread_independence(tiny_text_recipe, "text");
}

TEST(TrainerDeterminism, ImagesSameBitsAtOneAndTwoThreads) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  check_thread_independence(tiny_image_recipe, "image");
}

TEST(TrainerDeterminism, ResumeReplaysExactly) {
  if (!have_wordnet()) GTEST_SKIP() << "wordnet-base or the MiniLM vocab missing (scripts/setup.sh, scripts/fetch_pretrained.sh)";
  // Whole run: 8 steps. Split run: stopped after 4 (same schedule), then resumed to 8.
  std::string whole = temp_dir("whole"), split = temp_dir("split");
  RunSummary s_whole = train_run(tiny_text_recipe(whole));
  Recipe first = tiny_text_recipe(split);
  first.set("train.stop_after=4");
  train_run(first);
  RunSummary s_resumed = train_run(tiny_text_recipe(split), split);
  EXPECT_EQ(s_resumed.steps, 8);
  EXPECT_EQ(s_whole.final_loss, s_resumed.final_loss);
  expect_same_weights(whole, split);
}

TEST(TrainerDeterminism, NonFiniteLossStopsWithStepAndTensor) {
  if (!have_wordnet()) GTEST_SKIP() << "wordnet-base or the MiniLM vocab missing (scripts/setup.sh, scripts/fetch_pretrained.sh)";
  Recipe r = tiny_text_recipe(temp_dir("nan"));
  r.set("optim.lr=1e30");  // the second step's weights overflow
  r.set("optim.warmup_steps=0");
  r.set("optim.clip_norm=0");
  try {
    train_run(r);
    FAIL() << "a diverging run must stop";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("step "), std::string::npos) << msg;
    EXPECT_NE(msg.find("on_nonfinite"), std::string::npos) << msg;
  }
}

}  // namespace lowbit

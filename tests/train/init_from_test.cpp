// model.init_from: a student whose projections are full-rank tensor trains, initialised by TT-SVD
// of a trained dense checkpoint, computes the teacher's logits (to f32 rounding); lower ranks
// compress with the reported bound; a checkpoint of another architecture is refused by name.
#include "lowbit/train/init_from.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/train/compression.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/task_data.h"
#include "lowbit/train/trainer.h"
#include "support/tiny_recipes.h"

namespace lowbit {
namespace {

using testing::have_fashion_mnist;
using testing::temp_dir;
using testing::tiny_image_recipe;

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector(), y = b.to_vector();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

TEST(InitFrom, FullRankTensorTrainsReproduceTheDenseTeacher) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  const std::string dir = temp_dir("init_from_teacher");
  Recipe t = tiny_image_recipe(dir);
  train_run(t);
  Recipe s = tiny_image_recipe(temp_dir("init_from_student"));
  for (const char* kv : {"model.tt_layers=ffn,attention", "model.tt_rank=1000", "model.tt_cores=2"})
    s.set(kv);
  s.set("model.init_from=" + dir);
  std::unique_ptr<TaskData> data = make_task_data(s);
  std::unique_ptr<models::Classifier> teacher = make_model(t, *data);
  checkpoint_load_weights(dir, teacher->params());
  std::unique_ptr<models::Classifier> student = make_model(s, *data);
  bool has_cores = false;
  for (nn::Param* p : student->params()) has_cores |= p->name.find(".core0") != std::string::npos;
  ASSERT_TRUE(has_cores);
  Tensor labels;
  models::ModelInput in = data->batch(false, {0, 1, 2, 3, 4, 5, 6, 7}, &labels);
  Tensor yt = teacher->forward(in, {}), ys = student->forward(in, {});
  EXPECT_LE(max_abs_diff(yt, ys), 1e-4) << "full-rank TT-SVD must reproduce the dense layers";
}

TEST(InitFrom, LowRankCompressesAndReportsTheRatio) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  const std::string dir = temp_dir("init_from_teacher_low");
  train_run(tiny_image_recipe(dir));
  Recipe s = tiny_image_recipe(temp_dir("init_from_low"));
  for (const char* kv : {"model.tt_layers=ffn", "model.tt_rank=2", "model.tt_cores=2"}) s.set(kv);
  s.set("model.init_from=" + dir);
  std::unique_ptr<TaskData> data = make_task_data(s);
  std::unique_ptr<models::Classifier> student = make_model(s, *data);
  CompressionReport c = compression_report(s, *student, *data);
  EXPECT_LT(c.params, c.dense_params);
  EXPECT_EQ(c.dense_bytes, 4 * c.dense_params);
  EXPECT_GT(c.ratio(), 1.0);
}

TEST(InitFrom, AnotherArchitectureIsRefusedByName) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  const std::string dir = temp_dir("init_from_teacher_arch");
  train_run(tiny_image_recipe(dir));
  Recipe s = tiny_image_recipe(temp_dir("init_from_arch"));
  s.set("model.ffn=48");
  s.set("model.init_from=" + dir);
  std::unique_ptr<TaskData> data = make_task_data(s);
  try {
    make_model(s, *data);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ffn.fc1.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lowbit

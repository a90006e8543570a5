// Distillation end to end on Fashion-MNIST: a 2-block teacher, a 1-block student through every
// stage (hidden levels, logits, task loss); the layer stage pulls the student's hidden states
// toward the teacher's; a teacher of another width is refused by name.
#include "lowbit/train/distill.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/optim/optimizer.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/task_data.h"
#include "lowbit/train/trainer.h"
#include "support/tiny_recipes.h"

namespace lowbit {
namespace {

using testing::have_fashion_mnist;
using testing::temp_dir;
using testing::tiny_image_recipe;

// Each test trains its own teacher: ctest runs the tests of this file in parallel processes.
std::string train_teacher(const std::string& name) {
  std::string dir = temp_dir("distill_teacher_" + name);
  Recipe t = tiny_image_recipe(dir);
  t.set("model.layers=2");
  t.set("train.max_steps=12");
  train_run(t);
  return dir;
}

TEST(Distill, StudentRunsEveryStage) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  std::string teacher = train_teacher("stages");
  Recipe s = tiny_image_recipe(temp_dir("distill_student"));
  for (const char* kv : {"model.layers=1", "distill.layer_steps=6", "distill.pred_steps=3",
                         "distill.temperature=2", "train.max_steps=12"})
    s.set(kv);
  s.set("distill.teacher=" + teacher);
  RunSummary r = train_run(s);
  EXPECT_EQ(r.steps, 12);
  EXPECT_TRUE(std::isfinite(r.final_loss));

  std::unique_ptr<TaskData> data = make_task_data(s);
  Distiller d(s, *data);
  EXPECT_EQ(d.stage(0), "hidden level 0 (embedding output)");
  EXPECT_EQ(d.stage(5), "hidden level 1 (block 1)");
  EXPECT_EQ(d.stage(6), "logits at temperature 2");
  EXPECT_EQ(d.stage(9), "task loss");
  EXPECT_FALSE(d.active(9));
}

TEST(Distill, HiddenStageReducesTheDistance) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  std::string teacher = train_teacher("hidden");
  Recipe s = tiny_image_recipe(temp_dir("distill_hidden"));
  for (const char* kv : {"model.layers=2", "distill.layer_steps=200", "model.dropout=0",
                         "model.attn_dropout=0", "optim.lr=3e-3"})
    s.set(kv);
  s.set("distill.teacher=" + teacher);
  std::unique_ptr<TaskData> data = make_task_data(s);
  std::unique_ptr<models::Classifier> student = make_model(s, *data);
  std::vector<nn::Param*> params = student->params();
  auto opt = optim::make_optimizer("adamw", params, optimizer_config(s));
  Distiller d(s, *data);
  Tensor labels;
  models::ModelInput in = data->batch(true, {0, 1, 2, 3, 4, 5, 6, 7}, &labels);
  double first = 0, last = 0;
  for (int64_t step = 0; step < 40; ++step) {  // stage 0 of 3: the embedding output
    student->zero_grad();
    double loss = d.step(*student, in, nn::ForwardContext{true, static_cast<uint64_t>(step)}, step);
    if (step == 0) first = loss;
    last = loss;
    opt->step(3e-3);
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

TEST(Distill, RefusesATeacherOfAnotherWidth) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed (scripts/setup.sh)";
  std::string teacher = train_teacher("wide");
  Recipe s = tiny_image_recipe(temp_dir("distill_wide"));
  s.set("model.hidden=32");
  s.set("distill.teacher=" + teacher);
  std::unique_ptr<TaskData> data = make_task_data(s);
  try {
    Distiller d(s, *data);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.hidden"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lowbit

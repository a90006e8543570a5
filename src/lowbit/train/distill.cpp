// The distillation stages. A student with fewer blocks than the teacher maps its level l to the
// teacher's level l * (teacher blocks / student blocks), TinyBERT's uniform mapping.
#include "lowbit/train/distill.h"

#include <cmath>

#include "lowbit/nn/distill_losses.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/run_checkpoint.h"

namespace lowbit {

Distiller::Distiller(const Recipe& recipe, const TaskData& data)
    : teacher_dir_(recipe.get_string("distill.teacher")),
      layer_steps_(recipe.get_int("distill.layer_steps")),
      pred_steps_(recipe.get_int("distill.pred_steps")),
      temperature_(recipe.get_float("distill.temperature")) {
  Recipe tr = checkpoint_recipe(teacher_dir_);
  LB_CHECK(tr.get_string("data.task") == recipe.get_string("data.task"),
           "distill.teacher = ", teacher_dir_, " was trained on data.task = ",
           tr.get_string("data.task"), ", the student's task is ", recipe.get_string("data.task"));
  LB_CHECK(tr.get_int("model.hidden") == recipe.get_int("model.hidden"), "distill.teacher = ",
           teacher_dir_, " has model.hidden = ", tr.get_int("model.hidden"), ", the student ",
           recipe.get_int("model.hidden"), "; hidden-state distillation needs equal widths");
  teacher_ = make_model(tr, data);
  checkpoint_load_weights(teacher_dir_, teacher_->params());
  student_levels_ = recipe.get_int("model.layers") + 1;
  teacher_levels_ = tr.get_int("model.layers") + 1;
  LB_CHECK((teacher_levels_ - 1) % (student_levels_ - 1) == 0, "distill.teacher = ", teacher_dir_,
           " has ", teacher_levels_ - 1, " blocks, not a multiple of the student's ",
           student_levels_ - 1);
}

Distiller::~Distiller() = default;

int64_t Distiller::level_of(int64_t step) const {
  return step * student_levels_ / layer_steps_;
}

std::string Distiller::stage(int64_t step) const {
  if (step < layer_steps_) {
    int64_t l = level_of(step);
    return l == 0 ? "hidden level 0 (embedding output)" : cat("hidden level ", l, " (block ", l, ")");
  }
  if (step < layer_steps_ + pred_steps_) return cat("logits at temperature ", temperature_);
  return "task loss";
}

double Distiller::step(models::Classifier& student, const models::ModelInput& in,
                       const nn::ForwardContext& ctx, int64_t step) {
  Tensor teacher_logits = teacher_->forward(in, nn::ForwardContext{false, ctx.step});
  Tensor student_logits = student.forward(in, ctx);
  if (step < layer_steps_) {
    const int64_t l = level_of(step);
    std::vector<Tensor> s = student.hidden_levels(), t = teacher_->hidden_levels();
    LB_CHECK(static_cast<int64_t>(s.size()) == student_levels_ &&
                 static_cast<int64_t>(t.size()) == teacher_levels_,
             "[distill] the models report ", s.size(), " and ", t.size(), " hidden levels");
    const int64_t tl = l * (teacher_levels_ - 1) / (student_levels_ - 1);
    std::vector<Tensor> dlevels(s.size());
    const double loss = nn::mse_loss(s[l], t[tl], &dlevels[l]);
    if (std::isfinite(loss)) student.backward_levels(dlevels);
    return loss;
  }
  Tensor dlogits;
  const double loss = nn::soft_cross_entropy(student_logits, teacher_logits, temperature_, &dlogits);
  if (std::isfinite(loss)) student.backward(dlogits);
  return loss;
}

std::string Distiller::describe() const {
  return cat("teacher ", teacher_dir_, " (", teacher_->describe(), "); ", layer_steps_,
             " steps of hidden-state MSE over ", student_levels_, " levels, then ", pred_steps_,
             " steps of soft cross-entropy at temperature ", temperature_, ", then the task loss");
}

}  // namespace lowbit

// Knowledge distillation from a trained teacher (method 5 of SEEDS.md, after TinyBERT): the
// first distill.layer_steps steps match the student's hidden states to the teacher's, one
// level per stage (the embedding output, then block 1, 2, ...); the next distill.pred_steps
// match the logits (soft cross-entropy at a temperature); the rest of the run is the task loss.
#pragma once

#include <memory>
#include <string>

#include "lowbit/models/classifier.h"

namespace lowbit {

class Recipe;
class TaskData;

class Distiller {
 public:
  // Loads the teacher named by distill.teacher (a lowbit checkpoint) for the student's task.
  Distiller(const Recipe& recipe, const TaskData& data);
  ~Distiller();
  // Whether step uses a distillation loss (else the trainer's task loss).
  bool active(int64_t step) const { return step < layer_steps_ + pred_steps_; }
  // The stage of a step, e.g. "hidden level 2 (block 2)" or "logits at temperature 2".
  std::string stage(int64_t step) const;
  // Teacher forward (no dropout), student forward, the stage's loss; the student's backward
  // runs when the loss is finite. Returns the loss.
  double step(models::Classifier& student, const models::ModelInput& in,
              const nn::ForwardContext& ctx, int64_t step);
  std::string describe() const;

 private:
  int64_t level_of(int64_t step) const;  // student level of a layer-stage step

  std::string teacher_dir_;
  std::unique_ptr<models::Classifier> teacher_;
  int64_t layer_steps_, pred_steps_;
  double temperature_;
  int64_t student_levels_ = 0, teacher_levels_ = 0;
};

}  // namespace lowbit

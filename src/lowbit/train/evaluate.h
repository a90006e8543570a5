// Accuracy and mean loss of a model on the held-out split, in inference mode.
#pragma once

#include "lowbit/models/classifier.h"
#include "lowbit/train/task_data.h"

namespace lowbit {

struct EvalResult {
  double accuracy = 0;
  double loss = 0;
  int64_t examples = 0;
  double seconds = 0;
};

// max_examples 0 = the whole split.
EvalResult evaluate(models::Classifier& model, const TaskData& data, int64_t batch_size,
                    int64_t max_examples = 0);

}  // namespace lowbit

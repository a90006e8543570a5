// The data side of a training run, whatever the task: labelled examples split into train and
// test, turned into model batches. Text tasks are tokenized once up front.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowbit/models/classifier.h"

namespace lowbit {

class Recipe;

class TaskData {
 public:
  virtual ~TaskData() = default;
  virtual int64_t size(bool train) const = 0;
  virtual int64_t num_classes() const = 0;
  virtual const std::vector<std::string>& label_names() const = 0;
  // Gathers the examples at idx; labels (B) i32 is filled too.
  virtual models::ModelInput batch(bool train, const std::vector<int64_t>& idx,
                                   Tensor* labels) const = 0;
  // Work units for throughput: "tokens" (real tokens in the batch) or "images".
  virtual const char* unit() const = 0;
  virtual int64_t units(const models::ModelInput& in) const = 0;
  virtual int64_t vocab_size() const { return 0; }
  // Token counts of the training examples, for length bucketing (empty: all the same length).
  virtual std::vector<int32_t> train_lengths() const { return {}; }
  virtual std::string describe() const = 0;
};

// Builds the task named by data.task (wordnet-supersense, wordnet-pos, fashion-mnist, text-file).
std::unique_ptr<TaskData> make_task_data(const Recipe& recipe);

}  // namespace lowbit

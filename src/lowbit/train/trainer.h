// The training run behind `lowbit train`: data, model, optimizer and schedule from a recipe;
// a seeded, resumable loop with evaluation, metrics, checkpoints and a closing summary.
#pragma once

#include <string>

#include "lowbit/optim/optimizer.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

struct RunSummary {
  int64_t steps = 0;
  double final_loss = 0;
  double test_accuracy = 0;
  double test_loss = 0;
  int64_t test_examples = 0;
  double wall_s = 0;        // whole run, data loading included
  double train_s = 0;       // optimizer steps only
  double throughput = 0;    // units per second of training
  std::string unit;         // "tokens" or "images"
  double step_ms = 0;       // mean training-step time
  size_t peak_rss_bytes = 0;
  size_t param_count = 0;
  size_t optimizer_state_bytes = 0;
  std::string checkpoint_dir;
  std::string numerics;     // numerics_report(): one line per layer, then what stays float
  std::string compression;  // compression_report(): size against the dense fp32 model
  std::string describe() const;  // the closing summary block
};

// The optimizer settings of a recipe's optim.* keys.
optim::OptimizerConfig optimizer_config(const Recipe& recipe);

// resume_dir: a checkpoint written by an earlier run of the same recipe ("" = fresh run).
RunSummary train_run(const Recipe& recipe, const std::string& resume_dir = "");

}  // namespace lowbit

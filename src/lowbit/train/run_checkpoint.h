// A run's checkpoint directory: model.safetensors (weights; metadata: recipe, step, machine)
// and optimizer.safetensors (optimizer state; metadata: the trainer's position), enough to
// evaluate the model alone or to resume training bit-exactly.
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/module.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

namespace optim {
class Optimizer;
}

struct TrainerPosition {
  int64_t step = 0;   // optimizer steps taken
  int64_t epoch = 0;  // current epoch
  int64_t batch = 0;  // next batch within the epoch
};

void checkpoint_save(const std::string& dir, const Recipe& recipe,
                     const std::vector<nn::Param*>& params, const optim::Optimizer& optimizer,
                     const TrainerPosition& pos);

// The recipe stored with a checkpoint (model.safetensors metadata).
Recipe checkpoint_recipe(const std::string& dir);
// Copies the stored weights into params; every name and shape must match.
void checkpoint_load_weights(const std::string& dir, const std::vector<nn::Param*>& params);
// Restores optimizer state and returns the trainer position.
TrainerPosition checkpoint_load_trainer(const std::string& dir, optim::Optimizer& optimizer);

}  // namespace lowbit

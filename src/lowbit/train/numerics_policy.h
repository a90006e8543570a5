// The recipe's numerics section -> the per-layer GemmNumerics policy that make_model installs,
// so training, evaluation and bench-step all compute with the same numbers.
#pragma once

#include <string>

#include "lowbit/nn/module.h"

namespace lowbit {

class Recipe;

// numerics.mode selects the scheme; the other numerics.* keys are its settings.
nn::NumericsPolicy make_numerics_policy(const Recipe& recipe);

}  // namespace lowbit

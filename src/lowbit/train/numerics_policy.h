// The recipe's numerics section -> the per-layer GemmNumerics policy that make_model installs,
// so training, evaluation and bench-step all compute with the same numbers.
#pragma once

#include <string>

#include "lowbit/nn/module.h"

namespace lowbit {

class Recipe;

// numerics.mode selects the scheme; the other numerics.* keys are its settings.
nn::NumericsPolicy make_numerics_policy(const Recipe& recipe);

// The run report's numerics block: `module.set_numerics(policy)` again through a recording
// wrapper (fresh numerics objects, nothing pending), one "  <layer>: <describe()>" line per
// layer with matrix products, then what stays in floating point under numerics.mode.
std::string numerics_report(const Recipe& recipe, nn::Module& model);

}  // namespace lowbit

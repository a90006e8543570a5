// model.init_from: start a model from a lowbit checkpoint's weights, matched by name, and
// compress on the way: a tensor-train layer whose dense twin is in the checkpoint gets the
// TT-SVD of that weight (a TtLinear "X.core*" from "X.weight", a TT word table "X.core*" from
// the dense table "X").
#pragma once

#include <string>
#include <vector>

#include "lowbit/nn/module.h"

namespace lowbit {

// Copies or compresses into params; returns the names of the parameters the checkpoint had
// nothing for (they keep their fresh initialisation). A name present with another shape is an
// error naming both shapes.
std::vector<std::string> init_from_checkpoint(const std::string& dir,
                                              const std::vector<nn::Param*>& params);

}  // namespace lowbit

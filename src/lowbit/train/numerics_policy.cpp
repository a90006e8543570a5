// numerics.mode dispatch. Each scheme lives in its own files under nn/ or quant/; this table
// only reads the recipe keys and builds the policy.
#include "lowbit/train/numerics_policy.h"

#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

nn::NumericsPolicy make_numerics_policy(const Recipe& recipe) {
  const std::string mode = recipe.get_string("numerics.mode");
  if (mode == "fp32") return [](const std::string&, nn::LayerKind) { return nn::make_fp32_numerics(); };
  LB_FAIL("numerics.mode = \"", mode, "\" has no policy (recipe.cpp lists the modes)");
}

}  // namespace lowbit

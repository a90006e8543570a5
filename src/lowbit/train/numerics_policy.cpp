// numerics.mode dispatch. Each scheme lives in its own files under nn/ or quant/; this table
// only reads the recipe keys and builds the policy.
#include "lowbit/train/numerics_policy.h"

#include "lowbit/nn/fp8_numerics.h"
#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

nn::NumericsPolicy make_numerics_policy(const Recipe& recipe) {
  const std::string mode = recipe.get_string("numerics.mode");
  if (mode == "fp32") return [](const std::string&, nn::LayerKind) { return nn::make_fp32_numerics(); };
  if (mode == "fp8") {
    nn::Fp8TrainingOptions o;
    o.scaling = recipe.get_string("numerics.fp8_scaling") == "current" ? nn::Fp8Scaling::current
                                                                       : nn::Fp8Scaling::delayed;
    o.amax_history = static_cast<int>(recipe.get_int("numerics.amax_history"));
    return [o](const std::string&, nn::LayerKind) { return nn::make_fp8_numerics(o); };
  }
  LB_FAIL("numerics.mode = \"", mode, "\" has no policy (recipe.cpp lists the modes)");
}

}  // namespace lowbit

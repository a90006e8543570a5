// What a run's model costs to store next to the dense FP32 model of the same architecture:
// parameter counts, bytes (QAT-quantized tensors at their bit-width) and the ratio.
#pragma once

#include <cstdint>
#include <string>

#include "lowbit/models/classifier.h"

namespace lowbit {

class Recipe;
class TaskData;

struct CompressionReport {
  int64_t params = 0, dense_params = 0;
  int64_t bytes = 0, dense_bytes = 0;  // dense: 4 bytes per parameter
  double ratio() const { return bytes ? static_cast<double>(dense_bytes) / bytes : 0; }
  std::string describe() const;
};

// A parameter P stored as b-bit integer codes is one with a learnable step P_step (LSQ QAT,
// b = numerics.qat_weight_bits); the rest count 4 bytes each. The dense reference is the
// recipe's model with every tensor-train layer dense.
CompressionReport compression_report(const Recipe& recipe, models::Classifier& model,
                                     const TaskData& data);

}  // namespace lowbit

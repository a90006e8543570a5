// Per-layer LSQ bit-widths (numerics.mode = qat): numerics.qat_weight_bits / qat_act_bits for
// every quantized weight and input, unless numerics.qat_layer_bits names the layer.
//
// numerics.qat_layer_bits = "PATTERN=W/X, PATTERN=W, ...": the first entry whose PATTERN occurs
// in a layer's (or tensor-train table's) name sets its weight bits W and input bits X (X omitted:
// qat_act_bits). Names are those of the run report: "encoder.0.ffn.fc1", "classifier",
// "embeddings.word" (the TT word table; inputs there are token ids, so X does not apply). The
// same lookup serves the layers, the compression report and the export, so all three agree.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lowbit {

class Recipe;

struct QatBits {
  int weight = 8, act = 8;
};

class QatBitsTable {
 public:
  // Reads and checks the three keys (bits 2..8; entries "PATTERN=W[/X]"): errors name the key.
  explicit QatBitsTable(const Recipe& r);
  // The bits of a layer, or of a weight tensor by its parameter name ("<layer>.weight",
  // "<layer>.core0", "embeddings.word.core1"): the pattern is matched against the name.
  QatBits for_name(const std::string& name) const;

 private:
  QatBits default_;
  std::vector<std::pair<std::string, QatBits>> entries_;
};

}  // namespace lowbit

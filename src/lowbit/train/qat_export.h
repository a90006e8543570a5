// `lowbit export --format qat`: a QAT checkpoint's quantized layers as their real integer codes.
//
// Output: one safetensors file. For every layer with a "<layer>.weight_step":
//   "<layer>.weight"       I8 (out, in), the LSQ codes in [-2^(b-1), 2^(b-1) - 1]
//   "<layer>.weight_step"  F32 (1), the step s: float(code) * s is the training forward's weight
//                          bit for bit
// and likewise every tensor-train core with a step ("<name>.core{k}" I8 (r, o, i, r') and
// "<name>.core{k}_step": the TT layers', and the TT word table's with numerics.qat_embedding)
//   "<layer>.act_step"     F32 (1), the input's step (inputs are quantized at run time as
//                          clip(round(x / s), -2^(a-1), 2^(a-1) - 1) * s)
// Every other tensor (biases, embeddings, norms, fp32 layers) is copied as it is. Metadata:
// format = "lowbit-qat-export-1", the checkpoint's recipe and step, and "qat" = JSON
// {"weight_bits": b, "act_bits": a, "rounding": "nearest-even", "layers": [names]} (a dense
// layer by its name, a core by its tensor name).
#pragma once

#include <cstddef>
#include <string>

namespace lowbit {

// dir: a training checkpoint with numerics.mode = qat. Returns the number of weights (dense
// layers' and TT cores) exported as codes.
size_t qat_export_checkpoint(const std::string& dir, const std::string& out_path);

}  // namespace lowbit

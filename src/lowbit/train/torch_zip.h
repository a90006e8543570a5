// Reads a PyTorch state dict saved by torch.save (pytorch_model.bin) without Python: the zip
// archive, the restricted unpickler for data.pkl, and one storage entry per tensor.
//
// Archive layout (torch >= 1.6): <prefix>/data.pkl (the pickled dict), <prefix>/data/<key>
// (raw little-endian storage bytes), <prefix>/version, optional <prefix>/byteorder.
// The pre-1.6 "legacy" format (a bare pickle stream) is refused with what to do instead.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lowbit/core/tensor.h"

namespace lowbit {

// Tensors in file order, contiguous. f32/f64/i64/i32/i16/i8/u8 keep their type; f16 and bf16
// become f32 (exactly); bool becomes u8. Views (offset, strides, shared storages) are copied out.
std::vector<std::pair<std::string, Tensor>> torch_load_state_dict(const std::string& path);

}  // namespace lowbit

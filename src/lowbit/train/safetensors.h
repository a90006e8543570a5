// Reader and writer of Hugging Face's safetensors format, the checkpoint format: files load in
// Python's `safetensors` package, and Hugging Face checkpoints load here.
//
// Layout (all integers little-endian):
//   bytes [0, 8)        u64 N, the header length
//   bytes [8, 8 + N)    UTF-8 JSON object, padded with trailing spaces (this writer: N % 8 == 0,
//                       so the buffer starts 8-byte aligned):
//                         {"__metadata__": {"key": "value", ...},          (optional, str -> str)
//                          "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//                          ...}
//   bytes [8 + N, EOF)  the byte buffer; a tensor's bytes are buffer[begin, end), row-major,
//                       end - begin = numel * dtype size. Ranges do not overlap and cover the
//                       buffer without gaps, as the format requires.
// dtypes: F32 F64 I8 I16 I32 U8 I64 F8_E4M3 F8_E5M2 (codes, u8 storage) are read as they are; F16 and BF16 (common in Hugging Face
// checkpoints) are converted to f32 on read. Others (BOOL, U16, U32, U64) are refused.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lowbit/core/tensor.h"

namespace lowbit {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in header order
  std::map<std::string, std::string> metadata;
  std::string path;

  // An error naming the file and the tensor, and listing a few names present.
  const Tensor& get(const std::string& name) const;
  bool has(const std::string& name) const;
};

// Validates the whole file; any error names the file and, where there is one, the tensor and
// its byte range.
SafetensorsFile safetensors_read(const std::string& path);

// Writes path + ".tmp" and renames it over path, so a crash never leaves a half-written file.
// Tensors are stored in the given order; names must be unique and not "__metadata__".
void safetensors_write(const std::string& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace lowbit

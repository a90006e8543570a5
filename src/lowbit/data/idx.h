// IDX arrays (the MNIST file format) and the Fashion-MNIST image task built on them, read from
// Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), gzip-compressed or not.
//
// IDX layout, all integers big-endian:
//   byte 0-1  0x00 0x00 (magic)
//   byte 2    element type: 0x08 u8 (the only one read here), 0x09 i8, 0x0B i16, 0x0C i32,
//             0x0D f32, 0x0E f64
//   byte 3    number of dimensions d
//   4 .. 4+4d d sizes, u32 each
//   then      the elements, row-major, nothing after them
// Offsets in errors count bytes of the uncompressed stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lowbit/core/tensor.h"

namespace lowbit {

struct IdxArray {
  uint8_t type = 0x08;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // prod(dims) elements
};

// Reads an IDX file of unsigned bytes; gzip is detected by zlib and undone.
IdxArray read_idx(const std::string& path);

struct ImageDataset {
  Tensor images;  // (N, 1, 28, 28) f32, normalized as below
  Tensor labels;  // (N) i32 in [0, classes)
  int64_t classes = 10;
};

// Fashion-MNIST mean and standard deviation of x/255 over the 60,000 training images; images are
// stored as (x/255 - mean) / std so the model sees roughly zero-mean, unit-variance pixels.
inline constexpr float kFashionMnistMean = 0.2860f;
inline constexpr float kFashionMnistStd = 0.3530f;

// split "train" (60,000 images) or "test" (the 10,000 t10k images). Reads
// <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte, with or without .gz.
ImageDataset load_fashion_mnist(const std::string& split, const std::string& dir);

}  // namespace lowbit

// Element types of tensors. The enum is append-only: checkpoints store its values.
// Storage bits are apart from logical bits (a 10-bit integer lives in int16); that lives in QFormat.
#pragma once

#include <cstdint>
#include <string_view>

namespace lowbit {

enum class DType : uint8_t {
  f32 = 0,
  f64 = 1,
  i8 = 2,
  i16 = 3,
  i32 = 4,
  u8 = 5,
  i64 = 6,
  f8_e4m3 = 7,  // OCP FP8 codes (u8 storage), safetensors F8_E4M3
  f8_e5m2 = 8,  // safetensors F8_E5M2
  // append only
};

struct DTypeInfo {
  DType dtype;
  const char* name;              // "f32"
  const char* safetensors_name;  // "F32"
  int bytes;
  bool is_float;
};

const DTypeInfo& dtype_info(DType t);
inline int dtype_bytes(DType t) { return dtype_info(t).bytes; }
inline const char* dtype_name(DType t) { return dtype_info(t).name; }
// Returns false when the name is unknown.
bool dtype_from_safetensors(std::string_view name, DType* out);

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int8_t>() { return DType::i8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::i16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }

}  // namespace lowbit

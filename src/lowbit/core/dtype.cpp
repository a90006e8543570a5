// The dtype table: one row per DType, indexed by its value.
#include "lowbit/core/dtype.h"

#include "lowbit/core/error.h"

namespace lowbit {

namespace {
constexpr DTypeInfo kTable[] = {
    {DType::f32, "f32", "F32", 4, true},  {DType::f64, "f64", "F64", 8, true},
    {DType::i8, "i8", "I8", 1, false},    {DType::i16, "i16", "I16", 2, false},
    {DType::i32, "i32", "I32", 4, false}, {DType::u8, "u8", "U8", 1, false},
    {DType::i64, "i64", "I64", 8, false},
    {DType::f8_e4m3, "f8_e4m3", "F8_E4M3", 1, false},
    {DType::f8_e5m2, "f8_e5m2", "F8_E5M2", 1, false},
};
}  // namespace

const DTypeInfo& dtype_info(DType t) {
  auto i = static_cast<size_t>(t);
  LB_CHECK(i < sizeof(kTable) / sizeof(kTable[0]), "unknown dtype code ", i);
  return kTable[i];
}

bool dtype_from_safetensors(std::string_view name, DType* out) {
  for (const auto& row : kTable) {
    if (name == row.safetensors_name) {
      *out = row.dtype;
      return true;
    }
  }
  return false;
}

}  // namespace lowbit

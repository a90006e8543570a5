// Plain (full-precision) optimizer state and the codec-name factory.
// New codecs (8-bit blockwise) add a StateStore subclass and one branch in make_state_store.
#include "lowbit/optim/state_store.h"

#include <algorithm>
#include <cstring>

namespace lowbit::optim {

PlainStateStore::PlainStateStore(int64_t numel, DType dtype)
    : values_(Tensor::zeros({numel}, dtype)) {}

void PlainStateStore::decode_block(int64_t block, float* out) const {
  LB_ASSERT(values_.dtype() == DType::f32);
  int64_t begin = block * kStateBlock;
  int64_t n = std::min(kStateBlock, values_.numel() - begin);
  LB_ASSERT(begin >= 0 && n > 0);
  std::memcpy(out, values_.data<float>() + begin, static_cast<size_t>(n) * sizeof(float));
}

void PlainStateStore::encode_block(int64_t block, const float* in) {
  LB_ASSERT(values_.dtype() == DType::f32);
  int64_t begin = block * kStateBlock;
  int64_t n = std::min(kStateBlock, values_.numel() - begin);
  LB_ASSERT(begin >= 0 && n > 0);
  std::memcpy(values_.data<float>() + begin, in, static_cast<size_t>(n) * sizeof(float));
}

const std::vector<std::string>& state_codec_names() {
  static const std::vector<std::string> names = {"f32"};
  return names;
}

std::unique_ptr<StateStore> make_state_store(std::string_view codec, int64_t numel, DType dtype,
                                             StateSign sign) {
  LB_CHECK(dtype == DType::f32 || dtype == DType::f64, "[optimizer] state for a ",
           dtype_name(dtype), " parameter: parameters must be f32 or f64");
  if (codec == "f32") return std::make_unique<PlainStateStore>(numel, dtype);
  std::string allowed;
  for (const auto& n : state_codec_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  LB_FAIL("[optimizer] unknown state codec '", codec, "' (allowed: ", allowed, ")");
}

}  // namespace lowbit::optim

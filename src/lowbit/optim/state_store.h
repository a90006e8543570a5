// Optimizer state storage: each state tensor (Adam's m of one parameter, say) lives in a
// StateStore chosen by a codec name, so 8-bit and 32-bit state share one update arithmetic.
//
// Block contract: the update walks every parameter in blocks of kStateBlock elements starting
// at element 0 (the last block may be short). A codec that keeps per-block scales (8-bit
// blockwise: u8 codes plus one f32 absmax per block) aligns its blocks to these. Stores whose
// values are plain working-precision numbers expose them through direct(), and the update then
// works in place; encoded stores decode a block into f32 scratch and encode it back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lowbit/core/tensor.h"

namespace lowbit::optim {

inline constexpr int64_t kStateBlock = 2048;

// What the state holds: the 8-bit codec picks a signed or an unsigned code map from this.
enum class StateSign { any, nonnegative };  // Adam's m: any; Adam's v: nonnegative

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual int64_t numel() const = 0;
  // Plain values of the parameter's dtype (f32 or f64) when stored that way; nullptr otherwise.
  virtual void* direct() = 0;
  // Block b covers elements [b*kStateBlock, min(numel, (b+1)*kStateBlock)); f32 parameters only.
  virtual void decode_block(int64_t block, float* out) const = 0;
  virtual void encode_block(int64_t block, const float* in) = 0;
  // Bytes held, for the memory report.
  virtual size_t bytes() const = 0;
  // The tensors that make up the state, named by suffix ("" for a single plain tensor,
  // ".codes" / ".absmax" for an encoded one). They are views of the live state: loading a
  // checkpoint copies into them.
  virtual std::vector<std::pair<std::string, Tensor>> tensors() const = 0;
};

// Full-precision state: one tensor of the parameter's dtype, zero-initialised.
class PlainStateStore final : public StateStore {
 public:
  PlainStateStore(int64_t numel, DType dtype);
  int64_t numel() const override { return values_.numel(); }
  void* direct() override { return values_.raw(); }
  void decode_block(int64_t block, float* out) const override;
  void encode_block(int64_t block, const float* in) override;
  size_t bytes() const override { return values_.nbytes(); }
  std::vector<std::pair<std::string, Tensor>> tensors() const override { return {{"", values_}}; }

 private:
  Tensor values_;  // (numel)
};

// Codec names accepted by make_state_store, for error messages and recipes.
const std::vector<std::string>& state_codec_names();

// A zero state for a parameter of numel elements and the given dtype. codec: "f32" (plain
// values in the parameter's dtype, so f64 parameters in tests get f64 state).
std::unique_ptr<StateStore> make_state_store(std::string_view codec, int64_t numel, DType dtype,
                                             StateSign sign);

}  // namespace lowbit::optim

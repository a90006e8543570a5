// Optimizer state storage: each state tensor (Adam's m of one parameter, say) lives in a
// StateStore chosen by a codec name, so 8-bit and 32-bit state share one update arithmetic.
//
// Block contract: the update walks every parameter in blocks of kStateBlock elements starting
// at element 0 (the last block may be short). A codec that keeps per-block scales (8-bit
// blockwise: u8 codes plus one f32 absmax per quantization block) aligns its blocks to these:
// its block size divides kStateBlock. Stores whose values are plain working-precision numbers
// expose them through direct(), and the update then works in place; encoded stores decode a
// block into f32 scratch and encode it back.
//
// Checkpoint tensors per state, by codec (suffixes after "<kind>.<state>.<param name>"):
//   f32:  ""         the values, parameter dtype, (numel)
//   8bit: ".codes"   u8 (numel), dynamic-map codes (signed map for StateSign::any, else unsigned)
//         ".absmax"  f32 (ceil(numel / block)), one scale per quantization block
//         ".qblock"  i64 (1), the quantization block size
// The suffixes tell which codec saved a state; load_state refuses a codec or block mismatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lowbit/core/tensor.h"
#include "lowbit/formats/blockwise.h"
#include "lowbit/kernels/ref/adam8.h"

namespace lowbit::optim {

inline constexpr int64_t kStateBlock = 2048;
static_assert(kStateBlock <= kAdam8MaxBlock);

// What the state holds: the 8-bit codec picks a signed or an unsigned code map from this.
enum class StateSign { any, nonnegative };  // Adam's m: any; Adam's v: nonnegative

class Blockwise8StateStore;

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
  // The codec with its parameters, as load_state compares it: "f32", "8bit (block 256)".
  virtual std::string codec() const = 0;
  // The tensors that make up the state, named by suffix ("" for a single plain tensor,
  // ".codes" / ".absmax" for an encoded one). They are views of the live state: loading a
  // checkpoint copies into them.
  virtual std::vector<std::pair<std::string, Tensor>> tensors() const = 0;
  // The store as an 8-bit block-wise one (for the fused update kernels), else nullptr.
  virtual Blockwise8StateStore* as_blockwise8() { return nullptr; }
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
  std::string codec() const override { return "f32"; }
  std::vector<std::pair<std::string, Tensor>> tensors() const override { return {{"", values_}}; }

 private:
  Tensor values_;  // (numel)
};

// 8-bit block-wise state (Dettmers et al.): codes of the signed (StateSign::any) or unsigned
// dynamic map plus one f32 absmax per quantization block of qblock elements (qblock divides
// kStateBlock, so update block b holds quantization blocks b * kStateBlock / qblock onwards).
// The zero state is absmax 0 with the code of 0.0. f32 parameters only.
class Blockwise8StateStore final : public StateStore {
 public:
  Blockwise8StateStore(int64_t numel, StateSign sign, int64_t qblock);
  int64_t numel() const override { return codes_.numel(); }
  void* direct() override { return nullptr; }
  void decode_block(int64_t block, float* out) const override;
  void encode_block(int64_t block, const float* in) override;
  size_t bytes() const override { return codes_.nbytes() + absmax_.nbytes() + qblock_.nbytes(); }
  std::string codec() const override;
  std::vector<std::pair<std::string, Tensor>> tensors() const override {
    return {{".codes", codes_}, {".absmax", absmax_}, {".qblock", qblock_}};
  }
  Blockwise8StateStore* as_blockwise8() override { return this; }
  int64_t qblock() const { return block_; }
  // The raw state of update block b: its codes and the absmaxes of its quantization blocks.
  Blockwise8Span span(int64_t block) {
    int64_t begin = block * kStateBlock;
    return {codes_.data<uint8_t>() + begin, absmax_.data<float>() + begin / block_, tables_};
  }

 private:
  DynamicMap map_;
  const DynamicTables* tables_;
  int64_t block_;
  Tensor codes_;   // u8 (numel)
  Tensor absmax_;  // f32 (ceil(numel / block_))
  Tensor qblock_;  // i64 (1): block_, so that a checkpoint records it
};

// The codec of a saved state, from the names present: "f32" when `base` itself is there,
// "8bit (block N)" when base + ".codes" is (N read from base + ".qblock", "?" if unreadable),
// "" when neither. has(name) returns the tensor of that name or nullptr.
std::string saved_state_codec(const std::string& base,
                              const std::function<const Tensor*(const std::string&)>& has);

// Codec names accepted by make_state_store, for error messages and recipes.
const std::vector<std::string>& state_codec_names();

// A zero state for a parameter of numel elements and the given dtype. codec: "f32" (plain
// values in the parameter's dtype, so f64 parameters in tests get f64 state) or "8bit"
// (Blockwise8StateStore with quantization blocks of `block` elements; f32 parameters only).
std::unique_ptr<StateStore> make_state_store(std::string_view codec, int64_t numel, DType dtype,
                                             StateSign sign, int64_t block = kStateBlock);

}  // namespace lowbit::optim

// Optimizer interface: per-parameter state in StateStores (codec by name), a step that walks
// every parameter in kStateBlock blocks in parallel, and state tensors for checkpoints.
// Kinds: "adamw" (decoupled decay, torch.optim.AdamW), "adam" (L2 decay added to the gradient,
// torch.optim.Adam), "sgd" (momentum, torch.optim.SGD with dampening 0, no Nesterov), "lion"
// (Chen et al. 2023, lion-pytorch's order).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/module.h"
#include "lowbit/optim/grad_utils.h"
#include "lowbit/optim/state_store.h"

namespace lowbit::optim {

struct OptimizerConfig {
  double beta1 = 0.9;     // adam, adamw, lion
  double beta2 = 0.999;   // adam, adamw, lion (the Lion paper uses 0.99: set it)
  double eps = 1e-8;      // adam, adamw: added outside the square root
  double momentum = 0.9;  // sgd
  // adamw, lion: p *= 1 - lr * wd before the step; adam, sgd: g += wd * p.
  // Applies only to parameters with Param::decay == true.
  double weight_decay = 0.0;
  // State codec (state_codec_names()): "f32" or "8bit" (block-wise dynamic 8-bit, Dettmers et
  // al.). Recipe: optim.state = "32bit" -> "f32", "8bit" -> "8bit".
  std::string state_codec = "f32";
  // 8bit: elements per absmax, a divisor of kStateBlock (2048 as in the paper, 256 as
  // bitsandbytes does now). Recipe: optim.state_block.
  int64_t state_block = 256;
  // 8bit: parameters with fewer elements keep f32 state (the paper's 4096). Recipe:
  // optim.state_min_numel.
  int64_t state_min_numel = 4096;
};

// The codec the default factory gives a parameter of numel elements: config.state_codec, except
// "f32" for an "8bit" config when numel < state_min_numel. Per parameter, so thread-independent.
std::string state_codec_for(const OptimizerConfig& config, int64_t numel);

// Chooses the store of each state; the default is make_state_store(state_codec_for(config,
// numel), numel, dtype, sign, config.state_block), or "f32" for a Param with state32 set.
using StateStoreFactory =
    std::function<std::unique_ptr<StateStore>(const nn::Param& param, StateSign sign)>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update with learning rate lr, using each Param::grad as it is (clip before).
  // lr is a double so that the step's scalars are computed like PyTorch's Python floats.
  virtual void step(double lr) = 0;
  // Copies of the state: "<kind>.step" (i64, shape (1)) and "<kind>.<state>.<param name><suffix>"
  // for each parameter, e.g. "adamw.m.encoder.0.attn.query.weight" (f32) or
  // "adamw.m.encoder.0.attn.query.weight.codes" / ".absmax" / ".qblock" (8bit; state_store.h).
  virtual std::vector<std::pair<std::string, Tensor>> state_tensors() const;
  // Restores state saved by state_tensors(). Tensors without this kind's prefix are ignored
  // (a whole checkpoint may be passed); a missing, misshapen or unexpected one is an error, and
  // so is a state saved with another codec or block size than this optimizer keeps it in.
  virtual void load_state(const std::vector<std::pair<std::string, Tensor>>& tensors);

  // The next step() first multiplies every gradient by coef (rounded to the gradient dtype), a
  // run of blocks at a time just before their update, where a pass of its own would read and
  // write every gradient once more: with clip_coefficient's factor, the bits of clip_grad_norm
  // before the step. That step resets it to 1.
  void scale_grads_in_next_step(double coef) { grad_scale_ = coef; }
  // The next step() also zeroes every gradient right after its update has read it (still in
  // cache), so the zero_grad() before the next backward can be left out: one write pass over
  // every gradient fewer. That step resets it.
  void zero_grads_in_next_step() { zero_grads_ = true; }

  int64_t steps_taken() const { return steps_; }
  size_t state_bytes() const;
  const std::string& kind() const { return kind_; }

 protected:
  // state_names: e.g. {"m", "v"} with their signs; one store per (parameter, state).
  Optimizer(std::string kind, std::vector<nn::Param*> params, const OptimizerConfig& config,
            std::vector<std::pair<std::string, StateSign>> states, StateStoreFactory factory);

  static constexpr int kMaxStates = 2;

  // Calls fn(param index, n, p, g, states) for every block of every parameter, in parallel
  // over blocks; states[s] points at state s of the block: in place for plain stores, decoded
  // f32 scratch (encoded back afterwards) for others. T is the parameters' dtype.
  template <class T, class Fn>
  void for_each_block(Fn&& fn) {
    for_each_block<T>(fn, [](int32_t, int64_t, int64_t, T*, const T*) { return false; });
  }
  // The same, but each run of one parameter's consecutive blocks within a chunk is first offered
  // to fused(param index, first block, n, p, g), which returns true when it has updated those n
  // elements and their states itself (a fused 8-bit kernel).
  template <class T, class Fn, class Fused>
  void for_each_block(Fn&& fn, Fused&& fused);
  StateStore& store(size_t param, int state) {
    return *stores_[param * state_names_.size() + static_cast<size_t>(state)];
  }

  std::string kind_;
  std::vector<nn::Param*> params_;
  OptimizerConfig config_;
  DType dtype_ = DType::f32;
  int64_t steps_ = 0;

 private:
  struct Block {
    int32_t param;
    int64_t block;
  };
  std::vector<std::string> state_names_;
  std::vector<std::unique_ptr<StateStore>> stores_;  // [param][state]
  std::vector<Block> blocks_;
  double grad_scale_ = 1.0;
  bool zero_grads_ = false;
};

// kind: "adamw" | "adam" | "sgd" | "lion". An empty factory gives each state
// make_state_store(state_codec_for(config, numel), numel, dtype, sign, config.state_block).
std::unique_ptr<Optimizer> make_optimizer(std::string_view kind, std::vector<nn::Param*> params,
                                          const OptimizerConfig& config,
                                          StateStoreFactory factory = {});

template <class T, class Fn, class Fused>
void Optimizer::for_each_block(Fn&& fn, Fused&& fused) {
  const int nstates = static_cast<int>(state_names_.size());
  const T grad_scale = static_cast<T>(grad_scale_);
  const bool zero_grads = zero_grads_;
  grad_scale_ = 1.0;
  zero_grads_ = false;
  auto zero = [&](T* g, int64_t n) {
    if (zero_grads) std::fill(g, g + n, T(0));
  };
  // Blocks per chunk: 8 blocks = 16K elements keeps OpenMP overhead small and balances well.
  parallel_for(static_cast<int64_t>(blocks_.size()), 8, [&](int64_t lo, int64_t hi) {
    alignas(64) float scratch[kMaxStates][kStateBlock];
    for (int64_t t = lo, run_end = lo; t < hi; ++t) {
      const Block& b = blocks_[t];
      nn::Param& prm = *params_[b.param];
      int64_t begin = b.block * kStateBlock;
      int64_t n = std::min(kStateBlock, prm.value.numel() - begin);
      T* p = prm.value.template data<T>() + begin;
      T* g = prm.grad.template data<T>() + begin;
      if (t >= run_end) {  // offer the run of this parameter's blocks in the chunk at once
        run_end = t + 1;
        while (run_end < hi && blocks_[run_end].param == b.param) ++run_end;
        const int64_t end = std::min((b.block + (run_end - t)) * kStateBlock, prm.value.numel());
        if (grad_scale != T(1)) scale_in_place(g, end - begin, grad_scale);
        if (fused(b.param, b.block, end - begin, p, static_cast<const T*>(g))) {
          zero(g, end - begin);
          t = run_end - 1;
          continue;
        }
      }
      std::array<T*, kMaxStates> st{};
      std::array<bool, kMaxStates> decoded{};
      for (int s = 0; s < nstates; ++s) {
        StateStore& ss = *stores_[static_cast<size_t>(b.param) * nstates + s];
        if (void* d = ss.direct()) {
          st[s] = static_cast<T*>(d) + begin;
        } else {
          if constexpr (std::is_same_v<T, float>) {
            ss.decode_block(b.block, scratch[s]);
            st[s] = scratch[s];
            decoded[s] = true;
          } else {
            LB_ASSERT(false && "encoded optimizer state needs f32 parameters");
          }
        }
      }
      fn(b.param, n, p, static_cast<const T*>(g), st);
      zero(g, n);
      if constexpr (std::is_same_v<T, float>) {
        for (int s = 0; s < nstates; ++s)
          if (decoded[s])
            stores_[static_cast<size_t>(b.param) * nstates + s]->encode_block(b.block, scratch[s]);
      }
    }
  });
}

}  // namespace lowbit::optim

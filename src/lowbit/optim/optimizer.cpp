// Optimizer base: parameter validation, state stores, the block list, and checkpoint
// save/load shared by every kind; make_optimizer picks the kind by name.
#include "lowbit/optim/optimizer.h"

#include <map>
#include <set>

#include "lowbit/optim/adam.h"
#include "lowbit/optim/lion.h"
#include "lowbit/optim/sgd_momentum.h"

namespace lowbit::optim {

namespace {

std::string describe(const Tensor& t) {
  return cat(dtype_name(t.dtype()), " ", t.shape_string());
}

}  // namespace

Optimizer::Optimizer(std::string kind, std::vector<nn::Param*> params,
                     const OptimizerConfig& config,
                     std::vector<std::pair<std::string, StateSign>> states,
                     StateStoreFactory factory)
    : kind_(std::move(kind)), params_(std::move(params)), config_(config) {
  const std::string op = "[" + kind_ + "]";
  LB_CHECK(states.size() <= kMaxStates, op, " at most ", kMaxStates, " states per parameter");
  LB_CHECK(params_.size() < (1u << 31), op, " too many parameters: ", params_.size());
  LB_CHECK(config_.state_block > 0 && kStateBlock % config_.state_block == 0, op,
           " state_block = ", config_.state_block, ", expected a divisor of ", kStateBlock,
           " (2048 as in the paper, 256 as bitsandbytes)");
  LB_CHECK(config_.state_min_numel >= 0, op, " state_min_numel = ", config_.state_min_numel,
           ", expected >= 0");
  if (!factory) {
    OptimizerConfig c = config_;
    factory = [c](const nn::Param& p, StateSign sign) {
      int64_t n = p.value.numel();
      const std::string codec = p.state32 ? "f32" : state_codec_for(c, n);
      return make_state_store(codec, n, p.value.dtype(), sign, c.state_block);
    };
  }
  std::set<std::string> names;
  for (size_t i = 0; i < params_.size(); ++i) {
    const nn::Param* p = params_[i];
    LB_CHECK(p != nullptr, op, " parameter ", i, " is null");
    LB_CHECK(p->value.defined() && p->grad.defined(), op, " parameter ", p->name,
             " has no value or no gradient tensor");
    LB_CHECK(p->value.dtype() == DType::f32 || p->value.dtype() == DType::f64, op, " parameter ",
             p->name, " is ", dtype_name(p->value.dtype()), "; parameters must be f32 or f64");
    LB_CHECK(p->grad.shape() == p->value.shape() && p->grad.dtype() == p->value.dtype(), op,
             " gradient of ", p->name, " is ", describe(p->grad), ", expected ",
             describe(p->value));
    if (i == 0) dtype_ = p->value.dtype();
    LB_CHECK(p->value.dtype() == dtype_, op, " parameter ", p->name, " is ",
             dtype_name(p->value.dtype()), " but ", params_[0]->name, " is ", dtype_name(dtype_),
             "; all parameters must share one dtype");
    LB_CHECK(names.insert(p->name).second, op, " two parameters are named '", p->name,
             "'; state tensors are keyed by name");
  }
  for (const auto& [name, sign] : states) state_names_.push_back(name);
  for (nn::Param* p : params_) {
    for (const auto& [name, sign] : states) {
      std::unique_ptr<StateStore> s = factory(*p, sign);
      LB_CHECK(s && s->numel() == p->value.numel(), op, " state ", name, " of ", p->name, " has ",
               s ? s->numel() : 0, " elements, expected ", p->value.numel());
      LB_CHECK(s->direct() != nullptr || dtype_ == DType::f32, op, " state ", name, " of ", p->name,
               ": encoded state needs f32 parameters, not ", dtype_name(dtype_));
      stores_.push_back(std::move(s));
    }
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    int64_t nblocks = (params_[i]->value.numel() + kStateBlock - 1) / kStateBlock;
    for (int64_t b = 0; b < nblocks; ++b) blocks_.push_back({static_cast<int32_t>(i), b});
  }
}

size_t Optimizer::state_bytes() const {
  size_t total = 0;
  for (const auto& s : stores_) total += s->bytes();
  return total;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back(kind_ + ".step", Tensor::from_vector<int64_t>({1}, {steps_}));
  const size_t ns = state_names_.size();
  for (size_t s = 0; s < ns; ++s)
    for (size_t i = 0; i < params_.size(); ++i)
      for (auto& [suffix, t] : stores_[i * ns + s]->tensors())
        out.emplace_back(cat(kind_, ".", state_names_[s], ".", params_[i]->name, suffix),
                         t.clone());
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& tensors) {
  const std::string op = "[" + kind_ + "] load_state:";
  const std::string prefix = kind_ + ".";
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : tensors)
    if (name.compare(0, prefix.size(), prefix) == 0)
      LB_CHECK(given.emplace(name, &t).second, op, " tensor ", name, " appears twice");

  // Check everything before changing anything, so a failed load leaves the optimizer intact.
  std::vector<std::pair<Tensor, const Tensor*>> copies;
  auto expect = [&](const std::string& name, const Tensor& live) {
    auto it = given.find(name);
    LB_CHECK(it != given.end(), op, " missing tensor ", name, " (expected ", describe(live), ")");
    const Tensor& t = *it->second;
    LB_CHECK(t.defined() && t.shape() == live.shape() && t.dtype() == live.dtype(), op, " tensor ",
             name, " is ", t.defined() ? describe(t) : std::string("undefined"), ", expected ",
             describe(live));
    copies.emplace_back(live, &t);
    given.erase(it);
  };
  Tensor step = Tensor::zeros({1}, DType::i64);
  expect(kind_ + ".step", step);
  const size_t ns = state_names_.size();
  auto has = [&](const std::string& name) -> const Tensor* {
    auto it = given.find(name);
    return it == given.end() ? nullptr : it->second;
  };
  for (size_t s = 0; s < ns; ++s)
    for (size_t i = 0; i < params_.size(); ++i) {
      std::string base = cat(kind_, ".", state_names_[s], ".", params_[i]->name);
      std::string saved = saved_state_codec(base, has), live = stores_[i * ns + s]->codec();
      LB_CHECK(saved.empty() || saved == live, op, " state ", state_names_[s], " of ",
               params_[i]->name, " was saved as ", saved, " but this optimizer keeps it as ", live,
               " (state_codec ", config_.state_codec, ", state_block ", config_.state_block,
               ", state_min_numel ", config_.state_min_numel, "; ", params_[i]->value.numel(),
               " elements); resume with the settings the checkpoint "
               "was made with (recipe optim.state, optim.state_block, optim.state_min_numel)");
    }
  for (size_t s = 0; s < ns; ++s)
    for (size_t i = 0; i < params_.size(); ++i)
      for (auto& [suffix, t] : stores_[i * ns + s]->tensors())
        expect(cat(kind_, ".", state_names_[s], ".", params_[i]->name, suffix), t);
  LB_CHECK(given.empty(), op, " unexpected tensor ", given.empty() ? "" : given.begin()->first,
           " (no parameter of this optimizer has that name; was the checkpoint made for another "
           "model?)");
  for (auto& [live, src] : copies) live.copy_from(*src);
  int64_t loaded = step.data<int64_t>()[0];
  LB_CHECK(loaded >= 0, op, " ", kind_, ".step is ", loaded, ", expected >= 0");
  steps_ = loaded;
}

std::string state_codec_for(const OptimizerConfig& config, int64_t numel) {
  if (config.state_codec == "8bit" && numel < config.state_min_numel) return "f32";
  return config.state_codec;
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view kind, std::vector<nn::Param*> params,
                                          const OptimizerConfig& config,
                                          StateStoreFactory factory) {
  if (kind == "adamw" || kind == "adam")
    return std::make_unique<Adam>(std::move(params), config, kind == "adamw", std::move(factory));
  if (kind == "sgd")
    return std::make_unique<SgdMomentum>(std::move(params), config, std::move(factory));
  if (kind == "lion") return std::make_unique<Lion>(std::move(params), config, std::move(factory));
  LB_FAIL("[optimizer] unknown kind '", kind, "' (allowed: adamw, adam, sgd, lion)");
}

}  // namespace lowbit::optim

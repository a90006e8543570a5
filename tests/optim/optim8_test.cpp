// 8-bit optimizer state: one step against a plain implementation of the paper's algorithm (bit
// for bit), AVX2 against `_ref` kernels, the small-tensor policy on odd sizes, thread
// independence, bit-exact resume, codec-mismatch refusal and state bytes.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <set>

#include "lowbit/core/parallel.h"
#include "lowbit/kernels/cpu_features.h"
#include "lowbit/optim/optimizer.h"
#include "optim/optim8_plain.h"
#include "optim/optim_test_util.h"

namespace lowbit::optim {
namespace {

using testing::fill_grads;
using testing::make_param_set;
using testing::ParamSet;
using testing::Plain8;

OptimizerConfig config8(int64_t block, int64_t min_numel = 4096) {
  OptimizerConfig c;
  c.weight_decay = 0.1;
  c.state_codec = "8bit";
  c.state_block = block;
  c.state_min_numel = min_numel;
  return c;
}

double lr_for(int64_t t) {
  return 1e-2 * (1.0 + 0.25 * static_cast<double>(t));
}

void run_steps(Optimizer& opt, ParamSet& s, int first, int last) {
  for (int t = first; t <= last; ++t) {
    fill_grads(s, t);
    opt.step(lr_for(t));
  }
}

const Tensor& state_named(const std::vector<std::pair<std::string, Tensor>>& st,
                          const std::string& name) {
  for (const auto& [n, t] : st)
    if (n == name) return t;
  ADD_FAILURE() << "no state tensor " << name;
  static const Tensor none;
  return none;
}

// Bitwise comparison of every parameter and every state tensor.
void expect_same_bits(const std::string& what, ParamSet& a, const Optimizer& oa, ParamSet& b,
                      const Optimizer& ob) {
  for (size_t i = 0; i < a.params.size(); ++i)
    ASSERT_EQ(
        std::memcmp(a.params[i].value.raw(), b.params[i].value.raw(), a.params[i].value.nbytes()),
        0)
        << what << ": " << a.params[i].name;
  auto sa = oa.state_tensors(), sb = ob.state_tensors();
  ASSERT_EQ(sa.size(), sb.size()) << what;
  for (size_t i = 0; i < sa.size(); ++i) {
    ASSERT_EQ(sa[i].first, sb[i].first) << what;
    ASSERT_EQ(sa[i].second.nbytes(), sb[i].second.nbytes()) << what << ": " << sa[i].first;
    ASSERT_EQ(std::memcmp(sa[i].second.raw(), sb[i].second.raw(), sa[i].second.nbytes()), 0)
        << what << ": " << sa[i].first;
  }
}

void expect_state_is(const std::vector<std::pair<std::string, Tensor>>& st, const std::string& base,
                     const Plain8& want) {
  const Tensor& codes = state_named(st, base + ".codes");
  const Tensor& absmax = state_named(st, base + ".absmax");
  ASSERT_EQ(codes.numel(), static_cast<int64_t>(want.codes.size())) << base;
  ASSERT_EQ(absmax.numel(), static_cast<int64_t>(want.absmax.size())) << base;
  for (size_t i = 0; i < want.codes.size(); ++i)
    ASSERT_EQ(codes.data<uint8_t>()[i], want.codes[i]) << base << " code " << i;
  for (size_t b = 0; b < want.absmax.size(); ++b)
    ASSERT_EQ(std::bit_cast<uint32_t>(absmax.data<float>()[b]),
              std::bit_cast<uint32_t>(want.absmax[b]))
        << base << " absmax " << b << ": " << absmax.data<float>()[b] << " vs " << want.absmax[b];
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

// Tolerance: none. The plain version (optim8_plain.h) uses the same IEEE f32 operations in
// PyTorch's order (lerp for m, addcmul for v, sqrt(v) / sqrt(bc2) + eps, addcdiv), which is the
// paper's formula algebraically, and finds the nearest code by brute force over the map in
// double; every operation is correctly rounded, so parameters, codes and absmaxes agree exactly.
void check_adam_paper(bool decoupled, int64_t block) {
  const std::string kind = decoupled ? "adamw" : "adam";
  OptimizerConfig c = config8(block);
  const int64_t t = 10;  // the loaded state has taken 9 steps: bias corrections are not trivial
  ParamSet s = make_param_set(DType::f32, {5003, 4096});  // weight (decays) and bias (does not)
  fill_grads(s, t);
  std::vector<std::pair<std::string, Tensor>> saved = {
      {kind + ".step", Tensor::from_vector<int64_t>({1}, {t - 1})}};
  std::vector<Plain8> m, v;
  for (size_t i = 0; i < s.params.size(); ++i) {
    int64_t n = s.params[i].value.numel();
    m.push_back(testing::plain_random_state(n, block, DynamicMap::signed_map, 100 + i, i == 1));
    v.push_back(testing::plain_random_state(n, block, DynamicMap::unsigned_map, 200 + i, i == 1));
    testing::plain_append(saved, kind + ".m." + s.params[i].name, m.back());
    testing::plain_append(saved, kind + ".v." + s.params[i].name, v.back());
  }
  std::vector<std::vector<float>> p;
  for (const auto& prm : s.params) p.push_back(values(prm.value));
  auto opt = make_optimizer(kind, s.ptrs(), c);
  opt->load_state(saved);
  const double lr = 3e-3;
  opt->step(lr);
  auto st = opt->state_tensors();
  for (size_t i = 0; i < s.params.size(); ++i) {
    const nn::Param& prm = s.params[i];
    testing::plain_adam8_step(c, decoupled, prm.decay, lr, t, p[i], values(prm.grad), m[i], v[i]);
    for (size_t j = 0; j < p[i].size(); ++j)
      ASSERT_EQ(std::bit_cast<uint32_t>(prm.value.data<float>()[j]),
                std::bit_cast<uint32_t>(p[i][j]))
          << kind << " block " << block << " " << prm.name << " element " << j << ": "
          << prm.value.data<float>()[j] << " vs " << p[i][j];
    expect_state_is(st, kind + ".m." + prm.name, m[i]);
    expect_state_is(st, kind + ".v." + prm.name, v[i]);
  }
}

TEST(Optim8, AdamWStepIsThePaperAlgorithm) {
  check_adam_paper(true, 256);
  check_adam_paper(true, 2048);
}
TEST(Optim8, AdamL2StepIsThePaperAlgorithm) {
  check_adam_paper(false, 256);
  check_adam_paper(false, 2048);
}

// Same argument as above: two steps of SGD-momentum (the first makes the buffer the gradient).
TEST(Optim8, SgdMomentumStepsAreThePlainAlgorithm) {
  for (int64_t block : {256, 2048}) {
    OptimizerConfig c = config8(block);
    c.weight_decay = 0.05;
    ParamSet s = make_param_set(DType::f32, {5003, 4096});
    std::vector<std::vector<float>> p;
    for (const auto& prm : s.params) p.push_back(values(prm.value));
    std::vector<Plain8> b(2, Plain8{DynamicMap::signed_map, block, {}, {}});
    for (size_t i = 0; i < 2; ++i)
      testing::plain_requantize(std::vector<float>(p[i].size(), 0.0f), b[i]);
    auto opt = make_optimizer("sgd", s.ptrs(), c);
    for (int t = 1; t <= 2; ++t) {
      fill_grads(s, t);
      opt->step(lr_for(t));
      for (size_t i = 0; i < 2; ++i)
        testing::plain_sgd8_step(c, s.params[i].decay, lr_for(t), t == 1, p[i],
                                 values(s.params[i].grad), b[i]);
    }
    auto st = opt->state_tensors();
    for (size_t i = 0; i < 2; ++i) {
      for (size_t j = 0; j < p[i].size(); ++j)
        ASSERT_EQ(s.params[i].value.data<float>()[j], p[i][j])
            << "sgd block " << block << " " << s.params[i].name << " element " << j;
      expect_state_is(st, "sgd.momentum." + s.params[i].name, b[i]);
    }
  }
}

const std::vector<int64_t> kOddSizes = {0, 1, 2047, 2049, 5003, 4096};

class Optim8Kinds : public ::testing::TestWithParam<const char*> {};

// The AVX2 codec kernels against `_ref` inside the optimizer (ISA capped to scalar), on odd
// sizes with every parameter 8-bit (state_min_numel 0), both block sizes.
TEST_P(Optim8Kinds, SameBitsAtEveryIsa) {
  const Isa cap = isa_cap();
  for (int64_t block : {256, 2048}) {
    OptimizerConfig c = config8(block, 0);
    ParamSet a = make_param_set(DType::f32, kOddSizes), b = a.clone();
    isa_cap_set(Isa::scalar);
    auto oa = make_optimizer(GetParam(), a.ptrs(), c);
    run_steps(*oa, a, 1, 4);
    isa_cap_set(cpu_isa_detected());
    auto ob = make_optimizer(GetParam(), b.ptrs(), c);
    run_steps(*ob, b, 1, 4);
    isa_cap_set(cap);
    expect_same_bits(cat(GetParam(), " block ", block), a, *oa, b, *ob);
  }
}

TEST_P(Optim8Kinds, SameBitsWithOneAndTwoThreads) {
  for (int64_t block : {256, 2048}) {
    ParamSet a = make_param_set(DType::f32, {100003, 33, 70001}), b = a.clone();
    auto oa = make_optimizer(GetParam(), a.ptrs(), config8(block));
    auto ob = make_optimizer(GetParam(), b.ptrs(), config8(block));
    int saved = num_threads();
    set_num_threads(1);
    run_steps(*oa, a, 1, 3);
    set_num_threads(2);
    run_steps(*ob, b, 1, 3);
    set_num_threads(saved);
    expect_same_bits(cat(GetParam(), " block ", block), a, *oa, b, *ob);
  }
}

// Run 5 steps straight; or 3, save, load the saved tensors into a fresh optimizer, 2 more.
TEST_P(Optim8Kinds, SaveLoadContinuesBitExactly) {
  for (int64_t block : {256, 2048}) {
    OptimizerConfig c = config8(block);  // the default sizes mix f32 (small) and 8-bit state
    ParamSet straight = make_param_set(DType::f32, {1, 7, 2047, 0, 2048, 2049, 5003, 9000});
    ParamSet split = straight.clone();
    auto o5 = make_optimizer(GetParam(), straight.ptrs(), c);
    run_steps(*o5, straight, 1, 5);
    auto o3 = make_optimizer(GetParam(), split.ptrs(), c);
    run_steps(*o3, split, 1, 3);
    auto saved = o3->state_tensors();
    o3.reset();
    ParamSet resumed = split.clone();
    auto o2 = make_optimizer(GetParam(), resumed.ptrs(), c);
    o2->load_state(saved);
    EXPECT_EQ(o2->steps_taken(), 3);
    run_steps(*o2, resumed, 4, 5);
    expect_same_bits(cat(GetParam(), " block ", block), straight, *o5, resumed, *o2);
  }
}

INSTANTIATE_TEST_SUITE_P(Optim8, Optim8Kinds, ::testing::Values("adamw", "adam", "sgd", "lion"));

TEST(Optim8, SmallTensorsKeep32BitState) {
  ParamSet s = make_param_set(DType::f32, {0, 1, 2047, 2049, 4095, 4096, 5003});
  auto opt = make_optimizer("adamw", s.ptrs(), config8(256));
  auto st = opt->state_tensors();
  std::set<std::string> names;
  for (const auto& [n, t] : st) names.insert(n);
  size_t want_bytes = 0;
  for (const auto& p : s.params) {
    const int64_t n = p.value.numel();
    const bool eight = n >= 4096;
    EXPECT_EQ(state_codec_for(config8(256), n), eight ? "8bit" : "f32") << p.name;
    for (const char* state : {".m.", ".v."}) {
      std::string base = "adamw" + std::string(state) + p.name;
      EXPECT_EQ(names.count(base), eight ? 0u : 1u) << base;
      EXPECT_EQ(names.count(base + ".codes"), eight ? 1u : 0u) << base;
      EXPECT_EQ(names.count(base + ".absmax"), eight ? 1u : 0u) << base;
      EXPECT_EQ(names.count(base + ".qblock"), eight ? 1u : 0u) << base;
      if (eight) {
        EXPECT_EQ(state_named(st, base + ".codes").dtype(), DType::u8);
        EXPECT_EQ(state_named(st, base + ".absmax").numel(), (n + 255) / 256);
        EXPECT_EQ(state_named(st, base + ".qblock").data<int64_t>()[0], 256);
      }
      want_bytes += eight ? n + 4 * ((n + 255) / 256) + 8 : 4 * n;
    }
  }
  EXPECT_EQ(opt->state_bytes(), want_bytes);
  // state_min_numel 0: every parameter, even an empty one, is 8-bit.
  auto all8 = make_optimizer("adamw", s.ptrs(), config8(256, 0));
  for (const auto& [n, t] : all8->state_tensors())
    EXPECT_TRUE(n == "adamw.step" || n.find(".codes") != std::string::npos ||
                n.find(".absmax") != std::string::npos || n.find(".qblock") != std::string::npos)
        << n;
}

// A parameter flagged state32 (the stable embedding's) keeps f32 state however large it is.
TEST(Optim8, State32ParamsKeep32BitState) {
  ParamSet s = make_param_set(DType::f32, {5000, 5000});
  s.params[1].state32 = true;
  auto opt = make_optimizer("adamw", s.ptrs(), config8(256));
  std::set<std::string> names;
  for (const auto& [n, t] : opt->state_tensors()) names.insert(n);
  EXPECT_EQ(names.count("adamw.m." + s.params[0].name + ".codes"), 1u);
  EXPECT_EQ(names.count("adamw.m." + s.params[1].name), 1u);
  EXPECT_EQ(names.count("adamw.v." + s.params[1].name), 1u);
}

// 1 byte of code + 4 / block bytes of absmax per element (+ 8 bytes of block-size tag).
TEST(Optim8, StateBytesAreAboutOneBytePerElement) {
  const int64_t n = 1 << 20;
  for (int64_t block : {256, 2048}) {
    ParamSet s = make_param_set(DType::f32, {n});
    auto o8 = make_optimizer("adamw", s.ptrs(), config8(block));
    auto o32 = make_optimizer("adamw", s.ptrs(), OptimizerConfig{});
    const double per_elem = static_cast<double>(o8->state_bytes()) / (2.0 * n);
    EXPECT_NEAR(per_elem, 1.0 + 4.0 / block, 8.0 / n) << "block " << block;
    EXPECT_EQ(o32->state_bytes(), 2u * 4u * n);
    EXPECT_LE(static_cast<double>(o8->state_bytes()) / o32->state_bytes(), 0.26);
  }
}

TEST(Optim8, LoadRefusesAnotherCodecOrBlock) {
  ParamSet s = make_param_set(DType::f32, {100, 5003});
  auto o8 = make_optimizer("adamw", s.ptrs(), config8(256));
  run_steps(*o8, s, 1, 2);
  auto saved8 = o8->state_tensors();
  OptimizerConfig c32;
  c32.weight_decay = 0.1;
  auto o32 = make_optimizer("adamw", s.ptrs(), c32);
  std::string e = error_of([&] { o32->load_state(saved8); });
  EXPECT_NE(e.find("state m of layer1.bias was saved as 8bit (block 256) but this optimizer keeps "
                   "it as f32"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("optim.state"), std::string::npos) << e;
  EXPECT_EQ(o32->steps_taken(), 0);  // a refused load changes nothing
  e = error_of([&] { o8->load_state(o32->state_tensors()); });
  EXPECT_NE(e.find("was saved as f32 but this optimizer keeps it as 8bit (block 256)"),
            std::string::npos)
      << e;
  EXPECT_EQ(o8->steps_taken(), 2);
  auto o2048 = make_optimizer("adamw", s.ptrs(), config8(2048));
  e = error_of([&] { o2048->load_state(saved8); });
  EXPECT_NE(e.find("saved as 8bit (block 256) but this optimizer keeps it as 8bit (block 2048)"),
            std::string::npos)
      << e;
  auto o_min = make_optimizer("adamw", s.ptrs(), config8(256, 10000));
  e = error_of([&] { o_min->load_state(saved8); });
  EXPECT_NE(e.find("keeps it as f32 (state_codec 8bit, state_block 256, state_min_numel 10000; "
                   "5003 elements)"),
            std::string::npos)
      << e;
  auto o_small = make_optimizer("adamw", s.ptrs(), config8(256, 0));
  e = error_of([&] { o_small->load_state(saved8); });
  EXPECT_NE(e.find("state m of layer0.weight was saved as f32 but this optimizer keeps it as 8bit"),
            std::string::npos)
      << e;
  // A damaged block-size tag is reported as such, then the shapes are checked as usual.
  for (auto& [name, t] : saved8)
    if (name == "adamw.v.layer1.bias.qblock") t = Tensor::zeros({2}, DType::i64);
  e = error_of([&] { o8->load_state(saved8); });
  EXPECT_NE(e.find("state v of layer1.bias was saved as 8bit (block ?)"), std::string::npos) << e;
  EXPECT_EQ(error_of([&] { o8->load_state(o8->state_tensors()); }), "");
}

TEST(Optim8, ConfigErrorsNameTheField) {
  ParamSet s = make_param_set(DType::f32, {5000});
  OptimizerConfig c = config8(300);
  EXPECT_NE(error_of([&] {
              make_optimizer("adamw", s.ptrs(), c);
            }).find("[adamw] state_block = 300, expected a divisor of 2048"),
            std::string::npos);
  c = config8(256, -1);
  EXPECT_NE(error_of([&] {
              make_optimizer("sgd", s.ptrs(), c);
            }).find("[sgd] state_min_numel = -1, expected >= 0"),
            std::string::npos);
  ParamSet d = make_param_set(DType::f64, {5000});
  EXPECT_NE(error_of([&] {
              make_optimizer("adamw", d.ptrs(), config8(256));
            }).find("8-bit state needs f32 parameters, not f64"),
            std::string::npos);
  // f64 parameters under the size threshold keep f64 state and work.
  ParamSet small = make_param_set(DType::f64, {10});
  EXPECT_EQ(error_of([&] { make_optimizer("adamw", small.ptrs(), config8(256))->step(1e-3); }), "");
}

}  // namespace
}  // namespace lowbit::optim

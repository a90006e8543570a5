// AdamW, Adam and SGD-momentum against direct double implementations of the PyTorch formulas,
// plus thread-count determinism, the encoded-state path, checkpoint round trips and errors.
#include "lowbit/optim/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "lowbit/core/parallel.h"
#include "optim/optim_test_util.h"

namespace lowbit::optim {
namespace {

using testing::fill_grads;
using testing::make_param_set;
using testing::ParamSet;

constexpr int kSteps = 5;
double lr_for(int64_t t) {
  return 1e-2 * (1.0 + 0.25 * static_cast<double>(t));
}

// Textbook Adam/AdamW in double, written from the papers / PyTorch docs, not from our code.
struct RefAdam {
  bool decoupled;
  OptimizerConfig c;
  std::vector<std::vector<double>> p, m, v;
  double max_update = 0;  // max |m_hat / (sqrt(v_hat) + eps)|, for the tolerance
  void step(const std::vector<std::vector<double>>& g, const std::vector<bool>& decay, double lr,
            int t) {
    for (size_t i = 0; i < p.size(); ++i) {
      double wd = decay[i] ? c.weight_decay : 0.0;
      for (size_t j = 0; j < p[i].size(); ++j) {
        double gj = g[i][j] + (decoupled ? 0.0 : wd * p[i][j]);
        if (decoupled) p[i][j] *= 1.0 - lr * wd;
        m[i][j] = c.beta1 * m[i][j] + (1 - c.beta1) * gj;
        v[i][j] = c.beta2 * v[i][j] + (1 - c.beta2) * gj * gj;
        double mh = m[i][j] / (1 - std::pow(c.beta1, t));
        double vh = v[i][j] / (1 - std::pow(c.beta2, t));
        double u = mh / (std::sqrt(vh) + c.eps);
        max_update = std::max(max_update, std::fabs(u));
        p[i][j] -= lr * u;
      }
    }
  }
};

struct RefSgd {
  OptimizerConfig c;
  std::vector<std::vector<double>> p, buf;
  double max_buf = 0;
  void step(const std::vector<std::vector<double>>& g, const std::vector<bool>& decay, double lr,
            int t) {
    for (size_t i = 0; i < p.size(); ++i)
      for (size_t j = 0; j < p[i].size(); ++j) {
        double gj = g[i][j] + (decay[i] ? c.weight_decay : 0.0) * p[i][j];
        buf[i][j] = t == 1 ? gj : c.momentum * buf[i][j] + gj;
        max_buf = std::max(max_buf, std::fabs(buf[i][j]));
        p[i][j] -= lr * buf[i][j];
      }
  }
};

std::vector<std::vector<double>> values_of(ParamSet& s, bool grads) {
  std::vector<std::vector<double>> out;
  for (auto& p : s.params) out.push_back((grads ? p.grad : p.value).to_vector());
  return out;
}

std::vector<bool> decay_of(const ParamSet& s) {
  std::vector<bool> d;
  for (const auto& p : s.params) d.push_back(p.decay);
  return d;
}

void expect_params_near(const char* what, ParamSet& s, const std::vector<std::vector<double>>& want,
                        double tol) {
  for (size_t i = 0; i < s.params.size(); ++i) {
    auto got = s.params[i].value.to_vector();
    for (size_t j = 0; j < got.size(); ++j)
      ASSERT_NEAR(got[j], want[i][j], tol) << what << " " << s.params[i].name << " element " << j;
  }
}

double max_abs(const std::vector<std::vector<double>>& x) {
  double m = 0;
  for (const auto& r : x)
    for (double v : r) m = std::max(m, std::fabs(v));
  return m;
}

// Our optimizer and the double reference from the same starting point for kSteps steps.
// Tolerance: each step makes O(10) roundings of unit u (2^-24 for f32, 2^-53 for f64): about 2
// relative to |p| on the parameter path (decay multiply, final add) and, through m and v whose
// relative errors grow by ~3u per step, (3t + 10)u relative to the update lr * |u_t|. Summed over
// S steps: tol = S * u * (4 max|p| + lr_max * max|update| * (3S + 10)).
void check_adam(DType dtype, bool decoupled) {
  OptimizerConfig c;
  c.weight_decay = 0.1;
  ParamSet s = make_param_set(dtype);
  RefAdam ref{decoupled, c, values_of(s, false), {}, {}};
  for (auto& r : ref.p) {
    ref.m.emplace_back(r.size(), 0.0);
    ref.v.emplace_back(r.size(), 0.0);
  }
  auto opt = make_optimizer(decoupled ? "adamw" : "adam", s.ptrs(), c);
  for (int t = 1; t <= kSteps; ++t) {
    fill_grads(s, t);
    ref.step(values_of(s, true), decay_of(s), lr_for(t), t);
    opt->step(lr_for(t));
  }
  EXPECT_EQ(opt->steps_taken(), kSteps);
  double u = dtype == DType::f32 ? std::ldexp(1.0, -24) : std::ldexp(1.0, -53);
  double tol =
      kSteps * u * (4 * max_abs(ref.p) + lr_for(kSteps) * ref.max_update * (3 * kSteps + 10));
  expect_params_near(decoupled ? "adamw" : "adam", s, ref.p, tol);
  // The decay matters at this tolerance: AdamW's decay moves p by ~lr * wd * |p| per step.
  EXPECT_GT(lr_for(1) * c.weight_decay * 0.01, tol);
}

TEST(Optimizer, AdamWMatchesReferenceF32) {
  check_adam(DType::f32, true);
}
TEST(Optimizer, AdamWMatchesReferenceF64) {
  check_adam(DType::f64, true);
}
TEST(Optimizer, AdamL2MatchesReferenceF32) {
  check_adam(DType::f32, false);
}
TEST(Optimizer, AdamL2MatchesReferenceF64) {
  check_adam(DType::f64, false);
}

// Tolerance: per step ~2u relative to |p| and (t + 2)u relative to lr * |buf| (buf's relative
// error grows by ~u per step); tol = S * u * (4 max|p| + lr_max * max|buf| * (S + 4)).
void check_sgd(DType dtype) {
  OptimizerConfig c;
  c.momentum = 0.9;
  c.weight_decay = 0.05;
  ParamSet s = make_param_set(dtype);
  RefSgd ref{c, values_of(s, false), {}};
  for (auto& r : ref.p) ref.buf.emplace_back(r.size(), 0.0);
  auto opt = make_optimizer("sgd", s.ptrs(), c);
  for (int t = 1; t <= kSteps; ++t) {
    fill_grads(s, t);
    ref.step(values_of(s, true), decay_of(s), lr_for(t), t);
    opt->step(lr_for(t));
  }
  double u = dtype == DType::f32 ? std::ldexp(1.0, -24) : std::ldexp(1.0, -53);
  double tol = kSteps * u * (4 * max_abs(ref.p) + lr_for(kSteps) * ref.max_buf * (kSteps + 4));
  expect_params_near("sgd", s, ref.p, tol);
}

TEST(Optimizer, SgdMomentumMatchesReferenceF32) {
  check_sgd(DType::f32);
}
TEST(Optimizer, SgdMomentumMatchesReferenceF64) {
  check_sgd(DType::f64);
}

// Bitwise comparison of every parameter and every state tensor.
void expect_same_bits(const char* what, ParamSet& a, const Optimizer& oa, ParamSet& b,
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

void run_steps(Optimizer& opt, ParamSet& s, int first, int last) {
  for (int t = first; t <= last; ++t) {
    fill_grads(s, t);
    opt.step(lr_for(t));
  }
}

class OptimizerKinds : public ::testing::TestWithParam<const char*> {};

TEST_P(OptimizerKinds, SameBitsWithOneAndTwoThreads) {
  OptimizerConfig c;
  c.weight_decay = 0.1;
  // Big enough for many parallel chunks (8 blocks of 2048 each).
  ParamSet a = make_param_set(DType::f32, {100003, 33, 70001}), b = a.clone();
  auto oa = make_optimizer(GetParam(), a.ptrs(), c), ob = make_optimizer(GetParam(), b.ptrs(), c);
  int saved = num_threads();
  set_num_threads(1);
  run_steps(*oa, a, 1, 3);
  set_num_threads(2);
  run_steps(*ob, b, 1, 3);
  set_num_threads(saved);
  expect_same_bits(GetParam(), a, *oa, b, *ob);
}

TEST_P(OptimizerKinds, SaveLoadContinuesBitExactly) {
  OptimizerConfig c;
  c.weight_decay = 0.1;
  ParamSet straight = make_param_set(DType::f32), split = straight.clone();
  auto o5 = make_optimizer(GetParam(), straight.ptrs(), c);
  run_steps(*o5, straight, 1, 5);

  auto o3 = make_optimizer(GetParam(), split.ptrs(), c);
  run_steps(*o3, split, 1, 3);
  auto saved = o3->state_tensors();
  o3.reset();
  ParamSet resumed = split.clone();  // as a checkpoint would restore the parameters
  auto o2 = make_optimizer(GetParam(), resumed.ptrs(), c);
  o2->load_state(saved);
  EXPECT_EQ(o2->steps_taken(), 3);
  run_steps(*o2, resumed, 4, 5);
  expect_same_bits(GetParam(), straight, *o5, resumed, *o2);
}

// Hides direct() so the update goes through decode_block -> arithmetic -> encode_block, the
// path an 8-bit codec takes; the results must equal the in-place path bit for bit.
class CopyingStore final : public StateStore {
 public:
  CopyingStore(int64_t numel, DType dtype) : inner_(numel, dtype) {}
  int64_t numel() const override { return inner_.numel(); }
  void* direct() override { return nullptr; }
  void decode_block(int64_t b, float* out) const override { inner_.decode_block(b, out); }
  void encode_block(int64_t b, const float* in) override { inner_.encode_block(b, in); }
  size_t bytes() const override { return inner_.bytes(); }
  std::string codec() const override { return inner_.codec(); }
  std::vector<std::pair<std::string, Tensor>> tensors() const override { return inner_.tensors(); }

 private:
  PlainStateStore inner_;
};

TEST_P(OptimizerKinds, DecodeEncodePathMatchesInPlace) {
  OptimizerConfig c;
  c.weight_decay = 0.1;
  ParamSet a = make_param_set(DType::f32), b = a.clone();
  auto oa = make_optimizer(GetParam(), a.ptrs(), c);
  auto ob = make_optimizer(GetParam(), b.ptrs(), c, [](const nn::Param& p, StateSign) {
    return std::make_unique<CopyingStore>(p.value.numel(), p.value.dtype());
  });
  run_steps(*oa, a, 1, 4);
  run_steps(*ob, b, 1, 4);
  expect_same_bits(GetParam(), a, *oa, b, *ob);
}

TEST_P(OptimizerKinds, StateNamesAndBytes) {
  ParamSet s = make_param_set(DType::f32, {3, 5});
  auto opt = make_optimizer(GetParam(), s.ptrs(), OptimizerConfig{});
  std::string k = GetParam();
  auto st = opt->state_tensors();
  size_t per_param = k == "sgd" ? 1 : 2;
  ASSERT_EQ(st.size(), 1 + 2 * per_param);
  EXPECT_EQ(st[0].first, k + ".step");
  EXPECT_EQ(st[0].second.dtype(), DType::i64);
  EXPECT_EQ(st[1].first, k + (k == "sgd" ? ".momentum" : ".m") + ".layer0.weight");
  EXPECT_EQ(st[2].first, k + (k == "sgd" ? ".momentum" : ".m") + ".layer1.bias");
  if (k != "sgd") {
    EXPECT_EQ(st[3].first, k + ".v.layer0.weight");
  }
  EXPECT_EQ(opt->state_bytes(), per_param * (3 + 5) * sizeof(float));
}

INSTANTIATE_TEST_SUITE_P(Optimizer, OptimizerKinds, ::testing::Values("adamw", "adam", "sgd"));

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Optimizer, LoadStateErrorsNameTheTensor) {
  ParamSet s = make_param_set(DType::f32, {6, 4});
  auto opt = make_optimizer("adamw", s.ptrs(), OptimizerConfig{});
  opt->step(1e-3);
  auto good = opt->state_tensors();

  auto bad_shape = good;
  for (auto& [name, t] : bad_shape)
    if (name == "adamw.v.layer0.weight") t = Tensor::zeros({3, 2});
  std::string e = error_of([&] { opt->load_state(bad_shape); });
  EXPECT_NE(e.find("adamw.v.layer0.weight is f32 (3, 2), expected f32 (6,)"), std::string::npos)
      << e;

  auto missing = good;
  missing.erase(missing.begin() + 2);
  e = error_of([&] { opt->load_state(missing); });
  EXPECT_NE(e.find("missing tensor " + good[2].first), std::string::npos) << e;

  auto extra = good;
  extra.emplace_back("adamw.m.layer9.weight", Tensor::zeros({6}));
  extra.emplace_back("model.layer0.weight", Tensor::zeros({6}));  // other prefixes are ignored
  e = error_of([&] { opt->load_state(extra); });
  EXPECT_NE(e.find("unexpected tensor adamw.m.layer9.weight"), std::string::npos) << e;

  auto bad_dtype = good;
  bad_dtype[1].second = bad_dtype[1].second.to(DType::f64);
  e = error_of([&] { opt->load_state(bad_dtype); });
  EXPECT_NE(e.find("is f64 (6,), expected f32 (6,)"), std::string::npos) << e;

  // A failed load changes nothing.
  EXPECT_EQ(opt->steps_taken(), 1);
  EXPECT_EQ(error_of([&] { opt->load_state(good); }), "");
}

TEST(Optimizer, ConstructionErrors) {
  ParamSet s = make_param_set(DType::f32, {4, 4});
  EXPECT_NE(error_of([&] { make_optimizer("lamb", s.ptrs(), {}); }).find("unknown kind 'lamb'"),
            std::string::npos);
  OptimizerConfig c;
  c.state_codec = "int3";
  EXPECT_NE(error_of([&] { make_optimizer("adamw", s.ptrs(), c); }).find("allowed: f32, 8bit"),
            std::string::npos);
  c = {};
  c.beta2 = 1.0;
  EXPECT_NE(error_of([&] { make_optimizer("adamw", s.ptrs(), c); }).find("beta2 = 1"),
            std::string::npos);
  s.params[1].name = s.params[0].name;
  EXPECT_NE(error_of([&] { make_optimizer("sgd", s.ptrs(), {}); }).find("two parameters are named"),
            std::string::npos);
  ParamSet g = make_param_set(DType::f32, {4});
  g.params[0].grad = Tensor::zeros({5});
  EXPECT_NE(error_of([&] {
              make_optimizer("sgd", g.ptrs(), {});
            }).find("gradient of layer0.weight is f32 (5,), expected f32 (4,)"),
            std::string::npos);
  ParamSet mixed = make_param_set(DType::f32, {4});
  mixed.params.push_back(nn::make_param("x", {2}, DType::f64, true));
  EXPECT_NE(error_of([&] { make_optimizer("adamw", mixed.ptrs(), {}); }).find("share one dtype"),
            std::string::npos);
  ParamSet one = make_param_set(DType::f32, {4});
  auto opt = make_optimizer("adamw", one.ptrs(), {});
  EXPECT_NE(error_of([&] { opt->step(std::nan("")); }).find("lr = nan"), std::string::npos);
}

TEST(Optimizer, NoDecayParamUnchangedByDecayWithZeroGrad) {
  // With zero gradients Adam's update is 0 / (0 + eps) = 0, so only the decay moves p.
  OptimizerConfig c;
  c.weight_decay = 0.5;
  ParamSet s = make_param_set(DType::f32, {10, 10});
  auto before = values_of(s, false);
  auto opt = make_optimizer("adamw", s.ptrs(), c);
  opt->step(0.1);
  for (size_t j = 0; j < 10; ++j) {
    EXPECT_EQ(s.params[0].value.data<float>()[j],
              static_cast<float>(before[0][j]) * static_cast<float>(1 - 0.1 * 0.5));
    EXPECT_EQ(s.params[1].value.data<float>()[j],
              static_cast<float>(before[1][j]));  // decay == false
  }
}

}  // namespace
}  // namespace lowbit::optim

// SelfAttention: backward against central finite differences in double, forward against a plain
// loop reference written like make_bert_golden.py, masking invariances, f32/f64, thread bits.
#include "lowbit/nn/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {

namespace {

struct Case {
  int64_t batch, seq, hidden, heads;
  bool causal;
  bool padded;
};

std::string describe(const Case& c) {
  return cat("B=", c.batch, " T=", c.seq, " C=", c.hidden, " H=", c.heads,
             c.causal ? " causal" : "", c.padded ? " padded" : "");
}

// Weights N(0, 0.4), biases N(0, 0.1): large enough that the softmax is far from uniform, so
// the test sees the shape of P and not only its mean.
void randomize(Module& m, uint64_t seed) {
  Rng rng(seed);
  for (Param* p : m.params()) rng.fill_normal(p->value, 0, p->decay ? 0.4 : 0.1);
}

SelfAttention make_layer(const Case& c, DType dtype, double attn_dropout = 0, uint64_t seed = 7) {
  Rng rng(seed);
  SelfAttention attn("attn", c.hidden, c.heads, c.causal, attn_dropout, rng, dtype);
  randomize(attn, seed + 100);
  return attn;
}

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed) {
  Tensor t = Tensor::empty(shape, dtype);
  Rng(seed).fill_normal(t, 0, 1);
  return t;
}

// Odd-numbered sequences are half padding (at least one real token stays).
Tensor padding_mask(int64_t batch, int64_t seq) {
  std::vector<uint8_t> m(static_cast<size_t>(batch * seq), 1);
  for (int64_t b = 1; b < batch; b += 2)
    for (int64_t t = std::max<int64_t>(1, seq - seq / 2); t < seq; ++t) m[b * seq + t] = 0;
  return Tensor::from_vector<uint8_t>({batch, seq}, m);
}

// Holes anywhere, not only at the end: key t of sequence b is padding when (t + b) % 3 == 2, so
// with T = 1 sequence 2 is all padding.
Tensor scattered_mask(int64_t batch, int64_t seq) {
  std::vector<uint8_t> m(static_cast<size_t>(batch * seq));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < seq; ++t) m[b * seq + t] = (t + b) % 3 != 2;
  return Tensor::from_vector<uint8_t>({batch, seq}, m);
}

// dx and every parameter gradient against finite differences of loss = <forward(x), w>.
void check_grads(SelfAttention& attn, Tensor x, int64_t batch, int64_t seq, const Tensor& mask,
                 const ForwardContext& ctx, const std::string& what) {
  Tensor w = random_tensor(x.shape(), DType::f64, 99);
  attn.zero_grad();
  attn.forward(x, batch, seq, mask, ctx);
  Tensor dx = attn.backward(w);
  auto loss = [&] { return testing::dot(attn.forward(x, batch, seq, mask, ctx), w); };
  testing::expect_grad_close(what + " x", x, dx, loss);
  for (Param* p : attn.params()) {
    Tensor analytic = p->grad.clone();
    testing::expect_grad_close(what + " " + p->name, p->value, analytic, loss);
  }
}

// The attention's projections are dense Linears unless a tensor-train factory was given.
Linear& dense(const std::unique_ptr<Projection>& p) { return dynamic_cast<Linear&>(*p); }

// The math of make_bert_golden.py in plain loops: -1e30 on excluded keys, softmax, P·V. (A row
// with no allowed key would come out uniform here, not zero; the cases below have none.)
std::vector<double> reference_forward(SelfAttention& attn, const Tensor& x, int64_t B, int64_t L,
                                      const Tensor& mask) {
  const int64_t C = attn.hidden(), H = attn.heads(), d = C / H;
  auto project = [&](Linear& lin, const std::vector<double>& in) {
    auto w = lin.weight.value.to_vector(), b = lin.bias.value.to_vector();
    std::vector<double> out(static_cast<size_t>(B * L * C));
    for (int64_t r = 0; r < B * L; ++r)
      for (int64_t o = 0; o < C; ++o) {
        double s = b[o];
        for (int64_t i = 0; i < C; ++i) s += in[r * C + i] * w[o * C + i];
        out[r * C + o] = s;
      }
    return out;
  };
  auto xv = x.to_vector();
  auto q = project(dense(attn.query), xv), k = project(dense(attn.key), xv), v = project(dense(attn.value), xv);
  auto mv = mask.defined() ? mask.to_vector() : std::vector<double>(B * L, 1.0);
  std::vector<double> context(static_cast<size_t>(B * L * C), 0.0), s(L);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; ++i) {
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < L; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < d; ++e)
            dot += q[(b * L + i) * C + h * d + e] * k[(b * L + j) * C + h * d + e];
          bool excluded = mv[b * L + j] == 0 || (attn.causal() && j > i);
          s[j] = dot / std::sqrt(double(d)) + (excluded ? -1e30 : 0.0);
          mx = std::max(mx, s[j]);
        }
        for (int64_t j = 0; j < L; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (int64_t j = 0; j < L; ++j)
          for (int64_t e = 0; e < d; ++e)
            context[(b * L + i) * C + h * d + e] += s[j] / sum * v[(b * L + j) * C + h * d + e];
      }
  return project(dense(attn.output), context);
}

}  // namespace

TEST(SelfAttention, ParamsInOrder) {
  Rng rng(1);
  SelfAttention attn("enc.attention", 8, 2, false, 0.0, rng, DType::f32);
  std::vector<std::string> names;
  for (Param* p : attn.params()) names.push_back(p->name);
  std::vector<std::string> want;
  for (const char* proj : {"query", "key", "value", "output"})
    for (const char* kind : {"weight", "bias"})
      want.push_back(cat("enc.attention.", proj, ".", kind));
  EXPECT_EQ(names, want);
}

TEST(SelfAttention, ForwardMatchesLoopReference) {
  for (Case c : {Case{3, 7, 16, 4, false, true}, Case{2, 6, 12, 3, true, true},
                 Case{2, 19, 8, 2, false, true}, Case{2, 19, 8, 2, true, true}}) {
    SelfAttention attn = make_layer(c, DType::f64);
    Tensor x = random_tensor({c.batch * c.seq, c.hidden}, DType::f64, 3);
    for (const Tensor& mask : {padding_mask(c.batch, c.seq), scattered_mask(c.batch, c.seq)}) {
      auto got = attn.forward(x, c.batch, c.seq, mask, {}).to_vector();
      auto want = reference_forward(attn, x, c.batch, c.seq, mask);
      ASSERT_EQ(got.size(), want.size());
      // Same math in double; only summation order and 1/sqrt(d) vs a division differ.
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-12) << describe(c) << " element " << i;
    }
  }
}

TEST(SelfAttention, GradientsWithPadding) {
  Case c{2, 5, 12, 3, false, true};
  SelfAttention attn = make_layer(c, DType::f64);
  check_grads(attn, random_tensor({10, 12}, DType::f64, 5), 2, 5, padding_mask(2, 5), {},
              describe(c));
}

TEST(SelfAttention, GradientsCausal) {
  Case c{2, 5, 12, 3, true, true};
  SelfAttention attn = make_layer(c, DType::f64);
  check_grads(attn, random_tensor({10, 12}, DType::f64, 6), 2, 5, padding_mask(2, 5), {},
              describe(c));
  check_grads(attn, random_tensor({10, 12}, DType::f64, 7), 2, 5, Tensor(), {},
              describe(c) + " no mask");
}

// T = 11 and 19 run the 8-wide row blocks and their tails; the shorter ones only tails.
TEST(SelfAttention, GradientsOddShapes) {
  for (Case c : {Case{1, 1, 12, 3, false, false}, Case{3, 1, 12, 3, true, true},
                 Case{3, 5, 12, 3, false, true}, Case{3, 5, 12, 3, true, false},
                 Case{2, 3, 6, 1, false, true}, Case{1, 4, 8, 8, true, false},
                 Case{2, 11, 8, 2, false, true}, Case{2, 19, 8, 2, true, true}}) {
    SelfAttention attn = make_layer(c, DType::f64);
    Tensor x = random_tensor({c.batch * c.seq, c.hidden}, DType::f64, 11);
    check_grads(attn, x, c.batch, c.seq, c.padded ? padding_mask(c.batch, c.seq) : Tensor(), {},
                describe(c));
  }
}

TEST(SelfAttention, GradientsWithScatteredPadding) {
  for (bool causal : {false, true}) {
    Case c{3, 5, 12, 3, causal, true};
    SelfAttention attn = make_layer(c, DType::f64);
    check_grads(attn, random_tensor({15, 12}, DType::f64, 8), 3, 5, scattered_mask(3, 5), {},
                describe(c) + " scattered");
  }
}

// With a fixed step the dropout mask is a fixed function, so finite differences still apply.
TEST(SelfAttention, GradientsWithDropout) {
  Case c{2, 6, 12, 3, false, true};
  SelfAttention attn = make_layer(c, DType::f64, 0.3);
  ForwardContext ctx{true, 17};
  check_grads(attn, random_tensor({12, 12}, DType::f64, 12), 2, 6, padding_mask(2, 6), ctx,
              describe(c) + " dropout 0.3");
}

// Sequence 1 is all padding; under causal, left padding leaves queries 0 and 1 of sequence 0
// with no allowed key. Such rows have zero probabilities: their output is the output bias and
// nothing flows back through them.
TEST(SelfAttention, RowsWithoutKeysGiveBiasAndZeroGradient) {
  Case c{2, 4, 8, 2, true, true};
  SelfAttention attn = make_layer(c, DType::f64);
  Tensor mask = Tensor::from_vector<uint8_t>({2, 4}, {0, 0, 1, 1, 0, 0, 0, 0});
  Tensor x = random_tensor({8, 8}, DType::f64, 13);
  auto y = attn.forward(x, 2, 4, mask, {}).to_vector();
  auto bias = dense(attn.output).bias.value.to_vector();
  for (int64_t r : {0, 1, 4, 5, 6, 7})
    for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(y[r * 8 + j], bias[j]) << "row " << r;
  auto dx = attn.backward(random_tensor({8, 8}, DType::f64, 14)).to_vector();
  for (int64_t r = 4; r < 8; ++r)
    for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(dx[r * 8 + j], 0.0) << "row " << r;
  check_grads(attn, x, 2, 4, mask, {}, describe(c) + " rows without keys");
}

// Masked keys get probability exactly 0, so changing padded tokens leaves real rows bit-identical.
TEST(SelfAttention, PaddedTokensDoNotLeak) {
  const int64_t B = 3, L = 6, C = 16;
  SelfAttention attn = make_layer({B, L, C, 4, false, true}, DType::f32);
  Tensor mask = padding_mask(B, L);
  Tensor x = random_tensor({B * L, C}, DType::f32, 21);
  auto before = attn.forward(x, B, L, mask, {}).to_vector();
  Tensor x2 = x.clone();
  auto mv = mask.to_vector();
  float* p = x2.data<float>();
  for (int64_t r = 0; r < B * L; ++r)
    if (mv[r] == 0)
      for (int64_t j = 0; j < C; ++j) p[r * C + j] = 100.0f * static_cast<float>(j % 3 - 1);
  auto after = attn.forward(x2, B, L, mask, {}).to_vector();
  for (int64_t r = 0; r < B * L; ++r) {
    if (mv[r] == 0) continue;
    for (int64_t j = 0; j < C; ++j) ASSERT_EQ(before[r * C + j], after[r * C + j]) << "row " << r;
  }
}

// Under causal masking an output row depends on its own and earlier tokens only.
TEST(SelfAttention, CausalIgnoresLaterTokens) {
  const int64_t B = 2, L = 7, C = 12, changed = 4;
  SelfAttention attn = make_layer({B, L, C, 3, true, false}, DType::f32);
  Tensor x = random_tensor({B * L, C}, DType::f32, 31);
  auto before = attn.forward(x, B, L, Tensor(), {}).to_vector();
  Tensor x2 = x.clone();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < C; ++j) x2.data<float>()[(b * L + changed) * C + j] += 3.0f;
  auto after = attn.forward(x2, B, L, Tensor(), {}).to_vector();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < L; ++t) {
      bool differs = false;
      for (int64_t j = 0; j < C; ++j) {
        int64_t i = (b * L + t) * C + j;
        if (t < changed) {
          ASSERT_EQ(before[i], after[i]) << "b " << b << " t " << t;
        }
        differs |= before[i] != after[i];
      }
      if (t >= changed) {
        EXPECT_TRUE(differs) << "b " << b << " t " << t << " did not change";
      }
    }
}

TEST(SelfAttention, DropoutIsKeyedByStepAndOffInEval) {
  Case c{2, 8, 16, 4, false, true};
  SelfAttention with = make_layer(c, DType::f32, 0.5), without = make_layer(c, DType::f32, 0.0);
  Tensor x = random_tensor({16, 16}, DType::f32, 41);
  Tensor mask = padding_mask(2, 8);
  EXPECT_EQ(with.forward(x, 2, 8, mask, {false, 3}).to_vector(),
            without.forward(x, 2, 8, mask, {true, 3}).to_vector());
  auto s3 = with.forward(x, 2, 8, mask, {true, 3}).to_vector();
  EXPECT_EQ(s3, with.forward(x, 2, 8, mask, {true, 3}).to_vector());
  EXPECT_NE(s3, with.forward(x, 2, 8, mask, {true, 4}).to_vector());
  EXPECT_NE(s3, without.forward(x, 2, 8, mask, {true, 3}).to_vector());
}

// f32 against f64 on the same values. Each stage sums at most n products; Higham's bound for
// such a sum is n·u·Σ|terms| (u = 2^-24). Along the forward path the sums have lengths C
// (projection), d (scores), T (softmax and P·V), C (output), plus a few ulps for exp and the
// rounding of the inputs; with Σ|terms| / max|result| at most ~8 for these N(0, 1)-scaled
// values, |y32 - y64| <= 8·(2C + d + 2T + 8)·u·max|y64|. The backward path adds d (dP), T (row
// sum, dQ, dK) and the B*T-row sums of the weight and bias gradients, so gradients use
// 8·(2C + d + 3T + B·T + 8)·u·G, G the largest f64 gradient entry of any tensor: the key bias
// gradient is exactly 0 in exact arithmetic (q·b_k shifts a whole score row, and softmax ignores
// that), so in f32 it is pure cancellation of terms the size of the other gradients. Measured
// errors sit ~100x under these bounds; a lost term or a wrong-precision intermediate is far above.
TEST(SelfAttention, F32MatchesF64) {
  const Case c{3, 9, 16, 4, false, true};
  const int64_t B = c.batch, L = c.seq, C = c.hidden, d = C / c.heads;
  const double u = std::ldexp(1.0, -24);
  const double fwd_tol = 8.0 * double(2 * C + d + 2 * L + 8) * u;
  const double bwd_tol = 8.0 * double(2 * C + d + 3 * L + B * L + 8) * u;
  SelfAttention a64 = make_layer(c, DType::f64), a32 = make_layer(c, DType::f32);
  auto p64 = a64.params(), p32 = a32.params();
  for (size_t i = 0; i < p64.size(); ++i) p32[i]->value.copy_from(p64[i]->value.to(DType::f32));
  // Inputs are made in f32 so both runs see identical values.
  Tensor x32 = random_tensor({B * L, C}, DType::f32, 51), x64 = x32.to(DType::f64);
  Tensor dy32 = random_tensor({B * L, C}, DType::f32, 52), dy64 = dy32.to(DType::f64);
  Tensor mask = padding_mask(B, L);
  auto max_abs = [](const Tensor& t) {
    double m = 0;
    for (double v : t.to_vector()) m = std::max(m, std::fabs(v));
    return m;
  };
  auto compare = [](const std::string& what, const Tensor& lo, const Tensor& hi, double tol) {
    auto a = lo.to_vector(), b = hi.to_vector();
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_NEAR(a[i], b[i], tol) << what << " element " << i << " of " << hi.shape_string();
  };
  Tensor y64 = a64.forward(x64, B, L, mask, {});
  compare("y", a32.forward(x32, B, L, mask, {}), y64, fwd_tol * max_abs(y64));
  Tensor dx32 = a32.backward(dy32), dx64 = a64.backward(dy64);
  double g = max_abs(dx64);
  for (Param* p : p64) g = std::max(g, max_abs(p->grad));
  compare("dx", dx32, dx64, bwd_tol * g);
  for (size_t i = 0; i < p64.size(); ++i)
    compare(p64[i]->name, p32[i]->grad, p64[i]->grad, bwd_tol * g);
  EXPECT_LE(max_abs(dense(a64.key).bias.grad), 1e-12 * g) << "key bias gradient should vanish";
}

// Large enough that the (batch, head) loop and the projections' GEMMs both go parallel.
TEST(SelfAttention, OneAndTwoThreadsGiveTheSameBits) {
  const Case c{4, 33, 64, 4, false, true};
  const int64_t B = c.batch, L = c.seq, C = c.hidden;
  const int saved = num_threads();
  Tensor x = random_tensor({B * L, C}, DType::f32, 61);
  Tensor dy = random_tensor({B * L, C}, DType::f32, 62);
  Tensor mask = padding_mask(B, L);
  std::vector<std::vector<float>> runs[2];
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (bool causal : {false, true}) {
      Case cc = c;
      cc.causal = causal;
      SelfAttention attn = make_layer(cc, DType::f32, 0.1);
      auto& out = runs[threads - 1];
      auto keep = [&](const Tensor& t) {
        out.emplace_back(t.data<float>(), t.data<float>() + t.numel());
      };
      keep(attn.forward(x, B, L, mask, {true, 5}));
      keep(attn.backward(dy));
      for (Param* p : attn.params()) keep(p->grad);
    }
  }
  set_num_threads(saved);
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t i = 0; i < runs[0].size(); ++i)
    EXPECT_EQ(0, std::memcmp(runs[0][i].data(), runs[1][i].data(), runs[0][i].size() * 4))
        << "tensor " << i << " (output, dx, then the grads; non-causal then causal)";
}

TEST(SelfAttention, BadShapesThrow) {
  Rng rng(1);
  EXPECT_THROW(SelfAttention("a", 10, 3, false, 0.0, rng, DType::f32), Error);
  EXPECT_THROW(SelfAttention("a", 12, 3, false, 1.0, rng, DType::f32), Error);
  SelfAttention attn("a", 12, 3, false, 0.0, rng, DType::f32);
  Tensor x = Tensor::zeros({10, 12});
  EXPECT_THROW(attn.backward(x), Error);  // no forward yet
  EXPECT_THROW(attn.forward(Tensor::zeros({10, 13}), 2, 5, Tensor(), {}), Error);
  EXPECT_THROW(attn.forward(x, 2, 4, Tensor(), {}), Error);
  EXPECT_THROW(attn.forward(x, 0, 5, Tensor(), {}), Error);
  EXPECT_THROW(attn.forward(Tensor::zeros({10, 12}, DType::f64), 2, 5, Tensor(), {}), Error);
  EXPECT_THROW(attn.forward(x, 2, 5, Tensor::zeros({2, 4}, DType::u8), {}), Error);
  EXPECT_THROW(attn.forward(x, 2, 5, Tensor::zeros({2, 5}, DType::f32), {}), Error);
  attn.forward(x, 2, 5, Tensor(), {});
  EXPECT_THROW(attn.backward(Tensor::zeros({10, 11})), Error);
  try {
    attn.forward(x, 5, 5, Tensor(), {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(10, 12)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(25, 12)"), std::string::npos) << e.what();
  }
}

}  // namespace lowbit::nn

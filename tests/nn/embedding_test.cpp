// Embedding: the gather is word + position + token type, its scatter-add backward matches finite
// differences, touches only rows in use, and gives the same bits at any thread count.
#include "lowbit/nn/embedding.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor ids_from(const Shape& shape, std::vector<int32_t> v) {
  return Tensor::from_vector<int32_t>(shape, v);
}

Tensor random_ids(int64_t b, int64_t t, int64_t limit, uint64_t seed) {
  Rng r(seed);
  std::vector<int32_t> v(static_cast<size_t>(b * t));
  for (auto& e : v) e = static_cast<int32_t>(r.below(static_cast<uint64_t>(limit)));
  return ids_from({b, t}, v);
}

TEST(Embedding, ForwardSumsTheThreeRows) {
  Rng rng(1);
  Embedding emb("emb", 11, 6, 3, 5, rng, DType::f64);
  Tensor ids = ids_from({2, 4}, {3, 0, 10, 3, 7, 7, 1, 2});
  Tensor seg = ids_from({2, 4}, {0, 0, 1, 2, 2, 1, 0, 0});
  auto out = emb.forward(ids, seg).to_vector();
  auto w = emb.word.value.to_vector(), p = emb.position.value.to_vector();
  auto s = emb.token_type.value.to_vector();
  ASSERT_EQ(out.size(), 8u * 5u);
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t j = 0; j < 5; ++j) {
      int32_t id = ids.data<int32_t>()[r], sg = seg.data<int32_t>()[r];
      EXPECT_EQ(out[r * 5 + j], w[id * 5 + j] + p[(r % 4) * 5 + j] + s[sg * 5 + j]);
    }
  // No segments means all zeros.
  Tensor zeros = Tensor::zeros({2, 4}, DType::i32);
  EXPECT_EQ(emb.forward(ids, Tensor()).to_vector(), emb.forward(ids, zeros).to_vector());
}

void check_grads(int64_t b, int64_t t, int64_t c, bool with_segments, bool stable = false) {
  SCOPED_TRACE(::testing::Message() << "B=" << b << " T=" << t << " C=" << c << " stable=" << stable);
  Rng rng(3);
  EmbeddingOptions options;
  options.stable = stable;
  Embedding emb("emb", 13, 9, 3, c, rng, DType::f64, options);
  Tensor ids = random_ids(b, t, 13, 4);  // repeated ids: rows sum several tokens
  Tensor seg = with_segments ? random_ids(b, t, 3, 5) : Tensor();
  Tensor w = Tensor::empty({b * t, c}, DType::f64);
  Rng(6).fill_normal(w, 0, 1);
  auto loss = [&] { return testing::dot(emb.forward(ids, seg), w); };
  emb.zero_grad();
  emb.forward(ids, seg);
  emb.backward(w);
  testing::expect_grad_close("dword", emb.word.value, emb.word.grad.clone(), loss, 256);
  testing::expect_grad_close("dposition", emb.position.value, emb.position.grad.clone(), loss, 256);
  testing::expect_grad_close("dtoken_type", emb.token_type.value, emb.token_type.grad.clone(), loss,
                             256);
  for (Param* p : emb.params())
    if (p->name.find("word_ln") != std::string::npos)
      testing::expect_grad_close(p->name, p->value, p->grad.clone(), loss, 64);
  // Rows no token uses get exactly nothing.
  std::vector<bool> used(13, false);
  for (int64_t i = 0; i < ids.numel(); ++i) used[ids.data<int32_t>()[i]] = true;
  auto g = emb.word.grad.to_vector();
  for (int64_t v = 0; v < 13; ++v) {
    if (used[v]) continue;
    for (int64_t j = 0; j < c; ++j) EXPECT_EQ(g[v * c + j], 0.0) << "unused row " << v;
  }
  auto gp = emb.position.grad.to_vector();
  for (int64_t pos = t; pos < 9; ++pos)
    for (int64_t j = 0; j < c; ++j) EXPECT_EQ(gp[pos * c + j], 0.0) << "unused position " << pos;
}

TEST(Embedding, BackwardMatchesFiniteDifferences) {
  check_grads(1, 1, 5, true);
  check_grads(3, 7, 17, true);
  check_grads(2, 9, 5, false);
  check_grads(5, 3, 33, true);
  check_grads(3, 7, 17, true, true);
  check_grads(2, 9, 5, false, true);
}

TEST(Embedding, StableEmbeddingInitNormAndState) {
  Rng rng(2);
  EmbeddingOptions options;
  options.stable = true;
  Embedding emb("embeddings", 1000, 64, 2, 64, rng, DType::f32, options);
  std::vector<std::string> names;
  for (Param* p : emb.params()) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"embeddings.word", "embeddings.word_ln.gamma",
                                             "embeddings.word_ln.beta", "embeddings.position",
                                             "embeddings.token_type"}));
  for (Param* p : emb.params())
    EXPECT_EQ(p->state32, p->name.find("word") != std::string::npos) << p->name;
  // Xavier uniform: every value in [-a, a], a = sqrt(6 / (1000 + 64)); variance a^2 / 3.
  const double a = std::sqrt(6.0 / 1064.0);
  double sq = 0;
  for (double v : emb.word.value.to_vector()) {
    ASSERT_LE(std::fabs(v), a);
    sq += v * v;
  }
  EXPECT_NEAR(sq / emb.word.value.numel(), a * a / 3, 0.03 * a * a / 3);
  // Each token row is normalized before position and type are added: with those rows zeroed,
  // every output row has mean 0 and variance var/(var + eps) (gamma 1, beta 0), which is 0.995
  // for these rows (var ~ a^2/3 = 1.9e-3, eps 1e-5).
  emb.position.value.zero_();
  emb.token_type.value.zero_();
  Tensor ids = random_ids(2, 8, 1000, 9);
  auto out = emb.forward(ids, Tensor()).to_vector();
  for (int64_t r = 0; r < 16; ++r) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < 64; ++j) m += out[r * 64 + j] / 64;
    for (int64_t j = 0; j < 64; ++j) v += (out[r * 64 + j] - m) * (out[r * 64 + j] - m) / 64;
    EXPECT_NEAR(m, 0, 1e-5);
    EXPECT_NEAR(v, 1, 1e-2);
  }
}

TEST(Embedding, BackwardAccumulates) {
  Rng rng(1);
  Embedding emb("emb", 7, 4, 2, 5, rng, DType::f64);
  Tensor ids = ids_from({1, 3}, {1, 4, 6}), dy = Tensor::empty({3, 5}, DType::f64);
  Rng(2).fill_normal(dy, 0, 1);
  emb.forward(ids, Tensor());
  emb.backward(dy);
  auto g1 = emb.word.grad.to_vector();
  emb.backward(dy);
  auto g2 = emb.word.grad.to_vector();
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_EQ(g2[i], 2 * g1[i]);  // one token per row: exact
}

// The reference: one token after another, in order.
void naive_scatter(const Tensor& ids, const Tensor& seg, const Tensor& dy, Tensor& gw, Tensor& gp,
                   Tensor& gt) {
  const int64_t n = ids.numel(), t = ids.dim(1), c = dy.dim(1);
  const float* d = dy.data<float>();
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < c; ++j) {
      gw.data<float>()[ids.data<int32_t>()[r] * c + j] += d[r * c + j];
      gp.data<float>()[(r % t) * c + j] += d[r * c + j];
      gt.data<float>()[seg.data<int32_t>()[r] * c + j] += d[r * c + j];
    }
}

TEST(Embedding, BackwardBitsDoNotDependOnThreadCount) {
  // C = 100 spans four column chunks of 32 (the last ragged); 512 tokens over a vocabulary of
  // 50 make every row a long sum, where any change of order would show in f32.
  const int64_t b = 8, t = 64, c = 100, vocab = 50;
  Tensor ids = random_ids(b, t, vocab, 1), seg = random_ids(b, t, 2, 2);
  Tensor dy = Tensor::empty({b * t, c});
  Rng(3).fill_normal(dy, 0, 1);
  int saved = num_threads();
  std::vector<std::vector<double>> grads;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Rng rng(4);
    Embedding emb("emb", vocab, t, 2, c, rng, DType::f32);
    emb.forward(ids, seg);
    emb.backward(dy);
    for (Param* p : emb.params()) grads.push_back(p->grad.to_vector());
  }
  set_num_threads(saved);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(grads[i], grads[i + 3]) << "table " << i;
  Tensor gw = Tensor::zeros({vocab, c}), gp = Tensor::zeros({t, c}), gt = Tensor::zeros({2, c});
  naive_scatter(ids, seg, dy, gw, gp, gt);
  EXPECT_EQ(grads[0], gw.to_vector());
  EXPECT_EQ(grads[1], gp.to_vector());
  EXPECT_EQ(grads[2], gt.to_vector());
}

TEST(Embedding, ParametersAndInit) {
  Rng rng(42);
  Embedding emb("embeddings", 1000, 64, 2, 64, rng, DType::f32);
  auto ps = emb.params();
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0]->name, "embeddings.word");
  EXPECT_EQ(ps[0]->value.shape(), (Shape{1000, 64}));
  EXPECT_EQ(ps[1]->name, "embeddings.position");
  EXPECT_EQ(ps[1]->value.shape(), (Shape{64, 64}));
  EXPECT_EQ(ps[2]->name, "embeddings.token_type");
  EXPECT_EQ(ps[2]->value.shape(), (Shape{2, 64}));
  for (Param* p : ps) EXPECT_FALSE(p->decay) << p->name;
  // N(0, 0.02) over 64000 draws: 5-sigma bounds on the sample mean and sd (see linear_test).
  auto v = emb.word.value.to_vector();
  double n = static_cast<double>(v.size()), s = 0, s2 = 0;
  for (double e : v) s += e, s2 += e * e;
  double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 5 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(sd, 0.02, 5 * 0.02 / std::sqrt(2 * n));
  // Each table has its own stream: the first rows differ.
  EXPECT_NE(emb.word.value.rows(0, 1).to_vector(), emb.position.value.rows(0, 1).to_vector());
  Rng rng2(42);
  Embedding again("embeddings", 1000, 64, 2, 64, rng2, DType::f32);
  EXPECT_EQ(again.word.value.to_vector(), v);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Embedding, BadInputsThrow) {
  Rng rng(1);
  Embedding emb("emb", 10, 4, 2, 3, rng, DType::f32);
  EXPECT_EQ(message_of([&] {
              emb.backward(Tensor::zeros({2, 3}));
            }),
            "[embedding emb] backward called before forward");
  std::string big = message_of([&] { emb.forward(ids_from({1, 3}, {1, 10, 2}), Tensor()); });
  EXPECT_NE(big.find("token id 10 at (0, 1)"), std::string::npos) << big;
  EXPECT_NE(big.find("10 rows"), std::string::npos) << big;
  EXPECT_THROW(emb.forward(ids_from({1, 2}, {-1, 0}), Tensor()), Error);
  std::string seg = message_of([&] {
    emb.forward(ids_from({1, 2}, {1, 2}), ids_from({1, 2}, {0, 2}));
  });
  EXPECT_NE(seg.find("segment 2 at (0, 1)"), std::string::npos) << seg;
  std::string len = message_of([&] { emb.forward(Tensor::zeros({1, 5}, DType::i32), Tensor()); });
  EXPECT_NE(len.find("sequence length 5"), std::string::npos) << len;
  EXPECT_THROW(emb.forward(Tensor::zeros({1, 2}), Tensor()), Error);           // f32 ids
  EXPECT_THROW(emb.forward(Tensor::zeros({2}, DType::i32), Tensor()), Error);  // 1-D ids
  EXPECT_THROW(emb.forward(Tensor::zeros({1, 2}, DType::i32), Tensor::zeros({1, 3}, DType::i32)),
               Error);  // segments shape
  emb.forward(Tensor::zeros({2, 3}, DType::i32), Tensor());
  EXPECT_THROW(emb.backward(Tensor::zeros({5, 3})), Error);
  EXPECT_THROW(emb.backward(Tensor::zeros({6, 4})), Error);
  EXPECT_THROW(emb.backward(Tensor::zeros({6, 3}, DType::f64)), Error);
  EXPECT_THROW(Embedding("bad", 0, 4, 2, 3, rng, DType::f32), Error);
}

}  // namespace
}  // namespace lowbit::nn

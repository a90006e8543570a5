// Integer embedding: the look-up is the sum of the tables' dynamic fixed-point values (bit for
// bit against an exact double sum), the backward scatter-adds dy's codes (bit for bit against a
// token-by-token int64 reference), at any thread count, seeded by step, with edge sizes.
#include <gtest/gtest.h>

#include <cstring>

#include "lowbit/core/parallel.h"
#include "lowbit/nn/embedding.h"
#include "lowbit/nn/int_numerics.h"
#include "lowbit/quant/uniform.h"

namespace lowbit::nn {
namespace {

Tensor random_ids(int64_t b, int64_t t, int64_t limit, uint64_t seed) {
  Rng r(seed);
  std::vector<int32_t> v(static_cast<size_t>(b * t));
  for (auto& e : v) e = static_cast<int32_t>(r.below(static_cast<uint64_t>(limit)));
  return Tensor::from_vector<int32_t>({b, t}, v);
}

Tensor randn(const Shape& shape, uint64_t seed, double sd) {
  Tensor t = Tensor::empty(shape);
  Rng(seed).fill_normal(t, 0, sd);
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

IntLayerPolicy int_policy(IntNumericsConfig cfg) {
  return [cfg](const std::string&, LayerKind kind) {
    return kind == LayerKind::embedding ? std::optional<IntNumericsConfig>(cfg) : std::nullopt;
  };
}

constexpr int64_t kVocab = 23, kPositions = 12, kTypes = 3;

std::unique_ptr<Embedding> make(int64_t c, const IntNumericsConfig& cfg) {
  Rng rng(5);
  auto e = std::make_unique<Embedding>("emb", kVocab, kPositions, kTypes, c, rng, DType::f32);
  e->position.value.copy_from(randn({kPositions, c}, 8, 0.3));  // scales 2^k apart from word's
  e->set_int_layer_policy(int_policy(cfg));
  return e;
}

// type_scale multiplies the token-type table: 0 makes it all zero (scale 0, left out of the
// alignment), 2^-20 puts its scale so far below the others' that 16-bit sums need int64.
void check_against_reference(const IntNumericsConfig& cfg, int64_t b, int64_t t, int64_t c,
                             double type_scale = 1.0) {
  SCOPED_TRACE(::testing::Message()
               << "w" << cfg.weight_bits << " dy" << cfg.grad_bits << " B=" << b << " T=" << t
               << " C=" << c << " type scale " << type_scale);
  auto emb = make(c, cfg);
  float* type = emb->token_type.value.data<float>();
  for (int64_t i = 0; i < emb->token_type.value.numel(); ++i)
    type[i] = static_cast<float>(type[i] * type_scale);
  ASSERT_TRUE(emb->is_integer());
  Tensor ids = random_ids(b, t, kVocab, 1), seg = random_ids(b, t, kTypes, 2);
  Tensor dy = randn({b * t, c}, 3, 1e-2);
  std::vector<Tensor> g0;
  for (Param* p : emb->params()) {
    p->grad.copy_from(randn(p->grad.shape(), 9, 1.0));  // backward accumulates
    g0.push_back(p->grad.clone());
  }
  const Tensor out = emb->forward(ids, seg, ForwardContext{true, 41});
  emb->backward(dy);

  // Forward: each table rounded to nearest; the exact sum of the three values in double,
  // rounded once to f32, is what the int64 sum of the aligned codes gives.
  const Param* tables[3] = {&emb->word, &emb->position, &emb->token_type};
  std::vector<double> codes[3], scale(3);
  for (int i = 0; i < 3; ++i) {
    QTensor q = quantize(tables[i]->value, IntGemmNumerics::format(cfg.weight_bits, false));
    codes[i] = qtensor_int_codes(q).to_vector();
    scale[i] = tensor_scale(q);
  }
  const int32_t* pi = ids.data<int32_t>();
  const int32_t* ps = seg.data<int32_t>();
  for (int64_t r = 0; r < b * t; ++r)
    for (int64_t j = 0; j < c; ++j) {
      const double v = codes[0][pi[r] * c + j] * scale[0] + codes[1][(r % t) * c + j] * scale[1] +
                       codes[2][ps[r] * c + j] * scale[2];
      ASSERT_EQ(out.data<float>()[r * c + j], static_cast<float>(v)) << "row " << r << " col " << j;
    }

  // Backward: dy's codes (stream operand 2 of this layer and step), token by token in int64.
  const QTensor dq = quantize(dy, IntGemmNumerics::format(cfg.grad_bits, true), cfg.seed,
                              IntGemmNumerics::stream("emb", 41, 2));
  const std::vector<double> e = qtensor_int_codes(dq).to_vector();
  const float sd = tensor_scale(dq);
  std::vector<std::vector<int64_t>> acc = {std::vector<int64_t>(kVocab * c, 0),
                                           std::vector<int64_t>(kPositions * c, 0),
                                           std::vector<int64_t>(kTypes * c, 0)};
  for (int64_t r = 0; r < b * t; ++r)
    for (int64_t j = 0; j < c; ++j) {
      const auto code = static_cast<int64_t>(e[r * c + j]);
      acc[0][pi[r] * c + j] += code;
      acc[1][(r % t) * c + j] += code;
      acc[2][ps[r] * c + j] += code;
    }
  for (int i = 0; i < 3; ++i)
    for (int64_t k = 0; k < tables[i]->grad.numel(); ++k)
      ASSERT_EQ(tables[i]->grad.data<float>()[k],
                g0[i].data<float>()[k] + static_cast<float>(acc[i][k]) * sd)
          << tables[i]->name << " element " << k;
}

TEST(IntEmbedding, MatchesExactReference) {
  for (int bits : {8, 12, 16}) check_against_reference({bits, 8, bits, 17}, 3, 7, 17);
  check_against_reference({8, 8, 8, 2}, 8, 12, 100);  // four column chunks, the last ragged
  check_against_reference({4, 8, 4, 2}, 1, 1, 1);
  check_against_reference({8, 8, 8, 2}, 2, 5, 9, 0.0);
  check_against_reference({16, 8, 16, 2}, 2, 5, 9, 0x1p-20);  // int64 sums
  check_against_reference({8, 8, 8, 2}, 2, 5, 9, 0x1p-12);    // int32 sums, shifts of ~16
}

// The codes are the tables rounded to nearest, so evaluation and training forwards agree.
TEST(IntEmbedding, EvalSeesTheTrainingCodes) {
  auto emb = make(9, {8, 8, 8, 1});
  Tensor ids = random_ids(2, 5, kVocab, 3);
  Tensor train = emb->forward(ids, Tensor(), ForwardContext{true, 7});
  EXPECT_TRUE(same_bits(train, emb->forward(ids, Tensor(), ForwardContext{false, 0})));
}

TEST(IntEmbedding, SeededRoundingAndThreadCount) {
  const int64_t b = 8, t = 12, c = 100;
  Tensor ids = random_ids(b, t, kVocab, 1), seg = random_ids(b, t, kTypes, 2);
  Tensor dy = randn({b * t, c}, 3, 1.0);
  const int saved = num_threads();
  auto grads = [&](int threads, uint64_t step) {
    set_num_threads(threads);
    auto emb = make(c, {8, 8, 8, 4});
    emb->forward(ids, seg, ForwardContext{true, step});
    emb->backward(dy);
    std::vector<Tensor> g;
    for (Param* p : emb->params()) g.push_back(p->grad.clone());
    return g;
  };
  auto one = grads(1, 5), two = grads(2, 5), later = grads(2, 6);
  set_num_threads(saved);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(same_bits(one[i], two[i])) << "table " << i << ": 1 vs 2 threads";
    EXPECT_FALSE(same_bits(one[i], later[i])) << "table " << i << ": another step's dy codes";
  }
}

TEST(IntEmbedding, EdgesAndVariants) {
  auto emb = make(5, {8, 8, 8, 1});
  EXPECT_EQ(emb->forward(Tensor::zeros({0, 3}, DType::i32), Tensor(), {}).shape(), (Shape{0, 5}));
  emb->backward(Tensor::zeros({0, 5}));
  for (Param* p : emb->params())
    EXPECT_EQ(p->grad.to_vector(), std::vector<double>(p->grad.numel(), 0.0));
  emb->set_int_layer_policy(
      [](const std::string&, LayerKind) { return std::optional<IntNumericsConfig>(); });
  EXPECT_FALSE(emb->is_integer());
  Rng rng(1);
  EmbeddingOptions stable;
  stable.stable = true;
  Embedding s("emb", kVocab, kPositions, kTypes, 5, rng, DType::f32, stable);
  EXPECT_THROW(s.set_int_layer_policy(int_policy({8, 8, 8, 1})), Error);
  Embedding f64("emb", kVocab, kPositions, kTypes, 5, rng, DType::f64);
  EXPECT_THROW(f64.set_int_layer_policy(int_policy({8, 8, 8, 1})), Error);
  Embedding bad("emb", kVocab, kPositions, kTypes, 5, rng, DType::f32);
  EXPECT_THROW(bad.set_int_layer_policy(int_policy({8, 8, 1, 1})), Error);
}

}  // namespace
}  // namespace lowbit::nn

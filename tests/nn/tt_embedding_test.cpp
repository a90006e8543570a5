// TtEmbedding: rows equal the materialized table's, core gradients vs central finite differences
// in double, thread-count independent bits, TT-SVD init, padding and errors naming layer and id.
#include "lowbit/nn/tt_embedding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "lowbit/core/parallel.h"
#include "support/finite_diff.h"

namespace lowbit::nn {
namespace {

Tensor ids_of(const std::vector<int32_t>& v, const Shape& shape) {
  return Tensor::from_vector(shape, v);
}

TtEmbedding make(DType dtype) {
  // vocab 50 in row modes (4, 4, 4) = 64 (14 padding rows), C = 30 = (3, 5, 2), ranks 3.
  Rng rng(1);
  TtEmbedding e("emb", 50, 30, TtShape{{3, 5, 2}, {}, {}, 3}, rng, dtype);
  for (size_t k = 0; k < e.cores.size(); ++k) Rng(20 + k).fill_normal(e.cores[k].value, 0, 1);
  return e;
}

const std::vector<int32_t> kIds = {0, 49, 7, 7, 13, 0, 48, 16, 1, 31, 7, 2};

TEST(TtEmbedding, RowsMatchMaterializedTable) {
  TtEmbedding e = make(DType::f64);
  EXPECT_EQ(e.layout().out_modes, (std::vector<int64_t>{4, 4, 4}));
  Tensor table = e.materialize();
  ASSERT_EQ(table.shape(), (Shape{50, 30}));
  auto t = table.to_vector();
  Tensor y = e.forward(ids_of(kIds, {3, 4}));
  ASSERT_EQ(y.shape(), (Shape{12, 30}));
  auto yv = y.to_vector();
  for (size_t n = 0; n < kIds.size(); ++n)
    for (int64_t j = 0; j < 30; ++j)
      ASSERT_NEAR(yv[n * 30 + j], t[kIds[n] * 30 + j], 1e-12) << "id " << kIds[n] << " col " << j;
  // f32 agrees with f64 to a few ulps of the row scale (d = 3 short products).
  TtEmbedding e32 = make(DType::f32);
  for (size_t k = 0; k < e.cores.size(); ++k) e32.cores[k].value.copy_from(e.cores[k].value.to(DType::f32));
  auto y32 = e32.forward(ids_of(kIds, {12})).to_vector();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_NEAR(y32[i], yv[i], 1e-5 * (1 + std::fabs(yv[i])));
}

TEST(TtEmbedding, CoreGradientsMatchFiniteDifferences) {
  TtEmbedding e = make(DType::f64);
  Tensor ids = ids_of(kIds, {12});
  Tensor w = Tensor::empty({12, 30}, DType::f64);
  Rng(5).fill_normal(w, 0, 1);
  auto loss = [&] { return testing::dot(e.forward(ids), w); };
  e.zero_grad();
  e.forward(ids);
  e.backward(w);
  for (size_t k = 0; k < e.cores.size(); ++k)
    testing::expect_grad_close("dcore" + std::to_string(k), e.cores[k].value, e.cores[k].grad.clone(),
                               loss, 200);
  // Embedding cores are not decayed, like the dense tables.
  for (Param* p : e.params()) EXPECT_FALSE(p->decay);
  EXPECT_EQ(e.params()[2]->name, "emb.core2");
}

TEST(TtEmbedding, GradientBitsDoNotDependOnThreadCount) {
  const int64_t n = 2000, vocab = 30522, c = 384;
  std::vector<int32_t> v(n);
  Rng r(3);
  for (auto& x : v) x = static_cast<int32_t>(r.below(vocab));
  Tensor ids = ids_of(v, {n});
  Tensor dy = Tensor::empty({n, c});
  Rng(4).fill_normal(dy, 0, 1);
  int saved = num_threads();
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Rng rng(5);
    TtEmbedding e("emb", vocab, c, TtShape{{}, {}, {}, 16, 3}, rng, DType::f32);
    results.push_back(e.forward(ids).to_vector());
    e.backward(dy);
    for (Param* p : e.params()) results.push_back(p->grad.to_vector());
  }
  set_num_threads(saved);
  const size_t half = results.size() / 2;
  for (size_t i = 0; i < half; ++i) EXPECT_EQ(results[i], results[i + half]) << "result " << i;
}

TEST(TtEmbedding, FromDenseReproducesAtFullRank) {
  Tensor table = Tensor::empty({50, 30}, DType::f64);
  Rng(7).fill_normal(table, 0, 1);
  TtEmbedding e = tt_embedding_from_dense("emb", table, TtShape{{3, 5, 2}, {}, {}, 1000});
  auto t = table.to_vector(), back = e.materialize().to_vector();
  for (size_t i = 0; i < t.size(); ++i) ASSERT_NEAR(back[i], t[i], 1e-10) << i;
  auto y = e.forward(ids_of({49, 3}, {2})).to_vector();
  for (int64_t j = 0; j < 30; ++j) EXPECT_NEAR(y[j], t[49 * 30 + j], 1e-10);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TtEmbedding, BadInputsThrowNamingLayerAndId) {
  TtEmbedding e = make(DType::f32);
  EXPECT_EQ(message_of([&] { e.backward(Tensor::zeros({2, 30})); }),
            "[tt_embedding emb] backward called before forward");
  EXPECT_EQ(message_of([&] { e.forward(ids_of({3, 50}, {2})); }),
            "[tt_embedding emb] token id 50 at index 1 is out of range for a table of 50 rows; "
            "does the tokenizer match the model?");
  EXPECT_THROW(e.forward(ids_of({-1}, {1})), Error);
  EXPECT_THROW(e.forward(Tensor::zeros({2})), Error);  // f32 ids
  e.forward(ids_of({3, 4}, {2}));
  EXPECT_EQ(message_of([&] { e.backward(Tensor::zeros({2, 31})); }),
            "[tt_embedding emb] dy is (2, 31), expected (2, 30)");
  Rng rng(1);
  EXPECT_EQ(message_of([&] { TtEmbedding("w", 100, 30, TtShape{{3, 5, 2}, {4, 4, 4}, {}, 3}, rng, DType::f32); }),
            "[tt_embedding w] out modes (4, 4, 4) multiply to 64, fewer than the 100 rows");
  // An empty batch is fine.
  Tensor y = e.forward(ids_of({}, {0}));
  EXPECT_EQ(y.shape(), (Shape{0, 30}));
  e.backward(Tensor::zeros({0, 30}));
}

}  // namespace
}  // namespace lowbit::nn

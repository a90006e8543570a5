// Import and export of Hugging Face BERT folders on the tiny torch.save model of
// tests/hf/tiny_bert (make_hf_fixture.py): the rename table value for value, bad folders
// (shape vs config.json, missing or unknown tensors, unsupported config) naming the file, and
// export -> re-import giving back the same bits.
#include "lowbit/train/hf_bert_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "lowbit/models/bert.h"
#include "lowbit/train/hf_bert_export.h"
#include "lowbit/train/safetensors.h"

namespace lowbit {

namespace {
namespace fs = std::filesystem;
const std::string kTiny = std::string(LOWBIT_SOURCE_DIR) + "/tests/hf/tiny_bert";

template <class Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A copy of tiny_bert with config.json edited by fn.
std::string tiny_copy(const std::string& name, void (*edit)(nlohmann::json&)) {
  fs::path dir = fs::temp_directory_path() / ("lowbit_hf_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"pytorch_model.bin", "vocab.txt"})
    fs::copy_file(fs::path(kTiny) / f, dir / f);
  std::ifstream in(fs::path(kTiny) / "config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  edit(j);
  std::ofstream(dir / "config.json") << j.dump();
  return dir.string();
}

// Same names, shapes and values (compared as doubles: exact for f32), in any order.
void expect_same_bits(const std::vector<std::pair<std::string, Tensor>>& a,
                      const std::vector<std::pair<std::string, Tensor>>& b) {
  ASSERT_EQ(a.size(), b.size());
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [n, t] : b) by_name[n] = &t;
  for (const auto& [n, t] : a) {
    ASSERT_TRUE(by_name.count(n)) << n;
    ASSERT_EQ(t.shape(), by_name[n]->shape()) << n;
    ASSERT_EQ(t.to_vector(), by_name[n]->to_vector()) << n;
  }
}
}  // namespace

TEST(HfBertImport, TinyTorchSaveFolderMapsEveryTensor) {
  PretrainedBert p = pretrained_read(kTiny);
  EXPECT_EQ(p.config.layers, 2);
  EXPECT_EQ(p.weights_path, kTiny + "/pytorch_model.bin");
  std::ifstream in(kTiny + "/expected.json");
  nlohmann::json want = nlohmann::json::parse(in)["tensors"];
  ASSERT_EQ(p.weights.size(), want.size());  // 5 embedding + 16 per layer x 2 + 2 pooler
  for (const auto& [name, t] : p.weights) {
    ASSERT_TRUE(want.contains(name)) << name;
    ASSERT_EQ(t.shape(), want[name]["shape"].get<Shape>()) << name;
    auto v = t.to_vector();
    for (size_t i = 0; i < v.size(); ++i)
      ASSERT_EQ(v[i], want[name]["value"][i].get<double>()) << name << " " << i;
  }
  std::string notes;
  for (const auto& n : p.notes) notes += n + "\n";
  EXPECT_NE(notes.find("classifier.weight"), std::string::npos) << notes;
  EXPECT_NE(notes.find("cls.predictions.decoder.weight"), std::string::npos) << notes;
  EXPECT_NE(notes.find("bert.embeddings.position_ids"), std::string::npos) << notes;
}

TEST(HfBertImport, ShapeMismatchWithConfigNamesFileAndTensor) {
  std::string dir = tiny_copy("shape", [](nlohmann::json& j) { j["intermediate_size"] = 20; });
  std::string msg = error_of([&] { pretrained_read(dir); });
  EXPECT_NE(msg.find(dir + "/pytorch_model.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bert.encoder.layer.0.intermediate.dense.weight' is (16, 8)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("implies (20, 8)"), std::string::npos) << msg;
}

TEST(HfBertImport, MissingAndUnknownTensorsAreListedByName) {
  std::string more = tiny_copy("more", [](nlohmann::json& j) { j["num_hidden_layers"] = 3; });
  std::string msg = error_of([&] { pretrained_read(more); });
  EXPECT_NE(msg.find("16 tensor(s) of a 3-layer BERT encoder are missing"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("encoder.layer.2.attention.self.query.weight"), std::string::npos) << msg;
  std::string fewer = tiny_copy("fewer", [](nlohmann::json& j) { j["num_hidden_layers"] = 1; });
  msg = error_of([&] { pretrained_read(fewer); });
  EXPECT_NE(msg.find(fewer + "/pytorch_model.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not know: bert.encoder.layer.1."), std::string::npos) << msg;
}

TEST(HfBertImport, UnsupportedConfigIsRefusedByKey) {
  std::string act = tiny_copy("act", [](nlohmann::json& j) { j["hidden_act"] = "relu"; });
  std::string msg = error_of([&] { pretrained_read(act); });
  EXPECT_NE(msg.find(act + "/config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hidden_act is 'relu'"), std::string::npos) << msg;
  std::string pos =
      tiny_copy("pos", [](nlohmann::json& j) { j["position_embedding_type"] = "relative_key"; });
  EXPECT_NE(error_of([&] { pretrained_read(pos); }).find("position_embedding_type"),
            std::string::npos);
  std::string gone = tiny_copy("gone", [](nlohmann::json& j) { j.erase("hidden_size"); });
  EXPECT_NE(error_of([&] { pretrained_read(gone); }).find("has no 'hidden_size'"),
            std::string::npos);
}

TEST(HfBertImport, ImportFolderReadsBackBitExact) {
  PretrainedBert p = pretrained_read(kTiny);
  std::string out = (fs::temp_directory_path() / "lowbit_hf_imported").string();
  fs::remove_all(out);
  pretrained_write(p, out);
  PretrainedBert q = pretrained_read(out);
  EXPECT_EQ(q.weights_path, out + "/model.safetensors");
  EXPECT_TRUE(q.notes.empty());
  expect_same_bits(p.weights, q.weights);
}

TEST(HfBertExport, ClassifierExportUsesHfNamesAndReimportsBitExact) {
  PretrainedBert p = pretrained_read(kTiny);
  models::BertConfig cfg;
  cfg.layers = p.config.layers, cfg.hidden = p.config.hidden, cfg.heads = p.config.heads;
  cfg.ffn = p.config.ffn, cfg.vocab = p.config.vocab, cfg.max_positions = p.config.max_positions;
  cfg.type_vocab = p.config.type_vocab, cfg.classes = 3;
  models::BertClassifier model(cfg, 5);
  std::vector<std::string> fresh = pretrained_apply(p, model.params());
  EXPECT_EQ(fresh, (std::vector<std::string>{"classifier.bias", "classifier.weight"}));
  std::vector<std::pair<std::string, Tensor>> weights;
  for (nn::Param* q : model.params()) weights.emplace_back(q->name, q->value);
  std::string out = (fs::temp_directory_path() / "lowbit_hf_exported").string();
  fs::remove_all(out);
  hf_export_write(weights, p.config, {"noun", "verb", "adj"}, p.vocab_path, out);

  SafetensorsFile f = safetensors_read(out + "/model.safetensors");
  EXPECT_EQ(f.metadata.at("format"), "pt");  // transformers refuses a file without it
  EXPECT_TRUE(f.has("bert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(f.has("bert.encoder.layer.1.output.LayerNorm.weight"));
  EXPECT_TRUE(f.has("bert.pooler.dense.bias"));
  std::ifstream in(out + "/config.json");
  nlohmann::json cfg_json = nlohmann::json::parse(in);
  EXPECT_EQ(cfg_json["architectures"][0], "BertForSequenceClassification");
  EXPECT_EQ(cfg_json["id2label"]["1"], "verb");
  EXPECT_EQ(cfg_json["label2id"]["adj"], 2);
  EXPECT_EQ(cfg_json["intermediate_size"], 16);

  PretrainedBert back = pretrained_read(out);  // the HF path: "bert." prefix, head skipped
  std::vector<std::pair<std::string, Tensor>> encoder;
  for (const auto& [n, t] : weights)
    if (n.rfind("classifier.", 0) != 0) encoder.emplace_back(n, t);
  expect_same_bits(encoder, back.weights);
  for (const char* head : {"classifier.weight", "classifier.bias"}) {
    const Tensor* mine = nullptr;
    for (const auto& [n, t] : weights)
      if (n == head) mine = &t;
    ASSERT_NE(mine, nullptr);
    EXPECT_EQ(f.get(head).to_vector(), mine->to_vector()) << head;
  }
}

}  // namespace lowbit

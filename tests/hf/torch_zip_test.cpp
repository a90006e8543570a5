// The pytorch_model.bin reader against files torch.save wrote (tests/hf/make_hf_fixture.py):
// every value bit for bit, views and shared storages, f16/bf16 widening, and bad archives
// (truncated, corrupt, a pickle that calls os.system, an opcode no state dict uses) refused
// with a lowbit::Error naming the file.
#include "lowbit/train/torch_zip.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lowbit/train/zip_reader.h"

namespace lowbit {

namespace {
const std::string kDir = std::string(LOWBIT_SOURCE_DIR) + "/tests/hf";
const std::string kTinyBin = kDir + "/tiny_bert/pytorch_model.bin";

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

std::string write_temp(const std::string& name, const std::vector<char>& bytes) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("lowbit_torch_zip_" + name)).string();
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// The error message of fn(), or "" when it does not throw lowbit::Error.
template <class Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const Tensor& find(const std::vector<std::pair<std::string, Tensor>>& sd, const std::string& name) {
  for (const auto& [n, t] : sd)
    if (n == name) return t;
  ADD_FAILURE() << "state dict has no " << name;
  static Tensor none;
  return none;
}
}  // namespace

TEST(TorchZip, ReadsEveryTensorOfATorchSaveFileExactly) {
  auto sd = torch_load_state_dict(kTinyBin);
  ASSERT_EQ(sd.size(), 43u);
  std::ifstream in(kDir + "/tiny_bert/expected.json");
  nlohmann::json want = nlohmann::json::parse(in)["tensors"];
  // HF names of a few expected.json rows (lowbit names there): offsets, strides, f16, bf16, legacy.
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"bert.embeddings.word_embeddings.weight", "embeddings.word"},         // offset view
      {"bert.pooler.dense.weight", "pooler.weight"},                         // strides (1, C)
      {"bert.pooler.dense.bias", "pooler.bias"},                             // f16
      {"bert.encoder.layer.1.output.dense.bias", "encoder.1.ffn.fc2.bias"},  // bf16
      {"bert.embeddings.LayerNorm.gamma", "embeddings.ln.gamma"},            // legacy name
      {"bert.encoder.layer.1.intermediate.dense.weight", "encoder.1.ffn.fc1.weight"},
  };
  for (const auto& [hf, lb] : rows) {
    const Tensor& t = find(sd, hf);
    ASSERT_EQ(t.dtype(), DType::f32) << hf;
    ASSERT_EQ(t.shape(), want[lb]["shape"].get<Shape>()) << hf;
    auto got = t.to_vector();
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], want[lb]["value"][i].get<double>()) << hf << " element " << i;
  }
  // The tied decoder shares the word-embedding storage; it reads back the same values.
  EXPECT_EQ(find(sd, "cls.predictions.decoder.weight").to_vector(),
            find(sd, "bert.embeddings.word_embeddings.weight").to_vector());
  const Tensor& pos = find(sd, "bert.embeddings.position_ids");
  ASSERT_EQ(pos.dtype(), DType::i64);
  ASSERT_EQ(pos.shape(), (Shape{1, 16}));
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(pos.data<int64_t>()[i], i);
}

TEST(TorchZip, RefusesAPickleThatCallsAnythingElse) {
  std::string path = kDir + "/malformed/evil_global.bin";
  std::string msg = error_of([&] { torch_load_state_dict(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("posix.system"), std::string::npos)
      << msg;  // os.system pickles as posix.system
  EXPECT_NE(msg.find("never executes"), std::string::npos) << msg;
}

TEST(TorchZip, RefusesAnUnknownOpcodeByName) {
  std::string path = kDir + "/malformed/unknown_opcode.bin";
  std::string msg = error_of([&] { torch_load_state_dict(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("archive/data.pkl"), std::string::npos) << msg;
  EXPECT_NE(msg.find("opcode 0x70 ('p')"), std::string::npos) << msg;  // PUT, protocol 0
}

TEST(TorchZip, TruncatedArchiveIsAnErrorNamingTheFile) {
  std::vector<char> bytes = file_bytes(kTinyBin);
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t keep : {bytes.size() / 2, bytes.size() - 30, size_t{10}}) {
    std::string path =
        write_temp("truncated.bin", std::vector<char>(bytes.begin(), bytes.begin() + keep));
    std::string msg = error_of([&] { torch_load_state_dict(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << "kept " << keep << ": " << msg;
    EXPECT_NE(msg.find("truncated"), std::string::npos) << "kept " << keep << ": " << msg;
    std::remove(path.c_str());
  }
}

TEST(TorchZip, CorruptStorageFailsItsCrc) {
  std::vector<char> bytes = file_bytes(kTinyBin);
  ZipReader zip(kTinyBin);
  const ZipEntry* e = nullptr;
  for (const ZipEntry& x : zip.entries())
    if (x.name.find("/data/") != std::string::npos && x.size > 16) e = &x;
  ASSERT_NE(e, nullptr);
  std::vector<char> data = zip.read(*e);
  // Find the entry's bytes in the file and flip one bit in the middle.
  auto at = std::search(bytes.begin(), bytes.end(), data.begin(), data.end());
  ASSERT_NE(at, bytes.end());
  at[static_cast<std::ptrdiff_t>(data.size() / 2)] ^= 1;
  std::string path = write_temp("corrupt.bin", bytes);
  std::string msg = error_of([&] { torch_load_state_dict(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find(e->name), std::string::npos) << msg;
  EXPECT_NE(msg.find("CRC-32"), std::string::npos) << msg;
  std::remove(path.c_str());
}

TEST(TorchZip, NotAZipSaysWhatToDo) {
  std::string path = write_temp("text.bin", {'h', 'e', 'l', 'l', 'o'});
  std::string msg = error_of([&] { torch_load_state_dict(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  std::remove(path.c_str());
}

}  // namespace lowbit

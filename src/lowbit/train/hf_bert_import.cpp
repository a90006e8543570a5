// Import of pretrained BERT weights: pick the weights file, rename every tensor through the
// table in hf_bert_names.cpp, check its shape against config.json, and report what does not fit
// all at once (every unknown or missing name), so one run tells the whole story.
#include "lowbit/train/hf_bert_import.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "lowbit/data/pretrained_paths.h"
#include "lowbit/train/hf_bert_names.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/torch_zip.h"

namespace lowbit {

namespace fs = std::filesystem;

namespace {
constexpr const char* kFormat = "lowbit-pretrained-1";

std::string name_list(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < 12; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > 12) s += cat(" and ", names.size() - 12, " more");
  return s;
}

// Tensors of the weights file and whether their names are already lowbit's.
std::vector<std::pair<std::string, Tensor>> read_weights(const std::string& dir, std::string* path,
                                                         bool* lowbit_names) {
  fs::path st = fs::path(dir) / "model.safetensors", bin = fs::path(dir) / "pytorch_model.bin";
  *lowbit_names = false;
  if (fs::exists(st)) {
    *path = st.string();
    SafetensorsFile f = safetensors_read(*path);
    auto it = f.metadata.find("format");
    *lowbit_names = it != f.metadata.end() && it->second == kFormat;
    return std::move(f.tensors);
  }
  if (fs::exists(bin)) {
    *path = bin.string();
    return torch_load_state_dict(*path);
  }
  LB_CHECK(!fs::exists(fs::path(dir) / "model.safetensors.index.json"), dir,
           ": holds a sharded checkpoint (model.safetensors.index.json); lowbit reads one "
           "model.safetensors or pytorch_model.bin");
  LB_FAIL(dir,
          ": has neither model.safetensors nor pytorch_model.bin (a Hugging Face BERT folder "
          "holds config.json, vocab.txt and one of them)");
}
}  // namespace

std::string pretrained_resolve_dir(const std::string& dir_or_name) {
  std::error_code ec;
  if (fs::is_directory(dir_or_name, ec)) return dir_or_name;
  LB_CHECK(
      dir_or_name.find('/') == std::string::npos, "model.pretrained = '", dir_or_name,
      "': no such folder (expected a Hugging Face BERT folder or the output of `lowbit import`)");
  return find_pretrained_dir(dir_or_name);
}

PretrainedBert pretrained_read(const std::string& dir_or_name) {
  PretrainedBert p;
  p.dir = pretrained_resolve_dir(dir_or_name);
  p.config = hf_config_read((fs::path(p.dir) / "config.json").string());
  p.vocab_path = (fs::path(p.dir) / "vocab.txt").string();
  LB_CHECK(fs::exists(p.vocab_path), p.dir,
           ": has no vocab.txt (the WordPiece vocabulary the "
           "embeddings were trained with)");
  bool lowbit_names = false;
  auto tensors = read_weights(p.dir, &p.weights_path, &lowbit_names);
  const std::string& file = p.weights_path;
  const HfBertConfig& c = p.config;

  std::map<std::string, Tensor> found;        // lowbit name -> f32 tensor
  std::map<std::string, std::string> source;  // lowbit name -> name in the file
  std::vector<std::string> unknown, heads, buffers;
  for (auto& [name, t] : tensors) {
    std::string lb, hf;
    Shape want;
    bool known;
    if (lowbit_names) {
      lb = name;
      known = lowbit_name_to_hf(name, c, &hf, &want);
    } else {
      hf = hf_name_normalize(name);
      if (hf_name_is_buffer(hf)) {
        buffers.push_back(name);
        continue;
      }
      if (hf_name_is_head(hf)) {
        heads.push_back(name);
        continue;
      }
      known = hf_name_to_lowbit(hf, c, &lb, &want);
    }
    if (!known) {
      unknown.push_back(name);
      continue;
    }
    LB_CHECK(!found.count(lb), file, ": tensors '", source[lb], "' and '", name,
             "' both map to lowbit's '", lb, "'");
    LB_CHECK(t.shape() == want, file, ": tensor '", name, "' is ", t.shape_string(), ", but ",
             c.path, " (hidden_size ", c.hidden, ", intermediate_size ", c.ffn, ", vocab_size ",
             c.vocab, ", max_position_embeddings ", c.max_positions, ", type_vocab_size ",
             c.type_vocab, ") implies ", shape_str(want));
    LB_CHECK(dtype_info(t.dtype()).is_float, file, ": tensor '", name, "' has dtype ",
             dtype_name(t.dtype()), ", expected floating point");
    found[lb] = t.dtype() == DType::f32 ? t : t.to(DType::f32);
    source[lb] = name;
  }
  LB_CHECK(unknown.empty(), file, ": ", unknown.size(),
           " tensor(s) lowbit's BERT encoder does not know: ", name_list(unknown),
           " (names are mapped by src/lowbit/train/hf_bert_names.cpp; is ", c.path,
           "'s num_hidden_layers = ", c.layers, " right?)");
  std::vector<std::string> missing;
  for (const std::string& lb : hf_expected_lowbit_names(c)) {
    if (!found.count(lb)) {
      std::string hf;
      Shape s;
      lowbit_name_to_hf(lb, c, &hf, &s);
      missing.push_back(lowbit_names ? lb : hf);
      continue;
    }
    p.weights.emplace_back(lb, found[lb]);
  }
  LB_CHECK(missing.empty(), file, ": ", missing.size(), " tensor(s) of a ", c.layers,
           "-layer BERT encoder are missing: ", name_list(missing));
  if (!heads.empty())
    p.notes.push_back(cat("ignored ", heads.size(), " tensor(s) of another task's head (",
                          name_list(heads), "); lowbit's classification head starts fresh"));
  if (!buffers.empty()) p.notes.push_back(cat("ignored buffer(s) ", name_list(buffers)));
  return p;
}

void pretrained_write(const PretrainedBert& p, const std::string& out_dir) {
  fs::create_directories(out_dir);
  {
    std::ofstream cfg(fs::path(out_dir) / "config.json");
    LB_CHECK(cfg.good(), out_dir, "/config.json: cannot write");
    cfg << p.config.raw.dump(2) << "\n";
  }
  fs::path vocab = fs::path(out_dir) / "vocab.txt";
  std::error_code ec;
  if (!fs::exists(vocab) || !fs::equivalent(vocab, p.vocab_path, ec))
    fs::copy_file(p.vocab_path, vocab, fs::copy_options::overwrite_existing);
  std::map<std::string, std::string> meta{{"format", kFormat}, {"source", p.weights_path}};
  safetensors_write((fs::path(out_dir) / "model.safetensors").string(), p.weights, meta);
}

std::vector<std::string> pretrained_apply(const PretrainedBert& p,
                                          const std::vector<nn::Param*>& params) {
  std::map<std::string, nn::Param*> by_name;
  for (nn::Param* q : params) by_name[q->name] = q;
  for (const auto& [name, t] : p.weights) {
    auto it = by_name.find(name);
    LB_CHECK(it != by_name.end(), p.weights_path, ": the model has no parameter '", name,
             "' (is model.kind = bert?)");
    nn::Param* q = it->second;
    LB_CHECK(q->value.shape() == t.shape(), p.weights_path, ": '", name, "' is ", t.shape_string(),
             ", the model's parameter is ", q->value.shape_string(),
             " (the recipe's model.* keys must match ", p.config.path, ")");
    q->value.copy_from(q->value.dtype() == t.dtype() ? t : t.to(q->value.dtype()));
    by_name.erase(it);
  }
  std::vector<std::string> fresh;
  for (const auto& [name, q] : by_name) {
    LB_CHECK(name.rfind("classifier.", 0) == 0, "model.pretrained = ", p.dir,
             ": the model's parameter '", name,
             "' has no pretrained value (only the classification head may start fresh)");
    fresh.push_back(name);
  }
  return fresh;
}

}  // namespace lowbit

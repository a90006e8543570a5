// Export to a Hugging Face folder: the rename table run backwards, a config.json built from the
// recipe (or kept from the pretrained model's, so its other fields survive), the vocab copied.
#include "lowbit/train/hf_bert_export.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "lowbit/data/pretrained_paths.h"
#include "lowbit/train/hf_bert_import.h"
#include "lowbit/train/hf_bert_names.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/task_data.h"

namespace lowbit {

namespace fs = std::filesystem;

void hf_export_write(const std::vector<std::pair<std::string, Tensor>>& weights,
                     const HfBertConfig& c, const std::vector<std::string>& labels,
                     const std::string& vocab_path, const std::string& out_dir) {
  const bool classifier = !labels.empty();
  const std::string prefix = classifier ? "bert." : "";
  std::vector<std::pair<std::string, Tensor>> out;
  size_t head_tensors = 0;
  for (const auto& [name, t] : weights) {
    std::string hf;
    Shape want;
    if (name.rfind("classifier.", 0) == 0) {
      LB_CHECK(classifier, "[export] '", name,
               "' is a classification head, but no label names were given");
      want = name == "classifier.weight" ? Shape{static_cast<int64_t>(labels.size()), c.hidden}
                                         : Shape{static_cast<int64_t>(labels.size())};
      hf = name;
      ++head_tensors;
    } else {
      LB_CHECK(lowbit_name_to_hf(name, c, &hf, &want), "[export] '", name,
               "' has no Hugging Face BERT name (src/lowbit/train/hf_bert_names.cpp)");
      hf = prefix + hf;
    }
    LB_CHECK(t.shape() == want, "[export] '", name, "' is ", t.shape_string(),
             ", the config implies ", shape_str(want),
             (classifier ? cat(" (", labels.size(), " labels)") : std::string()));
    out.emplace_back(hf, t.dtype() == DType::f32 ? t : t.to(DType::f32));
  }
  LB_CHECK(!classifier || head_tensors == 2,
           "[export] a classifier export needs classifier.weight and "
           "classifier.bias; found ",
           head_tensors, " of them");
  LB_CHECK(out.size() == hf_expected_lowbit_names(c).size() + head_tensors, "[export] ", out.size(),
           " tensors for a ", c.layers, "-layer BERT, expected ",
           hf_expected_lowbit_names(c).size() + head_tensors);
  fs::create_directories(out_dir);
  std::string cfg_path = (fs::path(out_dir) / "config.json").string();
  std::ofstream cfg(cfg_path);
  LB_CHECK(cfg.good(), cfg_path, ": cannot write");
  cfg << hf_config_json(c, labels).dump(2) << "\n";
  cfg.close();
  fs::copy_file(vocab_path, fs::path(out_dir) / "vocab.txt", fs::copy_options::overwrite_existing);
  safetensors_write((fs::path(out_dir) / "model.safetensors").string(), out, {{"format", "pt"}});
}

void hf_export_checkpoint(const std::string& dir, const std::string& out_dir) {
  std::string model_path = (fs::path(dir) / "model.safetensors").string();
  LB_CHECK(fs::exists(model_path), dir,
           ": has no model.safetensors; pass a run's train.out_dir or a "
           "folder written by `lowbit import`");
  SafetensorsFile f = safetensors_read(model_path);
  auto fmt = f.metadata.find("format");
  std::string format = fmt == f.metadata.end() ? "" : fmt->second;
  if (format == "lowbit-pretrained-1") {
    PretrainedBert p = pretrained_read(dir);
    hf_export_write(p.weights, p.config, {}, p.vocab_path, out_dir);
    return;
  }
  LB_CHECK(format == "lowbit-checkpoint-1", model_path, ": metadata format is '", format,
           "', expected a lowbit training checkpoint or a `lowbit import` folder");
  Recipe r = checkpoint_recipe(dir);
  LB_CHECK(r.get_string("numerics.mode") != "qat", model_path, ": a numerics.mode = qat checkpoint; "
           "its weights compute the trained outputs only through the LSQ quantizers, which the "
           "Hugging Face format has no place for; use `lowbit export --format qat`");
  LB_CHECK(r.get_string("model.kind") == "bert", model_path, ": model.kind is ",
           r.get_string("model.kind"), "; only BERT models export to the Hugging Face format");
  HfBertConfig c;
  std::string vocab;
  std::string pretrained = r.get_string("model.pretrained");
  if (!pretrained.empty()) {  // keep the original config's other fields and its vocabulary
    std::string pdir = pretrained_resolve_dir(pretrained);
    c = hf_config_read((fs::path(pdir) / "config.json").string());
    vocab = (fs::path(pdir) / "vocab.txt").string();
  } else {
    std::string v = r.get_string("model.vocab");
    vocab = v == "default" ? find_default_vocab() : v;
  }
  c.layers = r.get_int("model.layers");
  c.hidden = r.get_int("model.hidden");
  c.heads = r.get_int("model.heads");
  c.ffn = r.get_int("model.ffn");
  c.max_positions = r.get_int("model.max_positions");
  c.type_vocab = r.get_int("model.type_vocab");
  c.vocab = f.get("embeddings.word").dim(0);
  c.hidden_dropout = r.get_float("model.dropout");
  c.attn_dropout = r.get_float("model.attn_dropout");
  // The label names: the task's loader gives them; one example each keeps this quick.
  r.set("data.max_train_examples=1");
  r.set("data.max_test_examples=1");
  std::unique_ptr<TaskData> data = make_task_data(r);
  hf_export_write(f.tensors, c, data->label_names(), vocab, out_dir);
}

}  // namespace lowbit

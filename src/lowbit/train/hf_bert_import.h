// Pretrained BERT weights for lowbit: a Hugging Face BERT-family folder (config.json, vocab.txt,
// model.safetensors or pytorch_model.bin) read, renamed to lowbit's names and shape-checked.
//
// `lowbit import` writes the result as a folder of the same shape: config.json and vocab.txt
// (copies) and model.safetensors with lowbit names and metadata format = "lowbit-pretrained-1",
// so either kind of folder can be named by model.pretrained or exported again.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lowbit/nn/module.h"
#include "lowbit/train/hf_bert_config.h"

namespace lowbit {

struct PretrainedBert {
  HfBertConfig config;
  std::string dir, weights_path, vocab_path;
  std::vector<std::pair<std::string, Tensor>> weights;  // lowbit names, f32, table order
  std::vector<std::string> notes;                       // what was skipped, for the user
};

// dir is a folder path, or a model name looked up where scripts/fetch_pretrained.sh installs
// models (e.g. "all-MiniLM-L6-v2"). Unknown, missing or mis-shaped tensors are errors naming
// the file and the tensors; classifier.* / cls.* heads and position_ids buffers are skipped.
PretrainedBert pretrained_read(const std::string& dir);

// Resolves a model.pretrained value to a folder (a path as given, else a fetched model's name).
std::string pretrained_resolve_dir(const std::string& dir_or_name);

// Writes the `lowbit import` folder: config.json, vocab.txt, model.safetensors (lowbit names).
void pretrained_write(const PretrainedBert& p, const std::string& out_dir);

// Copies every pretrained tensor into the parameter of the same name. Parameters it does not
// cover must be the new classification head (classifier.*); their names are returned.
std::vector<std::string> pretrained_apply(const PretrainedBert& p,
                                          const std::vector<nn::Param*>& params);

}  // namespace lowbit

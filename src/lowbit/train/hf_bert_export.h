// Export to Hugging Face: a folder transformers loads as BertModel (an imported encoder) or
// BertForSequenceClassification (a fine-tuned lowbit checkpoint), with the same outputs.
//
// Written: config.json (architecture, sizes, id2label/label2id from the task's label names),
// vocab.txt (a copy of the vocabulary the model was trained with) and model.safetensors
// (Hugging Face names: "bert."-prefixed encoder plus classifier.* for a classifier; metadata
// format = "pt", which transformers requires).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lowbit/core/tensor.h"
#include "lowbit/train/hf_bert_config.h"

namespace lowbit {

// weights carry lowbit names; labels empty = an encoder only (BertModel).
void hf_export_write(const std::vector<std::pair<std::string, Tensor>>& weights,
                     const HfBertConfig& c, const std::vector<std::string>& labels,
                     const std::string& vocab_path, const std::string& out_dir);

// `lowbit export --format hf`: dir is a training checkpoint (a run's train.out_dir) or a folder
// written by `lowbit import`.
void hf_export_checkpoint(const std::string& dir, const std::string& out_dir);

}  // namespace lowbit

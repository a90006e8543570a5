// The rename table between Hugging Face BERT parameter names and lowbit's, with each tensor's
// shape as dimension letters resolved against config.json. One table serves import and export.
//
// Letters: V vocab_size, P max_position_embeddings, S type_vocab_size, C hidden_size,
// F intermediate_size, K classes (export only). "{i}" is the layer index.
#pragma once

#include <string>
#include <vector>

#include "lowbit/core/tensor.h"
#include "lowbit/train/hf_bert_config.h"

namespace lowbit {

// HF name as found in a file -> the canonical BertModel name: strips "bert." and renames the
// legacy LayerNorm "gamma"/"beta" to "weight"/"bias".
std::string hf_name_normalize(const std::string& name);

// Canonical HF name -> lowbit name and its shape; false when the table has no such row.
bool hf_name_to_lowbit(const std::string& hf, const HfBertConfig& c, std::string* lowbit,
                       Shape* shape);
// lowbit name -> canonical HF (BertModel) name and its shape; false when unknown.
bool lowbit_name_to_hf(const std::string& lowbit, const HfBertConfig& c, std::string* hf,
                       Shape* shape);

// Every lowbit encoder + pooler parameter a config implies, in table order.
std::vector<std::string> hf_expected_lowbit_names(const HfBertConfig& c);

// Tensors a BertModel file may carry that are not weights (position_ids buffers).
bool hf_name_is_buffer(const std::string& hf);
// Heads of other BERT models (classifier.*, cls.*): skipped on import with a note.
bool hf_name_is_head(const std::string& hf);

}  // namespace lowbit

// A Hugging Face BERT-family config.json: read and checked against what lowbit's BERT computes
// (absolute positions, exact-erf GELU, post-LN), and written back for an exported model.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lowbit {

struct HfBertConfig {
  int64_t hidden = 0, layers = 0, heads = 0, ffn = 0;
  int64_t vocab = 0, max_positions = 0, type_vocab = 0;
  double ln_eps = 1e-12;
  double hidden_dropout = 0.1, attn_dropout = 0.1;
  nlohmann::json raw;  // the file as read: export keeps its other fields (pad_token_id, ...)
  std::string path;
};

// Reads and validates path; an error names the file, the key and what lowbit supports.
HfBertConfig hf_config_read(const std::string& path);

// config.json for an exported model. labels empty: a BertModel; otherwise a
// BertForSequenceClassification with id2label/label2id from them. Starts from c.raw when set.
nlohmann::json hf_config_json(const HfBertConfig& c, const std::vector<std::string>& labels);

}  // namespace lowbit

// config.json reader and writer. Only the keys that change the math are checked; the rest
// (dropout, initializer_range, ...) are kept verbatim so an export round-trips them.
#include "lowbit/train/hf_bert_config.h"

#include <fstream>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {
int64_t positive_int(const nlohmann::json& j, const std::string& path, const char* key) {
  LB_CHECK(j.contains(key), path, ": has no '", key, "' (a BERT config.json needs it)");
  LB_CHECK(j[key].is_number_integer() && j[key].get<int64_t>() > 0, path, ": '", key, "' is ",
           j[key].dump(), ", expected a positive integer");
  return j[key].get<int64_t>();
}

std::string string_or(const nlohmann::json& j, const std::string& path, const char* key,
                      const char* dflt) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  LB_CHECK(j[key].is_string(), path, ": '", key, "' is ", j[key].dump(), ", expected a string");
  return j[key].get<std::string>();
}

double number_or(const nlohmann::json& j, const std::string& path, const char* key, double dflt) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  LB_CHECK(j[key].is_number(), path, ": '", key, "' is ", j[key].dump(), ", expected a number");
  return j[key].get<double>();
}
}  // namespace

HfBertConfig hf_config_read(const std::string& path) {
  std::ifstream in(path);
  LB_CHECK(in.good(), path, ": cannot open (a Hugging Face model folder holds config.json)");
  HfBertConfig c;
  c.path = path;
  try {
    c.raw = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    LB_FAIL(path, ": not valid JSON (", e.what(), ")");
  }
  const nlohmann::json& j = c.raw;
  LB_CHECK(j.is_object(), path, ": the top level is not a JSON object");
  std::string type = string_or(j, path, "model_type", "bert");
  LB_CHECK(type == "bert", path, ": model_type is '", type,
           "'; lowbit imports the BERT architecture (model_type \"bert\") only");
  c.hidden = positive_int(j, path, "hidden_size");
  c.layers = positive_int(j, path, "num_hidden_layers");
  c.heads = positive_int(j, path, "num_attention_heads");
  c.ffn = positive_int(j, path, "intermediate_size");
  c.vocab = positive_int(j, path, "vocab_size");
  c.max_positions = positive_int(j, path, "max_position_embeddings");
  c.type_vocab = positive_int(j, path, "type_vocab_size");
  c.ln_eps = number_or(j, path, "layer_norm_eps", 1e-12);
  c.hidden_dropout = number_or(j, path, "hidden_dropout_prob", 0.1);
  c.attn_dropout = number_or(j, path, "attention_probs_dropout_prob", 0.1);
  LB_CHECK(c.hidden % c.heads == 0, path, ": hidden_size ", c.hidden,
           " is not divisible by num_attention_heads ", c.heads);
  LB_CHECK(c.ln_eps > 0, path, ": layer_norm_eps is ", c.ln_eps, ", expected > 0");
  std::string act = string_or(j, path, "hidden_act", "gelu");
  LB_CHECK(act == "gelu", path, ": hidden_act is '", act,
           "'; lowbit's BERT uses the exact (erf) GELU, Hugging Face's \"gelu\"");
  std::string pos = string_or(j, path, "position_embedding_type", "absolute");
  LB_CHECK(pos == "absolute", path, ": position_embedding_type is '", pos,
           "'; lowbit's BERT has learned absolute positions only");
  return c;
}

nlohmann::json hf_config_json(const HfBertConfig& c, const std::vector<std::string>& labels) {
  nlohmann::json j = c.raw.is_object() ? c.raw : nlohmann::json::object();
  j["model_type"] = "bert";
  j["hidden_size"] = c.hidden;
  j["num_hidden_layers"] = c.layers;
  j["num_attention_heads"] = c.heads;
  j["intermediate_size"] = c.ffn;
  j["vocab_size"] = c.vocab;
  j["max_position_embeddings"] = c.max_positions;
  j["type_vocab_size"] = c.type_vocab;
  j["layer_norm_eps"] = c.ln_eps;
  j["hidden_act"] = "gelu";
  j["position_embedding_type"] = "absolute";
  j["hidden_dropout_prob"] = c.hidden_dropout;
  j["attention_probs_dropout_prob"] = c.attn_dropout;
  if (!j.contains("pad_token_id")) j["pad_token_id"] = 0;
  j.erase("_name_or_path");
  j.erase("id2label");
  j.erase("label2id");
  j.erase("num_labels");
  if (labels.empty()) {
    j["architectures"] = {"BertModel"};
  } else {
    j["architectures"] = {"BertForSequenceClassification"};
    nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
    for (size_t i = 0; i < labels.size(); ++i) {
      id2label[std::to_string(i)] = labels[i];
      label2id[labels[i]] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
    j["problem_type"] = "single_label_classification";
  }
  return j;
}

}  // namespace lowbit

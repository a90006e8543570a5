// The HF <-> lowbit rename table. Matching is by pattern with an optional layer index, so a
// name like encoder.layer.17.output.dense.bias is one row, not one per layer.
#include "lowbit/train/hf_bert_names.h"

#include <cctype>

namespace lowbit {

namespace {

struct Row {
  const char* hf;
  const char* lowbit;
  const char* dims;
};

constexpr Row kRows[] = {
    {"embeddings.word_embeddings.weight", "embeddings.word", "VC"},
    {"embeddings.position_embeddings.weight", "embeddings.position", "PC"},
    {"embeddings.token_type_embeddings.weight", "embeddings.token_type", "SC"},
    {"embeddings.LayerNorm.weight", "embeddings.ln.gamma", "C"},
    {"embeddings.LayerNorm.bias", "embeddings.ln.beta", "C"},
    {"encoder.layer.{i}.attention.self.query.weight", "encoder.{i}.attention.query.weight", "CC"},
    {"encoder.layer.{i}.attention.self.query.bias", "encoder.{i}.attention.query.bias", "C"},
    {"encoder.layer.{i}.attention.self.key.weight", "encoder.{i}.attention.key.weight", "CC"},
    {"encoder.layer.{i}.attention.self.key.bias", "encoder.{i}.attention.key.bias", "C"},
    {"encoder.layer.{i}.attention.self.value.weight", "encoder.{i}.attention.value.weight", "CC"},
    {"encoder.layer.{i}.attention.self.value.bias", "encoder.{i}.attention.value.bias", "C"},
    {"encoder.layer.{i}.attention.output.dense.weight", "encoder.{i}.attention.output.weight",
     "CC"},
    {"encoder.layer.{i}.attention.output.dense.bias", "encoder.{i}.attention.output.bias", "C"},
    {"encoder.layer.{i}.attention.output.LayerNorm.weight", "encoder.{i}.ln1.gamma", "C"},
    {"encoder.layer.{i}.attention.output.LayerNorm.bias", "encoder.{i}.ln1.beta", "C"},
    {"encoder.layer.{i}.intermediate.dense.weight", "encoder.{i}.ffn.fc1.weight", "FC"},
    {"encoder.layer.{i}.intermediate.dense.bias", "encoder.{i}.ffn.fc1.bias", "F"},
    {"encoder.layer.{i}.output.dense.weight", "encoder.{i}.ffn.fc2.weight", "CF"},
    {"encoder.layer.{i}.output.dense.bias", "encoder.{i}.ffn.fc2.bias", "C"},
    {"encoder.layer.{i}.output.LayerNorm.weight", "encoder.{i}.ln2.gamma", "C"},
    {"encoder.layer.{i}.output.LayerNorm.bias", "encoder.{i}.ln2.beta", "C"},
    {"pooler.dense.weight", "pooler.weight", "CC"},
    {"pooler.dense.bias", "pooler.bias", "C"},
};

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// Matches name against pattern; "{i}" takes a decimal layer index (< layers).
bool match(const std::string& pattern, const std::string& name, int64_t layers, int64_t* layer) {
  size_t at = pattern.find("{i}");
  if (at == std::string::npos) {
    *layer = -1;
    return pattern == name;
  }
  std::string head = pattern.substr(0, at), tail = pattern.substr(at + 3);
  if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
      !ends_with(name, tail))
    return false;
  std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
  if (digits.empty() || digits.size() > 6 || (digits.size() > 1 && digits[0] == '0')) return false;
  for (char ch : digits)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  *layer = std::stoll(digits);
  return *layer < layers;
}

std::string fill(const std::string& pattern, int64_t layer) {
  size_t at = pattern.find("{i}");
  if (at == std::string::npos) return pattern;
  return pattern.substr(0, at) + std::to_string(layer) + pattern.substr(at + 3);
}

Shape dims_shape(const char* dims, const HfBertConfig& c) {
  Shape s;
  for (const char* d = dims; *d; ++d) {
    switch (*d) {
      case 'V':
        s.push_back(c.vocab);
        break;
      case 'P':
        s.push_back(c.max_positions);
        break;
      case 'S':
        s.push_back(c.type_vocab);
        break;
      case 'C':
        s.push_back(c.hidden);
        break;
      case 'F':
        s.push_back(c.ffn);
        break;
    }
  }
  return s;
}

}  // namespace

std::string hf_name_normalize(const std::string& name) {
  std::string n = name.rfind("bert.", 0) == 0 ? name.substr(5) : name;
  if (ends_with(n, "LayerNorm.gamma")) n = n.substr(0, n.size() - 5) + "weight";
  if (ends_with(n, "LayerNorm.beta")) n = n.substr(0, n.size() - 4) + "bias";
  return n;
}

bool hf_name_to_lowbit(const std::string& hf, const HfBertConfig& c, std::string* lowbit,
                       Shape* shape) {
  for (const Row& r : kRows) {
    int64_t layer = -1;
    if (match(r.hf, hf, c.layers, &layer)) {
      *lowbit = fill(r.lowbit, layer);
      *shape = dims_shape(r.dims, c);
      return true;
    }
  }
  return false;
}

bool lowbit_name_to_hf(const std::string& lowbit, const HfBertConfig& c, std::string* hf,
                       Shape* shape) {
  for (const Row& r : kRows) {
    int64_t layer = -1;
    if (match(r.lowbit, lowbit, c.layers, &layer)) {
      *hf = fill(r.hf, layer);
      *shape = dims_shape(r.dims, c);
      return true;
    }
  }
  return false;
}

std::vector<std::string> hf_expected_lowbit_names(const HfBertConfig& c) {
  std::vector<std::string> out;
  for (const Row& r : kRows)
    if (std::string(r.lowbit).find("{i}") == std::string::npos &&
        std::string(r.lowbit).rfind("pooler", 0) != 0)
      out.push_back(r.lowbit);
  for (int64_t i = 0; i < c.layers; ++i)
    for (const Row& r : kRows)
      if (std::string(r.lowbit).find("{i}") != std::string::npos) out.push_back(fill(r.lowbit, i));
  for (const Row& r : kRows)
    if (std::string(r.lowbit).rfind("pooler", 0) == 0) out.push_back(r.lowbit);
  return out;
}

bool hf_name_is_buffer(const std::string& hf) {
  return hf == "embeddings.position_ids" || hf == "embeddings.token_type_ids";
}

bool hf_name_is_head(const std::string& hf) {
  return hf.rfind("classifier.", 0) == 0 || hf.rfind("cls.", 0) == 0;
}

}  // namespace lowbit

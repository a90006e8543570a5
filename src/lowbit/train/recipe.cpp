// The recipe key table (every key, its type, default, rule and meaning) and the recipe's
// readers and writers: TOML files, --set assignments, the JSON stored in checkpoints.
#include "lowbit/train/recipe.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "lowbit/core/error.h"

namespace lowbit {

namespace {

// The order matches Recipe::Value's alternatives, so a value's index() is its Type.
enum class Type { integer, number, string, boolean };
// number: always finite. fraction: 0 <= x < 1.
enum class Rule { any, positive, non_negative, fraction, non_empty };

struct KeyRow {
  const char* key;
  Type type;
  const char* fallback;  // the default, written as after `--set key=`
  Rule rule;
  const char* choices;  // "bert|vit" for an enumeration, nullptr for a free value
  const char* meaning;
};

using T = Type;
using R = Rule;

// THE key table: append a row to add a key. The defaults column is the built-in recipe: a small
// BERT-style classifier on wordnet-supersense meant to train in a few minutes on 2 cores.
// optim.schedule's choices are schedule.h's names and optim.kind's optimizer.h's kinds (tested).
// clang-format off
constexpr KeyRow kKeys[] = {
    {"model.kind", T::string, "bert", R::any, "bert|vit", "architecture"},
    {"model.layers", T::integer, "2", R::positive, nullptr, "transformer blocks"},
    {"model.hidden", T::integer, "128", R::positive, nullptr, "hidden width (embedding size)"},
    {"model.heads", T::integer, "4", R::positive, nullptr, "attention heads (divide model.hidden)"},
    {"model.ffn", T::integer, "512", R::positive, nullptr, "feed-forward inner width"},
    {"model.max_positions", T::integer, "64", R::positive, nullptr,
     "bert: position embeddings (>= data.max_length)"},
    {"model.type_vocab", T::integer, "2", R::positive, nullptr, "bert: segment (token type) ids"},
    {"model.dropout", T::number, "0.1", R::fraction, nullptr, "dropout on hidden states"},
    {"model.attn_dropout", T::number, "0.1", R::fraction, nullptr,
     "dropout on attention probabilities"},
    {"model.image_size", T::integer, "28", R::positive, nullptr, "vit: image side in pixels"},
    {"model.patch", T::integer, "7", R::positive, nullptr, "vit: patch side (divides image_size)"},
    {"model.channels", T::integer, "1", R::positive, nullptr, "vit: image channels"},
    {"model.vocab", T::string, "default", R::non_empty, nullptr,
     "bert: vocab.txt path, or \"default\" (all-MiniLM-L6-v2's)"},
    {"model.pretrained", T::string, "", R::any, nullptr,
     "bert: start from pretrained weights: a Hugging Face BERT folder, a `lowbit import` folder, "
     "or a fetched model's name (all-MiniLM-L6-v2); \"\" = from scratch"},
    {"model.stable_embedding", T::boolean, "false", R::any, nullptr,
     "bert: the 8-bit optimizers' stable embedding (Xavier init, layer norm on the word rows, "
     "32-bit optimizer state for them)"},
    {"model.init_from", T::string, "", R::any, nullptr,
     "start from a lowbit checkpoint's weights, matched by name; a tensor-train layer takes the "
     "TT-SVD of the dense weight of the same name (compress a trained model); \"\" = off"},
    {"model.tt_layers", T::string, "", R::any, nullptr,
     "tensor-train projections: comma list of name parts (ffn, attention, query, fc1, ...); "
     "\"\" = all dense"},
    {"model.tt_rank", T::integer, "16", R::positive, nullptr, "tensor-train projections: max rank"},
    {"model.tt_cores", T::integer, "3", R::positive, nullptr,
     "tensor-train: cores per matrix (modes each side is factored into)"},
    {"model.tt_embedding", T::boolean, "false", R::any, nullptr,
     "bert: the word embedding table as a tensor-train matrix"},
    {"model.tt_embedding_rank", T::integer, "16", R::positive, nullptr,
     "tensor-train word embedding: max rank"},

    {"data.task", T::string, "wordnet-supersense", R::any,
     "wordnet-supersense|wordnet-pos|fashion-mnist|text-file", "dataset"},
    {"data.dir", T::string, "", R::any, nullptr,
     "dataset directory (\"\" = where the Debian package installs it)"},
    {"data.max_length", T::integer, "64", R::positive, nullptr,
     "text: tokens per example, [CLS] and [SEP] included"},
    {"data.max_train_examples", T::integer, "0", R::non_negative, nullptr,
     "use the first N training examples (0 = all)"},
    {"data.max_test_examples", T::integer, "0", R::non_negative, nullptr,
     "use the first N test examples (0 = all)"},
    {"data.length_buckets", T::boolean, "true", R::any, nullptr,
     "text: batch examples of similar length together (less padding)"},
    {"data.format", T::string, "auto", R::any, "auto|tsv|csv|jsonl",
     "text-file: file format (auto = by extension)"},
    {"data.text_column", T::string, "text", R::non_empty, nullptr, "text-file: text column / field"},
    {"data.text_pair_column", T::string, "", R::any, nullptr,
     "text-file: second text column (\"\" = none)"},
    {"data.label_column", T::string, "label", R::non_empty, nullptr,
     "text-file: label column / field"},
    {"data.train", T::string, "", R::any, nullptr, "text-file: training file"},
    {"data.test", T::string, "", R::any, nullptr, "text-file: test file"},

    {"numerics.mode", T::string, "fp32", R::any, "fp32|int|int4|fp8|qat",
     "how matrix products are computed (fp32 = the f32 GEMM; int = dynamic fixed point; int4 = HQ/BS/LSS; fp8 = E4M3 x/w, E5M2 dy; qat = LSQ fake-quantized w and x, learned step sizes)"},
    {"numerics.bits", T::integer, "8", R::positive, nullptr,
     "int: bits incl. sign of x, w and dy (2..16) unless set below"},
    {"numerics.weight_bits", T::integer, "0", R::non_negative, nullptr, "int: w bits (0 = numerics.bits)"},
    {"numerics.act_bits", T::integer, "0", R::non_negative, nullptr, "int: x bits (0 = numerics.bits)"},
    {"numerics.grad_bits", T::integer, "0", R::non_negative, nullptr, "int: dy bits (0 = numerics.bits)"},
    {"numerics.patch_embed_bits", T::integer, "0", R::non_negative, nullptr,
     "int: all bits of the patch embedding (0 = as the other layers)"},
    {"numerics.int_layer_norm", T::boolean, "true", R::any, nullptr,
     "int: layer norms on dynamic fixed-point codes (int64 mean, variance, x̂·gamma and backward "
     "sums; rstd and the beta add in f32); false = f32 layer norms"},
    {"numerics.layer_norm_bits", T::integer, "0", R::non_negative, nullptr,
     "int: all bits of the integer layer norms (x, x̂, gamma, dy; 0 = as the other layers)"},
    {"numerics.int_embedding", T::boolean, "true", R::any, nullptr,
     "int: embedding look-up and gradient on dynamic fixed-point codes (w / dy bits, int64 sums); "
     "a stable or tensor-train word table stays f32; false = f32 embedding"},
    {"numerics.hadamard", T::boolean, "true", R::any, nullptr, "int4: Hadamard quantizer in forward"},
    {"numerics.hadamard_block", T::integer, "64", R::positive, nullptr,
     "int4: Hadamard block along K (power of two, divides K)"},
    {"numerics.bit_split", T::boolean, "true", R::any, nullptr,
     "int4: dy as 8 bits split into hi/lo int4 parts (false: dy in int4)"},
    {"numerics.leverage_sampling", T::boolean, "true", R::any, nullptr,
     "int4: dW from leverage-score sampled token rows"},
    {"numerics.sample_fraction", T::number, "0.5", R::positive, nullptr,
     "int4: expected fraction of token rows kept by leverage sampling (<= 1)"},
    {"numerics.fp8_scaling", T::string, "delayed", R::any, "delayed|current",
     "fp8: per-tensor scale from the amax history (delayed) or this tensor's amax (current)"},
    {"numerics.amax_history", T::integer, "16", R::positive, nullptr,
     "fp8 delayed scaling: amax history window (steps)"},
    {"numerics.qat_weight_bits", T::integer, "8", R::positive, nullptr,
     "qat: signed bits of the LSQ-quantized weights (2..8); step <layer>.weight_step"},
    {"numerics.qat_act_bits", T::integer, "8", R::positive, nullptr,
     "qat: signed bits of the LSQ-quantized layer inputs (2..8); step <layer>.act_step"},
    {"numerics.qat_step_lr_scale", T::number, "0.01", R::positive, nullptr,
     "qat: the step sizes' learning rate as a fraction of optim.lr (Adam moves a parameter by "
     "about lr per update, and 8-bit weight steps are ~3e-3)"},
    {"numerics.qat_layer_bits", T::string, "", R::any, nullptr,
     "qat: per-layer bits, \"PATTERN=W/X, PATTERN=W, ...\": the first PATTERN found in a layer's "
     "name sets its weight (W) and input (X) bits, e.g. \"classifier=8/8, ffn=4\"; others take "
     "qat_weight_bits / qat_act_bits"},
    {"numerics.qat_embedding", T::boolean, "false", R::any, nullptr,
     "qat with model.tt_embedding: also LSQ-quantize the tensor-train word table's cores "
     "(qat_weight_bits; steps <table>.core{k}_step); a dense word table stays f32"},

    {"train.seed", T::integer, "1", R::non_negative, nullptr,
     "seed of initialization, data order and dropout"},
    {"train.threads", T::integer, "0", R::non_negative, nullptr,
     "threads (0 = LOWBIT_NUM_THREADS or all cores)"},
    {"train.out_dir", T::string, "runs/default", R::non_empty, nullptr,
     "checkpoint and metrics directory"},
    {"train.batch_size", T::integer, "32", R::positive, nullptr, "examples per step"},
    {"train.epochs", T::integer, "2", R::positive, nullptr, "passes over the training data"},
    {"train.max_steps", T::integer, "0", R::non_negative, nullptr,
     "stop after N steps (0 = train.epochs decide)"},
    {"train.stop_after", T::integer, "0", R::non_negative, nullptr,
     "end this invocation after N steps with a checkpoint, schedule unchanged (0 = run to the end)"},
    {"train.log_every", T::integer, "50", R::positive, nullptr, "steps between metrics lines"},
    {"train.eval_every", T::integer, "0", R::non_negative, nullptr,
     "steps between evaluations (0 = at each epoch end)"},
    {"train.checkpoint_every", T::integer, "0", R::non_negative, nullptr,
     "steps between checkpoints (0 = only at the end)"},
    {"train.on_nonfinite", T::string, "stop", R::any, "stop|skip",
     "a NaN/Inf loss or gradient stops the run or skips the step"},

    {"optim.kind", T::string, "adamw", R::any, "adamw|adam|sgd|lion", "optimizer"},
    {"optim.lr", T::number, "5e-4", R::non_negative, nullptr, "peak learning rate"},
    {"optim.weight_decay", T::number, "0.01", R::non_negative, nullptr,
     "weight decay (not on biases, norms, embeddings)"},
    {"optim.beta1", T::number, "0.9", R::fraction, nullptr, "adam, adamw: first-moment decay"},
    {"optim.beta2", T::number, "0.999", R::fraction, nullptr, "adam, adamw: second-moment decay"},
    {"optim.eps", T::number, "1e-8", R::positive, nullptr, "adam, adamw: denominator epsilon"},
    {"optim.momentum", T::number, "0.9", R::fraction, nullptr, "sgd: momentum"},
    {"optim.state", T::string, "32bit", R::any, "32bit|8bit",
     "optimizer state storage (8bit = block-wise dynamic quantization)"},
    {"optim.state_block", T::integer, "256", R::positive, nullptr,
     "8bit state: elements per quantization block (divides 2048)"},
    {"optim.state_min_numel", T::integer, "4096", R::non_negative, nullptr,
     "8bit state: parameters with fewer elements keep 32-bit state"},
    {"optim.schedule", T::string, "linear", R::any, "constant|linear|cosine",
     "learning rate after warm-up"},
    {"optim.warmup_steps", T::integer, "200", R::non_negative, nullptr,
     "steps of linear warm-up from 0"},
    {"optim.clip_norm", T::number, "1.0", R::non_negative, nullptr,
     "clip the global gradient norm to this (0 = off)"},

    {"distill.teacher", T::string, "", R::any, nullptr,
     "a lowbit checkpoint (same task, same hidden width and layer count) to distill from; "
     "\"\" = no distillation"},
    {"distill.layer_steps", T::integer, "0", R::non_negative, nullptr,
     "first steps: layer-by-layer MSE to the teacher's hidden states, split evenly into stages "
     "(embedding output, then each block's output)"},
    {"distill.pred_steps", T::integer, "0", R::non_negative, nullptr,
     "next steps: soft cross-entropy to the teacher's logits; the rest of the run is the task loss"},
    {"distill.temperature", T::number, "1.0", R::positive, nullptr,
     "prediction-layer distillation: softmax temperature"},
};
// clang-format on
constexpr size_t kNumKeys = sizeof(kKeys) / sizeof(kKeys[0]);

const char* type_phrase(Type t) {
  switch (t) {
    case Type::integer:
      return "an integer";
    case Type::number:
      return "a number";
    case Type::string:
      return "a string";
    case Type::boolean:
      return "a boolean (true or false)";
  }
  return "?";
}

std::string section_of(const std::string& key) {
  return key.substr(0, key.find('.'));
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The valid key nearest to a misspelt one; a key given without its section ("layers") is
// compared with the part after the dot too.
std::string closest_key(const std::string& key) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const KeyRow& row : kKeys) {
    std::string k = row.key;
    size_t d = edit_distance(key, k);
    if (key.find('.') == std::string::npos)
      d = std::min(d, edit_distance(key, k.substr(k.find('.') + 1)));
    if (d < best_d) best_d = d, best = k;
  }
  return best;
}

std::string closest_section(const std::string& name) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const KeyRow& row : kKeys) {
    std::string s = section_of(row.key);
    if (size_t d = edit_distance(name, s); d < best_d) best_d = d, best = s;
  }
  return best;
}

bool is_section(const std::string& name) {
  return std::any_of(std::begin(kKeys), std::end(kKeys),
                     [&](const KeyRow& r) { return section_of(r.key) == name; });
}

// Shortest text that reads back to the same double, fixed notation unless scientific is much
// shorter (0.0005, not 5e-04; but 1e-08); always marked as a float for TOML ("1.0").
std::string float_text(double v) {
  char fixed[400], sci[64];
  auto f = std::to_chars(fixed, fixed + sizeof(fixed), v, std::chars_format::fixed);
  auto e = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  std::string s = f.ec == std::errc() && (f.ptr - fixed) <= (e.ptr - sci) + 2
                      ? std::string(fixed, f.ptr)
                      : std::string(sci, e.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string value_text(const Recipe::Value& v) {
  switch (static_cast<Type>(v.index())) {
    case Type::integer:
      return std::to_string(std::get<int64_t>(v));
    case Type::number:
      return float_text(std::get<double>(v));
    case Type::string:
      return toml_quote(std::get<std::string>(v));
    case Type::boolean:
      return std::get<bool>(v) ? "true" : "false";
  }
  return "?";
}

// What is wrong with v under the row's rule and choices ("" = nothing).
std::string rule_problem(const KeyRow& row, const Recipe::Value& v) {
  if (row.type == Type::number && !std::isfinite(std::get<double>(v))) return "must be finite";
  if (row.type == Type::integer || row.type == Type::number) {
    double x =
        row.type == Type::integer ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v);
    if (row.rule == Rule::positive && !(x > 0)) return "must be > 0";
    if (row.rule == Rule::non_negative && !(x >= 0)) return "must be >= 0";
    if (row.rule == Rule::fraction && !(x >= 0 && x < 1)) return "must be in [0, 1)";
  }
  if (row.type == Type::string) {
    const std::string& s = std::get<std::string>(v);
    if (row.rule == Rule::non_empty && s.empty()) return "must not be empty";
    if (row.choices) {
      std::string choices = row.choices;
      std::string padded = "|" + choices + "|";
      if (padded.find("|" + s + "|") == std::string::npos) {
        std::replace(choices.begin(), choices.end(), '|', ' ');
        return "must be one of: " + choices;
      }
    }
  }
  return "";
}

// Text after `key=` as the row's type; false when it does not parse.
bool parse_text(Type type, std::string text, Recipe::Value* out) {
  switch (type) {
    case Type::integer: {
      if (!text.empty() && text[0] == '+') text.erase(0, 1);
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return false;
      *out = v;
      return true;
    }
    case Type::number: {
      if (!text.empty() && text[0] == '+') text.erase(0, 1);
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return false;
      *out = v;
      return true;
    }
    case Type::string:
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
      *out = text;
      return true;
    case Type::boolean:
      if (text != "true" && text != "false") return false;
      *out = text == "true";
      return true;
  }
  return false;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

size_t Recipe::index_of(const std::string& key, const std::string& where) {
  for (size_t i = 0; i < kNumKeys; ++i)
    if (key == kKeys[i].key) return i;
  LB_FAIL(where, ": unknown recipe key '", key, "'; did you mean '", closest_key(key),
          "'? (`lowbit train --print-recipe` lists every key)");
}

void Recipe::assign(size_t i, Value v, const std::string& where) {
  const KeyRow& row = kKeys[i];
  // An integer where a number is expected is exact enough ("clip_norm = 1").
  if (row.type == Type::number && std::holds_alternative<int64_t>(v))
    v = static_cast<double>(std::get<int64_t>(v));
  LB_CHECK(v.index() == static_cast<size_t>(row.type), where, ": ", row.key, " expects ",
           type_phrase(row.type), ", got ", value_text(v), " (",
           type_phrase(static_cast<Type>(v.index())), ")");
  std::string problem = rule_problem(row, v);
  LB_CHECK(problem.empty(), where, ": ", row.key, " = ", value_text(v), " ", problem, " (", row.key,
           ": ", row.meaning, ")");
  values_[i] = std::move(v);
}

Recipe Recipe::defaults() {
  Recipe r;
  r.values_.resize(kNumKeys);
  for (size_t i = 0; i < kNumKeys; ++i) {
    Value v;
    // A failure here is a typo in the table, caught by the defaults test.
    LB_CHECK(parse_text(kKeys[i].type, kKeys[i].fallback, &v), "recipe.cpp: the default of ",
             kKeys[i].key, " ('", kKeys[i].fallback, "') is not ", type_phrase(kKeys[i].type));
    r.assign(i, std::move(v), "recipe.cpp defaults");
  }
  return r;
}

void Recipe::set(const std::string& assignment) {
  std::string where = "--set " + assignment;
  size_t eq = assignment.find('=');
  LB_CHECK(eq != std::string::npos, where, ": expected key=value, e.g. optim.lr=3e-4");
  std::string key = trim(assignment.substr(0, eq));
  std::string text = trim(assignment.substr(eq + 1));
  size_t i = index_of(key, where);
  Value v;
  LB_CHECK(parse_text(kKeys[i].type, text, &v), where, ": ", key, " expects ",
           type_phrase(kKeys[i].type), ", got '", text, "'");
  assign(i, std::move(v), where);
}

Recipe Recipe::from_file(const std::string& path) {
  LB_CHECK(std::filesystem::is_regular_file(path), "recipe file '", path,
           "' not found (give a path to a .toml file, e.g. recipes/bert-wordnet.toml)");
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    LB_FAIL(path, ":", e.source().begin.line, ":", e.source().begin.column,
            ": TOML syntax error: ", e.description());
  }
  Recipe r = defaults();
  auto walk = [&](auto& self, const toml::table& t, const std::string& prefix) -> void {
    for (auto&& [k, node] : t) {
      std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      std::string where = cat(path, ":", node.source().begin.line, ":", node.source().begin.column);
      // Only sections hold tables; a deeper table falls through to the key check below.
      if (const toml::table* sub = node.as_table(); sub && prefix.empty()) {
        if (!is_section(key))
          LB_FAIL(where, ": unknown recipe section [", key, "]; did you mean [",
                  closest_section(key), "]? (`lowbit train --print-recipe` lists every key)");
        self(self, *sub, key);
        continue;
      }
      size_t i = index_of(key, where);
      Value v;
      if (auto x = node.as_integer())
        v = x->get();
      else if (auto f = node.as_floating_point())
        v = f->get();
      else if (auto s = node.as_string())
        v = s->get();
      else if (auto b = node.as_boolean())
        v = b->get();
      else
        LB_FAIL(where, ": ", key, " expects ", type_phrase(kKeys[i].type), ", got a TOML ",
                node.type());
      r.assign(i, std::move(v), where);
    }
  };
  walk(walk, table, "");
  return r;
}

Recipe Recipe::from_json(const nlohmann::json& j) {
  const std::string where = "recipe JSON";
  LB_CHECK(j.is_object(), where, ": expected an object {\"model.layers\": 4, ...}, got ",
           j.type_name());
  Recipe r = defaults();
  for (const auto& [key, item] : j.items()) {
    size_t i = index_of(key, where);
    Value v;
    if (item.is_number_unsigned()) {
      LB_CHECK(item.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX), where, ": ", key, " = ",
               item.dump(), " is too large");
      v = static_cast<int64_t>(item.get<uint64_t>());
    } else if (item.is_number_integer()) {
      v = item.get<int64_t>();
    } else if (item.is_number_float()) {
      v = item.get<double>();
    } else if (item.is_string()) {
      v = item.get<std::string>();
    } else if (item.is_boolean()) {
      v = item.get<bool>();
    } else {
      LB_FAIL(where, ": ", key, " expects ", type_phrase(kKeys[i].type), ", got ", item.dump());
    }
    r.assign(i, std::move(v), where);
  }
  return r;
}

nlohmann::json Recipe::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < kNumKeys; ++i)
    std::visit([&](const auto& v) { j[kKeys[i].key] = v; }, values_[i]);
  return j;
}

const Recipe::Value& Recipe::value_of(const std::string& key, size_t type_index,
                                      const char* getter) const {
  size_t i = index_of(key, cat("Recipe::", getter));
  LB_CHECK(values_[i].index() == type_index, "Recipe::", getter, "(\"", key, "\"): ", key, " is ",
           type_phrase(kKeys[i].type), ", not ", type_phrase(static_cast<Type>(type_index)));
  return values_[i];
}

int64_t Recipe::get_int(const std::string& key) const {
  return std::get<int64_t>(value_of(key, static_cast<size_t>(Type::integer), "get_int"));
}
double Recipe::get_float(const std::string& key) const {
  return std::get<double>(value_of(key, static_cast<size_t>(Type::number), "get_float"));
}
std::string Recipe::get_string(const std::string& key) const {
  return std::get<std::string>(value_of(key, static_cast<size_t>(Type::string), "get_string"));
}
bool Recipe::get_bool(const std::string& key) const {
  return std::get<bool>(value_of(key, static_cast<size_t>(Type::boolean), "get_bool"));
}

std::string Recipe::describe() const {
  std::vector<std::string> lefts(kNumKeys);
  size_t width = 0;
  for (size_t i = 0; i < kNumKeys; ++i) {
    lefts[i] = cat(kKeys[i].key, " = ", value_text(values_[i]));
    width = std::max(width, std::min<size_t>(lefts[i].size(), 40));
  }
  std::string out;
  for (size_t i = 0; i < kNumKeys; ++i) {
    if (i > 0 && section_of(kKeys[i].key) != section_of(kKeys[i - 1].key)) out += "\n";
    std::string line = lefts[i];
    line.resize(std::max(line.size(), width), ' ');
    out += cat(line, "   # ", kKeys[i].meaning, "\n");
  }
  return out;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    const size_t end = std::min(value.find(',', pos), value.size());
    std::string item = value.substr(pos, end - pos);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    pos = end + 1;
  }
  return out;
}

}  // namespace lowbit

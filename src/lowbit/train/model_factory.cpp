// Recipe -> model configuration. Checks that the data and the model fit together, and that a
// pretrained model (model.pretrained) is the one the recipe describes.
#include "lowbit/train/model_factory.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>

#include "lowbit/data/pretrained_paths.h"
#include "lowbit/models/bert.h"
#include "lowbit/models/vit.h"
#include "lowbit/nn/tt_linear.h"
#include "lowbit/train/hf_bert_import.h"
#include "lowbit/train/init_from.h"
#include "lowbit/train/numerics_policy.h"
#include "lowbit/train/qat_bits.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/task_data.h"

namespace lowbit {

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LB_CHECK(in.good(), path, ": cannot open");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The recipe states the architecture (so a checkpoint's stored recipe rebuilds the model on
// its own); a pretrained model must agree with it key by key. All mismatches in one message.
void check_pretrained_shape(const Recipe& r, const PretrainedBert& p, const TaskData& data) {
  const HfBertConfig& c = p.config;
  struct Pair {
    const char* key;
    int64_t recipe;
    const char* hf;
    int64_t config;
  };
  const Pair pairs[] = {
      {"model.layers", r.get_int("model.layers"), "num_hidden_layers", c.layers},
      {"model.hidden", r.get_int("model.hidden"), "hidden_size", c.hidden},
      {"model.heads", r.get_int("model.heads"), "num_attention_heads", c.heads},
      {"model.ffn", r.get_int("model.ffn"), "intermediate_size", c.ffn},
      {"model.max_positions", r.get_int("model.max_positions"), "max_position_embeddings",
       c.max_positions},
      {"model.type_vocab", r.get_int("model.type_vocab"), "type_vocab_size", c.type_vocab},
  };
  std::string bad;
  for (const Pair& q : pairs)
    if (q.recipe != q.config)
      bad += cat(bad.empty() ? "" : "; ", q.key, " = ", q.recipe, " but ", q.hf, " = ", q.config);
  LB_CHECK(bad.empty(), "model.pretrained = ", p.dir, ": the recipe does not describe this model (",
           bad, " in ", c.path, "); set those keys to the pretrained model's sizes");
  LB_CHECK(data.vocab_size() == c.vocab, "model.pretrained = ", p.dir, ": the tokenizer has ",
           data.vocab_size(), " tokens but ", c.path, " has vocab_size ", c.vocab,
           "; set model.vocab = ", p.vocab_path);
  std::string vocab = r.get_string("model.vocab");
  std::string used = vocab == "default" ? find_default_vocab() : vocab;
  LB_CHECK(file_text(used) == file_text(p.vocab_path), "model.pretrained = ", p.dir,
           ": model.vocab (", used, ") differs from the pretrained model's ", p.vocab_path,
           ", so token ids would not match its embeddings; set model.vocab = ", p.vocab_path);
}

// model.tt_layers / tt_rank / tt_cores: tensor-train projections where a name part matches.
nn::ProjectionFactory projections_of(const Recipe& r) {
  nn::TtOptions o;
  o.match = split_list(r.get_string("model.tt_layers"));
  if (o.match.empty()) return nn::dense_projections();
  o.d = static_cast<int>(r.get_int("model.tt_cores"));
  o.max_rank = r.get_int("model.tt_rank");
  if (r.get_string("numerics.mode") == "qat") {  // dense layers get theirs from the numerics policy
    const QatBitsTable bits(r);
    const double step_lr_scale = r.get_float("numerics.qat_step_lr_scale");
    o.qat = [bits, step_lr_scale](const std::string& name) {
      const QatBits b = bits.for_name(name);
      return nn::TtQat{b.weight, b.act, step_lr_scale};
    };
  }
  return nn::tt_projections(o);
}

// model.init_from: weights by name from a lowbit checkpoint, TT layers by TT-SVD.
void apply_init_from(const Recipe& r, models::Classifier& model) {
  const std::string dir = r.get_string("model.init_from");
  if (dir.empty()) return;
  std::vector<std::string> fresh = init_from_checkpoint(dir, model.params());
  std::string list;
  for (const std::string& n : fresh) list += (list.empty() ? "" : ", ") + n;
  std::printf("init_from: new (not in %s): %s\n", dir.c_str(), list.empty() ? "none" : list.c_str());
}

}  // namespace

std::unique_ptr<models::Classifier> make_model(const Recipe& r, const TaskData& data) {
  std::string kind = r.get_string("model.kind");
  uint64_t seed = static_cast<uint64_t>(r.get_int("train.seed"));
  if (kind == "bert") {
    LB_CHECK(data.vocab_size() > 0, "model.kind = bert needs a text task, but data.task = ",
             r.get_string("data.task"), " has no vocabulary");
    models::BertConfig c;
    c.layers = r.get_int("model.layers");
    c.hidden = r.get_int("model.hidden");
    c.heads = r.get_int("model.heads");
    c.ffn = r.get_int("model.ffn");
    c.vocab = data.vocab_size();
    c.max_positions = r.get_int("model.max_positions");
    c.type_vocab = r.get_int("model.type_vocab");
    c.classes = data.num_classes();
    c.dropout = r.get_float("model.dropout");
    c.attn_dropout = r.get_float("model.attn_dropout");
    c.embedding.stable = r.get_bool("model.stable_embedding");
    LB_CHECK(!r.get_bool("numerics.qat_embedding") ||
                 (r.get_bool("model.tt_embedding") && r.get_string("numerics.mode") == "qat"),
             "numerics.qat_embedding = true needs numerics.mode = \"qat\" and model.tt_embedding "
             "= true (it quantizes the tensor-train word table's cores)");
    if (r.get_bool("model.tt_embedding")) {
      c.embedding.tt_rank = r.get_int("model.tt_embedding_rank");
      c.embedding.tt_cores = static_cast<int>(r.get_int("model.tt_cores"));
      if (r.get_bool("numerics.qat_embedding")) {  // qat mode: checked above
        c.embedding.tt_qat_bits = QatBitsTable(r).for_name("embeddings.word").weight;
        c.embedding.tt_qat_step_lr_scale = r.get_float("numerics.qat_step_lr_scale");
      }
    }
    LB_CHECK(r.get_int("data.max_length") <= c.max_positions, "data.max_length ",
             r.get_int("data.max_length"), " exceeds model.max_positions ", c.max_positions);
    std::string pretrained = r.get_string("model.pretrained");
    std::optional<PretrainedBert> p;
    if (!pretrained.empty()) {
      p = pretrained_read(pretrained);
      check_pretrained_shape(r, *p, data);
      c.ln_eps = p->config.ln_eps;
    }
    auto model = std::make_unique<models::BertClassifier>(c, seed, DType::f32, projections_of(r));
    if (p) {  // the weights before the numerics policy, which may derive from them
      std::vector<std::string> fresh = pretrained_apply(*p, model->params());
      for (const std::string& note : p->notes) std::printf("pretrained: %s\n", note.c_str());
      std::string fresh_list;
      for (const std::string& n : fresh) fresh_list += (fresh_list.empty() ? "" : ", ") + n;
      std::printf("pretrained: %zu tensors from %s; new: %s\n", p->weights.size(),
                  p->weights_path.c_str(), fresh_list.c_str());
    }
    apply_init_from(r, *model);
    model->set_numerics(make_numerics_policy(r));
    model->set_attention_policy(make_attention_policy(r));
    model->set_int_layer_policy(make_int_layer_policy(r));
    return model;
  }
  LB_CHECK(r.get_string("model.pretrained").empty(),
           "model.pretrained is for model.kind = bert; a ", kind, " model trains from scratch");
  LB_CHECK(data.vocab_size() == 0, "model.kind = vit needs an image task, but data.task = ",
           r.get_string("data.task"), " is a text task");
  models::VitConfig c;
  c.layers = r.get_int("model.layers");
  c.hidden = r.get_int("model.hidden");
  c.heads = r.get_int("model.heads");
  c.ffn = r.get_int("model.ffn");
  c.image_size = r.get_int("model.image_size");
  c.patch = r.get_int("model.patch");
  c.channels = r.get_int("model.channels");
  c.classes = data.num_classes();
  c.dropout = r.get_float("model.dropout");
  c.attn_dropout = r.get_float("model.attn_dropout");
  LB_CHECK(!r.get_bool("model.tt_embedding"), "model.tt_embedding is for model.kind = bert (a ViT "
           "has no word table); use model.tt_layers for its projections");
  auto model = std::make_unique<models::VitClassifier>(c, seed, DType::f32, projections_of(r));
  apply_init_from(r, *model);
  model->set_numerics(make_numerics_policy(r));
  model->set_attention_policy(make_attention_policy(r));
  model->set_int_layer_policy(make_int_layer_policy(r));
  return model;
}

}  // namespace lowbit

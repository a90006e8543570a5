// Recipe -> model configuration. Checks that the data and the model fit together.
#include "lowbit/train/model_factory.h"

#include "lowbit/models/bert.h"
#include "lowbit/models/vit.h"
#include "lowbit/train/numerics_policy.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/task_data.h"

namespace lowbit {

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
    LB_CHECK(r.get_int("data.max_length") <= c.max_positions, "data.max_length ",
             r.get_int("data.max_length"), " exceeds model.max_positions ", c.max_positions);
    auto model = std::make_unique<models::BertClassifier>(c, seed);
    model->set_numerics(make_numerics_policy(r));
    return model;
  }
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
  auto model = std::make_unique<models::VitClassifier>(c, seed);
  model->set_numerics(make_numerics_policy(r));
  return model;
}

}  // namespace lowbit

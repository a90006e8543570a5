// The dense reference is built, counted and dropped (a few MB for the models we ship); its
// weights are never initialised from anything.
#include "lowbit/train/compression.h"

#include <optional>
#include <set>

#include "lowbit/train/model_factory.h"
#include "lowbit/train/qat_bits.h"
#include "lowbit/train/recipe.h"

namespace lowbit {

std::string CompressionReport::describe() const {
  return cat(params, " parameters, ", bytes, " bytes; dense fp32: ", dense_params,
             " parameters, ", dense_bytes, " bytes; ratio ", ratio(), "x");
}

CompressionReport compression_report(const Recipe& recipe, models::Classifier& model,
                                     const TaskData& data) {
  CompressionReport r;
  std::vector<nn::Param*> params = model.params();
  std::set<std::string> stepped;
  for (const nn::Param* p : params)
    if (p->name.size() > 5 && p->name.compare(p->name.size() - 5, 5, "_step") == 0)
      stepped.insert(p->name.substr(0, p->name.size() - 5));
  const bool qat = recipe.get_string("numerics.mode") == "qat";
  std::optional<QatBitsTable> bits;
  if (qat) bits.emplace(recipe);
  int64_t bit_total = 0;
  for (const nn::Param* p : params) {
    r.params += p->value.numel();
    const int64_t b = qat && stepped.count(p->name) ? bits->for_name(p->name).weight : 32;
    bit_total += p->value.numel() * b;
  }
  r.bytes = (bit_total + 7) / 8;

  Recipe dense = recipe;
  for (const char* kv : {"model.tt_layers=", "model.tt_embedding=false", "model.pretrained=",
                         "model.init_from=", "numerics.mode=fp32", "numerics.qat_embedding=false"})
    dense.set(kv);
  std::unique_ptr<models::Classifier> ref = make_model(dense, data);
  for (const nn::Param* p : ref->params()) r.dense_params += p->value.numel();
  r.dense_bytes = 4 * r.dense_params;
  return r;
}

}  // namespace lowbit

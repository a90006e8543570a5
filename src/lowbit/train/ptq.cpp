// Calibration pass, weight conversion and the quantized checkpoint (see ptq.h for its layout).
#include "lowbit/train/ptq.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "lowbit/nn/gemm_numerics.h"
#include "lowbit/ops/gemm.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/task_data.h"

namespace lowbit {

namespace fs = std::filesystem;

namespace {

// FP32 products, recording the input's magnitudes on the way.
class CalibrationNumerics final : public nn::GemmNumerics {
 public:
  explicit CalibrationNumerics(ActStats* stats) : stats_(stats) {}
  Tensor forward(const Tensor& x, const Tensor& w, const nn::ForwardContext&) override {
    LB_CHECK(x.dtype() == DType::f32, "[calibrate] expects f32 activations");
    stats_->add(x.data<float>(), x.numel());
    return ops::matmul_nt(x, w);
  }
  Tensor backward_input(const Tensor&) override { LB_FAIL("[calibrate] forward only"); }
  void backward_weight(const Tensor&, Tensor&) override { LB_FAIL("[calibrate] forward only"); }
  void release() override {}
  std::string describe() const override { return "fp32 (calibrating)"; }

 private:
  ActStats* stats_;
};

std::string model_file(const std::string& dir) { return (fs::path(dir) / "model.safetensors").string(); }

const std::string kWeight = ".weight";

}  // namespace

bool ptq_excluded(const std::string& layer, const std::string& patterns) {
  for (const std::string& p : split_list(patterns)) {
    const bool glob = p.find_first_of("*?[") != std::string::npos;
    if (glob ? fnmatch(p.c_str(), layer.c_str(), 0) == 0 : layer.find(p) != std::string::npos)
      return true;
  }
  return false;
}

// PTQ keeps layer norms and embeddings in f32, also in a model trained with numerics.mode = int.
const nn::IntLayerPolicy kFloatNormsAndEmbeddings = [](const std::string&, nn::LayerKind) {
  return std::optional<nn::IntNumericsConfig>();
};

nn::NumericsPolicy ptq_policy(const PtqLayers& layers) {
  return [layers](const std::string& name, nn::LayerKind) {
    auto it = layers.find(name);
    return it == layers.end() ? nn::make_fp32_numerics() : nn::make_ptq_numerics(it->second, name);
  };
}

PtqResult ptq_calibrate(models::Classifier& model, const TaskData& data, int64_t batch_size,
                        const PtqOptions& o) {
  LB_CHECK(o.batches > 0, "--calibration-batches ", o.batches, " must be positive");
  PtqResult r;
  std::map<std::string, ActStats> stats;
  std::vector<std::string> order;
  model.set_numerics([&](const std::string& name, nn::LayerKind) -> std::unique_ptr<nn::GemmNumerics> {
    if (ptq_excluded(name, o.exclude)) {
      r.excluded.push_back(name);
      return nn::make_fp32_numerics();
    }
    order.push_back(name);
    return std::make_unique<CalibrationNumerics>(&stats[name]);
  });
  std::map<std::string, ActStats> attention_stats;
  model.set_attention_policy(ptq_attention_recorder(attention_stats, o.exclude, &r.excluded));
  model.set_int_layer_policy(kFloatNormsAndEmbeddings);
  const int64_t n = data.size(true);
  const int64_t total = std::min(n, o.batches * batch_size);
  nn::ForwardContext ctx;  // training = false: no dropout
  for (int64_t b0 = 0; b0 < total; b0 += batch_size) {
    std::vector<int64_t> idx(static_cast<size_t>(std::min(batch_size, total - b0)));
    for (size_t j = 0; j < idx.size(); ++j)  // evenly spaced over the training split
      idx[j] = (b0 + static_cast<int64_t>(j)) * n / total;
    Tensor labels;
    model.forward(data.batch(true, idx, &labels), ctx);
  }
  r.calibration_examples = total;
  std::map<std::string, nn::Param*> weights;
  for (nn::Param* p : model.params()) weights[p->name] = p;
  for (const std::string& name : order) {
    const ActStats& s = stats.at(name);
    const float clip = calib_clip(s, o.method, o.format, o.percentile);
    auto it = weights.find(name + kWeight);
    LB_CHECK(it != weights.end(), "[ptq] layer ", name, " has no parameter ", name, kWeight);
    r.input_amax[name] = s.amax();
    r.input_clip[name] = clip;
    r.layers[name] = std::make_shared<nn::PtqLayer>(nn::ptq_quantize_weight(
        it->second->value, o.format, o.per_channel, nn::ptq_scale_for_clip(clip, o.format)));
  }
  r.attention = ptq_attention_scales(attention_stats, o.method, o.format, o.percentile);
  model.set_numerics(ptq_policy(r.layers));
  model.set_attention_policy(ptq_attention_policy(r.attention, o.format));
  return r;
}

void ptq_install(models::Classifier& model, const PtqLoaded& q) {
  model.set_numerics(ptq_policy(q.layers));
  model.set_attention_policy(ptq_attention_policy(q.attention, q.format));
  model.set_int_layer_policy(kFloatNormsAndEmbeddings);
}

void ptq_save(const std::string& dir, const std::vector<nn::Param*>& params, const PtqResult& q,
              const PtqOptions& o, std::map<std::string, std::string> metadata) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, Tensor>> tensors;
  nlohmann::json layers = nlohmann::json::array();
  for (const nn::Param* p : params) {
    const bool is_w = p->name.size() > kWeight.size() &&
                      p->name.compare(p->name.size() - kWeight.size(), kWeight.size(), kWeight) == 0;
    auto it = is_w ? q.layers.find(p->name.substr(0, p->name.size() - kWeight.size())) : q.layers.end();
    if (it == q.layers.end()) {
      tensors.emplace_back(p->name, p->value);
      continue;
    }
    const nn::PtqLayer& L = *it->second;
    tensors.emplace_back(p->name, L.w_codes);
    tensors.emplace_back(it->first + ".weight_scale", L.w_scales);
    tensors.emplace_back(it->first + ".input_scale", Tensor::full({1}, L.x_scale));
    layers.push_back({{"name", it->first},
                      {"input_amax", q.input_amax.at(it->first)},
                      {"input_clip", q.input_clip.at(it->first)}});
  }
  for (const auto& [op, scale] : q.attention)
    tensors.emplace_back(op + "_scale", Tensor::full({1}, scale));
  nlohmann::json j = {{"format", nn::ptq_format_name(o.format)},
                      {"calibration", calib_method_name(o.method)},
                      {"percentile", o.percentile},
                      {"calibration_batches", o.batches},
                      {"calibration_examples", q.calibration_examples},
                      {"per_channel", o.per_channel},
                      {"exclude", o.exclude},
                      {"excluded", q.excluded},
                      {"layers", layers}};
  metadata["quantization"] = j.dump();
  safetensors_write(model_file(dir), tensors, metadata);
}

bool ptq_is_quantized_checkpoint(const std::string& dir) {
  const std::string path = model_file(dir);
  if (!fs::exists(path)) return false;
  SafetensorsFile f = safetensors_read(path);
  return f.metadata.count("quantization") > 0;
}

PtqLoaded ptq_load(const std::string& dir, const std::vector<nn::Param*>& params) {
  const std::string path = model_file(dir);
  SafetensorsFile f = safetensors_read(path);
  LB_CHECK(f.metadata.count("quantization"), path, ": not a quantized checkpoint (no 'quantization' "
           "metadata); run `lowbit quantize` on it first");
  PtqLoaded out;
  out.format = nn::ptq_format_parse(
      nlohmann::json::parse(f.metadata.at("quantization")).at("format").get<std::string>());
  PtqLayers& layers = out.layers;
  size_t expected = 0;
  for (nn::Param* p : params) {
    const Tensor& t = f.get(p->name);
    ++expected;
    if (t.dtype() == p->value.dtype()) {
      LB_CHECK(t.shape() == p->value.shape(), path, ": tensor '", p->name, "' is ",
               t.shape_string(), ", the model expects ", p->value.shape_string());
      p->value.copy_from(t);
      continue;
    }
    const std::string layer = p->name.substr(0, p->name.size() - kWeight.size());
    auto L = std::make_shared<nn::PtqLayer>();
    if (t.dtype() == DType::f8_e4m3) L->format = nn::PtqFormat::e4m3;
    else if (t.dtype() == DType::f8_e5m2) L->format = nn::PtqFormat::e5m2;
    else if (t.dtype() == DType::i8) L->format = nn::PtqFormat::int8;
    else LB_FAIL(path, ": tensor '", p->name, "' is ", dtype_name(t.dtype()), ", expected f32 or "
                 "quantized codes (f8_e4m3, f8_e5m2, i8)");
    LB_CHECK(t.shape() == p->value.shape(), path, ": codes '", p->name, "' are ", t.shape_string(),
             ", the model expects ", p->value.shape_string());
    const Tensor& ws = f.get(layer + ".weight_scale");
    const Tensor& xs = f.get(layer + ".input_scale");
    LB_CHECK(ws.dtype() == DType::f32 && ws.ndim() == 1 &&
                 (ws.dim(0) == 1 || ws.dim(0) == t.dim(0)),
             path, ": '", layer, ".weight_scale' is ", ws.shape_string(), " ", dtype_name(ws.dtype()),
             ", expected f32 (1) or (", t.dim(0), ")");
    LB_CHECK(xs.dtype() == DType::f32 && xs.numel() == 1, path, ": '", layer,
             ".input_scale' must be one f32");
    L->w_codes = t;
    L->w_scales = ws;
    L->x_scale = xs.data<float>()[0];
    p->value.copy_from(nn::ptq_dequantize_weight(*L));
    layers[layer] = L;
    expected += 2;
  }
  for (const auto& [name, t] : f.tensors) {
    static const std::string kSuffixes[] = {".q_scale", ".k_scale", ".v_scale", ".p_scale"};
    for (const std::string& suf : kSuffixes)
      if (name.size() > suf.size() && name.compare(name.size() - suf.size(), suf.size(), suf) == 0) {
        LB_CHECK(t.dtype() == DType::f32 && t.numel() == 1 && t.data<float>()[0] > 0, path, ": '",
                 name, "' must be one positive f32");
        out.attention[name.substr(0, name.size() - 6)] = t.data<float>()[0];
        ++expected;
      }
  }
  LB_CHECK(f.tensors.size() == expected, path, ": holds ", f.tensors.size(), " tensors, the model "
           "and its quantized layers account for ", expected);
  return out;
}

}  // namespace lowbit

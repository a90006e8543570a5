// QAT export: the LSQ codes of each quantized weight under its trained step, checked against the
// quantizer's own forward before anything is written.
#include "lowbit/train/qat_export.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "lowbit/quant/lsq.h"
#include "lowbit/train/qat_bits.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/safetensors.h"

namespace lowbit {

namespace fs = std::filesystem;

namespace {
const std::string kStep = "_step";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
}  // namespace

size_t qat_export_checkpoint(const std::string& dir, const std::string& out_path) {
  Recipe r = checkpoint_recipe(dir);
  const std::string path = (fs::path(dir) / "model.safetensors").string();
  LB_CHECK(r.get_string("numerics.mode") == "qat", path, ": numerics.mode is \"",
           r.get_string("numerics.mode"),
           "\"; --format qat exports a quantization-aware "
           "(numerics.mode = qat) checkpoint");
  const QatBitsTable bits(r);
  const int wbits = static_cast<int>(r.get_int("numerics.qat_weight_bits"));
  SafetensorsFile f = safetensors_read(path);
  // A weight is quantized when it has a "<weight>_step": "<layer>.weight" (dense layers) or
  // "<name>.core{k}" (tensor-train cores). Input steps ("<layer>.act_step") have no such weight.
  std::set<std::string> quantized;
  for (const auto& [name, t] : f.tensors)
    if (ends_with(name, kStep) && f.has(name.substr(0, name.size() - kStep.size())))
      quantized.insert(name.substr(0, name.size() - kStep.size()));
  LB_CHECK(!quantized.empty(), path, ": no '<weight>", kStep,
           "' tensors; was it trained with numerics.mode = qat?");

  std::vector<std::pair<std::string, Tensor>> out;
  nlohmann::json names = nlohmann::json::array();
  for (const auto& [name, t] : f.tensors) {
    if (!quantized.count(name)) {
      out.emplace_back(name, t);
      continue;
    }
    const Tensor& step = f.get(name + kStep);
    LB_CHECK(t.dtype() == DType::f32 && step.dtype() == DType::f32 && step.numel() == 1, path,
             ": '", name, "' is ", dtype_name(t.dtype()), " and '", name, kStep, "' ",
             dtype_name(step.dtype()), " ", step.shape_string(), ", expected f32 and f32 (1)");
    LsqQuantizer q(name + kStep, bits.for_name(name).weight, /*is_signed=*/true);
    q.step().value.copy_from(step);
    LsqCodes c = q.codes(t);
    // The promise of the format: float(code) * step is the training forward's weight.
    Tensor fwd = q.forward(t);
    const int8_t* pc = c.codes.data<int8_t>();
    const float* pf = fwd.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const float dq = static_cast<float>(pc[i]) * c.step;
      LB_CHECK(std::memcmp(&dq, &pf[i], sizeof(float)) == 0, "[export] ", name, " element ", i,
               ": code ", int(pc[i]), " * step ", c.step, " = ", dq, " but the forward gives ",
               pf[i], " (an LSQ quantizer bug)");
    }
    out.emplace_back(name, c.codes);
    names.push_back(ends_with(name, ".weight") ? name.substr(0, name.size() - 7) : name);
  }
  std::map<std::string, std::string> m;
  m["format"] = "lowbit-qat-export-1";
  if (f.metadata.count("recipe")) m["recipe"] = f.metadata.at("recipe");
  if (f.metadata.count("step")) m["step"] = f.metadata.at("step");
  m["qat"] = nlohmann::json{
      {"weight_bits", wbits},
      {"layer_bits", r.get_string("numerics.qat_layer_bits")},
      {"act_bits", r.get_int("numerics.qat_act_bits")},
      {"rounding", "nearest-even"},
      {"layers",
       names}}.dump();
  if (fs::path(out_path).has_parent_path())
    fs::create_directories(fs::path(out_path).parent_path());
  safetensors_write(out_path, out, m);
  return names.size();
}

}  // namespace lowbit

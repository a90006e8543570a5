// Checkpoint directory read/write on top of the safetensors reader and writer.
#include "lowbit/train/run_checkpoint.h"

#include <filesystem>
#include <map>

#include "lowbit/optim/optimizer.h"
#include "lowbit/train/machine_info.h"
#include "lowbit/train/safetensors.h"

namespace lowbit {

namespace fs = std::filesystem;

namespace {
constexpr const char* kFormat = "lowbit-checkpoint-1";

std::string model_path(const std::string& dir) { return (fs::path(dir) / "model.safetensors").string(); }
std::string optim_path(const std::string& dir) { return (fs::path(dir) / "optimizer.safetensors").string(); }

const std::string& meta(const SafetensorsFile& f, const std::string& path, const std::string& key) {
  auto it = f.metadata.find(key);
  LB_CHECK(it != f.metadata.end(), path, ": not a lowbit checkpoint (metadata has no '", key, "')");
  return it->second;
}

int64_t meta_int(const SafetensorsFile& f, const std::string& path, const std::string& key) {
  const std::string& s = meta(f, path, key);
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    LB_FAIL(path, ": metadata '", key, "' is '", s, "', expected an integer");
  }
}
}  // namespace

void checkpoint_save(const std::string& dir, const Recipe& recipe,
                     const std::vector<nn::Param*>& params, const optim::Optimizer& optimizer,
                     const TrainerPosition& pos) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, Tensor>> weights;
  for (const nn::Param* p : params) weights.emplace_back(p->name, p->value);
  std::map<std::string, std::string> m;
  m["format"] = kFormat;
  m["recipe"] = recipe.to_json().dump();
  m["step"] = std::to_string(pos.step);
  m["machine"] = machine_info_json().dump();
  safetensors_write(model_path(dir), weights, m);
  std::map<std::string, std::string> t;
  t["format"] = kFormat;
  t["step"] = std::to_string(pos.step);
  t["epoch"] = std::to_string(pos.epoch);
  t["batch"] = std::to_string(pos.batch);
  safetensors_write(optim_path(dir), optimizer.state_tensors(), t);
}

Recipe checkpoint_recipe(const std::string& dir) {
  std::string path = model_path(dir);
  LB_CHECK(fs::exists(path), "checkpoint ", dir, " has no model.safetensors (", path,
           " not found); pass the run's output directory (train.out_dir)");
  SafetensorsFile f = safetensors_read(path);
  LB_CHECK(meta(f, path, "format") == kFormat, path, ": checkpoint format '",
           meta(f, path, "format"), "', expected '", kFormat, "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(meta(f, path, "recipe"));
  } catch (const std::exception& e) {
    LB_FAIL(path, ": the stored recipe is not valid JSON (", e.what(), ")");
  }
  return Recipe::from_json(j);
}

void checkpoint_load_weights(const std::string& dir, const std::vector<nn::Param*>& params) {
  std::string path = model_path(dir);
  SafetensorsFile f = safetensors_read(path);
  for (nn::Param* p : params) {
    const Tensor& t = f.get(p->name);
    LB_CHECK(t.shape() == p->value.shape() && t.dtype() == p->value.dtype(), path, ": tensor '",
             p->name, "' is ", t.shape_string(), " ", dtype_name(t.dtype()), ", the model expects ",
             p->value.shape_string(), " ", dtype_name(p->value.dtype()));
    p->value.copy_from(t);
  }
  LB_CHECK(f.tensors.size() == params.size(), path, ": holds ", f.tensors.size(),
           " tensors, the model has ", params.size(), " parameters");
}

TrainerPosition checkpoint_load_trainer(const std::string& dir, optim::Optimizer& optimizer) {
  std::string path = optim_path(dir);
  LB_CHECK(fs::exists(path), "checkpoint ", dir, " has no optimizer.safetensors: it cannot be resumed");
  SafetensorsFile f = safetensors_read(path);
  optimizer.load_state(f.tensors);
  TrainerPosition pos;
  pos.step = meta_int(f, path, "step");
  pos.epoch = meta_int(f, path, "epoch");
  pos.batch = meta_int(f, path, "batch");
  return pos;
}

}  // namespace lowbit

// `lowbit quantize`: post-training quantization of a checkpoint (calibrate on training batches,
// convert weights and activation scales to e4m3 | e5m2 | int8) into a quantized checkpoint.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/ptq.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/safetensors.h"
#include "lowbit/train/task_data.h"

namespace lowbit::cli {

namespace {
struct QuantizeArgs {
  std::string checkpoint, out, format = "e4m3", calibration = "max", exclude;
  int64_t batches = 16;
  double percentile = 99.99;
  bool per_channel = false;
  std::vector<std::string> sets;
};
}  // namespace

void add_quantize(CLI::App& app) {
  auto a = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Post-training quantization of a checkpoint (FP8 / int8)");
  cmd->add_option("--checkpoint", a->checkpoint, "FP32 checkpoint directory")->required();
  cmd->add_option("--out", a->out, "Output directory of the quantized checkpoint")->required();
  cmd->add_option("--format", a->format, "e4m3 | e5m2 | int8")->capture_default_str();
  cmd->add_option("--calibration", a->calibration, "max | percentile | mse | entropy")->capture_default_str();
  cmd->add_option("--calibration-batches", a->batches, "training batches to calibrate on")->capture_default_str();
  cmd->add_option("--percentile", a->percentile, "percentile calibration: p in percent")->capture_default_str();
  cmd->add_flag("--per-channel", a->per_channel, "one weight scale per output channel (default: per tensor)");
  cmd->add_option("--exclude", a->exclude, "layers kept fp32: comma-separated substrings or globs, e.g. 'classifier,pooler'");
  cmd->add_option("--set", a->sets, "Override a data key of the stored recipe, e.g. data.dir=...");
  cmd->callback([a] {
    LB_CHECK(!ptq_is_quantized_checkpoint(a->checkpoint), a->checkpoint,
             " is already quantized; pass the fp32 checkpoint");
    PtqOptions o;
    o.format = nn::ptq_format_parse(a->format);
    o.method = calib_method_parse(a->calibration);
    o.batches = a->batches;
    o.percentile = a->percentile;
    o.per_channel = a->per_channel;
    o.exclude = a->exclude;
    Recipe r = checkpoint_recipe(a->checkpoint);
    LB_CHECK(r.get_string("numerics.mode") != "qat", a->checkpoint, " was trained with numerics."
             "mode = qat: its step sizes already quantize it; use `lowbit export --format qat`");
    for (const auto& s : a->sets) r.set(s);
    auto data = make_task_data(r);
    auto model = make_model(r, *data);
    checkpoint_load_weights(a->checkpoint, model->params());
    auto t0 = std::chrono::steady_clock::now();
    PtqResult q = ptq_calibrate(*model, *data, r.get_int("train.batch_size"), o);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    SafetensorsFile src =
        safetensors_read((std::filesystem::path(a->checkpoint) / "model.safetensors").string());
    ptq_save(a->out, model->params(), q, o, src.metadata);
    std::printf("quantized %zu layers to %s (%s weights, %s calibration on %lld examples, %.2f s); "
                "fp32: %zu layers\n",
                q.layers.size(), a->format.c_str(), o.per_channel ? "per-channel" : "per-tensor",
                a->calibration.c_str(), static_cast<long long>(q.calibration_examples), secs,
                q.excluded.size());
    for (const auto& [name, clip] : q.input_clip)
      std::printf("  %-32s input amax %10.4f  clip %10.4f\n", name.c_str(), q.input_amax.at(name), clip);
    std::printf("wrote %s/model.safetensors\n", a->out.c_str());
  });
}

}  // namespace lowbit::cli

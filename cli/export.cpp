// `lowbit export --checkpoint DIR --format hf --out OUT`: writes a folder Hugging Face
// transformers loads (BertForSequenceClassification for a trained classifier, BertModel for an
// imported encoder): config.json, vocab.txt, model.safetensors.
// `--format qat --out FILE`: a numerics.mode = qat checkpoint as one safetensors file with each
// quantized weight as I8 LSQ codes plus its F32 step (layout in src/lowbit/train/qat_export.h).
#include <cstdio>

#include "cli/commands.h"
#include "lowbit/train/hf_bert_export.h"
#include "lowbit/train/qat_export.h"

namespace lowbit::cli {

namespace {
struct ExportArgs {
  std::string checkpoint, format = "hf", out;
};
}  // namespace

void add_export(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  auto* cmd =
      app.add_subcommand("export",
                         "Export a checkpoint to another format (hf: a Hugging Face folder; qat: "
                         "a QAT checkpoint's weights as I8 LSQ codes + F32 steps in one "
                         "safetensors file)");
  cmd->add_option("--checkpoint", a->checkpoint,
                  "A run's train.out_dir, or a `lowbit import` folder")
      ->required();
  cmd->add_option("--format", a->format,
                  "hf | qat (numerics.mode = qat checkpoints: each quantized layer's weight as I8 "
                  "codes with <layer>.weight_step (F32), float(code) * step = the trained "
                  "forward's weight; other tensors as they are)")
      ->check(CLI::IsMember({"hf", "qat"}))
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Output folder (hf) or safetensors file (qat)")->required();
  cmd->callback([a] {
    if (a->format == "qat") {
      size_t n = qat_export_checkpoint(a->checkpoint, a->out);
      std::printf("exported %s -> %s (%zu layers as I8 codes + F32 steps)\n", a->checkpoint.c_str(),
                  a->out.c_str(), n);
      return;
    }
    hf_export_checkpoint(a->checkpoint, a->out);
    std::printf("exported %s -> %s (config.json, vocab.txt, model.safetensors)\n",
                a->checkpoint.c_str(), a->out.c_str());
  });
}

}  // namespace lowbit::cli

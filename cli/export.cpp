// `lowbit export --checkpoint DIR --format hf --out OUT`: writes a folder Hugging Face
// transformers loads (BertForSequenceClassification for a trained classifier, BertModel for an
// imported encoder): config.json, vocab.txt, model.safetensors.
#include <cstdio>

#include "cli/commands.h"
#include "lowbit/train/hf_bert_export.h"

namespace lowbit::cli {

namespace {
struct ExportArgs {
  std::string checkpoint, format = "hf", out;
};
}  // namespace

void add_export(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  auto* cmd =
      app.add_subcommand("export", "Export a checkpoint to another format (hf: Hugging Face)");
  cmd->add_option("--checkpoint", a->checkpoint,
                  "A run's train.out_dir, or a `lowbit import` folder")
      ->required();
  cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"hf"}));
  cmd->add_option("--out", a->out, "Output folder")->required();
  cmd->callback([a] {
    hf_export_checkpoint(a->checkpoint, a->out);
    std::printf("exported %s -> %s (config.json, vocab.txt, model.safetensors)\n",
                a->checkpoint.c_str(), a->out.c_str());
  });
}

}  // namespace lowbit::cli

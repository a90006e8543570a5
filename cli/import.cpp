// `lowbit import DIR --out OUT`: reads a Hugging Face BERT-family folder (config.json, vocab.txt,
// model.safetensors or pytorch_model.bin), checks it, and writes it with lowbit's names to OUT.
#include <cstdio>

#include "cli/commands.h"
#include "lowbit/train/hf_bert_import.h"

namespace lowbit::cli {

namespace {
struct ImportArgs {
  std::string dir, out;
};
}  // namespace

void add_import(CLI::App& app) {
  auto a = std::make_shared<ImportArgs>();
  auto* cmd =
      app.add_subcommand("import", "Import a Hugging Face BERT model (for model.pretrained)");
  cmd->add_option("dir", a->dir,
                  "Hugging Face folder, or a fetched model's name (all-MiniLM-L6-v2)")
      ->required();
  cmd->add_option("--out", a->out, "Output folder: config.json, vocab.txt, model.safetensors")
      ->required();
  cmd->callback([a] {
    PretrainedBert p = pretrained_read(a->dir);
    for (const std::string& note : p.notes) std::printf("import: %s\n", note.c_str());
    pretrained_write(p, a->out);
    size_t n = 0;
    for (const auto& w : p.weights) n += static_cast<size_t>(w.second.numel());
    const HfBertConfig& c = p.config;
    std::printf(
        "imported %s: BERT, %lld layers, hidden %lld, %lld heads, ffn %lld, vocab %lld, "
        "%lld positions; %zu tensors, %zu parameters\n-> %s (train with --set "
        "model.pretrained=%s)\n",
        p.weights_path.c_str(), static_cast<long long>(c.layers), static_cast<long long>(c.hidden),
        static_cast<long long>(c.heads), static_cast<long long>(c.ffn),
        static_cast<long long>(c.vocab), static_cast<long long>(c.max_positions), p.weights.size(),
        n, a->out.c_str(), a->out.c_str());
  });
}

}  // namespace lowbit::cli

// `lowbit train [--recipe FILE.toml] [--set key=value ...] [--resume DIR]`: runs a recipe
// (the built-in default when none is given) and prints the closing summary.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/trainer.h"

namespace lowbit::cli {

namespace {
struct TrainArgs {
  std::string recipe;
  std::vector<std::string> sets;
  std::string resume;
  bool print_recipe = false;
};
}  // namespace

// A recipe by file, or by the name of one shipped in the checkout's recipes/ folder
// ("minilm-wordnet" -> <source>/recipes/minilm-wordnet.toml) when no such file exists.
std::string recipe_path(const std::string& arg) {
  if (arg.empty() || std::filesystem::exists(arg) || arg.find('/') != std::string::npos) return arg;
  const std::string shipped = std::string(LOWBIT_SOURCE_DIR) + "/recipes/" + arg +
                              (arg.size() > 5 && arg.substr(arg.size() - 5) == ".toml" ? "" : ".toml");
  return std::filesystem::exists(shipped) ? shipped : arg;
}

Recipe recipe_from_args(const std::string& path_or_name, const std::vector<std::string>& sets) {
  const std::string path = recipe_path(path_or_name);
  Recipe r = path.empty() ? Recipe::defaults() : Recipe::from_file(path);
  for (const auto& s : sets) r.set(s);
  return r;
}

void add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a model from a recipe");
  cmd->add_option("--recipe", args->recipe,
                  "Recipe TOML file, or the name of a shipped one (minilm-wordnet, "
                  "bert-wordnet-int8, ...: recipes/*.toml); default: the built-in recipe");
  cmd->add_option("--set", args->sets, "Override a recipe key: --set optim.lr=3e-4 (repeatable)");
  cmd->add_option("--resume", args->resume, "Resume from a checkpoint directory of this recipe");
  cmd->add_flag("--print-recipe", args->print_recipe, "Print every recipe key with its value and exit");
  cmd->callback([args] {
    Recipe r = recipe_from_args(args->recipe, args->sets);
    if (args->print_recipe) {
      std::fputs(r.describe().c_str(), stdout);
      return;
    }
    RunSummary s = train_run(r, args->resume);
    std::fputs(s.describe().c_str(), stdout);
  });
}

}  // namespace lowbit::cli

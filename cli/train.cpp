// `lowbit train [--recipe FILE.toml] [--set key=value ...] [--resume DIR]`: runs a recipe
// (the built-in default when none is given) and prints the closing summary.
#include <cstdio>
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

Recipe recipe_from_args(const std::string& path, const std::vector<std::string>& sets) {
  Recipe r = path.empty() ? Recipe::defaults() : Recipe::from_file(path);
  for (const auto& s : sets) r.set(s);
  return r;
}

void add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a model from a recipe");
  cmd->add_option("--recipe", args->recipe, "Recipe TOML file (default: the built-in recipe)");
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

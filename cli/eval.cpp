// `lowbit eval --checkpoint DIR`: rebuilds the model from the checkpoint's stored recipe,
// loads its weights and reports accuracy on the held-out split.
#include <cstdio>

#include "cli/commands.h"
#include "lowbit/train/evaluate.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/ptq.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/task_data.h"

namespace lowbit::cli {

namespace {
struct EvalArgs {
  std::string checkpoint;
  std::vector<std::string> sets;
};
}  // namespace

void add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on the held-out split");
  cmd->add_option("--checkpoint", args->checkpoint, "Checkpoint directory (a run's train.out_dir)")->required();
  cmd->add_option("--set", args->sets, "Override a data key of the stored recipe, e.g. data.dir=...");
  cmd->callback([args] {
    Recipe r = checkpoint_recipe(args->checkpoint);
    for (const auto& s : args->sets) r.set(s);
    auto data = make_task_data(r);
    auto model = make_model(r, *data);
    if (ptq_is_quantized_checkpoint(args->checkpoint))  // codes and scales from `lowbit quantize`
      ptq_install(*model, ptq_load(args->checkpoint, model->params()));
    else
      checkpoint_load_weights(args->checkpoint, model->params());
    EvalResult ev = evaluate(*model, *data, r.get_int("train.batch_size"));
    std::printf("%s\naccuracy: %.4f %%  loss: %.6f  examples: %lld  (%.2f s)\n",
                model->describe().c_str(), ev.accuracy * 100, ev.loss,
                static_cast<long long>(ev.examples), ev.seconds);
  });
}

}  // namespace lowbit::cli

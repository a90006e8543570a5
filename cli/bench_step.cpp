// `lowbit bench-step`: times whole training steps (forward, backward, clip, optimizer) of a
// recipe's model on one fixed batch, and can dump that batch so a peer (PyTorch) times the
// very same data: bench/step_vs_pytorch.py.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "cli/commands.h"
#include "lowbit/core/parallel.h"
#include "lowbit/nn/softmax_cross_entropy.h"
#include "lowbit/optim/grad_utils.h"
#include "lowbit/optim/optimizer.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/recipe.h"
#include "lowbit/train/task_data.h"
#include "lowbit/train/trainer.h"

namespace lowbit::cli {

Recipe recipe_from_args(const std::string& path, const std::vector<std::string>& sets);

namespace {
struct BenchArgs {
  std::string recipe, dump;
  std::vector<std::string> sets;
  int steps = 10, warmup = 2;
  bool full_length = false;
};

void write_raw(std::ofstream& out, const Tensor& t) {
  if (t.defined()) out.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
}

// Fills every sequence to data.max_length with real-looking ids, so the shape is fixed
// (B, T) regardless of the glosses' lengths; the dumped batch carries the same ids.
void make_full_length(models::ModelInput& in, int64_t seq, int64_t vocab, uint64_t seed) {
  int64_t b = in.ids.dim(0);
  Tensor ids = Tensor::empty({b, seq}, DType::i32);
  Rng rng(seed, 77);
  for (int64_t i = 0; i < ids.numel(); ++i)
    ids.data<int32_t>()[i] = static_cast<int32_t>(1000 + rng.below(static_cast<uint64_t>(vocab - 1000)));
  in.ids = ids;
  in.segments = Tensor::zeros({b, seq}, DType::i32);
  in.mask = Tensor::full({b, seq}, 1, DType::u8);
}
}  // namespace

void add_bench_step(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench-step", "Time training steps of a recipe's model on one batch");
  cmd->add_option("--recipe", a->recipe, "Recipe TOML file (default: the built-in recipe)");
  cmd->add_option("--set", a->sets, "Override a recipe key (repeatable)");
  cmd->add_option("--steps", a->steps, "Timed steps")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", a->warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--full-length", a->full_length, "Text: every sequence data.max_length tokens long");
  cmd->add_option("--dump-batch", a->dump, "Write the batch (raw little-endian arrays) for a peer");
  cmd->callback([a] {
    Recipe r = recipe_from_args(a->recipe, a->sets);
    if (r.get_int("train.threads") > 0) set_num_threads(static_cast<int>(r.get_int("train.threads")));
    auto data = make_task_data(r);
    auto model = make_model(r, *data);
    auto params = model->params();
    auto opt = optim::make_optimizer(r.get_string("optim.kind"), params, optimizer_config(r));
    int64_t bs = std::min(r.get_int("train.batch_size"), data->size(true));
    std::vector<int64_t> idx(static_cast<size_t>(bs));
    std::iota(idx.begin(), idx.end(), 0);
    Tensor labels;
    models::ModelInput in = data->batch(true, idx, &labels);
    if (a->full_length && in.ids.defined())
      make_full_length(in, r.get_int("data.max_length"), data->vocab_size(),
                       static_cast<uint64_t>(r.get_int("train.seed")));
    if (!a->dump.empty()) {
      std::ofstream out(a->dump, std::ios::binary);
      LB_CHECK(out.good(), "cannot write ", a->dump);
      write_raw(out, in.ids);
      write_raw(out, in.segments);
      write_raw(out, in.mask);
      write_raw(out, in.images);
      write_raw(out, labels);
    }
    nn::SoftmaxCrossEntropy ce;
    std::vector<double> ms;
    for (int s = 0; s < a->warmup + a->steps; ++s) {
      auto t0 = std::chrono::steady_clock::now();
      if (s == 0) model->zero_grad();  // later steps: zeroed by the optimizer, as in training
      ce.forward(model->forward(in, nn::ForwardContext{true, static_cast<uint64_t>(s)}), labels);
      model->backward(ce.backward());
      // As the trainer clips: the norm, then the factor applied inside the optimizer's step.
      opt->scale_grads_in_next_step(optim::clip_coefficient(1.0, optim::grad_global_norm(params)));
      opt->zero_grads_in_next_step();
      opt->step(1e-4);
      double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (s >= a->warmup) ms.push_back(dt);
    }
    std::sort(ms.begin(), ms.end());
    Shape shape = in.ids.defined() ? in.ids.shape() : in.images.shape();
    std::printf("{\"engine\":\"lowbit\",\"model\":\"%s\",\"batch_shape\":\"%s\",\"threads\":%d,"
                "\"median_ms\":%.3f,\"min_ms\":%.3f,\"steps\":%d}\n",
                model->describe().c_str(), shape_str(shape).c_str(), num_threads(),
                ms[ms.size() / 2], ms.front(), a->steps);
  });
}

}  // namespace lowbit::cli

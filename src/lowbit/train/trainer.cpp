// The training loop. Everything stochastic is a pure function of (seed, step) or (seed, epoch):
// data order, dropout masks, the learning rate. So a resumed run replays exactly.
#include "lowbit/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "lowbit/core/parallel.h"
#include "lowbit/data/batcher.h"
#include "lowbit/nn/softmax_cross_entropy.h"
#include "lowbit/optim/grad_utils.h"
#include "lowbit/optim/optimizer.h"
#include "lowbit/optim/schedule.h"
#include "lowbit/train/compression.h"
#include "lowbit/train/distill.h"
#include "lowbit/train/evaluate.h"
#include "lowbit/train/memory.h"
#include "lowbit/train/metrics.h"
#include "lowbit/train/model_factory.h"
#include "lowbit/train/numerics_policy.h"
#include "lowbit/train/progress.h"
#include "lowbit/train/run_checkpoint.h"
#include "lowbit/train/task_data.h"

namespace lowbit {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

optim::OptimizerConfig optimizer_config(const Recipe& r) {
  optim::OptimizerConfig c;
  c.weight_decay = r.get_float("optim.weight_decay");
  c.beta1 = r.get_float("optim.beta1");
  c.beta2 = r.get_float("optim.beta2");
  c.eps = r.get_float("optim.eps");
  c.momentum = r.get_float("optim.momentum");
  c.state_codec = r.get_string("optim.state") == "8bit" ? "8bit" : "f32";
  c.state_block = r.get_int("optim.state_block");
  c.state_min_numel = r.get_int("optim.state_min_numel");
  return c;
}

std::string RunSummary::describe() const {
  return cat("== summary ==\n", "steps:            ", steps, "\n",
             "final train loss: ", final_loss, "\n",
             "test accuracy:    ", test_accuracy * 100, " % (", test_examples, " examples, loss ",
             test_loss, ")\n",
             "wall time:        ", wall_s, " s (training ", train_s, " s, ", step_ms, " ms/step)\n",
             "throughput:       ", throughput, " ", unit, "/s\n",
             "peak memory:      ", peak_rss_bytes / (1024.0 * 1024.0), " MiB RSS\n",
             "parameters:       ", param_count, " (optimizer state ", optimizer_state_bytes,
             " bytes)\n", "model size:       ", compression, "\n", "checkpoint:       ", checkpoint_dir, "\n", "numerics:\n", numerics);
}

RunSummary train_run(const Recipe& recipe, const std::string& resume_dir) {
  auto t_start = Clock::now();
  int threads = static_cast<int>(recipe.get_int("train.threads"));
  if (threads > 0) set_num_threads(threads);
  std::string out_dir = recipe.get_string("train.out_dir");
  std::filesystem::create_directories(out_dir);

  std::unique_ptr<TaskData> data = make_task_data(recipe);
  std::unique_ptr<models::Classifier> model = make_model(recipe, *data);
  const std::string numerics = numerics_report(recipe, *model);
  // After the report, which installs the numerics afresh: their parameters (QAT step sizes)
  // belong to the objects installed last.
  std::vector<nn::Param*> params = model->params();
  std::unique_ptr<optim::Optimizer> optimizer =
      optim::make_optimizer(recipe.get_string("optim.kind"), params, optimizer_config(recipe));

  int64_t batch_size = recipe.get_int("train.batch_size");
  int64_t n_train = data->size(true);
  LB_CHECK(n_train > 0, "data.task ", recipe.get_string("data.task"), " has no training examples");
  int64_t steps_per_epoch = (n_train + batch_size - 1) / batch_size;
  int64_t total_steps = recipe.get_int("train.max_steps") > 0
                            ? recipe.get_int("train.max_steps")
                            : recipe.get_int("train.epochs") * steps_per_epoch;
  optim::ScheduleConfig sched;
  sched.kind = optim::schedule_kind_from_name(recipe.get_string("optim.schedule"));
  sched.peak_lr = recipe.get_float("optim.lr");
  sched.warmup_steps = recipe.get_int("optim.warmup_steps");
  if (sched.kind != optim::ScheduleKind::constant && sched.warmup_steps >= total_steps) {
    sched.warmup_steps = total_steps / 10;
    std::printf("note: optim.warmup_steps %lld >= the run's %lld steps; warming up for %lld\n",
                static_cast<long long>(recipe.get_int("optim.warmup_steps")),
                static_cast<long long>(total_steps), static_cast<long long>(sched.warmup_steps));
  }
  sched.total_steps = total_steps;
  optim::LrSchedule schedule(sched);
  double clip = recipe.get_float("optim.clip_norm");
  bool skip_nonfinite = recipe.get_string("train.on_nonfinite") == "skip";
  int64_t log_every = recipe.get_int("train.log_every");
  int64_t eval_every = recipe.get_int("train.eval_every");
  int64_t ckpt_every = recipe.get_int("train.checkpoint_every");
  uint64_t seed = static_cast<uint64_t>(recipe.get_int("train.seed"));

  TrainerPosition pos;
  if (!resume_dir.empty()) {
    checkpoint_load_weights(resume_dir, params);
    pos = checkpoint_load_trainer(resume_dir, *optimizer);
    std::printf("resumed from %s at step %lld\n", resume_dir.c_str(), static_cast<long long>(pos.step));
  }

  size_t param_count = 0;
  for (const nn::Param* p : params) param_count += static_cast<size_t>(p->value.numel());
  std::printf("model: %s (%zu parameters)\ndata:  %s\nrun:   %lld steps (%lld per epoch), batch %lld, %d threads\n",
              model->describe().c_str(), param_count, data->describe().c_str(),
              static_cast<long long>(total_steps), static_cast<long long>(steps_per_epoch),
              static_cast<long long>(batch_size), num_threads());

  std::unique_ptr<Distiller> distiller;
  std::string stage_noted;
  if (!recipe.get_string("distill.teacher").empty()) {
    distiller = std::make_unique<Distiller>(recipe, *data);
    std::printf("distill: %s\n", distiller->describe().c_str());
  }

  MetricsWriter metrics(out_dir + "/metrics.jsonl", !resume_dir.empty());
  Progress progress(total_steps, log_every);
  nn::SoftmaxCrossEntropy ce;
  const std::vector<int32_t> lengths =
      recipe.get_bool("data.length_buckets") ? data->train_lengths() : std::vector<int32_t>{};
  auto batch_order = [&](int64_t epoch) {
    std::vector<int64_t> o = epoch_order(n_train, seed, static_cast<uint64_t>(epoch));
    return lengths.empty() ? o : bucket_by_length(o, lengths, batch_size, seed, static_cast<uint64_t>(epoch));
  };
  std::vector<int64_t> order = batch_order(pos.epoch);
  double train_s = 0, window_units = 0, loss = 0;
  int64_t units_total = 0, steps_run = 0;
  auto window_t0 = Clock::now();

  auto run_eval = [&](const char* when) {
    EvalResult ev = evaluate(*model, *data, batch_size);
    metrics.write_eval(pos.step, pos.epoch, ev.accuracy, ev.loss, ev.examples);
    progress.note(cat(when, " eval at step ", pos.step, ": accuracy ", ev.accuracy * 100, " %, loss ",
                      ev.loss, " (", ev.examples, " examples)"));
    return ev;
  };

  int64_t stop_after = recipe.get_int("train.stop_after");
  int64_t end_step = stop_after > 0 ? std::min(total_steps, pos.step + stop_after) : total_steps;
  bool grads_zero = false;  // set by a step that zeroed them (zero_grads_in_next_step)
  while (pos.step < end_step) {
    int64_t begin = pos.batch * batch_size;
    std::vector<int64_t> idx(order.begin() + begin,
                             order.begin() + std::min(n_train, begin + batch_size));
    Tensor labels;
    models::ModelInput in = data->batch(true, idx, &labels);
    auto t0 = Clock::now();
    nn::ForwardContext ctx{true, static_cast<uint64_t>(pos.step)};
    if (!grads_zero) model->zero_grad();
    grads_zero = false;
    const bool distilling = distiller && distiller->active(pos.step);
    if (distiller && distiller->stage(pos.step) != stage_noted) {
      stage_noted = distiller->stage(pos.step);
      progress.note(cat("distill: from step ", pos.step, ": ", stage_noted));
    }
    if (distilling) {
      loss = distiller->step(*model, in, ctx, pos.step);  // runs the backward itself
    } else {
      loss = ce.forward(model->forward(in, ctx), labels);
      if (std::isfinite(loss)) model->backward(ce.backward());
    }
    bool ok = std::isfinite(loss);
    std::string bad = ok ? "" : "the loss";
    double norm = 0;
    if (ok) {
      // One parallel pass: the norm is non-finite iff a gradient element is; only then is the
      // element looked for, for the message.
      norm = optim::grad_global_norm(params);
      if (!std::isfinite(norm)) {
        optim::NonFinite nf = optim::find_nonfinite(params);
        ok = !nf.found();
        if (!ok) bad = optim::nonfinite_message(pos.step, nf);
      }
    }
    if (!ok) {
      std::string msg = bad == "the loss" ? cat("step ", pos.step, ": the loss is ", loss) : bad;
      LB_CHECK(skip_nonfinite, msg, "; stopping (set train.on_nonfinite=skip to skip such steps)");
      progress.note(msg + "; step skipped (train.on_nonfinite=skip)");
    } else {
      if (clip > 0) optimizer->scale_grads_in_next_step(optim::clip_coefficient(clip, norm));
      optimizer->zero_grads_in_next_step();
      optimizer->step(schedule.lr_at(pos.step));
      grads_zero = true;  // every gradient is one of the optimizer's parameters
    }
    double dt = seconds_since(t0);
    train_s += dt;
    ++steps_run;
    int64_t u = data->units(in);
    units_total += u;
    window_units += static_cast<double>(u);
    ++pos.step;
    if (++pos.batch == steps_per_epoch) {
      pos.batch = 0;
      ++pos.epoch;
      order = batch_order(pos.epoch);
      if (eval_every == 0 && pos.step < total_steps) run_eval("epoch");
    }
    if (pos.step % log_every == 0 || pos.step == total_steps) {
      double window_s = seconds_since(window_t0);
      double rate = window_s > 0 ? window_units / window_s : 0;
      metrics.write_step(pos.step, pos.epoch, loss, schedule.lr_at(pos.step - 1), rate,
                         data->unit(), seconds_since(t_start), peak_rss_bytes());
      window_units = 0;
      window_t0 = Clock::now();
      progress.update(pos.step, loss, rate, data->unit());
    } else {
      progress.update(pos.step, loss, -1, data->unit());
    }
    if (eval_every > 0 && pos.step % eval_every == 0 && pos.step < total_steps) run_eval("periodic");
    if (ckpt_every > 0 && pos.step % ckpt_every == 0 && pos.step < total_steps)
      checkpoint_save(out_dir, recipe, params, *optimizer, pos);
  }
  progress.finish();

  EvalResult ev = run_eval("final");
  checkpoint_save(out_dir, recipe, params, *optimizer, pos);

  RunSummary s;
  s.steps = pos.step;
  s.final_loss = loss;
  s.test_accuracy = ev.accuracy;
  s.test_loss = ev.loss;
  s.test_examples = ev.examples;
  s.train_s = train_s;
  s.step_ms = steps_run ? 1000 * train_s / steps_run : 0;
  s.throughput = train_s > 0 ? units_total / train_s : 0;
  s.unit = data->unit();
  s.param_count = param_count;
  s.optimizer_state_bytes = optimizer->state_bytes();
  s.checkpoint_dir = out_dir;
  s.numerics = numerics;
  s.compression = compression_report(recipe, *model, *data).describe();
  s.wall_s = seconds_since(t_start);
  s.peak_rss_bytes = peak_rss_bytes();
  metrics.write_summary(s.test_accuracy, s.wall_s, s.throughput, s.unit, s.peak_rss_bytes);
  return s;
}

}  // namespace lowbit

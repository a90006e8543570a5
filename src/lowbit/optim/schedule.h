// Learning-rate schedules: linear warm-up from 0, then constant, linear decay to 0, or cosine
// decay to 0. lr_at is a pure function of the step, so a resumed run gets the same bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lowbit::optim {

enum class ScheduleKind { constant, linear, cosine };

// "constant" | "linear" | "cosine"; the error lists the allowed names.
ScheduleKind schedule_kind_from_name(std::string_view name);
const char* schedule_kind_name(ScheduleKind kind);

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::linear;
  double peak_lr = 1e-4;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;  // linear, cosine: lr reaches 0 here (and stays 0 after)
};

// The shapes of Hugging Face's get_{constant,linear,cosine}_schedule_with_warmup, with step =
// the number of updates already taken (the trainer calls opt.step(lr_at(opt.steps_taken()))):
//   step < warmup:  peak * step / warmup          (so the very first update has lr 0 when warmup >
//   0) constant:       peak linear:         peak * (total - step) / (total - warmup), clamped at 0
//   cosine:         peak * 0.5 * (1 + cos(pi * progress)), progress = (step - warmup) / (total -
//   warmup) clamped to [0, 1]
class LrSchedule {
 public:
  explicit LrSchedule(const ScheduleConfig& config);  // validates; errors name the field
  double lr_at(int64_t step) const;
  const ScheduleConfig& config() const { return config_; }

 private:
  ScheduleConfig config_;
};

}  // namespace lowbit::optim
